//! Approval of the exact plan, end to end over the REST API on both stacks: a plan waits in
//! AWAITING_APPROVAL (the seed's status staying IN_PROGRESS) until someone other than its
//! submitter, holding the approver role on its business line, approves it; rejected plans never
//! run; a policy asking for two approvals (one an administrator's) gets both; a plan whose
//! workspace changed between approval and apply waits again, saying what changed.

use crate::support::{bearer_client, make_token, Portal, TESTERS};
use serde_json::{json, Value};
use sharepack_engine::access::{Grant, Principal, Role};
use sharepack_engine::databricks::auth::Credentials;
use sharepack_engine::databricks::client::WorkspaceClient;
use sharepack_engine::databricks::retry::RetryPolicy;
use sharepack_engine::records::AuditAction;
use sharepack_engine::store::testing::{sample, Stack};
use std::time::{Duration, Instant};

const JOHN: &str = TESTERS[0];
const ANN: &str = TESTERS[1];

/// A portal with `workers` in-portal workers on the approval policy `policy` (`{}`: the
/// product's default, one approval for every plan).
async fn portal(stack: Stack, policy: &str, workers: u32) -> Option<Portal> {
    let vars = [
        ("SHAREPACK_APPROVALS", policy),
        ("SHAREPACK_IDLE_POLL_MS", "50"),
        ("SHAREPACK_RETRY_DELAY_MS", "100"),
        ("SHAREPACK_WORKER_VISIBILITY_SECS", "30"),
    ];
    Portal::start(stack, &vars, workers).await
}

/// John uploads a sample; the answer's body.
async fn submit(portal: &Portal, file: &str) -> Value {
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(sample(file)).file_name(file.to_string()));
    let response = portal.client_as(JOHN).post(format!("{}/workflow/sharepack/upload", portal.url)).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 202);
    response.json().await.unwrap()
}

