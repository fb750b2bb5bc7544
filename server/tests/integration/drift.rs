//! Drift (issue 18): the workspace changed behind Sharepack's back, by a person working in it
//! directly (the sandbox records them as Catalog Explorer would), is found by a reconciliation
//! through the queue and a worker, with who and when where the workspace says; a second check
//! finds the same and writes nothing; restoring the pack converges (nothing left to find); and
//! one check of a workspace runs at a time across processes.

use crate::support::{make_token, Portal, TESTERS};
use serde_json::{json, Value};
use sharepack_engine::access::{Grant, Role};
use sharepack_engine::records::{SyncKind, SyncStatus};
use sharepack_engine::store::testing::Stack;
use sharepack_engine::sync::jobs::Sources;
use std::time::Duration;

const MALLORY: &str = "mallory@example.com";

fn pack(comment: &str) -> String {
    format!(
        r#"metadata:
  requestor: {requestor}
  business_line: Finance
  project_name: Drift Watch
  strategy: NEW
recipient:
  - name: drift-acme
    type: D2O
    email: ops@acme.example
    comment: {comment}
  - name: drift-beta
    type: D2O
    email: ops@beta.example
  - name: drift-gamma
    type: D2O
    email: ops@gamma.example
share:
  - name: drift_sales
    data_objects:
      - catalog.schema.orders
      - catalog.schema.customers
    recipients:
      - drift-acme
      - drift-beta
  - name: drift_gamma
    data_objects:
      - catalog.schema.expense_table
    recipients:
      - drift-gamma
"#,
        requestor = TESTERS[0]
    )
}

async fn portal(stack: Stack) -> Option<Portal> {
    Portal::start(stack, &[("SHAREPACK_SANDBOX_PEOPLE", &format!("{MALLORY}=dapi-mallory"))], 1).await
}

/// Submits the pack (confirming removals, as restoring one must) and waits for its run.
async fn apply(portal: &Portal, yaml: &str) {
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(yaml.as_bytes().to_vec()).file_name("drift.yaml"));
    let response = portal
        .client_as(TESTERS[0])
        .post(format!("{}/workflow/sharepack/upload?confirm_removals=true", portal.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 202, "{body}");
    let run = portal.settled(body["RunId"].as_str().unwrap().parse().unwrap()).await;
    assert_eq!(run.status.as_str(), "COMPLETED", "{:?}", run.error);
}

/// Mallory, working in the workspace directly.
async fn by_hand(portal: &Portal, method: reqwest::Method, path: &str, body: Option<Value>) {
    let mut request =
        reqwest::Client::new().request(method, format!("{}/sandbox/api/2.1/unity-catalog{path}", portal.url)).bearer_auth("dapi-mallory");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.text().await.unwrap());
}

/// Asks for a check and waits for it; its job as the REST API shows it.
async fn check(portal: &Portal) -> Value {
    let client = portal.client_as(TESTERS[0]);
    let response = client.post(format!("{}/workflow/drift", portal.url)).send().await.unwrap();
    portal.job_done(&client, response).await
}

