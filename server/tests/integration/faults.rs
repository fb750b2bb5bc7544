//! The database going away and coming back while the portal runs. The portal talks to
//! PostgreSQL through a TCP proxy that the test can cut (dropping every open connection and
//! refusing new ones) and restore: health turns 503, users get a readable 503, and the portal
//! recovers by itself once the database is back.

use crate::support::Portal;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sharepack_engine::store::testing::{self, Stack};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tower::ServiceExt;

/// A TCP proxy to the database that can be cut and restored.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links = Arc::new(Mutex::new(Vec::new()));
        let (accept_up, accept_links) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    continue; // dropped: the database is "gone"
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                accept_links.lock().unwrap().push(link);
            }
        });
        Proxy { port, up, links }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn get_json(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let response = router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Uploads the minimal sample as Ann, its requestor.
async fn upload(router: &axum::Router, token: &str) -> (StatusCode, String) {
    let boundary = "fault-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"minimal.yaml\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        std::fs::read_to_string(format!("{}/../samples/valid/minimal.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap()
    );
    let request = Request::post("/api/upload_pack")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).to_string())
}

/// Polls `uri` until it answers `wanted` or the deadline passes.
async fn wait_for(router: &axum::Router, wanted: StatusCode, deadline: Duration) -> (StatusCode, Value) {
    let started = Instant::now();
    loop {
        let (status, body) = get_json(router, "/workflow/health").await;
        if status == wanted || started.elapsed() > deadline {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_portal_survives_the_database_going_away_and_coming_back() {
    let Some(server) = testing::pg_server() else { return };
    let database = testing::create_database(&server).await.unwrap();
    let upstream = database.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap().to_string();
    let proxy = Proxy::start(upstream.clone()).await;
    let through_proxy = database.replace(&upstream, &format!("127.0.0.1:{}", proxy.port));

    let vars = [("DATABASE_URL", through_proxy.as_str()), ("SHAREPACK_DB_ACQUIRE_TIMEOUT_SECS", "1")];
    let portal = Portal::start(Stack::Embedded, &vars, 0).await.expect("opens through the proxy");
    let router = portal.router.clone();
    let token = portal.token_for("ann@example.com").to_string();

    let (status, body) = get_json(&router, "/workflow/health").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["DatabaseConnected"].as_bool(), body["Database"].as_str()), (Some(true), Some("postgres")));
    assert_eq!(upload(&router, &token).await.0, StatusCode::OK, "uploads work while the database is up");

    proxy.cut();
    let (status, body) = wait_for(&router, StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(15)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["DatabaseConnected"], false);
    assert_eq!(body["Message"], "Workflow system unhealthy");
    let (status, message) = upload(&router, &token).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{message}");
    assert!(message.contains("The database is unavailable right now"), "{message}");
    assert!(!message.contains("postgres://") && !message.contains(&upstream), "no connection details leak: {message}");

    proxy.restore();
    let (status, body) = wait_for(&router, StatusCode::OK, Duration::from_secs(20)).await;
    assert_eq!(status, StatusCode::OK, "the portal recovers without a restart: {body}");
    assert_eq!(upload(&router, &token).await.0, StatusCode::OK, "uploads work again");
}
