//! Client benchmark against the sandbox workspace served on a local port: calls per second the
//! client sustains (one at a time, and eight at once), and the time to read a workspace of 5,000
//! recipients and 1,000 shares (every page of both lists).
//!
//! Run with `cargo bench -p server --bench client` (SQLite sandbox state in a temporary folder).

use serde_json::json;
use server::config::Settings;
use sharepack_engine::databricks::auth::Credentials;
use sharepack_engine::databricks::client::WorkspaceClient;
use sharepack_engine::databricks::retry::RetryPolicy;
use std::sync::Arc;
use std::time::Instant;

const RECIPIENTS: usize = 5_000;
const SHARES: usize = 1_000;
const CALLS: usize = 2_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("sharepack-bench-client-{}", uuid::Uuid::new_v4()));
        let settings = Settings::from_vars([("SHAREPACK_DATA_DIR".to_string(), dir.display().to_string())]).unwrap();
        let store = server::open_store(&settings).await.unwrap();
        for index in 0..RECIPIENTS {
            let name = format!("recipient-{index:05}");
            store
                .insert_doc(
                    "sandbox",
                    "recipient",
                    &name,
                    &json!({"name": name, "authentication_type": "TOKEN", "comment": "benchmark", "tokens": [{"id": index.to_string()}]}),
                )
                .await
                .unwrap();
        }
        for index in 0..SHARES {
            let name = format!("share_{index:04}");
            store.insert_doc("sandbox", "share", &name, &json!({"name": name, "comment": "benchmark", "objects": []})).await.unwrap();
        }
        let router = server::build(&settings, store.clone(), server::open_workspaces(&settings, &store).await.unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let client = Arc::new(
            WorkspaceClient::new(
                &format!("http://{address}/sandbox"),
                Credentials::Pat("dapi-sandbox".to_string().into()),
                RetryPolicy::default(),
            )
            .unwrap(),
        );

        println!("client benchmark against the sandbox (SQLite state), {RECIPIENTS} recipients and {SHARES} shares");
        let started = Instant::now();
        let recipients = client.list_recipients().await.unwrap();
        let shares = client.list_shares().await.unwrap();
        assert_eq!((recipients.len(), shares.len()), (RECIPIENTS, SHARES));
        println!("read the whole workspace (both lists, every page): {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);

        let started = Instant::now();
        for index in 0..CALLS {
            client.get_recipient(&format!("recipient-{:05}", index % RECIPIENTS)).await.unwrap();
        }
        println!("get recipient, one at a time: {:.0} calls/s", CALLS as f64 / started.elapsed().as_secs_f64());

        let started = Instant::now();
        let mut tasks = Vec::new();
        for worker in 0..8 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                for index in (worker..CALLS).step_by(8) {
                    client.get_recipient(&format!("recipient-{:05}", index % RECIPIENTS)).await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        println!("get recipient, eight at once: {:.0} calls/s", CALLS as f64 / started.elapsed().as_secs_f64());
        let _ = std::fs::remove_dir_all(&dir);
    });
}