async fn decide(client: &reqwest::Client, portal: &Portal, run: &str, what: &str, body: Value) -> (u16, Value) {
    let response = client.post(format!("{}/workflow/runs/{run}/{what}", portal.url)).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn waiting_for(client: &reqwest::Client, portal: &Portal) -> Vec<Value> {
    let response = client.get(format!("{}/workflow/approvals", portal.url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["Approvals"].as_array().cloned().unwrap_or_default()
}

async fn status(portal: &Portal, pack: &str) -> Value {
    portal.client_as(JOHN).get(format!("{}/workflow/sharepack/{pack}", portal.url)).send().await.unwrap().json().await.unwrap()
}

/// Polls the seed's status endpoint until the run reaches `run_status`.
async fn until(portal: &Portal, pack: &str, run_status: &str) -> Value {
    let start = Instant::now();
    loop {
        let body = status(portal, pack).await;
        if body["RunStatus"] == run_status {
            return body;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "still {} waiting for {run_status}: {body}", body["RunStatus"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sandbox(portal: &Portal) -> WorkspaceClient {
    WorkspaceClient::new(&format!("{}/sandbox", portal.url), Credentials::Pat("dapi-sandbox".to_string().into()), RetryPolicy::default())
        .unwrap()
}

async fn audit_actions(portal: &Portal, run: &str) -> Vec<(AuditAction, String)> {
    let run = uuid::Uuid::parse_str(run).unwrap();
    portal.store.audit_of(run).await.unwrap().into_iter().map(|entry| (entry.action, entry.actor)).collect()
}

async fn approved_plans_run_and_nobody_approves_their_own(stack: Stack) {
    let Some(portal) = portal(stack, "{}", 2).await else { return };
    let submitted = submit(&portal, "valid/finance.yaml").await;
    assert_eq!(submitted["RunStatus"], "AWAITING_APPROVAL", "{submitted}");
    assert_eq!(submitted["Approval"]["Approvals"], 1);
    assert!(submitted["Approval"]["Why"].to_string().contains("external recipient external-auditor"), "{submitted}");
    let (pack, run) = (submitted["SharePackId"].as_str().unwrap(), submitted["RunId"].as_str().unwrap());
    let seen = status(&portal, pack).await;
    assert_eq!((seen["Status"].as_str(), seen["RunStatus"].as_str()), (Some("IN_PROGRESS"), Some("AWAITING_APPROVAL")), "{seen}");
    assert!(sandbox(&portal).get_share("finance_q1_share", false).await.is_err(), "nothing is applied before approval");

    // Four eyes: the submitter may not, though he holds the approver role everywhere.
    let (code, body) = decide(&portal.client_as(JOHN), &portal, run, "approve", json!({"Comment": "mine"})).await;
    assert_eq!((code, body["Code"].as_str()), (403, Some("own_plan")), "{body}");
    assert!(waiting_for(&portal.client_as(JOHN), &portal).await.is_empty(), "his own plan is not in his queue");
    // Neither may an administrator approve a plan they submitted.
    let admin = make_token(&portal.store, "root@example.com", &[Grant::everywhere(Role::Admin)]).await;
    let root = bearer_client(&admin);
    let root_pack = String::from_utf8(sample("valid/minimal.yaml")).unwrap().replace("ann@example.com", "root@example.com");
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(root_pack.into_bytes()).file_name("minimal.yaml"));
    let own: Value =
        root.post(format!("{}/workflow/sharepack/upload", portal.url)).multipart(form).send().await.unwrap().json().await.unwrap();
    let own_run = own["RunId"].as_str().unwrap();
    let (code, body) = decide(&root, &portal, own_run, "approve", json!({})).await;
    assert_eq!((code, body["Code"].as_str()), (403, Some("own_plan")), "{body}");

    // An approver of another business line: 403 naming the role when they can see the run (an
    // auditor everywhere), "not found" when they cannot (isolation between business lines).
    let legal_auditor = bearer_client(
        &make_token(&portal.store, "lena@example.com", &[Grant::new(Role::Approver, Some("Legal")), Grant::everywhere(Role::Auditor)])
            .await,
    );
    let (code, body) = decide(&legal_auditor, &portal, run, "approve", json!({})).await;
    assert_eq!(code, 403, "{body}");
    assert!(body["Message"].as_str().unwrap().contains("approver"), "{body}");
    assert!(waiting_for(&legal_auditor, &portal).await.is_empty());
    let legal = bearer_client(&make_token(&portal.store, "leo@example.com", &[Grant::new(Role::Approver, Some("Legal"))]).await);
    let (code, _) = decide(&legal, &portal, run, "approve", json!({})).await;
    assert_eq!(code, 404);
    // A token without the approve scope.
    let (read_only, _) = sharepack_engine::access::tokens::create(
        &portal.store,
        &Principal::operator(),
        Some(ANN),
        "read only",
        &sharepack_engine::access::Scopes::of([sharepack_engine::access::Scope::Read]),
        1,
    )
    .await
    .unwrap();
    let (code, body) = decide(&bearer_client(read_only.expose()), &portal, run, "approve", json!({})).await;
    assert_eq!(code, 403, "{body}");

    // Ann sees it in her queue, with who asked, the business line and the counts.
    let queue = waiting_for(&portal.client_as(ANN), &portal).await;
    let row = queue.iter().find(|row| row["RunId"] == run).unwrap_or_else(|| panic!("{queue:?}"));
    assert_eq!((row["RequestedBy"].as_str(), row["BusinessLine"].as_str()), (Some(JOHN), Some("Corporate Finance")));
    assert_eq!(
        (row["Needed"].as_u64(), row["Approved"].as_u64(), row["Summary"]["Create"].as_u64()),
        (Some(1), Some(0), Some(10)),
        "{row}"
    );
    // Bodies that cannot be read are located 400s in the same shape as every error.
    for (action, body, location) in [
        ("approve", "not json", "body"),
        ("approve", r#"{"Comment": 5}"#, "Comment"),
        ("reject", "[1, 2]", "body"),
        ("cancel", r#"{"Reason": ["why"]}"#, "Reason"),
        ("retry", "{", "body"),
    ] {
        {
            let response =
                portal.client_as(ANN).post(format!("{}/workflow/runs/{run}/{action}", portal.url)).body(body).send().await.unwrap();
            assert_eq!(response.status(), 400, "{action} {body}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(
                (problem["Code"].as_str(), problem["Location"].as_str()),
                (Some("body_invalid"), Some(location)),
                "{action} {body}: {problem}"
            );
        }
    }
    // A digest she did not see is refused, so nobody approves a plan they did not look at.
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "approve", json!({"PlanDigest": "0".repeat(64)})).await;
    assert_eq!((code, body["Code"].as_str()), (409, Some("plan_changed")), "{body}");
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "approve", json!({"Comment": "Looks right"})).await;
    assert_eq!((code, body["RunStatus"].as_str()), (200, Some("QUEUED")), "{body}");
    let done = until(&portal, pack, "COMPLETED").await;
    assert_eq!(done["Status"], "COMPLETED");
    assert!(sandbox(&portal).get_share("finance_q1_share", false).await.is_ok());
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "approve", json!({})).await;
    assert_eq!((code, body["Code"].as_str()), (409, Some("not_awaiting_approval")), "{body}");

    // The next version of the pack shows the approver how it differs from the one applied.
    let changed = String::from_utf8(sample("valid/finance.yaml")).unwrap().replace("Q1 financial data\"", "Q1 and Q2 financial data\"");
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(changed.into_bytes()).file_name("finance.yaml"));
    let next: Value = portal
        .client_as(JOHN)
        .post(format!("{}/workflow/sharepack/upload", portal.url))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["RunStatus"], "AWAITING_APPROVAL", "{next}");
    let next_run = uuid::Uuid::parse_str(next["RunId"].as_str().unwrap()).unwrap();
    let view = sharepack_engine::views::run_view(&portal.store, &Principal::operator(), next_run).await.unwrap().unwrap();
    let approval = view.approval.unwrap();
    assert_eq!(approval.previous_upload, Some(1), "compared with the version applied");
    let changes: Vec<_> =
        approval.pack_changes.iter().map(|change| (change.field.as_str(), change.before.as_deref(), change.after.as_deref())).collect();
    assert_eq!(
        changes,
        [("Shares[finance_q1_share].Comment", Some("Q1 financial data"), Some("Q1 and Q2 financial data"))],
        "only what changed"
    );
    let plan = approval.plan.expect("the waiting plan is shown");
    assert!(plan.changes().any(|action| action.name == "finance_q1_share"), "{:?}", plan.actions);

    let trail = audit_actions(&portal, run).await;
    assert!(trail.contains(&(AuditAction::ApprovalRequested, JOHN.to_string())), "{trail:?}");
    assert!(trail.contains(&(AuditAction::RunApproved, ANN.to_string())), "{trail:?}");
    assert!(trail.iter().any(|(action, _)| *action == AuditAction::RunCompleted), "{trail:?}");
    let refused: Vec<_> = trail.iter().filter(|(_, actor)| actor == JOHN || actor.starts_with("l")).map(|(action, _)| *action).collect();
    assert!(!refused.contains(&AuditAction::RunApproved), "refused decisions leave no approval: {trail:?}");
}

async fn rejected_plans_never_run(stack: Stack) {
    let Some(portal) = portal(stack, "{}", 1).await else { return };
    let submitted = submit(&portal, "valid/finance.yaml").await;
    let (pack, run) = (submitted["SharePackId"].as_str().unwrap(), submitted["RunId"].as_str().unwrap());
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "reject", json!({})).await;
    assert_eq!((code, body["Code"].as_str(), body["Location"].as_str()), (400, Some("comment_required"), Some("Comment")), "{body}");
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "reject", json!({"Comment": "Auditors get the Q1 share only"})).await;
    assert_eq!((code, body["RunStatus"].as_str()), (200, Some("FAILED")), "{body}");
    let seen = status(&portal, pack).await;
    assert_eq!(seen["Status"], "FAILED", "the seed's client stops: {seen}");
    let error = seen["ErrorMessage"].as_str().unwrap();
    assert!(error.contains("Rejected by ann@example.com") && error.contains("Auditors get the Q1 share only"), "{error}");
    let retry = portal.client_as(JOHN).post(format!("{}/workflow/runs/{run}/retry", portal.url)).json(&json!({})).send().await.unwrap();
    assert_eq!(retry.status(), 409, "a rejected plan is not retried into the queue");
    assert_eq!(portal.store.load_run(uuid::Uuid::parse_str(run).unwrap()).await.unwrap().unwrap().deliveries, 0, "no worker took it up");
    assert!(sandbox(&portal).get_share("finance_q1_share", false).await.is_err());
    assert!(audit_actions(&portal, run).await.contains(&(AuditAction::RunRejected, ANN.to_string())));
}

async fn a_policy_asking_for_two_approvals_and_an_administrators_gets_them(stack: Stack) {
    let policy = r#"{"approvals": 2, "admin_for_new_external": true}"#;
    let Some(portal) = portal(stack, policy, 1).await else { return };
    let carol =
        bearer_client(&make_token(&portal.store, "carol@example.com", &[Grant::new(Role::Approver, Some("corporate finance"))]).await);
    let admin = bearer_client(&make_token(&portal.store, "root@example.com", &[Grant::everywhere(Role::Admin)]).await);
    let submitted = submit(&portal, "valid/finance.yaml").await;
    assert_eq!((submitted["Approval"]["Approvals"].as_u64(), submitted["Approval"]["Admin"].as_bool()), (Some(2), Some(true)));
    let (pack, run) = (submitted["SharePackId"].as_str().unwrap(), submitted["RunId"].as_str().unwrap());
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "approve", json!({"Comment": "fine by me"})).await;
    assert_eq!((code, body["RunStatus"].as_str(), body["Approvals"].as_u64()), (200, Some("AWAITING_APPROVAL"), Some(1)), "{body}");
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "approve", json!({})).await;
    assert_eq!((code, body["Code"].as_str()), (409, Some("already_decided")), "one person counts once: {body}");
    let (code, body) = decide(&carol, &portal, run, "approve", json!({})).await;
    assert_eq!((code, body["Code"].as_str()), (403, Some("admin_approval_needed")), "the last one must be an administrator's: {body}");
    assert_eq!(status(&portal, pack).await["RunStatus"], "AWAITING_APPROVAL");
    let (code, body) = decide(&admin, &portal, run, "approve", json!({"Comment": "external auditor confirmed"})).await;
    assert_eq!((code, body["RunStatus"].as_str(), body["Approvals"].as_u64()), (200, Some("QUEUED"), Some(2)), "{body}");
    assert_eq!(until(&portal, pack, "COMPLETED").await["Status"], "COMPLETED");
}

