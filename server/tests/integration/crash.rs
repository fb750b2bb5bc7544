//! A worker process killed mid-run: after a restart the run completes, and nothing is created
//! twice. The portal (with its sandbox) runs in the test; workers are `sharepack worker`
//! processes on the same SQLite database and embedded queue.

use crate::support::Portal;
use sharepack_engine::databricks::auth::Credentials;
use sharepack_engine::databricks::client::WorkspaceClient;
use sharepack_engine::databricks::retry::RetryPolicy;
use sharepack_engine::records::StepStatus;
use sharepack_engine::store::testing::sample;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `sharepack worker` process on the portal's database and queue (`shared` names them).
fn worker(dir: &std::path::Path, address: std::net::SocketAddr, shared: &[(String, String)]) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sharepack"));
    command
        .arg("worker")
        .env("SHAREPACK_DATA_DIR", dir)
        .env("LEPTOS_SITE_ADDR", address.to_string())
        .env("SHAREPACK_WORKERS", "1")
        .env("SHAREPACK_WORKER_VISIBILITY_SECS", "3")
        .env("SHAREPACK_IDLE_POLL_MS", "50")
        .env("SHAREPACK_STEP_CONCURRENCY", "1")
        .env_remove("DATABASE_URL")
        .env_remove("azure_queue_connection_string")
        .env("RUST_LOG", "warn");
    for (name, value) in shared {
        command.env(name, value);
    }
    Process(command.spawn().expect("sharepack worker starts"))
}

async fn a_run_survives_its_worker_being_killed(stack: sharepack_engine::store::testing::Stack) {
    // Slow calls, so the run is still going when its worker dies.
    let Some(portal) = Portal::start(stack, &[("SHAREPACK_SANDBOX_FAULTS", "latency_ms=120")], 0).await else { return };
    let (dir, address, shared, store) = (&portal.data_dir, portal.address, &portal.stack_vars, &portal.store);

    let file = sample("valid/finance.yaml");
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(file.clone()).file_name("finance.yaml"));
    let client = portal.client_for_pack(&file);
    let response = client.post(format!("http://{address}/workflow/sharepack/upload")).multipart(form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().await.unwrap();
    let run = uuid::Uuid::parse_str(body["RunId"].as_str().unwrap()).unwrap();

    // The first worker gets through a recipient or two, then dies without a word.
    let mut first = worker(dir, address, shared);
    let start = Instant::now();
    loop {
        let steps = store.load_steps(run).await.unwrap();
        if steps.iter().any(|step| step.kind == "create_recipient" && step.status == StepStatus::Done) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the first worker makes progress: {steps:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let steps = store.load_steps(run).await.unwrap();
    let stopped = store.load_run(run).await.unwrap().unwrap();
    assert_eq!(stopped.status, sharepack_engine::records::RunStatus::Running, "killed mid-run");
    assert!(steps.iter().any(|step| step.status != StepStatus::Done), "work was left: {steps:?}");

    // A new worker takes the message up once its lease runs out and finishes the run.
    let _second = worker(dir, address, shared);
    let start = Instant::now();
    let done = loop {
        let now = store.load_run(run).await.unwrap().unwrap();
        if now.status.is_terminal() {
            break now;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "the run completes after the restart: {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done.status, sharepack_engine::records::RunStatus::Completed, "{done:?}");
    assert!(done.deliveries >= 2, "delivered again after the crash: {}", done.deliveries);
    let steps = store.load_steps(run).await.unwrap();
    assert!(steps.iter().all(|step| step.status == StepStatus::Done), "{steps:?}");

    // Nothing twice: the workspace holds exactly the pack, each object once.
    let client = WorkspaceClient::new(
        &format!("http://{address}/sandbox"),
        Credentials::Pat("dapi-sandbox".to_string().into()),
        RetryPolicy::default(),
    )
    .unwrap();
    let recipients: Vec<String> = client.list_recipients().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(recipients.len(), 2, "{recipients:?}");
    for share in ["finance_q1_share", "audit_log_share"] {
        let objects: Vec<String> = client.get_share(share, true).await.unwrap().objects.into_iter().map(|o| o.name).collect();
        let unique: std::collections::BTreeSet<&String> = objects.iter().collect();
        assert_eq!(unique.len(), objects.len(), "{share}: {objects:?}");
    }
    let pack = sharepack_engine::intake::read_pack(&file, Some("finance.yaml"), &Default::default()).unwrap().pack.unwrap();
    let snapshot = sharepack_engine::plan::read::read(&client, &pack, Default::default()).await.unwrap();
    let again = sharepack_engine::plan::plan(&pack, &snapshot, Default::default());
    assert_eq!(again.changes().count(), 0, "{:?}", again.actions);
    let completed = store
        .audit_of(done.correlation_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|entry| entry.action == sharepack_engine::records::AuditAction::RunCompleted)
        .count();
    assert_eq!(completed, 1);
}

sharepack_engine::on_both_stacks!(a_run_survives_its_worker_being_killed);
