//! Shutting down ends open progress streams, so graceful shutdown never waits for browsers.
//! (Its own test binary: `live::stop_streams` acts on the whole process.)

use server::config::Settings;
use std::time::Duration;

#[tokio::test]
async fn open_event_streams_end_when_the_portal_stops() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let dir = std::env::temp_dir().join(format!("sharepack-shutdown-{}", uuid::Uuid::new_v4()));
    let vars = [("SHAREPACK_DATA_DIR", dir.display().to_string()), ("LEPTOS_SITE_ADDR", address.to_string())];
    let settings = Settings::from_vars(vars.iter().map(|(name, value)| (name.to_string(), value.clone()))).unwrap();
    let store = server::open_store(&settings).await.unwrap();
    let router = server::build(&settings, store, server::workspaces(&settings).unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    // A run no worker takes (this portal has none), so its stream would stay open.
    let file = std::fs::read(format!("{}/../samples/valid/minimal.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(file).file_name("minimal.yaml"));
    let response = reqwest::Client::new().post(format!("http://{address}/workflow/sharepack/upload")).multipart(form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().await.unwrap();
    let mut events = reqwest::get(format!("http://{address}/runs/{}/events", body["RunId"].as_str().unwrap())).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), events.chunk()).await.unwrap().unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("QUEUED"), "the stream starts with the run as it is");
    server::live::stop_streams();
    let end = tokio::time::timeout(Duration::from_secs(5), async { while let Ok(Some(_)) = events.chunk().await {} }).await;
    assert!(end.is_ok(), "the stream ended when the portal began to stop");
    let _ = std::fs::remove_dir_all(&dir);
}
