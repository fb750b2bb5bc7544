//! Shutting down ends open progress streams, so graceful shutdown never waits for browsers.
//! (`live::stop_streams` acts on the whole process: nextest gives this test a process of its own.)

use crate::support::Portal;
use sharepack_engine::store::testing::sample;
use std::time::Duration;

#[tokio::test]
async fn open_event_streams_end_when_the_portal_stops() {
    let portal = Portal::embedded(&[]).await;
    let address = portal.url.trim_start_matches("http://");
    // A run no worker takes (this portal has none), so its stream would stay open.
    let file = sample("valid/minimal.yaml");
    let client = portal.client_for_pack(&file);
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(file).file_name("minimal.yaml"));
    let response = client.post(format!("http://{address}/workflow/sharepack/upload")).multipart(form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().await.unwrap();
    let mut events = client.get(format!("http://{address}/runs/{}/events", body["RunId"].as_str().unwrap())).send().await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), events.chunk()).await.unwrap().unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("QUEUED"), "the stream starts with the run as it is");
    server::live::stop_streams();
    let end = tokio::time::timeout(Duration::from_secs(5), async { while let Ok(Some(_)) = events.chunk().await {} }).await;
    assert!(end.is_ok(), "the stream ended when the portal began to stop");
}
