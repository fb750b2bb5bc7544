//! Submission to result, end to end in-process: the portal (REST API and its sandbox workspace)
//! on a real port, workers on the queue, and the sandbox checked afterwards. Runs on SQLite with
//! the embedded queue, and on PostgreSQL with Azurite when the test command provides them
//! (`SHAREPACK_TEST_PG_URL`, `SHAREPACK_TEST_AZURITE`).

use crate::support::{Portal, TESTERS};
use serde_json::Value;
use sharepack_engine::databricks::auth::Credentials;
use sharepack_engine::databricks::client::WorkspaceClient;
use sharepack_engine::databricks::retry::RetryPolicy;
use sharepack_engine::plan::ActionKind;
use sharepack_engine::plan::{plan, read::read, PlanOptions};
use sharepack_engine::records::AuditAction;
use sharepack_engine::records::{RunStatus, StepStatus};
use sharepack_engine::store::testing::{sample, Stack as Backend};
use sharepack_engine::store::Entity;
use std::time::Duration;

/// The portal these tests drive: quick polls and retries, so runs settle in test time.
type Stack = Portal;

async fn stack(backend: Backend, extra: &[(&str, &str)], workers: u32) -> Option<Stack> {
    let mut vars = vec![("SHAREPACK_IDLE_POLL_MS", "50"), ("SHAREPACK_RETRY_DELAY_MS", "100"), ("SHAREPACK_WORKER_VISIBILITY_SECS", "30")];
    vars.extend_from_slice(extra);
    Portal::start(backend, &vars, workers).await
}

