//! Several instances behave as one: portals and workers on one PostgreSQL and one Azurite queue
//! complete each other's runs, whichever worker takes the message, and a worker that does not
//! know a run's workspace hands it back for one that does.

use crate::support::Portal;
use sharepack_engine::jobs::JobError;
use sharepack_engine::records::RunStatus;
use sharepack_engine::store::testing::{Stack, TempDir};

const QUICK: [(&str, &str); 4] = [
    ("SHAREPACK_IDLE_POLL_MS", "50"),
    ("SHAREPACK_RETRY_DELAY_MS", "100"),
    ("SHAREPACK_WORKER_VISIBILITY_SECS", "30"),
    ("SHAREPACK_MAX_DELIVERIES", "50"),
];

#[tokio::test]
async fn runs_complete_whichever_instance_takes_them_and_unknown_workspaces_wait_for_one_that_knows_them() {
    // The first portal runs the only worker; the second, on the same database and queue,
    // listens elsewhere and knows one workspace more (the sandbox again, under another name).
    let Some(first) = Portal::start(Stack::Production, &QUICK, 1).await else { return };
    let extra = format!("http://localhost:{}/sandbox", first.address.port());
    let workspaces = format!(r#"[{{"url": "{extra}", "auth": "pat", "token": "dapi-sandbox", "name": "Sandbox by another name"}}]"#);
    let mut vars: Vec<(&str, &str)> = first.stack_vars.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    vars.extend(QUICK);
    vars.push(("SHAREPACK_WORKSPACES", &workspaces));
    let dir = TempDir::new("sharepack-second");
    let second = Portal::start_in(&dir.0, Stack::Embedded, &vars, 0).await.unwrap();
    assert_ne!(first.address, second.address);

    // Both call the sandbox by the name its database recorded, wherever they reach it.
    let sandbox = |portal: &Portal| portal.workspaces.default_workspace().url.clone();
    assert_eq!(sandbox(&second), sandbox(&first));
    assert_eq!(sandbox(&first), format!("http://{}/sandbox", first.address));

    // Uploaded to the second portal, applied by the first one's worker.
    let run = second.upload_sample("valid/finance.yaml", None).await;
    let done = second.settled(run).await;
    assert_eq!(done.status, RunStatus::Completed, "{:?}", done.error);
    assert_eq!(done.workspace_url, sandbox(&first));

    // A workspace only the second portal knows: the first one's worker hands the run back
    // (without counting a delivery or touching its status) until a worker that knows it runs.
    let run = second.upload_sample("valid/minimal.yaml", Some(&extra)).await;
    let stranger = server::orchestrator(&first.settings, first.store.clone(), first.workspaces.clone());
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    match stranger.process(run, &stopped).await {
        Err(JobError::Retryable(reason)) => assert!(reason.contains("is not configured on the worker"), "{reason}"),
        other => panic!("expected the run to be handed back, got {other:?}"),
    }
    let waiting = second.store.load_run(run).await.unwrap().unwrap();
    assert_eq!((waiting.status, waiting.deliveries), (RunStatus::Queued, 0));
    let knows = server::orchestrator(&second.settings, second.store.clone(), second.workspaces.clone());
    let (_stop_second, second_stopped) = tokio::sync::watch::channel(false);
    let _workers = server::spawn_workers(&second.settings, 1, second.queue.clone(), knows, second_stopped);
    let done = second.settled(run).await;
    assert_eq!(done.status, RunStatus::Completed, "{:?}", done.error);
    assert_eq!(done.workspace_url, extra);
}
