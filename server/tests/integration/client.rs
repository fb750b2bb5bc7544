//! The Databricks client over real HTTP: every operation against the sandbox workspace (served
//! on a local port, as the portal serves it), malformed error bodies and hangs from a local fake workspace,
//! OAuth tokens from a fake token endpoint, and retries under injected faults in bounded time.

use crate::support::Portal;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, post};
use axum::Router;
use serde_json::json;
use sharepack_engine::databricks::auth::Credentials;
use sharepack_engine::databricks::client::*;
use sharepack_engine::databricks::error::ErrorKind;
use sharepack_engine::databricks::retry::RetryPolicy;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

/// A portal with its sandbox on a local port; returns it and the sandbox's workspace URL.
async fn sandbox(extra: &[(&str, &str)]) -> (Portal, String) {
    let portal = Portal::embedded(extra).await;
    let host = format!("{}/sandbox", portal.url);
    (portal, host)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        deadline: Duration::from_secs(20),
    }
}

fn client(host: &str) -> WorkspaceClient {
    WorkspaceClient::new(host, Credentials::Pat("dapi-sandbox".to_string().into()), fast_retries()).unwrap()
}

fn table(name: &str) -> ObjectUpdate {
    ObjectUpdate {
        action: UpdateAction::Add,
        data_object: SharedObject { name: name.into(), data_object_type: Some("TABLE".into()), ..Default::default() },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_works_against_the_sandbox() {
    let tables: Vec<String> = (0..250).map(|index| format!("bulk.data.t{index:03}")).collect();
    let (_portal, host) = sandbox(&[("SHAREPACK_SANDBOX_TABLES", &tables.join(","))]).await;
    let client = client(&host);

    let created = client
        .create_recipient(&NewRecipient {
            name: "acme".into(),
            authentication_type: "TOKEN".into(),
            comment: Some("partner".into()),
            ip_access_list: Some(IpAccessList { allowed_ip_addresses: vec!["203.0.113.0/24".into()] }),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(created.tokens[0].activation_url.is_some());
    let duplicate = client
        .create_recipient(&NewRecipient { name: "acme".into(), authentication_type: "TOKEN".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(duplicate.kind, ErrorKind::AlreadyExists, "a first-try create of an existing recipient is an error: {duplicate}");
    assert!(duplicate.request_id.is_some());

    client.update_recipient("acme", &json!({"comment": "v2"})).await.unwrap();
    assert_eq!(client.get_recipient("acme").await.unwrap().comment.as_deref(), Some("v2"));
    let rotated = client.rotate_token("acme", 60).await.unwrap();
    assert_eq!(rotated.tokens.len(), 2);
    let missing = client.get_recipient("nobody").await.unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);

    for index in 0..149 {
        client
            .create_recipient(&NewRecipient { name: format!("bulk-{index:03}"), authentication_type: "TOKEN".into(), ..Default::default() })
            .await
            .unwrap();
    }
    assert_eq!(client.list_recipients().await.unwrap().len(), 150, "all pages are read");

    client.create_share("finance", Some("Q1")).await.unwrap();
    let updates: Vec<ObjectUpdate> = tables.iter().map(|name| table(name)).collect();
    assert_eq!(client.update_share("finance", &updates, Some("Q1 data")).await.unwrap(), 3, "250 updates go in 3 PATCHes");
    assert_eq!(client.update_share("finance", &[], None).await.unwrap(), 0, "nothing to change sends nothing");
    let share = client.get_share("finance", true).await.unwrap();
    assert_eq!((share.objects.len(), share.comment.as_deref()), (250, Some("Q1 data")));
    assert!(client.get_share("finance", false).await.unwrap().objects.is_empty());
    assert_eq!(client.list_shares().await.unwrap().len(), 1);

    let grants = client
        .update_share_permissions("finance", &[PermissionChange { principal: "acme".into(), add: vec!["SELECT".into()], remove: vec![] }])
        .await
        .unwrap();
    assert_eq!(grants, [PrivilegeAssignment { principal: "acme".into(), privileges: vec!["SELECT".into()] }]);
    assert_eq!(client.share_permissions("finance").await.unwrap().len(), 1);

    assert!(client.table_exists("catalog.schema.revenue_table").await.unwrap());
    assert!(!client.table_exists("catalog.schema.nope").await.unwrap());
    assert_eq!(client.get_table("prod_catalog.sales.customers").await.unwrap()["table_type"], "MANAGED");
    assert!(client.get_schema("catalog.schema").await.is_ok());
    assert_eq!(client.get_catalog("nope").await.unwrap_err().kind, ErrorKind::NotFound);
    assert!(client.metastore_summary().await.unwrap()["global_metastore_id"].as_str().unwrap().starts_with("azure:"));

    client.delete_share("finance").await.unwrap();
    client.delete_recipient("acme").await.unwrap();
    assert_eq!(client.get_share("finance", false).await.unwrap_err().kind, ErrorKind::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_faults_are_retried_within_the_deadline() {
    let (_portal, host) = sandbox(&[("SHAREPACK_SANDBOX_FAULTS", "rate_503=0.3, rate_429=0.2")]).await;
    // Half the calls fail; with 20 tries the chance that one call fails them all is 1 in a
    // million, so the client must get every create through.
    let patient = RetryPolicy { max_attempts: 20, ..fast_retries() };
    let flaky = WorkspaceClient::new(&host, Credentials::Pat("dapi-sandbox".to_string().into()), patient).unwrap();
    let started = Instant::now();
    for index in 0..20 {
        flaky.create_share(&format!("s{index}"), None).await.unwrap_or_else(|error| panic!("share {index}: {error}"));
    }
    assert_eq!(flaky.list_shares().await.unwrap().len(), 20, "each share exactly once, retries included");
    assert!(started.elapsed() < Duration::from_secs(60));

    let (_failing, failing) = sandbox(&[("SHAREPACK_SANDBOX_FAULTS", "fail=POST /recipients")]).await;
    let error = client(&failing)
        .create_recipient(&NewRecipient { name: "x".into(), authentication_type: "TOKEN".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!((error.status, error.attempts), (500, 1), "a failing call is not retried: {error}");
}

/// A fake workspace answering each call with the next canned reply.
#[derive(Clone)]
struct Canned {
    replies: Arc<Vec<(u16, &'static str, &'static str)>>,
    calls: Arc<AtomicUsize>,
}

async fn canned_reply(State(canned): State<Canned>) -> impl IntoResponse {
    let index = canned.calls.fetch_add(1, Ordering::SeqCst).min(canned.replies.len() - 1);
    let (status, retry_after, body) = canned.replies[index];
    let mut headers = HeaderMap::new();
    if !retry_after.is_empty() {
        headers.insert("retry-after", retry_after.parse().unwrap());
    }
    headers.insert("x-request-id", "canned-req".parse().unwrap());
    (StatusCode::from_u16(status).unwrap(), headers, body)
}

async fn canned(replies: Vec<(u16, &'static str, &'static str)>) -> (String, Arc<AtomicUsize>) {
    let canned = Canned { replies: Arc::new(replies), calls: Arc::new(AtomicUsize::new(0)) };
    let calls = canned.calls.clone();
    (serve(Router::new().route("/{*path}", any(canned_reply)).with_state(canned)).await, calls)
}

#[tokio::test]
async fn odd_error_bodies_become_typed_errors() {
    let (host, calls) =
        canned(vec![(503, "", ""), (502, "", "<html><title>502 Bad Gateway</title></html>"), (200, "", r#"{"name":"acme"}"#)]).await;
    assert_eq!(client(&host).get_recipient("acme").await.unwrap().name, "acme", "empty and HTML gateway answers are retried");
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let (host, _) = canned(vec![(400, "", "INVALID_STATE: share is being deleted")]).await;
    let error = client(&host).get_share("x", false).await.unwrap_err();
    assert_eq!(
        (error.kind, error.error_code.as_deref(), error.message.as_str()),
        (ErrorKind::Invalid, Some("INVALID_STATE"), "share is being deleted")
    );
    assert_eq!(error.request_id.as_deref(), Some("canned-req"));

    let (host, calls) = canned(vec![(429, "1", r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}"#), (200, "", "{}")]).await;
    let started = Instant::now();
    client(&host).delete_share("x").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "Retry-After is honoured");
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let (host, _) = canned(vec![(200, "", "not json")]).await;
    assert_eq!(client(&host).get_recipient("x").await.unwrap_err().kind, ErrorKind::Other);
}

async fn hang() -> &'static str {
    tokio::time::sleep(Duration::from_secs(30)).await;
    "{}"
}

#[tokio::test]
async fn hanging_calls_time_out_and_give_up_at_the_deadline() {
    let host = serve(Router::new().route("/{*path}", any(hang))).await;
    let policy = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        deadline: Duration::from_secs(2),
    };
    let client =
        WorkspaceClient::with_timeout(&host, Credentials::Pat("t".to_string().into()), policy, Duration::from_millis(300)).unwrap();
    let started = Instant::now();
    let error = client.list_shares().await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unavailable, "{error}");
    assert!(error.attempts > 1, "timeouts are retried");
    assert!(started.elapsed() < Duration::from_secs(4), "the deadline bounds the call: {:?}", started.elapsed());
}

/// A fake OAuth token endpoint and an API that accepts only the newest token.
#[derive(Clone, Default)]
struct Tokens {
    issued: Arc<AtomicUsize>,
    forms: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

async fn issue(State(tokens): State<Tokens>, headers: HeaderMap, body: String) -> impl IntoResponse {
    let number = tokens.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let auth = headers.get("authorization").and_then(|value| value.to_str().ok()).unwrap_or("").to_string();
    tokens.forms.lock().unwrap().push((auth, body));
    axum::Json(json!({"access_token": format!("token-{number}"), "token_type": "Bearer", "expires_in": 61}))
}

async fn api(State(tokens): State<Tokens>, headers: HeaderMap) -> impl IntoResponse {
    let current = format!("Bearer token-{}", tokens.issued.load(Ordering::SeqCst));
    if headers.get("authorization").and_then(|value| value.to_str().ok()) == Some(current.as_str()) {
        (StatusCode::OK, axum::Json(json!({"name": "acme"})))
    } else {
        (StatusCode::UNAUTHORIZED, axum::Json(json!({"error_code": "UNAUTHENTICATED", "message": "Invalid access token"})))
    }
}

async fn token_server() -> (String, Tokens) {
    let tokens = Tokens::default();
    let router = Router::new()
        .route("/oidc/v1/token", post(issue))
        .route("/tenant-1/oauth2/v2.0/token", post(issue))
        .route("/api/2.1/unity-catalog/{*path}", any(api))
        .with_state(tokens.clone());
    (serve(router).await, tokens)
}

#[tokio::test]
async fn databricks_oauth_tokens_are_cached_and_refreshed() {
    let (host, tokens) = token_server().await;
    let client = WorkspaceClient::new(
        &host,
        Credentials::DatabricksOAuth { client_id: "sp-1".into(), client_secret: "s3cret".to_string().into() },
        fast_retries(),
    )
    .unwrap();
    client.get_recipient("acme").await.unwrap();
    client.get_recipient("acme").await.unwrap();
    assert_eq!(tokens.issued.load(Ordering::SeqCst), 1, "the token is cached");
    let (auth, form) = tokens.forms.lock().unwrap()[0].clone();
    assert!(auth.starts_with("Basic "), "client id and secret go in Basic auth");
    assert!(form.contains("grant_type=client_credentials") && form.contains("scope=all-apis"), "{form}");
    // Tokens are replaced a minute before they expire: this one (61 s) is due in a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.get_recipient("acme").await.unwrap();
    assert_eq!(tokens.issued.load(Ordering::SeqCst), 2, "refreshed before expiry");
}

#[tokio::test]
async fn a_rejected_token_is_fetched_again_once() {
    let (host, tokens) = token_server().await;
    let client = WorkspaceClient::new(
        &host,
        Credentials::DatabricksOAuth { client_id: "sp-1".into(), client_secret: "s".to_string().into() },
        fast_retries(),
    )
    .unwrap();
    client.get_recipient("acme").await.unwrap();
    tokens.issued.fetch_add(1, Ordering::SeqCst); // the workspace now expects a newer token
    client.get_recipient("acme").await.unwrap();
    assert_eq!(tokens.issued.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn entra_service_principals_ask_for_the_azure_databricks_resource() {
    let (host, tokens) = token_server().await;
    let credentials = Credentials::EntraServicePrincipal {
        tenant_id: "tenant-1".into(),
        client_id: "app-1".into(),
        client_secret: "s".to_string().into(),
        authority: Some(host.clone()),
    };
    let client = WorkspaceClient::new(&host, credentials, fast_retries()).unwrap();
    client.get_recipient("acme").await.unwrap();
    let (_, form) = tokens.forms.lock().unwrap()[0].clone();
    assert!(form.contains("client_id=app-1") && form.contains("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default"), "{form}");
    let printed = format!("{:?}", Credentials::DatabricksOAuth { client_id: "a".into(), client_secret: "hunter2".to_string().into() });
    assert!(!printed.contains("hunter2"), "secrets stay out of debug output: {printed}");
}

/// A workspace that answers the first call 429 with `Retry-After: 1` and every later one at
/// once, noting when each call came.
async fn throttling_once() -> (String, Arc<std::sync::Mutex<Vec<Instant>>>) {
    let arrivals: Arc<std::sync::Mutex<Vec<Instant>>> = Default::default();
    let seen = arrivals.clone();
    let router = Router::new().fallback(any(move || {
        let seen = seen.clone();
        async move {
            let first = {
                let mut seen = seen.lock().unwrap();
                seen.push(Instant::now());
                seen.len() == 1
            };
            if first {
                (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}"#)
                    .into_response()
            } else {
                axum::Json(json!({"name": "r", "authentication_type": "TOKEN"})).into_response()
            }
        }
    }));
    (serve(router).await, arrivals)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_slows_every_caller_of_the_workspace() {
    let (host, arrivals) = throttling_once().await;
    let client = Arc::new(WorkspaceClient::new(&host, Credentials::Pat("dapi-x".to_string().into()), RetryPolicy::default()).unwrap());
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.get_recipient("r").await }
    });
    let started = Instant::now();
    while !client.throttled() {
        assert!(started.elapsed() < Duration::from_secs(5), "the 429 never paused the workspace");
        tokio::task::yield_now().await;
    }
    let throttled = arrivals.lock().unwrap()[0];
    // Three other callers, after the workspace said to wait: none goes out before the second is up.
    let others: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_recipient("r").await })
        })
        .collect();
    for call in others {
        assert_eq!(call.await.unwrap().unwrap().name, "r");
    }
    assert_eq!(first.await.unwrap().unwrap().name, "r");
    let arrivals = arrivals.lock().unwrap();
    assert_eq!(arrivals.len(), 5, "one throttled call, its retry and three others");
    for later in &arrivals[1..] {
        assert!(*later - throttled >= Duration::from_millis(950), "a call went out {:?} after the 429", *later - throttled);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_calls_are_in_flight_than_the_workspace_allows() {
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let router = Router::new().fallback(any({
        let (now, most) = (now.clone(), most.clone());
        move || {
            let (now, most) = (now.clone(), most.clone());
            async move {
                most.fetch_max(now.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                axum::Json(json!({"name": "r"}))
            }
        }
    }));
    let host = serve(router).await;
    let client = Arc::new(client(&host).with_concurrency(3));
    let calls: Vec<_> = (0..12)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_recipient("r").await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(most.load(Ordering::SeqCst), 3);
    assert_eq!(client.concurrency(), 3);
}