async fn findings(portal: &Portal, query: &str) -> Vec<Value> {
    let response = portal.client_as(TESTERS[0]).get(format!("{}/workflow/drift{query}", portal.url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    let list = body["Findings"].as_array().unwrap().clone();
    assert_eq!(body["Count"], list.len());
    list
}

/// (Kind, ResourceType, Name, Share, ChangedBy) of each finding, sorted.
fn seen(findings: &[Value]) -> Vec<(String, String, String, String, String)> {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
    let mut seen: Vec<_> = findings
        .iter()
        .map(|f| (text(&f["Kind"]), text(&f["ResourceType"]), text(&f["Name"]), text(&f["Share"]), text(&f["ChangedBy"])))
        .collect();
    seen.sort();
    seen
}

async fn changes_behind_sharepacks_back_are_found_with_who_and_when(stack: Stack) {
    let Some(portal) = portal(stack).await else { return };
    apply(&portal, &pack("Acme")).await;
    let quiet = check(&portal).await;
    assert_eq!(quiet["Report"]["New"], 0, "an untouched workspace has no drift: {quiet}");
    assert_eq!(findings(&portal, "").await, Vec::<Value>::new());

    let before = chrono::Utc::now();
    use reqwest::Method;
    by_hand(&portal, Method::PATCH, "/recipients/drift-acme", Some(json!({"comment": "changed by hand"}))).await;
    by_hand(
        &portal,
        Method::PATCH,
        "/shares/drift_sales",
        Some(json!({"updates": [
            {"action": "REMOVE", "data_object": {"name": "catalog.schema.orders"}},
            {"action": "ADD", "data_object": {"name": "catalog.schema.revenue_table", "data_object_type": "TABLE"}},
        ]})),
    )
    .await;
    by_hand(
        &portal,
        Method::PATCH,
        "/shares/drift_sales/permissions",
        Some(json!({"changes": [{"principal": "drift-beta", "remove": ["SELECT"]}]})),
    )
    .await;
    by_hand(&portal, Method::DELETE, "/recipients/drift-gamma", None).await;
    by_hand(&portal, Method::POST, "/recipients", Some(json!({"name": "drift-outsider", "authentication_type": "TOKEN"}))).await;

    let job = check(&portal).await;
    assert_eq!(job["RequestedBy"], TESTERS[0]);
    assert_eq!(job["Attempts"], 1);
    let found = findings(&portal, "").await;
    let mallory = MALLORY.to_string();
    let row = |kind: &str, what: &str, name: &str, share: &str, by: &str| {
        (kind.to_string(), what.to_string(), name.to_string(), share.to_string(), by.to_string())
    };
    assert_eq!(
        seen(&found),
        vec![
            row("ADDED", "DATA_OBJECT", "catalog.schema.revenue_table", "drift_sales", &mallory),
            row("MODIFIED", "RECIPIENT", "drift-acme", "", &mallory),
            row("REMOVED", "DATA_OBJECT", "catalog.schema.orders", "drift_sales", &mallory),
            // The workspace says nothing of a revoked grant or a deleted recipient: its audit log
            // (the sandbox's warehouse answers the system.access.audit query) names who.
            row("REMOVED", "GRANT", "drift-beta", "drift_sales", &mallory),
            row("REMOVED", "RECIPIENT", "drift-gamma", "", &mallory),
        ],
        "{found:#?}"
    );
    for finding in &found {
        assert_eq!(finding["SharePack"].as_str().map(|name| name.starts_with("SharePack_")), Some(true), "{finding}");
        assert_eq!(finding["BusinessLine"], "Finance");
        let first_seen: chrono::DateTime<chrono::Utc> = finding["FirstSeen"].as_str().unwrap().parse().unwrap();
        assert!(first_seen >= before, "{finding}");
        if let Some(at) = finding["ChangedAt"].as_str() {
            let at: chrono::DateTime<chrono::Utc> = at.parse().unwrap();
            assert!(at >= before - chrono::TimeDelta::seconds(1), "when the workspace says it changed: {finding}");
        }
    }
    let modified = found.iter().find(|f| f["Kind"] == "MODIFIED").unwrap();
    assert_eq!(modified["Fields"], json!([{"Field": "comment", "Recorded": "Acme", "Workspace": "changed by hand"}]));
    // Five differences, and the recipient no pack manages.
    assert_eq!((job["Report"]["New"].clone(), job["Report"]["Unmanaged"].clone()), (json!(6), json!(1)));

    // Filters: by kind, by share pack, by business line; a kind that is not one is located.
    assert_eq!(findings(&portal, "?kind=removed").await.len(), 3);
    let pack_id = found[0]["SharePackId"].as_str().unwrap().to_string();
    assert_eq!(findings(&portal, &format!("?share_pack={pack_id}")).await.len(), 5);
    assert_eq!(findings(&portal, "?business_line=Legal").await.len(), 0);
    let bad = portal.client_as(TESTERS[0]).get(format!("{}/workflow/drift?kind=sideways", portal.url)).send().await.unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["Location"], "kind", "{bad}");

    // What no pack manages is listed apart, for those who see every business line.
    let response = portal.client_as(TESTERS[0]).get(format!("{}/workflow/drift/unmanaged", portal.url)).send().await.unwrap();
    let unmanaged: Value = response.json().await.unwrap();
    let names: Vec<&str> = unmanaged["Findings"].as_array().unwrap().iter().map(|f| f["Name"].as_str().unwrap()).collect();
    assert!(names.contains(&"drift-outsider"), "{unmanaged}");
    let legal = make_token(&portal.store, "lee@example.com", &[Grant::new(Role::Requester, Some("Legal"))]).await;
    let lee = crate::support::bearer_client(&legal);
    let theirs: Value = lee.get(format!("{}/workflow/drift", portal.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs["Count"], 0, "another business line's drift is not Lee's to see: {theirs}");
    assert_eq!(lee.get(format!("{}/workflow/drift/unmanaged", portal.url)).send().await.unwrap().status().as_u16(), 403);

    // The same workspace checked again: the same findings, nothing written.
    let again = check(&portal).await;
    assert_eq!(
        (again["Report"]["New"].clone(), again["Report"]["Changed"].clone(), again["Report"]["Resolved"].clone()),
        (json!(0), json!(0), json!(0))
    );
    let same = findings(&portal, "").await;
    assert_eq!(same, found);
    // Each finding is kept with history: one version so far.
    let versions = portal
        .store
        .history(sharepack_engine::store::Entity::DriftFinding, found[0]["Id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);

    // The pages show the same: the drift page and the pack's page, each with the ways out; a
    // restore asked for without JavaScript previews the plan as an upload, with why.
    let html = page(&portal, "/drift").await;
    for text in [
        "Restore the pack&#x27;s state",
        "Adopt the workspace&#x27;s state",
        "drift-gamma was deleted",
        "drift-outsider",
        "Check for drift",
    ] {
        assert!(html.contains(text) || html.contains(&text.replace("&#x27;", "'")), "{text} on the drift page");
    }
    let html = page(&portal, &format!("/sharepacks/{pack_id}")).await;
    assert!(html.contains("pack-drift") && html.contains("catalog.schema.orders"), "the pack's page shows its drift");
    let html = page(&portal, "/history/recipients/drift-acme").await;
    assert!(html.contains("resource-drift") && html.contains("Recipient drift-acme was changed"), "a recipient's page shows its drift");
    assert!(!html.contains("catalog.schema.orders"), "and only its own");
    let html = page(&portal, "/history/shares/drift_sales").await;
    assert!(
        html.contains("catalog.schema.orders was removed") && html.contains("drift-beta"),
        "a share's page shows its objects' and grants' drift"
    );
    assert_eq!(findings(&portal, "?name=drift_sales").await.len(), 3);
    let preview = portal
        .browser_as(TESTERS[0])
        .await
        .post(format!("{}/api/restore_pack", portal.url))
        .form(&[("id", pack_id.as_str())])
        .send()
        .await
        .unwrap();
    assert!(preview.status().is_redirection(), "{}", preview.status());
    let location = preview.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/uploads/"), "{location}");
    let html = page(&portal, &location).await;
    assert!(html.contains("restoring version 1 over drift"), "the preview says why");

    // Restoring the pack's state (its applied version again, planned afresh) converges:
    // nothing left to find.
    resolve(&portal, &pack_id, "restore").await;
    let restored = check(&portal).await;
    assert_eq!(restored["Report"]["Resolved"], 5, "{restored}");
    assert_eq!(findings(&portal, "").await, Vec::<Value>::new());
    let closed = portal
        .store
        .history(sharepack_engine::store::Entity::DriftFinding, found[0]["Id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    assert!(closed.last().unwrap().is_deleted, "a resolved finding is closed, its history kept");
}

/// A page as the first tester sees it.
async fn page(portal: &Portal, path: &str) -> String {
    let response = portal.browser_as(TESTERS[0]).await.get(format!("{}{path}", portal.url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

/// Restores or adopts (`way`) and waits for the run.
async fn resolve(portal: &Portal, pack: &str, way: &str) -> Value {
    let response = portal.client_as(TESTERS[0]).post(format!("{}/workflow/sharepacks/{pack}/{way}", portal.url)).send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 202, "{body}");
    let run = portal.settled(body["RunId"].as_str().unwrap().parse().unwrap()).await;
    assert_eq!(run.status.as_str(), "COMPLETED", "{:?}", run.error);
    body
}

async fn adopting_the_workspace_records_it_as_the_pack(stack: Stack) {
    let Some(portal) = portal(stack).await else { return };
    apply(&portal, &pack("Acme")).await;
    // Another pack, whose recipient a share made by hand is granted to.
    let other = format!(
        "metadata:\n  requestor: {}\n  business_line: Finance\n  project_name: Drift Other\n  strategy: NEW\nrecipient:\n  - name: other-corp\n    type: D2O\n    email: ops@other.example\nshare:\n  - name: other_share\n    data_objects:\n      - catalog.schema.expense_table\n    recipients:\n      - other-corp\n",
        TESTERS[0]
    );
    apply(&portal, &other).await;
    use reqwest::Method;
    by_hand(&portal, Method::POST, "/shares", Some(json!({"name": "drift_stolen"}))).await;
    let to_other = json!({"changes": [{"principal": "other-corp", "add": ["SELECT"]}]});
    by_hand(&portal, Method::PATCH, "/shares/drift_stolen/permissions", Some(to_other)).await;
    by_hand(&portal, Method::PATCH, "/recipients/drift-acme", Some(json!({"comment": "changed by hand"}))).await;
    by_hand(
        &portal,
        Method::PATCH,
        "/shares/drift_sales",
        Some(json!({"updates": [{"action": "ADD", "data_object": {"name": "catalog.schema.revenue_table", "data_object_type": "TABLE"}}]})),
    )
    .await;
    by_hand(
        &portal,
        Method::PATCH,
        "/shares/drift_sales/permissions",
        Some(json!({"changes": [{"principal": "drift-beta", "remove": ["SELECT"]}]})),
    )
    .await;
    // A share no pack manages, made by hand for one of the pack's recipients.
    by_hand(&portal, Method::POST, "/shares", Some(json!({"name": "drift_outside"}))).await;
    let add = json!({"updates": [{"action": "ADD", "data_object": {"name": "catalog.schema.customers", "data_object_type": "TABLE"}}]});
    by_hand(&portal, Method::PATCH, "/shares/drift_outside", Some(add)).await;
    let grant = json!({"changes": [{"principal": "drift-acme", "add": ["SELECT"]}]});
    by_hand(&portal, Method::PATCH, "/shares/drift_outside/permissions", Some(grant)).await;
    check(&portal).await;
    let found = findings(&portal, "").await;
    assert_eq!(found.len(), 3, "{found:#?}");
    let pack_id = found[0]["SharePackId"].as_str().unwrap().to_string();
    let html = page(&portal, "/drift").await;
    assert!(html.contains("adopt-unmanaged") && html.contains("Adopt into pack"), "an unmanaged share can be adopted into a pack");
    // Only what no pack manages can be taken in.
    let adopt = |body: Value| {
        let (client, url) = (portal.client_as(TESTERS[0]), format!("{}/workflow/sharepacks/{pack_id}/adopt", portal.url));
        async move { client.post(url).json(&body).send().await.unwrap() }
    };
    // Taking in what no pack manages is for those who see every business line.
    let finance = make_token(&portal.store, "fin@example.com", &[Grant::new(Role::Requester, Some("Finance"))]).await;
    let refused = crate::support::bearer_client(&finance)
        .post(format!("{}/workflow/sharepacks/{pack_id}/adopt", portal.url))
        .json(&json!({"Shares": ["drift_outside"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403, "a business line's requester does not take in what no pack manages");
    // A share granted to another pack's recipient would take that recipient over: refused.
    let taking = adopt(json!({"Shares": ["drift_stolen"]})).await;
    assert_eq!(taking.status().as_u16(), 409);
    let taking: Value = taking.json().await.unwrap();
    assert_eq!((taking["Code"].as_str(), taking["Location"].as_str()), (Some("granted_to_managed"), Some("Shares[0]")), "{taking}");
    assert!(taking["Message"].as_str().unwrap().contains("other-corp"), "{taking}");
    let managed = adopt(json!({"Shares": ["drift_sales"]})).await;
    assert_eq!(managed.status().as_u16(), 409);
    let managed: Value = managed.json().await.unwrap();
    assert_eq!((managed["Code"].as_str(), managed["Location"].as_str()), (Some("not_unmanaged"), Some("Shares[0]")), "{managed}");
    let calls_before = portal.workspaces.default_workspace().client.calls();
    let response = adopt(json!({"Shares": ["drift_outside"]})).await;
    let status = response.status().as_u16();
    let adopted: Value = response.json().await.unwrap();
    assert_eq!(status, 202, "{adopted}");
    let run = portal.settled(adopted["RunId"].as_str().unwrap().parse().unwrap()).await;
    assert_eq!(run.status.as_str(), "COMPLETED", "{:?}", run.error);
    assert!(portal.workspaces.default_workspace().client.calls() > calls_before);
    let after = check(&portal).await;
    assert_eq!(after["Report"]["Resolved"], 4, "the three differences and the unmanaged share: {after}");
    assert_eq!(findings(&portal, "").await, Vec::<Value>::new(), "the adopted pack is what the workspace has");
    let unmanaged: Value =
        portal.client_as(TESTERS[0]).get(format!("{}/workflow/drift/unmanaged", portal.url)).send().await.unwrap().json().await.unwrap();
    assert!(!unmanaged.to_string().contains("drift_outside"), "the share is the pack's now: {unmanaged}");
    // The adoption is the pack's next version, the file Sharepack wrote, planned to change nothing.
    let file = portal.client_as(TESTERS[0]).get(format!("{}/workflow/sharepacks/{pack_id}/uploads/2", portal.url)).send().await.unwrap();
    assert_eq!(file.status().as_u16(), 200);
    let text = file.text().await.unwrap();
    assert!(text.contains("changed by hand") && text.contains("catalog.schema.revenue_table"), "{text}");
    assert!(text.contains("drift_outside") && text.contains("catalog.schema.customers"), "the adopted share with its object: {text}");
    assert_eq!(adopted["Strategy"], "UPDATE", "{adopted}");
}

async fn one_check_of_a_workspace_runs_at_a_time(stack: Stack) {
    let Some(portal) = Portal::start(stack, &[], 0).await else { return };
    let store = &portal.store;
    let workspace = portal.workspaces.default_workspace();
    let admin = make_token(store, "admin@example.com", &[Grant::everywhere(Role::Admin)]).await;
    let client = crate::support::bearer_client(&admin);
    // Two asks while one is queued are one check.
    let first: Value = client.post(format!("{}/workflow/drift", portal.url)).send().await.unwrap().json().await.unwrap();
    let second: Value = client.post(format!("{}/workflow/drift", portal.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(first["JobId"], second["JobId"]);
    let id: uuid::Uuid = first["JobId"].as_str().unwrap().parse().unwrap();
    // Another process holds the workspace's lease: this delivery waits for a later one.
    let other = uuid::Uuid::new_v4();
    let lease = sharepack_engine::sync::jobs::lease(SyncKind::Drift);
    let sources = Sources { workspaces: portal.workspaces.clone(), directory: None };
    assert!(store.take_lease(lease, &workspace.url, other, Duration::from_secs(60)).await.unwrap());
    assert!(!store.take_lease(lease, &workspace.url, id, Duration::from_secs(60)).await.unwrap());
    let busy = sharepack_engine::sync::jobs::run(store, &sources, id).await.map(|_| ());
    assert!(matches!(busy, Err(sharepack_engine::jobs::JobError::Retryable(ref why)) if why.contains("another drift job")), "{busy:?}");
    assert_eq!(store.sync_job(id).await.unwrap().unwrap().status, SyncStatus::Queued);
    // Given back, the check runs.
    store.give_back_lease(lease, &workspace.url, other).await.unwrap();
    sharepack_engine::sync::jobs::run(store, &sources, id).await.unwrap();
    let done = store.sync_job(id).await.unwrap().unwrap();
    assert_eq!((done.status, done.attempts), (SyncStatus::Succeeded, 1));
    // An expired lease is free to take.
    assert!(store.take_lease(lease, &workspace.url, other, Duration::ZERO).await.unwrap());
    assert!(store.take_lease(lease, &workspace.url, id, Duration::from_secs(60)).await.unwrap());
    let jobs: Value = client.get(format!("{}/workflow/sync-jobs", portal.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(jobs[0]["JobId"], first["JobId"]);
    assert_eq!(jobs[0]["Status"], "SUCCEEDED");
}

async fn checks_are_scheduled_once_per_interval_across_processes(stack: Stack) {
    let Some(portal) = Portal::start(stack, &[], 0).await else { return };
    let every = Duration::from_secs(3600);
    let (store, queue) = (&portal.store, &portal.queue);
    let urls: Vec<String> = portal.workspaces.iter().map(|workspace| workspace.url.clone()).collect();
    let first = sharepack_engine::sync::jobs::schedule(store, queue, SyncKind::Drift, &urls, every).await.unwrap();
    let second = sharepack_engine::sync::jobs::schedule(store, queue, SyncKind::Drift, &urls, every).await.unwrap();
    assert_eq!((first, second), (1, 0), "one check per workspace and slot, whoever schedules");
    let jobs = store.sync_jobs(None, None, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].requested_by, "scheduler");
}

async fn an_unreadable_audit_log_is_reported_and_the_drift_still_found(stack: Stack) {
    let people = format!("{MALLORY}=dapi-mallory");
    let vars = [("SHAREPACK_SANDBOX_PEOPLE", people.as_str()), ("SHAREPACK_SANDBOX_FAULTS", "fail=POST /sql/statements")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    apply(&portal, &pack("Acme")).await;
    by_hand(&portal, reqwest::Method::DELETE, "/recipients/drift-gamma", None).await;
    let job = check(&portal).await;
    assert!(job["Report"]["AuditError"].as_str().is_some_and(|error| error.contains("fails")), "{job}");
    let found = findings(&portal, "").await;
    assert_eq!(seen(&found), vec![("REMOVED".into(), "RECIPIENT".into(), "drift-gamma".into(), String::new(), String::new())]);
}

sharepack_engine::on_both_stacks!(
    changes_behind_sharepacks_back_are_found_with_who_and_when,
    adopting_the_workspace_records_it_as_the_pack,
    one_check_of_a_workspace_runs_at_a_time,
    checks_are_scheduled_once_per_interval_across_processes,
    an_unreadable_audit_log_is_reported_and_the_drift_still_found,
);
