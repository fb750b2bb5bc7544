//! Portals for tests: on either stack (`Stack`), listening on a local port (so the portal's own
//! sandbox is reachable over HTTP), with as many in-portal workers as a test wants, and their
//! data directory removed when the test ends.

use axum::Router;
use server::config::Settings;
use sharepack_engine::access::{people, tokens, Grant, Principal, Role, Scopes};
use sharepack_engine::databricks::workspaces::Workspaces;
use sharepack_engine::intake::read_pack;
use sharepack_engine::queue::Queue;
use sharepack_engine::store::testing::{stack_vars, Stack, TempDir};
use sharepack_engine::store::Store;
use std::path::Path;
use std::sync::Arc;

pub struct Portal {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    pub address: std::net::SocketAddr,
    /// The settings that put it on its stack (the database and queue), for other processes
    /// that share them.
    pub stack_vars: Vec<(String, String)>,
    pub router: Router,
    pub settings: Settings,
    pub store: Store,
    pub queue: Queue,
    pub workspaces: Arc<Workspaces>,
    pub data_dir: std::path::PathBuf,
    /// API tokens (read, submit, approve) of the samples' requestors, who hold requester and approver
    /// roles on every business line.
    pub tokens: std::collections::HashMap<String, String>,
    stop: tokio::sync::watch::Sender<bool>,
    _workers: tokio::task::JoinSet<()>,
    _dir: Option<TempDir>,
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The approval policy of tests about something else: no plan waits for approval. The
/// approvals module runs on the product's default policy and its own.
pub const NO_APPROVALS: &str = r#"{"approvals": 0, "risky_needs_one": false}"#;

/// The requestors the samples name.
pub const TESTERS: [&str; 2] = ["john.doe@jll.com", "ann@example.com"];

/// Makes an account with `grants` (if new) and an API token with the read, submit and approve
/// scopes, as the operator.
pub async fn make_token(store: &Store, email: &str, grants: &[Grant]) -> String {
    people::add_person(store, &Principal::operator(), email, "", grants).await.expect("the account is made");
    // Every scope a person's token has; metrics is for scrapers.
    let scopes: Scopes = "read,submit,approve".parse().unwrap();
    let (token, _) = tokens::create(store, &Principal::operator(), Some(email), "tests", &scopes, 1).await.expect("the token is made");
    token.expose().to_string()
}

impl Portal {
    /// The token of a tester.
    pub fn token_for(&self, email: &str) -> &str {
        self.tokens.get(email).map(String::as_str).unwrap_or_else(|| panic!("{email} is not a tester"))
    }

    /// The token of the person a pack names as its requestor (John when it names none or
    /// cannot be read): the person who would upload it.
    pub fn token_for_pack(&self, bytes: &[u8]) -> &str {
        let requestor = read_pack(bytes, None, &Default::default())
            .ok()
            .and_then(|intake| intake.pack.map(|pack| pack.metadata.requestor.to_lowercase()))
            .filter(|email| self.tokens.contains_key(email));
        self.token_for(requestor.as_deref().unwrap_or(TESTERS[0]))
    }

    /// A client acting as a tester.
    pub fn client_as(&self, email: &str) -> reqwest::Client {
        bearer_client(self.token_for(email))
    }

    /// A browser signed in as a tester: a session cookie, HTML asked for, redirects not followed.
    pub async fn browser_as(&self, email: &str) -> reqwest::Client {
        let account = self.store.account_by_email(email).await.unwrap().unwrap();
        let (session, _) = sharepack_engine::access::sessions::open(&self.store, &self.settings.sessions, &account, "test").await.unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        let cookie = format!("{}={}", app::portal::session_cookie(false), session.expose());
        headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
        headers.insert(reqwest::header::ACCEPT, "text/html".parse().unwrap());
        reqwest::Client::builder().default_headers(headers).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// A client acting as the requestor of a pack.
    pub fn client_for_pack(&self, bytes: &[u8]) -> reqwest::Client {
        bearer_client(self.token_for_pack(bytes))
    }

    /// Uploads a sample as its requestor, for `workspace` (the default when `None`); the run it
    /// queued.
    pub async fn upload_sample(&self, file: &str, workspace: Option<&str>) -> uuid::Uuid {
        use sharepack_engine::store::testing::sample;
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(sample(file)).file_name(file.to_string()));
        let mut request = self.client_for_pack(&sample(file)).post(format!("{}/workflow/sharepack/upload", self.url)).multipart(form);
        if let Some(workspace) = workspace {
            request = request.header("X-Workspace-URL", workspace);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, 202, "{body}");
        body["RunId"].as_str().unwrap().parse().unwrap()
    }

