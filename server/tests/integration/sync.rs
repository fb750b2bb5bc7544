//! Sync jobs (issue 18, seed phase 3), on both databases: a workspace's catalogs, schemas and
//! tables are synced with history through the queue and a worker, and a misspelt name in a pack
//! is answered with the nearest synced one even in another schema; the directory is synced from
//! the sandbox's Microsoft Graph (following its next links), and a pack naming someone it does
//! not know, or whose account is disabled, gets a located finding; a failing directory read is
//! kept on the job and retried.

use crate::support::{bearer_client, make_token, Portal, TESTERS};
use serde_json::{json, Value};
use sharepack_engine::access::{Grant, Role};
use sharepack_engine::apply::keys;
use sharepack_engine::records::{SyncKind, SyncStatus};
use sharepack_engine::store::testing::Stack;
use sharepack_engine::store::Entity;
use sharepack_engine::sync::directory::{Directory, DirectorySettings};
use sharepack_engine::sync::jobs::Sources;
use std::time::Duration;

const MALLORY: &str = "mallory@example.com";

/// Asks for a sync of `kind` as `client` and waits for it to succeed; answers the job.
async fn sync(portal: &Portal, client: &reqwest::Client, kind: &str) -> Value {
    let response = client.post(format!("{}/workflow/sync-jobs", portal.url)).json(&json!({"Kind": kind})).send().await.unwrap();
    portal.job_done(client, response).await
}

/// The plan's findings for a pack.
async fn plan_findings(portal: &Portal, yaml: &str) -> Vec<Value> {
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(yaml.as_bytes().to_vec()).file_name("sync.yaml"));
    let response =
        portal.client_as(TESTERS[0]).post(format!("{}/workflow/sharepack/plan", portal.url)).multipart(form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    body["Findings"].as_array().unwrap().clone()
}

fn pack(email: &str, table: &str) -> String {
    format!(
        r#"metadata:
  requestor: {requestor}
  business_line: Finance
  project_name: Sync Watch
recipient:
  - name: sync-acme
    type: D2O
    email: {email}
share:
  - name: sync_sales
    data_objects:
      - {table}
    recipients:
      - sync-acme
"#,
        requestor = TESTERS[0]
    )
}