async fn a_plan_that_changed_after_approval_waits_again_and_says_what_changed(stack: Stack) {
    // No workers yet: the workspace changes between the approval and the apply.
    let Some(portal) = portal(stack, "{}", 0).await else { return };
    let submitted = submit(&portal, "valid/finance.yaml").await;
    let (pack, run) = (submitted["SharePackId"].as_str().unwrap(), submitted["RunId"].as_str().unwrap());
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "approve", json!({"Comment": "ok"})).await;
    assert_eq!((code, body["RunStatus"].as_str()), (200, Some("QUEUED")), "{body}");
    // Someone creates one of the pack's shares by hand meanwhile.
    sandbox(&portal).create_share("audit_log_share", Some("made by hand")).await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let orchestrator = server::orchestrator(&portal.settings, portal.store.clone(), portal.workspaces.clone());
    let _workers = server::spawn_workers(&portal.settings, 1, portal.queue.clone(), orchestrator, stopped);
    let again = until(&portal, pack, "AWAITING_APPROVAL").await;
    assert_eq!(again["Status"], "IN_PROGRESS", "{again}");
    let id = uuid::Uuid::parse_str(run).unwrap();
    let view = sharepack_engine::views::run_view(&portal.store, &Principal::operator(), id).await.unwrap().unwrap();
    let approval = view.approval.expect("the run shows its approval");
    let changes = approval.changes.expect("and what changed");
    assert!(changes.dropped.iter().any(|change| change.contains("Create Share audit_log_share")), "{changes:?}");
    assert!(changes.state.iter().any(|change| change == "share audit_log_share (appeared)"), "{changes:?}");
    assert_eq!(approval.approved, 0, "the earlier approval was for another plan");
    assert!(approval.decisions.iter().any(|decision| decision.by == ANN && !decision.current));
    let queue = waiting_for(&portal.client_as(ANN), &portal).await;
    assert!(queue.iter().any(|row| row["RunId"] == run && row["Again"] == true), "{queue:?}");
    assert!(audit_actions(&portal, run).await.iter().any(|(action, _)| *action == AuditAction::ApprovalRequestedAgain));
    assert!(sandbox(&portal).get_share("finance_q1_share", false).await.is_err(), "nothing was applied on the stale approval");

    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "approve", json!({"Comment": "still fine"})).await;
    assert_eq!((code, body["RunStatus"].as_str()), (200, Some("QUEUED")), "{body}");
    assert_eq!(until(&portal, pack, "COMPLETED").await["Status"], "COMPLETED");
    let trail = audit_actions(&portal, run).await;
    assert_eq!(trail.iter().filter(|(action, _)| *action == AuditAction::RunApproved).count(), 2, "{trail:?}");
    let _ = stop.send(true);
}