/// Uploads a sample as the person it names as requestor.
async fn upload(stack: &Stack, file: &str, query: &str) -> (u16, Value) {
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(sample(file)).file_name(file.to_string()));
    let client = stack.client_for_pack(&sample(file));
    let response = client.post(format!("{}/workflow/sharepack/upload{query}", stack.url)).multipart(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn status(stack: &Stack, id: &str) -> (u16, Value) {
    let response = stack.client_as(TESTERS[0]).get(format!("{}/workflow/sharepack/{id}", stack.url)).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Polls like the seed's client until a final status.
async fn finished(stack: &Stack, id: &str, within: Duration) -> Value {
    let start = std::time::Instant::now();
    loop {
        let (code, body) = status(stack, id).await;
        assert_eq!(code, 200, "{body}");
        if matches!(body["Status"].as_str(), Some("COMPLETED" | "FAILED" | "VALIDATION_FAILED")) {
            return body;
        }
        assert!(start.elapsed() < within, "still {} after {within:?}: {body}", body["Status"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sandbox_client(stack: &Stack) -> WorkspaceClient {
    WorkspaceClient::new(&format!("{}/sandbox", stack.url), Credentials::Pat("dapi-sandbox".to_string().into()), RetryPolicy::default())
        .unwrap()
}

/// The sandbox holds exactly what the pack describes: planning the pack again changes nothing.
async fn converged(stack: &Stack, file: &str) {
    let intake = sharepack_engine::intake::read_pack(&sample(file), Some(file), &Default::default()).unwrap();
    let pack = intake.pack.unwrap();
    let snapshot = read(&sandbox_client(stack), &pack, Default::default()).await.unwrap();
    let again = plan(&pack, &snapshot, PlanOptions::default());
    let changes: Vec<_> = again.changes().map(|action| format!("{:?} {}", action.action, action.name)).collect();
    assert!(changes.is_empty(), "{file}: the workspace differs from the pack: {changes:?}");
    for share in &pack.shares {
        let state = snapshot.share(&share.name).unwrap_or_else(|| panic!("share {} exists", share.name));
        assert_eq!(state.info.objects.len(), share.data_objects.len(), "{}: objects", share.name);
        assert_eq!(state.grants.len(), share.recipients.len(), "{}: grants", share.name);
    }
}

async fn upload_to_completed(backend: Backend) {
    let Some(stack) = stack(backend, &[], 2).await else { return };
    let (code, body) = upload(&stack, "valid/finance.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["Status"], "IN_PROGRESS");
    assert_eq!(body["ValidationErrors"], serde_json::json!([]));
    let name = body["SharePackName"].as_str().unwrap();
    assert!(name.starts_with("SharePack_"), "{name}");
    let stamp = name.rsplit('_').take(2).collect::<Vec<_>>();
    assert!(stamp[0].len() == 6 && stamp[1].len() == 8, "SharePack_<requestor>_<YYYYMMDD_HHMMSS>: {name}");
    let id = body["SharePackId"].as_str().unwrap().to_string();
    let done = finished(&stack, &id, Duration::from_secs(60)).await;
    assert_eq!(done["Status"], "COMPLETED", "{done}");
    assert_eq!(done["ProvisioningStatus"], "All resources provisioned successfully");
    assert_eq!(done["ErrorMessage"], "");
    assert_eq!(done["Strategy"], "NEW");
    for field in ["RequestedBy", "CreatedAt", "LastUpdated", "SharePackName"] {
        assert!(done[field].as_str().is_some_and(|text| !text.is_empty()), "{field}: {done}");
    }
    converged(&stack, "valid/finance.yaml").await;

    // Every step done once; recipients and shares in their SCD2 tables; the audit trail.
    let run = uuid::Uuid::parse_str(done["RunId"].as_str().unwrap()).unwrap();
    let steps = stack.store.load_steps(run).await.unwrap();
    assert!(steps.len() >= 6, "{steps:?}");
    assert!(steps.iter().all(|step| step.status == StepStatus::Done && step.attempts == 1), "{steps:?}");
    assert!(steps.iter().filter(|step| step.kind == "create_recipient").count() == 2);
    let recipient = sharepack_engine::apply::keys::recipient(&format!("{}/sandbox", stack.url), "external-auditor");
    let version = stack.store.current(Entity::Recipient, recipient).await.unwrap().expect("the recipient is recorded");
    assert_eq!(version.created_by, done["RequestedBy"].as_str().unwrap());
    assert!(version.change_reason.contains(&run.to_string()), "{}", version.change_reason);
    let stored = stack.store.load_run(run).await.unwrap().unwrap();
    let audit = stack.store.audit_of(stored.correlation_id).await.unwrap();
    let actions: Vec<AuditAction> = audit.iter().map(|entry| entry.action).collect();
    let created = AuditAction::Applied(ActionKind::Create);
    assert!(
        actions.contains(&AuditAction::RunSubmitted) && actions.contains(&created) && actions.contains(&AuditAction::RunCompleted),
        "{actions:?}"
    );

    // The token recipient's activation link waits for its submitter only, once, and is nowhere else.
    let links = stack.store.pending_activation_links(run).await.unwrap();
    assert_eq!(links, 1, "one D2O recipient in the finance pack");
    let john = stack.client_as(TESTERS[0]);
    let take = |claim: String| {
        let url = format!("{}/workflow/runs/{run}/activation-links", stack.url);
        let john = john.clone();
        async move {
            let response = john.post(url).header("X-Claim-Token", claim).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let (code, refused) = take(uuid::Uuid::new_v4().to_string()).await;
    assert_eq!((code, refused["Code"].as_str()), (403, Some("not_the_submitter")), "a wrong claim gets nothing: {refused}");
    assert_eq!(body["ClaimToken"].as_str(), stored.claim.map(|claim| claim.to_string()).as_deref(), "the upload's answer holds the claim");
    let (code, taken) = take(body["ClaimToken"].as_str().unwrap().to_string()).await;
    assert_eq!(code, 200, "{taken}");
    assert_eq!(taken["ActivationLinks"].as_array().unwrap().len(), 1, "{taken}");
    assert_eq!(taken["ActivationLinks"][0]["Recipient"], "external-auditor");
    let link = taken["ActivationLinks"][0]["Url"].as_str().unwrap().to_string();
    assert!(link.contains("/delta_sharing/"), "{link}");
    let (_, again) = take(body["ClaimToken"].as_str().unwrap().to_string()).await;
    assert_eq!(again["ActivationLinks"], serde_json::json!([]), "shown once");
    let history = format!("{:?}{:?}", audit, stack.store.history(Entity::Recipient, recipient).await.unwrap());
    assert!(!history.contains(link.as_str()), "activation links stay out of history and the audit trail");
    let steps_text = format!("{steps:?}");
    assert!(!steps_text.contains(link.as_str()), "and out of the stored steps");
    assert_eq!(stack.queue.depth().await.unwrap(), (0, 0), "the message is gone, nothing poisoned");

    // The same pack again: UPDATE with nothing to change, and a second version of the share pack.
    let (code, body) = upload(&stack, "valid/finance.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["SharePackId"].as_str().unwrap(), id, "same project, same share pack");
    let again = finished(&stack, &id, Duration::from_secs(60)).await;
    assert_eq!(again["Status"], "COMPLETED", "{again}");
    assert_eq!(stack.store.pack_files(uuid::Uuid::parse_str(&id).unwrap()).await.unwrap().len(), 2);
}

#[tokio::test]
async fn invalid_packs_are_refused_with_their_errors_and_unknown_ids_are_404() {
    let stack = stack(Backend::Embedded, &[], 1).await.unwrap();
    let (code, body) = upload(&stack, "invalid/recipients.yaml", "").await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["Status"], "VALIDATION_FAILED");
    assert!(!body["ValidationErrors"].as_array().unwrap().is_empty(), "{body}");
    let (code, later) = status(&stack, body["SharePackId"].as_str().unwrap()).await;
    assert_eq!((code, later["Status"].as_str()), (200, Some("VALIDATION_FAILED")), "{later}");
    let (code, body) = status(&stack, &uuid::Uuid::new_v4().to_string()).await;
    assert_eq!((code, body["Code"].as_str()), (404, Some("not_found")), "{body}");
    let (code, body) = status(&stack, "not-a-uuid").await;
    assert_eq!((code, body["Code"].as_str()), (400, Some("malformed_id")), "{body}");
    let form = reqwest::multipart::Form::new().text("other", "x");
    let response =
        stack.client_as(TESTERS[0]).post(format!("{}/workflow/sharepack/upload", stack.url)).multipart(form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(stack.queue.depth().await.unwrap(), (0, 0), "nothing was queued");
}

async fn with_a_fifth_of_calls_failing_every_run_completes(backend: Backend) {
    let faults = [("SHAREPACK_SANDBOX_FAULTS", "rate_429=0.1, rate_503=0.1"), ("SHAREPACK_MAX_DELIVERIES", "20")];
    let Some(stack) = stack(backend, &faults, 2).await else { return };
    let mut ids = Vec::new();
    for file in ["valid/finance.yaml", "valid/sales.yaml", "valid/minimal.yaml"] {
        let (code, body) = upload(&stack, file, "").await;
        assert_eq!(code, 202, "{file}: {body}");
        ids.push((file, body["SharePackId"].as_str().unwrap().to_string()));
    }
    for (file, id) in &ids {
        let done = finished(&stack, id, Duration::from_secs(120)).await;
        assert_eq!(done["Status"], "COMPLETED", "{file}: {done}");
    }
    for (file, _) in &ids {
        converged(&stack, file).await;
    }
}

async fn a_message_that_always_fails_ends_in_the_poison_queue_and_a_failed_run(backend: Backend) {
    // Creating recipients is down for good: every delivery fails, transiently, until the worker gives up.
    let extra = [("SHAREPACK_SANDBOX_FAULTS", "down=POST /recipients"), ("SHAREPACK_MAX_DELIVERIES", "3")];
    let Some(stack) = stack(backend, &extra, 1).await else { return };
    let (code, body) = upload(&stack, "valid/minimal.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    let id = body["SharePackId"].as_str().unwrap().to_string();
    let done = finished(&stack, &id, Duration::from_secs(90)).await;
    assert_eq!(done["Status"], "FAILED", "{done}");
    let error = done["ErrorMessage"].as_str().unwrap();
    assert!(error.contains("Gave up after 3 deliveries") && error.contains("partner"), "{error}");
    let start = std::time::Instant::now();
    while stack.queue.depth().await.unwrap() != (0, 1) {
        assert!(start.elapsed() < Duration::from_secs(10), "the message ends in the poison queue: {:?}", stack.queue.depth().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let run = uuid::Uuid::parse_str(done["RunId"].as_str().unwrap()).unwrap();
    let stored = stack.store.load_run(run).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.deliveries), (RunStatus::Failed, 3));
}

#[tokio::test]
async fn a_permanent_failure_removes_what_a_new_run_created_and_retry_resumes() {
    // Shares cannot be created (500): the run fails at that step, after creating its recipient.
    let stack = stack(Backend::Embedded, &[("SHAREPACK_SANDBOX_FAULTS", "fail=POST /shares")], 1).await.unwrap();
    let (code, body) = upload(&stack, "valid/minimal.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    let id = body["SharePackId"].as_str().unwrap().to_string();
    let done = finished(&stack, &id, Duration::from_secs(60)).await;
    assert_eq!(done["Status"], "FAILED", "{done}");
    let error = done["ErrorMessage"].as_str().unwrap();
    assert!(
        error.contains("Create share minimal_share") && error.contains("Removed again what this run had created: recipient partner"),
        "{error}"
    );
    let client = sandbox_client(&stack);
    assert!(client.list_recipients().await.unwrap().iter().all(|r| r.name != "partner"), "compensation removed the recipient");
    let run = uuid::Uuid::parse_str(done["RunId"].as_str().unwrap()).unwrap();
    let steps = stack.store.load_steps(run).await.unwrap();
    assert!(steps.iter().any(|step| step.kind == "create_recipient" && step.status == StepStatus::Undone), "{steps:?}");

    // Retrying a failed run is allowed (and recorded as whoever's token asked; a `By` field
    // naming someone else is ignored); cancelling a finished one is not.
    let client = stack.client_as("ann@example.com");
    let response = client
        .post(format!("{}/workflow/runs/{run}/cancel", stack.url))
        .json(&serde_json::json!({"By": "ops@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 409);
    let response = client
        .post(format!("{}/workflow/runs/{run}/retry", stack.url))
        .json(&serde_json::json!({"By": "ops@example.com", "Reason": "share creation fixed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let retried = finished(&stack, &id, Duration::from_secs(60)).await;
    assert_eq!(retried["Status"], "FAILED", "still failing: the fault is still there: {retried}");
    let stored = stack.store.load_run(run).await.unwrap().unwrap();
    let audit = stack.store.audit_of(stored.correlation_id).await.unwrap();
    let steps = stack.store.load_steps(run).await.unwrap();
    let recipient = steps.iter().find(|step| step.kind == "create_recipient").unwrap();
    assert_eq!((recipient.attempts, recipient.status), (2, StepStatus::Undone), "what compensation removed is made again on retry");
    let resolve = steps.iter().find(|step| step.kind == "resolve").unwrap();
    assert_eq!((resolve.attempts, resolve.status), (1, StepStatus::Done), "finished steps are not repeated");
    let retry = audit.iter().find(|entry| entry.action == AuditAction::RunRetried).expect("the retry is recorded");
    assert_eq!((retry.actor.as_str(), retry.reason.as_str()), ("ann@example.com", "share creation fixed"));
    let response = client.post(format!("{}/workflow/runs/{}/retry", stack.url, uuid::Uuid::new_v4())).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn a_queued_run_can_be_cancelled_and_is_never_applied() {
    let stack = stack(Backend::Embedded, &[], 0).await.unwrap();
    let (code, body) = upload(&stack, "valid/minimal.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    let run = body["RunId"].as_str().unwrap().to_string();
    let response = stack
        .client_as("ann@example.com")
        .post(format!("{}/workflow/runs/{run}/cancel", stack.url))
        .json(&serde_json::json!({"Reason": "wrong table"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["RunStatus"], "CANCELLED");
    let (_, now) = status(&stack, body["SharePackId"].as_str().unwrap()).await;
    assert_eq!((now["Status"].as_str(), now["ErrorMessage"].as_str()), (Some("FAILED"), Some("Cancelled")), "{now}");
    // A worker now takes the message and drops it without touching the workspace.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let orchestrator = server::orchestrator(&stack.settings, stack.store.clone(), stack.workspaces.clone());
    let mut workers = server::spawn_workers(&stack.settings, 1, stack.queue.clone(), orchestrator, stopped);
    let start = std::time::Instant::now();
    while stack.queue.depth().await.unwrap() != (0, 0) {
        assert!(start.elapsed() < Duration::from_secs(10), "the message is settled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(sandbox_client(&stack).list_recipients().await.unwrap().iter().all(|r| r.name != "partner"));
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
}

#[tokio::test]
async fn a_workspace_that_changed_since_the_preview_is_planned_again_and_the_difference_recorded() {
    let stack = stack(Backend::Embedded, &[], 0).await.unwrap();
    let (code, body) = upload(&stack, "valid/minimal.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    let run = uuid::Uuid::parse_str(body["RunId"].as_str().unwrap()).unwrap();
    // Someone creates the recipient by hand before a worker gets to the run.
    let client = sandbox_client(&stack);
    client
        .create_recipient(&sharepack_engine::databricks::client::NewRecipient {
            name: "partner".into(),
            authentication_type: "TOKEN".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let orchestrator = server::orchestrator(&stack.settings, stack.store.clone(), stack.workspaces.clone());
    let mut workers = server::spawn_workers(&stack.settings, 1, stack.queue.clone(), orchestrator, stopped);
    let done = finished(&stack, body["SharePackId"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(done["Status"], "COMPLETED", "{done}");
    let stored = stack.store.load_run(run).await.unwrap().unwrap();
    let audit = stack.store.audit_of(stored.correlation_id).await.unwrap();
    let replanned = audit.iter().find(|entry| entry.action == AuditAction::PlanRecomputed).expect("the difference is recorded");
    assert_eq!(replanned.details["dropped"], serde_json::json!(["Create Recipient partner"]), "{:?}", replanned.details);
    let steps = stack.store.load_steps(run).await.unwrap();
    assert!(steps.iter().all(|step| step.kind != "create_recipient"), "the recipient is not created again: {steps:?}");
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
}

#[tokio::test]
async fn a_worker_shutting_down_stops_between_steps_and_hands_the_message_back() {
    let slow = [("SHAREPACK_SANDBOX_FAULTS", "latency_ms=100"), ("SHAREPACK_STEP_CONCURRENCY", "1")];
    let stack = stack(Backend::Embedded, &slow, 0).await.unwrap();
    let (code, body) = upload(&stack, "valid/finance.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    let run = uuid::Uuid::parse_str(body["RunId"].as_str().unwrap()).unwrap();
    let orchestrator = server::orchestrator(&stack.settings, stack.store.clone(), stack.workspaces.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = server::spawn_workers(&stack.settings, 1, stack.queue.clone(), orchestrator.clone(), stopped);
    let start = std::time::Instant::now();
    while !stack.store.load_steps(run).await.unwrap().iter().any(|step| step.status == StepStatus::Done && step.phase == 1) {
        assert!(start.elapsed() < Duration::from_secs(30), "the worker makes progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
    let paused = stack.store.load_run(run).await.unwrap().unwrap();
    assert_eq!(paused.status, RunStatus::Running, "stopped between steps, not failed");
    assert!(paused.progress.contains("shutting down"), "{}", paused.progress);
    // The message is visible again at once (its 30 s lease was handed back).
    let handed_back = stack.queue.receive(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(handed_back.len(), 1);
    let mut delivery = handed_back.into_iter().next().unwrap();
    stack.queue.release(&mut delivery, Duration::ZERO).await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = server::spawn_workers(&stack.settings, 1, stack.queue.clone(), orchestrator, stopped);
    let done = finished(&stack, body["SharePackId"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(done["Status"], "COMPLETED", "{done}");
    converged(&stack, "valid/finance.yaml").await;
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
}

#[tokio::test]
async fn progress_reaches_a_browser_connected_to_another_portal_instance() {
    let stack = stack(Backend::Embedded, &[("SHAREPACK_SANDBOX_FAULTS", "latency_ms=30")], 1).await.unwrap();
    // A second portal on the same database, as behind a load balancer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = listener.local_addr().unwrap();
    let router = server::build_with(&stack.settings, stack.store.clone(), stack.workspaces.clone(), stack.queue.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let (code, body) = upload(&stack, "valid/finance.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    let run = body["RunId"].as_str().unwrap();
    let mut response = stack.client_as(TESTERS[0]).get(format!("http://{other}/runs/{run}/events")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    let mut statuses = Vec::new();
    while let Ok(Some(chunk)) = tokio::time::timeout(Duration::from_secs(30), response.chunk()).await.expect("events keep coming") {
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|line| line.strip_prefix("data: ")) {
                let view: Value = serde_json::from_str(data).unwrap();
                statuses.push(view["status"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(statuses.last().map(String::as_str), Some("COMPLETED"), "the stream ends with the result: {statuses:?}");
    assert!(statuses.len() >= 3, "steps arrive as they happen: {statuses:?}");
    let missing = stack.client_as(TESTERS[0]).get(format!("http://{other}/runs/{}/events", uuid::Uuid::new_v4())).send().await.unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test]
async fn leases_are_renewed_while_a_long_run_is_worked_on() {
    // A run that takes longer than the 3 s visibility timeout, and a second worker waiting for
    // the message to reappear: it never does, because the first worker keeps renewing it.
    let slow =
        [("SHAREPACK_SANDBOX_FAULTS", "latency_ms=300"), ("SHAREPACK_WORKER_VISIBILITY_SECS", "3"), ("SHAREPACK_STEP_CONCURRENCY", "1")];
    let stack = stack(Backend::Embedded, &slow, 2).await.unwrap();
    let (code, body) = upload(&stack, "valid/finance.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    let started = std::time::Instant::now();
    let done = finished(&stack, body["SharePackId"].as_str().unwrap(), Duration::from_secs(90)).await;
    assert_eq!(done["Status"], "COMPLETED", "{done}");
    assert!(started.elapsed() > Duration::from_secs(3), "the run outlasted the lease: {:?}", started.elapsed());
    let run = stack.store.load_run(uuid::Uuid::parse_str(done["RunId"].as_str().unwrap()).unwrap()).await.unwrap().unwrap();
    assert_eq!(run.deliveries, 1, "no second worker took the message while the first held it");
}

#[tokio::test]
async fn an_unreachable_workspace_is_a_503_and_nothing_is_stored_or_queued() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let workspaces = format!(r#"[{{"url": "http://{dead}", "auth": "pat", "token": "dapi-x", "name": "Down"}}]"#);
    let stack = stack(Backend::Embedded, &[("SHAREPACK_WORKSPACES", workspaces.as_str())], 0).await.unwrap();
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(sample("valid/minimal.yaml")).file_name("minimal.yaml"));
    let response = stack
        .client_as("ann@example.com")
        .post(format!("{}/workflow/sharepack/upload", stack.url))
        .header("X-Workspace-URL", format!("http://{dead}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["Code"], "workspace_unavailable", "{body}");
    assert!(!body["Message"].as_str().unwrap().contains("dapi-x"), "no secret in the answer: {body}");
    assert_eq!(stack.queue.depth().await.unwrap(), (0, 0));
    assert!(stack.store.recent_runs(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_record_step_done_again_writes_its_audit_entries_once() {
    let stack = stack(Backend::Embedded, &[], 1).await.unwrap();
    let (code, body) = upload(&stack, "valid/minimal.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    let id = body["SharePackId"].as_str().unwrap().to_string();
    let done = finished(&stack, &id, Duration::from_secs(60)).await;
    assert_eq!(done["Status"], "COMPLETED", "{done}");
    let run = uuid::Uuid::parse_str(done["RunId"].as_str().unwrap()).unwrap();
    let correlation = stack.store.load_run(run).await.unwrap().unwrap().correlation_id;
    let before = stack.store.audit_of(correlation).await.unwrap();
    // As if the worker had died after recording but before finishing: the record step runs again.
    let sharepack_engine::store::Store::Sqlite(pool) = &stack.store else { unreachable!("the embedded stack is SQLite") };
    sqlx::query("UPDATE provisioning_steps SET status = 'RUNNING' WHERE run_id = $1 AND kind = 'record'")
        .bind(run)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE provisioning_runs SET status = 'RUNNING', finished_at = NULL WHERE run_id = $1")
        .bind(run)
        .execute(pool)
        .await
        .unwrap();
    stack.queue.send(&sharepack_engine::queue::Job::ApplyRun { run_id: run }).await.unwrap();
    let start = std::time::Instant::now();
    while stack.store.load_run(run).await.unwrap().unwrap().status != RunStatus::Completed || stack.queue.depth().await.unwrap() != (0, 0) {
        assert!(start.elapsed() < Duration::from_secs(20), "the run completes again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = stack.store.audit_of(correlation).await.unwrap();
    let count =
        |entries: &[sharepack_engine::store::AuditRecord], action: AuditAction| entries.iter().filter(|e| e.action == action).count();
    let applied = |kind| AuditAction::Applied(kind);
    for action in [applied(ActionKind::Create), applied(ActionKind::AddObject), applied(ActionKind::Grant), AuditAction::ActionsRecorded] {
        assert_eq!(count(&after, action), count(&before, action), "{action}: written once");
        assert!(count(&after, action) >= 1, "{action} is there");
    }
}

#[tokio::test]
async fn a_refused_upload_during_a_run_leaves_the_runs_status_alone() {
    // No workers: the run stays queued while someone uploads a broken version of the same pack.
    let stack = stack(Backend::Embedded, &[], 0).await.unwrap();
    let (code, body) = upload(&stack, "valid/minimal.yaml", "").await;
    assert_eq!(code, 202, "{body}");
    let id = body["SharePackId"].as_str().unwrap().to_string();
    let broken = String::from_utf8(sample("valid/minimal.yaml")).unwrap().replace("name: partner", "name: 'bad name!'");
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(broken.into_bytes()).file_name("minimal.yaml"));
    let response =
        stack.client_as("ann@example.com").post(format!("{}/workflow/sharepack/upload", stack.url)).multipart(form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let refused: Value = response.json().await.unwrap();
    assert_eq!((refused["Status"].as_str(), refused["SharePackId"].as_str()), (Some("VALIDATION_FAILED"), Some(id.as_str())), "{refused}");
    let (_, now) = status(&stack, &id).await;
    assert_eq!((now["Status"].as_str(), now["RunId"].as_str()), (Some("IN_PROGRESS"), body["RunId"].as_str()), "{now}");
    assert_eq!(
        stack.store.pack_files(uuid::Uuid::parse_str(&id).unwrap()).await.unwrap().len(),
        2,
        "the refused file is kept as a version"
    );
}

sharepack_engine::on_both_stacks!(
    upload_to_completed,
    with_a_fifth_of_calls_failing_every_run_completes,
    a_message_that_always_fails_ends_in_the_poison_queue_and_a_failed_run,
);