async fn workspace_objects_are_synced_with_history_and_suggested(stack: Stack) {
    let people = format!("{MALLORY}=dapi-mallory");
    let Some(portal) = Portal::start(stack, &[("SHAREPACK_SANDBOX_PEOPLE", &people)], 1).await else { return };
    let admin = bearer_client(&make_token(&portal.store, "admin@example.com", &[Grant::everywhere(Role::Admin)]).await);
    let url = portal.workspaces.default_workspace().url.clone();

    let first = sync(&portal, &admin, "OBJECTS").await;
    let report = &first["Report"];
    assert_eq!((report["Catalogs"].as_u64(), report["Tables"].as_u64()), (Some(2), Some(7)), "{first}");
    assert_eq!(report["Added"], report["Seen"]);
    let listed: Value =
        admin.get(format!("{}/workflow/objects?prefix=prod_catalog.&type=TABLE", portal.url)).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = listed["Objects"].as_array().unwrap().iter().map(|object| object["FullName"].as_str().unwrap()).collect();
    assert_eq!(names, ["prod_catalog.sales.customers", "prod_catalog.sales.transactions"]);
    assert!(listed["SyncedAt"].is_string());
    assert_eq!((listed["Count"].as_u64(), listed["More"].as_bool()), (Some(2), Some(false)));

    // A schema misspelt: the live read has nothing to offer, the synced objects do.
    let findings = plan_findings(&portal, &pack("ops@acme.example", "prod_catalog.sale.customers")).await;
    let missing = findings.iter().find(|finding| finding["Code"] == "object_missing").expect("the table is missing");
    assert!(missing["Hint"].as_str().unwrap().contains("Did you mean `prod_catalog.sales.customers`?"), "{missing}");
    assert_eq!(missing["At"]["Path"], "shares[0].data_objects[0].name");

    // A table dropped by hand and one created: the next sync records both, with history.
    let dropped = reqwest::Client::new()
        .delete(format!("{}/sandbox/api/2.1/unity-catalog/tables/catalog.schema.orders", portal.url))
        .bearer_auth("dapi-mallory")
        .send()
        .await
        .unwrap();
    assert_eq!(dropped.status().as_u16(), 200);
    sharepack_engine::sandbox::Sandbox::new(portal.store.clone(), "sandbox", "").seed(&["catalog.schema.invoices"]).await.unwrap();
    let second = sync(&portal, &admin, "OBJECTS").await;
    assert_eq!((second["Report"]["Added"].as_u64(), second["Report"]["Removed"].as_u64()), (Some(1), Some(1)), "{second}");
    let history = portal.store.history(Entity::DatabricksObject, keys::databricks_object(&url, "catalog.schema.orders")).await.unwrap();
    assert_eq!(history.iter().map(|version| version.is_deleted).collect::<Vec<_>>(), [false, true]);
    assert!(history[1].change_reason.contains(second["JobId"].as_str().unwrap()), "{}", history[1].change_reason);

    // Nothing changed: nothing written.
    let third = sync(&portal, &admin, "OBJECTS").await;
    assert_eq!([&third["Report"]["Added"], &third["Report"]["Changed"], &third["Report"]["Removed"]], [&json!(0), &json!(0), &json!(0)]);

    // Syncs are for administrators to ask for; no directory here.
    let finance = make_token(&portal.store, "fin@example.com", &[Grant::new(Role::Requester, Some("Finance"))]).await;
    let refused =
        bearer_client(&finance).post(format!("{}/workflow/sync-jobs", portal.url)).json(&json!({"Kind": "OBJECTS"})).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let none = admin.post(format!("{}/workflow/sync-jobs", portal.url)).json(&json!({"Kind": "DIRECTORY"})).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 409);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["Code"], "directory_not_configured", "{body}");
    let unnamed = admin.post(format!("{}/workflow/sync-jobs", portal.url)).json(&json!({})).send().await.unwrap();
    assert_eq!(unnamed.status().as_u16(), 400);
    let jobs: Value = admin.get(format!("{}/workflow/sync-jobs?kind=OBJECTS", portal.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(jobs.as_array().unwrap().len(), 3);

    // The drift page lists the syncs for administrators, with a form that works without JavaScript.
    let page = portal.browser_as("admin@example.com").await;
    let html = page.get(format!("{}/drift", portal.url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"id="syncs""#) && html.contains(r#"id="sync-objects""#), "the sync section is shown");
    assert_eq!(html.matches(r#"data-kind="OBJECTS""#).count(), 3, "each objects sync is a row");
    assert!(!html.contains(r#"id="sync-directory""#), "no directory is configured");
    let posted =
        page.post(format!("{}/api/start_sync", portal.url)).form(&[("kind", "OBJECTS"), ("workspace", url.as_str())]).send().await.unwrap();
    assert!(posted.status().is_redirection(), "{}", posted.status());
    assert_eq!(portal.store.sync_jobs(Some(SyncKind::Objects), None, 10).await.unwrap().len(), 4);
    let theirs =
        portal.browser_as("fin@example.com").await.get(format!("{}/drift", portal.url)).send().await.unwrap().text().await.unwrap();
    assert!(!theirs.contains(r#"id="syncs""#), "syncs are for those who see every business line");
}

/// Someone adds a directory object through the sandbox's Graph.
async fn graph_add(portal: &Portal, collection: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/graph/v1.0/{collection}", portal.url))
        .bearer_auth("dapi-mallory")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.unwrap()
}

async fn the_directory_is_synced_from_graph_and_checks_people(stack: Stack) {
    let people = format!("{MALLORY}=dapi-mallory");
    let vars = [("SHAREPACK_SANDBOX_PEOPLE", people.as_str()), ("SHAREPACK_GRAPH_URL", "sandbox")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let admin = bearer_client(&make_token(&portal.store, "admin@example.com", &[Grant::everywhere(Role::Admin)]).await);
    let requester = json!({"displayName": "John Doe", "userPrincipalName": TESTERS[0], "mail": TESTERS[0], "accountEnabled": true});
    graph_add(&portal, "users", requester).await;
    let gone = json!({"displayName": "Gone Person", "userPrincipalName": "gone@partner.example", "accountEnabled": false});
    let gone = graph_add(&portal, "users", gone).await;
    graph_add(&portal, "groups", json!({"displayName": "Finance Data", "mailEnabled": false, "securityEnabled": true})).await;
    let incomplete = reqwest::Client::new()
        .post(format!("{}/sandbox/graph/v1.0/users", portal.url))
        .bearer_auth("dapi-mallory")
        .json(&json!({"displayName": "No Name"}))
        .send()
        .await
        .unwrap();
    assert_eq!(incomplete.status().as_u16(), 400);

    // Before any sync nobody is checked.
    let before = plan_findings(&portal, &pack("nobody@partner.example", "catalog.schema.orders")).await;
    assert!(!before.iter().any(|finding| finding["Code"] == "directory_unknown"), "{before:?}");

    let job = sync(&portal, &admin, "DIRECTORY").await;
    assert_eq!((job["Report"]["Users"].as_u64(), job["Report"]["Groups"].as_u64()), (Some(2), Some(1)), "{job}");
    assert_eq!(portal.store.current_all(Entity::User).await.unwrap().len(), 2);
    let groups = portal.store.current_all(Entity::AdGroup).await.unwrap();
    assert_eq!(groups.iter().map(|group| group.name.as_str()).collect::<Vec<_>>(), ["Finance Data"]);

    // An unknown D2O e-mail, located at its cell; the requester is known.
    let unknown = plan_findings(&portal, &pack("nobody@partner.example", "catalog.schema.orders")).await;
    let found: Vec<&Value> = unknown.iter().filter(|finding| finding["Code"] == "directory_unknown").collect();
    assert_eq!(found.len(), 1, "{unknown:?}");
    assert_eq!(found[0]["At"]["Path"], "recipients[0].email");
    assert_eq!(found[0]["At"]["Line"], 8);
    // A disabled account, known by its principal name only.
    let disabled = plan_findings(&portal, &pack("gone@partner.example", "catalog.schema.orders")).await;
    assert!(
        disabled
            .iter()
            .any(|finding| finding["Code"] == "directory_disabled" && finding["Message"].as_str().unwrap().contains("Gone Person")),
        "{disabled:?}"
    );

    // Pages of one: the sync follows Graph's next links to the end and finds the same.
    let settings = portal.settings.directory.clone().expect("the sandbox directory is configured");
    let directory = Directory::new(settings, Default::default()).unwrap().with_page(1);
    let report = sharepack_engine::sync::directory::sync(&portal.store, &directory, uuid::Uuid::now_v7()).await.unwrap();
    assert_eq!((report.users, report.groups, report.added, report.changed, report.removed), (2, 1, 0, 0, 0));
    assert_eq!(report.calls, 3, "two pages of users, one of groups: {report:?}");
    // Someone removed from the directory: the next sync closes their record, keeping its history.
    let removed = reqwest::Client::new()
        .delete(format!("{}/sandbox/graph/v1.0/users/{}", portal.url, gone["id"].as_str().unwrap()))
        .bearer_auth("dapi-mallory")
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status().as_u16(), 204);
    let again = sync(&portal, &admin, "DIRECTORY").await;
    assert_eq!(again["Report"]["Removed"], 1, "{again}");
    let key = keys::directory_object("user", gone["id"].as_str().unwrap());
    let history = portal.store.history(Entity::User, key).await.unwrap();
    assert_eq!(history.iter().map(|version| version.is_deleted).collect::<Vec<_>>(), [false, true]);
}

async fn a_failing_directory_is_kept_on_the_job_and_retried(stack: Stack) {
    let vars = [("SHAREPACK_GRAPH_URL", "sandbox"), ("SHAREPACK_SANDBOX_FAULTS", "fail=GET /graph/v1.0/groups")];
    let Some(portal) = Portal::start(stack, &vars, 0).await else { return };
    let store = &portal.store;
    let settings = portal.settings.directory.clone().unwrap();
    let fast =
        sharepack_engine::databricks::retry::RetryPolicy { max_attempts: 2, base_delay: Duration::from_millis(1), ..Default::default() };
    let directory = std::sync::Arc::new(Directory::new(settings.clone(), fast).unwrap());
    let sources = Sources { workspaces: portal.workspaces.clone(), directory: Some(directory.clone()) };
    let id = uuid::Uuid::now_v7();
    assert!(store.queue_sync_job(id, SyncKind::Directory, directory.url(), "scheduler").await.unwrap());
    let failed = sharepack_engine::sync::jobs::run(store, &sources, id).await;
    assert!(matches!(failed, Err(sharepack_engine::jobs::JobError::Retryable(_))), "{failed:?}");
    let job = store.sync_job(id).await.unwrap().unwrap();
    assert_eq!((job.status, job.attempts), (SyncStatus::Queued, 1), "back on the queue for another delivery");
    assert!(job.error.as_deref().unwrap_or_default().contains("directory could not be read"), "{:?}", job.error);
    assert!(!job.error.unwrap().contains("dapi-"), "no secret in the error");
    sharepack_engine::sync::jobs::give_up(store, id, "gave up after 2 deliveries").await.unwrap();
    assert_eq!(store.sync_job(id).await.unwrap().unwrap().status, SyncStatus::Failed);
    // A wrong secret is refused by the token endpoint, and said so.
    let wrong = DirectorySettings { client_secret: "not-it".to_string().into(), ..settings };
    let refused = sharepack_engine::sync::directory::sync(store, &Directory::new(wrong, fast).unwrap(), id).await.unwrap_err();
    assert!(refused.to_string().contains("AADSTS7000215") || refused.to_string().contains("invalid_client"), "{refused}");
}

sharepack_engine::on_both_stacks!(
    workspace_objects_are_synced_with_history_and_suggested,
    the_directory_is_synced_from_graph_and_checks_people,
    a_failing_directory_is_kept_on_the_job_and_retried,
);