async fn no_approval_where_the_policy_asks_none(stack: Stack) {
    let Some(portal) = portal(stack, r#"{"approvals": 0, "overrides": [{"business_line": "Legal", "approvals": 1}]}"#, 1).await else {
        return;
    };
    // D2O recipients still need one by default...
    let submitted = submit(&portal, "valid/finance.yaml").await;
    assert_eq!(submitted["RunStatus"], "AWAITING_APPROVAL", "{submitted}");
    // ...unless the policy relaxes that too.
    drop(portal);
    let Some(portal) = portal_without_any(stack).await else { return };
    let submitted = submit(&portal, "valid/finance.yaml").await;
    assert_eq!(submitted["RunStatus"], "QUEUED", "{submitted}");
    assert!(submitted["Approval"].is_null());
    let pack = submitted["SharePackId"].as_str().unwrap();
    assert_eq!(until(&portal, pack, "COMPLETED").await["Status"], "COMPLETED");
}

async fn a_queued_plan_nobody_approved_is_sent_back_by_the_worker(stack: Stack) {
    let Some(portal) = portal(stack, "{}", 1).await else { return };
    let submitted = submit(&portal, "valid/finance.yaml").await;
    let (pack, run) = (submitted["SharePackId"].as_str().unwrap(), submitted["RunId"].as_str().unwrap());
    let id = uuid::Uuid::parse_str(run).unwrap();
    // Whatever puts an unapproved run in the workers' hands (a bug, a retry after a give-up, a
    // hand-edited row), the worker checks the approvals of the very plan it is about to apply.
    let stored = portal.store.load_run(id).await.unwrap().unwrap();
    let released = portal.store.release_run(
        id,
        stored.plan_digest.as_deref().unwrap(),
        sharepack_engine::records::RunStatus::Queued,
        "released by hand",
    );
    assert!(released.await.unwrap());
    portal.queue.send(&sharepack_engine::queue::Job::ApplyRun { run_id: id }).await.unwrap();
    let back = until(&portal, pack, "AWAITING_APPROVAL").await;
    assert!(back["ProvisioningStatus"].as_str().unwrap().starts_with("Waiting for approval"), "{back}");
    assert!(portal.store.load_steps(id).await.unwrap().is_empty(), "no step was stored, let alone run");
    assert!(sandbox(&portal).get_share("finance_q1_share", false).await.is_err());
    let view = sharepack_engine::views::run_view(&portal.store, &Principal::operator(), id).await.unwrap().unwrap();
    assert!(view.approval.unwrap().changes.is_none(), "the plan itself did not change");
    // Approved properly, it runs.
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "approve", json!({})).await;
    assert_eq!((code, body["RunStatus"].as_str()), (200, Some("QUEUED")), "{body}");
    assert_eq!(until(&portal, pack, "COMPLETED").await["Status"], "COMPLETED");
}

