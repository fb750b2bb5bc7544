//! The portal the server benches measure: started in the bench's process on a local port, with
//! its sandbox workspace, on SQLite or, with `BENCH_DATABASE=postgres`, on a new database of the
//! PostgreSQL server named by `SHAREPACK_TEST_PG_URL` (`scripts/bench.sh` starts one), and a
//! requester with an API token, as a CI pipeline would call it. Each bench uses what it needs.
#![allow(dead_code)]

use server::config::Settings;
use sharepack_engine::access::{people, tokens, Grant, Principal, Role, Scopes};
use sharepack_engine::queue::Queue;
use sharepack_engine::store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Portal {
    pub address: SocketAddr,
    pub settings: Settings,
    pub store: Store,
    pub queue: Queue,
    pub workspaces: Arc<sharepack_engine::databricks::workspaces::Workspaces>,
    /// The requester's bearer token (a throwaway one, for the bench's own portal).
    pub token: String,
    /// A client that sends the token with every request.
    pub http: reqwest::Client,
    /// `SQLite` or `PostgreSQL`, for the printed figures.
    pub database: &'static str,
    dir: PathBuf,
}

/// The database the bench runs on: `BENCH_DATABASE=postgres` or SQLite.
pub fn wants_postgres() -> bool {
    std::env::var("BENCH_DATABASE").is_ok_and(|value| value == "postgres")
}

impl Portal {
    /// Starts the portal with `vars` added to its settings (no workers; the bench starts them).
    pub async fn start(name: &str, vars: &[(&str, String)]) -> Portal {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let dir = std::env::temp_dir().join(format!("sharepack-bench-{name}-{}", uuid::Uuid::new_v4()));
        let mut all: Vec<(String, String)> = vec![
            ("SHAREPACK_DATA_DIR".into(), dir.display().to_string()),
            ("LEPTOS_SITE_ADDR".into(), address.to_string()),
            // One person sends everything: the per-person limit is not what is measured.
            ("SHAREPACK_RATE_PER_MINUTE".into(), "100000000".into()),
            // No scheduled drift check calls the workspace behind the figures.
            ("SHAREPACK_DRIFT_MINUTES".into(), "0".into()),
            ("SHAREPACK_SYNC_MINUTES".into(), "0".into()),
        ];
        let database = if wants_postgres() {
            let server = std::env::var("SHAREPACK_TEST_PG_URL").expect("BENCH_DATABASE=postgres needs SHAREPACK_TEST_PG_URL");
            let url = sharepack_engine::store::testing::create_database(&server).await.unwrap();
            all.push(("DATABASE_URL".into(), url));
            "PostgreSQL"
        } else {
            "SQLite"
        };
        all.extend(vars.iter().map(|(name, value)| (name.to_string(), value.clone())));
        let settings = Settings::from_vars(all).unwrap();
        let store = server::open_store(&settings).await.unwrap();
        let queue = server::queue(&settings, &store).unwrap();
        let workspaces = Arc::new(server::open_workspaces(&settings, &store).await.unwrap());
        let router = server::build_with(&settings, store.clone(), workspaces.clone(), queue.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let operator = Principal::operator();
        people::add_person(&store, &operator, "bench@example.com", "", &[Grant::everywhere(Role::Requester)]).await.unwrap();
        let (token, _) = tokens::create(&store, &operator, Some("bench@example.com"), "bench", &Scopes::all(), 1).await.unwrap();
        let token = token.expose().to_string();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        let http = reqwest::Client::builder().default_headers(headers).build().unwrap();
        Portal { address, settings, store, queue, workspaces, token, http, database, dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Submits a YAML pack over `POST /workflow/sharepack/upload`: its share pack and run ids.
    pub async fn upload(&self, yaml: String) -> (String, String) {
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(yaml.into_bytes()).file_name("pack.yaml"));
        let response = self.http.post(self.url("/workflow/sharepack/upload")).multipart(form).send().await.unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, 202, "{body}");
        (body["SharePackId"].as_str().unwrap().to_string(), body["RunId"].as_str().unwrap().to_string())
    }

    /// Removes the portal's data directory (its SQLite database and files).
    pub fn clean_up(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