    /// Follows a 202 answer for a sync job (a drift check, a sync) at its `Location` until the job
    /// succeeds (a minute at most; failing on FAILED); answers the job.
    pub async fn job_done(&self, client: &reqwest::Client, accepted: reqwest::Response) -> serde_json::Value {
        assert_eq!(accepted.status().as_u16(), 202);
        let location = accepted.headers()["location"].to_str().unwrap().to_string();
        let asked: serde_json::Value = accepted.json().await.unwrap();
        assert_eq!(location, format!("/workflow/sync-jobs/{}", asked["JobId"].as_str().unwrap()));
        let start = std::time::Instant::now();
        loop {
            let job: serde_json::Value = client.get(format!("{}{location}", self.url)).send().await.unwrap().json().await.unwrap();
            if job["Status"] == "SUCCEEDED" {
                return job;
            }
            assert!(start.elapsed() < std::time::Duration::from_secs(60) && job["Status"] != "FAILED", "{job}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits (a minute at most) for a run to end, following it through this portal's store.
    pub async fn settled(&self, run: uuid::Uuid) -> sharepack_engine::store::Run {
        let start = std::time::Instant::now();
        loop {
            let now = self.store.load_run(run).await.unwrap().unwrap();
            if now.status.is_terminal() {
                return now;
            }
            assert!(start.elapsed() < std::time::Duration::from_secs(60), "run {run} still {:?}", now.status);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// A portal on the embedded stack without workers.
    pub async fn embedded(vars: &[(&str, &str)]) -> Portal {
        Portal::start(Stack::Embedded, vars, 0).await.expect("the embedded stack needs nothing")
    }

    /// A portal on `stack` with `workers` in-portal workers; `None` (skip) when the production
    /// services are not there. `vars` come last, so they override.
    pub async fn start(stack: Stack, vars: &[(&str, &str)], workers: u32) -> Option<Portal> {
        let dir = TempDir::new("sharepack-test");
        let mut portal = Portal::start_in(&dir.0, stack, vars, workers).await?;
        portal._dir = Some(dir);
        Some(portal)
    }

    /// The same in a data directory the test keeps (to open it again).
    pub async fn start_in(dir: &Path, stack: Stack, vars: &[(&str, &str)], workers: u32) -> Option<Portal> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut all =
            vec![("SHAREPACK_DATA_DIR".to_string(), dir.display().to_string()), ("LEPTOS_SITE_ADDR".to_string(), address.to_string())];
        let mut shared = stack_vars(stack).await?;
        // Workers in other processes share the portal's policy, as they would in production.
        let policy = vars.iter().find(|(name, _)| *name == "SHAREPACK_APPROVALS").map_or(NO_APPROVALS, |(_, value)| *value);
        shared.push(("SHAREPACK_APPROVALS".to_string(), policy.to_string()));
        all.extend(shared.iter().cloned());
        all.extend(vars.iter().map(|(name, value)| (name.to_string(), value.to_string())));
        let settings = Settings::from_vars(all).unwrap();
        let store = server::open_store(&settings).await.expect("the store opens");
        let queue = server::queue(&settings, &store).unwrap();
        queue.ensure().await.unwrap();
        let workspaces = Arc::new(server::open_workspaces(&settings, &store).await.unwrap());
        let router = server::build_with(&settings, store.clone(), workspaces.clone(), queue.clone());
        let serving = router.clone();
        tokio::spawn(async move { axum::serve(listener, serving).await.unwrap() });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let orchestrator = server::orchestrator(&settings, store.clone(), workspaces.clone());
        let workers = server::spawn_workers(&settings, workers, queue.clone(), orchestrator, stopped);
        let mut tokens = std::collections::HashMap::new();
        for email in TESTERS {
            tokens.insert(
                email.to_string(),
                make_token(&store, email, &[Grant::everywhere(Role::Requester), Grant::everywhere(Role::Approver)]).await,
            );
        }
        Some(Portal {
            tokens,
            url: format!("http://{address}"),
            address,
            stack_vars: shared,
            router,
            settings,
            store,
            queue,
            workspaces,
            data_dir: dir.to_path_buf(),
            stop,
            _workers: workers,
            _dir: None,
        })
    }
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}