async fn housekeeping_queues_a_run_whose_last_approval_came_in_just_before_a_crash(stack: Stack) {
    let Some(portal) = portal(stack, "{}", 1).await else { return };
    let submitted = submit(&portal, "valid/finance.yaml").await;
    let (pack, run) = (submitted["SharePackId"].as_str().unwrap(), submitted["RunId"].as_str().unwrap());
    let id = uuid::Uuid::parse_str(run).unwrap();
    // The approval is recorded, and the portal stops before it queues the run.
    let digest = portal.store.load_run(id).await.unwrap().unwrap().plan_digest.unwrap();
    let decision = sharepack_engine::store::StoredDecision {
        run_id: id,
        plan_digest: digest,
        decided_by: ANN.into(),
        decision: sharepack_engine::records::Decision::Approved,
        as_admin: false,
        comment: String::new(),
        decided_at: chrono::Utc::now(),
    };
    assert!(portal.store.record_decision(&decision).await.unwrap());
    assert_eq!(status(&portal, pack).await["RunStatus"], "AWAITING_APPROVAL");
    let orchestrator = server::orchestrator(&portal.settings, portal.store.clone(), portal.workspaces.clone());
    let jobs = sharepack_engine::jobs::Jobs::new(portal.store.clone(), orchestrator, portal.queue.clone());
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    jobs.run(sharepack_engine::queue::Job::ReleaseApproved, &stopped).await.unwrap();
    assert_eq!(until(&portal, pack, "COMPLETED").await["Status"], "COMPLETED");
    // Once released, nothing is released twice.
    jobs.run(sharepack_engine::queue::Job::ReleaseApproved, &stopped).await.unwrap();
    assert_eq!(portal.store.load_run(id).await.unwrap().unwrap().deliveries, 1);
}

async fn plans_from_the_open_rest_api_need_an_administrator(stack: Stack) {
    let vars = [("SHAREPACK_APPROVALS", "{}"), ("SHAREPACK_OPEN_REST", "true"), ("SHAREPACK_IDLE_POLL_MS", "50")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let pack = String::from_utf8(sample("valid/minimal.yaml")).unwrap().replace("  requestor: ann@example.com\n", "");
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(pack.into_bytes()).file_name("minimal.yaml"));
    let anonymous: Value = reqwest::Client::new()
        .post(format!("{}/workflow/sharepack/upload", portal.url))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous["RunStatus"], "AWAITING_APPROVAL", "{anonymous}");
    let run = anonymous["RunId"].as_str().unwrap();
    // Whoever sent it may be Ann herself: only an administrator's approval counts.
    let (code, body) = decide(&portal.client_as(ANN), &portal, run, "approve", json!({})).await;
    assert_eq!((code, body["Code"].as_str()), (403, Some("admin_approval_needed")), "{body}");
    let admin = bearer_client(&make_token(&portal.store, "root@example.com", &[Grant::everywhere(Role::Admin)]).await);
    let (code, body) = decide(&admin, &portal, run, "approve", json!({})).await;
    assert_eq!((code, body["RunStatus"].as_str()), (200, Some("QUEUED")), "{body}");
}

async fn portal_without_any(stack: Stack) -> Option<Portal> {
    portal(stack, crate::support::NO_APPROVALS, 1).await
}

sharepack_engine::on_both_stacks!(
    approved_plans_run_and_nobody_approves_their_own,
    rejected_plans_never_run,
    a_policy_asking_for_two_approvals_and_an_administrators_gets_them,
    a_plan_that_changed_after_approval_waits_again_and_says_what_changed,
    no_approval_where_the_policy_asks_none,
    a_queued_plan_nobody_approved_is_sent_back_by_the_worker,
    plans_from_the_open_rest_api_need_an_administrator,
    housekeeping_queues_a_run_whose_last_approval_came_in_just_before_a_crash,
);
