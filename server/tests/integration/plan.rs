//! `POST /workflow/sharepack/plan`: the dry run over HTTP, against the portal's own sandbox
//! workspace (the portal listens on a real port, so its client reaches `<portal>/sandbox`).

use crate::support::Portal;
use serde_json::Value;
use sharepack_engine::databricks::auth::Credentials;
use sharepack_engine::databricks::client::{NewRecipient, WorkspaceClient};
use sharepack_engine::databricks::retry::RetryPolicy;
use sharepack_engine::store::testing::sample;

async fn portal(extra: &[(&str, &str)]) -> Portal {
    Portal::embedded(extra).await
}

async fn dry_run(portal: &Portal, query: &str, workspace: Option<&str>, file: &str) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(sample(file)).file_name(file.rsplit('/').next().unwrap().to_string()));
    let mut request = portal.client_for_pack(&sample(file)).post(format!("{}/workflow/sharepack/plan{query}", portal.url)).multipart(form);
    if let Some(workspace) = workspace {
        request = request.header("X-Workspace-URL", workspace);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dry_run_plans_against_the_sandbox() {
    let portal = portal(&[]).await;
    let (status, body) = dry_run(&portal, "", None, "valid/finance.yaml").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Strategy"], "NEW");
    assert_eq!(body["Summary"]["Create"], 10);
    assert_eq!(body["ValidationErrors"], serde_json::json!([]));
    let first = &body["Plan"][0];
    assert_eq!(
        (first["Action"].as_str(), first["ResourceType"].as_str(), first["Name"].as_str()),
        (Some("CREATE"), Some("RECIPIENT"), Some("external-auditor"))
    );
    assert_eq!(first["Location"], "line 12, column 5");
    assert!(first["Reason"].is_string());
    assert_eq!(body["Workspace"]["Sandbox"], true);

    // One recipient now exists: NEW switches to UPDATE, in the seed's words.
    let client = WorkspaceClient::new(
        &format!("{}/sandbox", portal.url),
        Credentials::Pat("dapi-sandbox".to_string().into()),
        RetryPolicy::default(),
    )
    .unwrap();
    client
        .create_recipient(&NewRecipient { name: "external-auditor".into(), authentication_type: "TOKEN".into(), ..Default::default() })
        .await
        .unwrap();
    let (_, body) = dry_run(&portal, "", None, "valid/finance.yaml").await;
    assert_eq!((body["Strategy"].as_str(), body["DeclaredStrategy"].as_str()), (Some("UPDATE"), Some("NEW")));
    let warnings: Vec<&str> = body["ValidationWarnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(warnings.contains(&"Auto-switched from NEW to UPDATE: 1 recipient(s) and 0 share(s) already exist. Existing resources will be updated, new ones will be created."), "{warnings:?}");
    let (_, strict) = dry_run(&portal, "?strict=true", None, "valid/finance.yaml").await;
    assert_eq!(strict["ValidationErrors"], serde_json::json!(["Recipient 'external-auditor' already exists"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_packs_and_unknown_workspaces_are_not_planned() {
    let portal =
        portal(&[("SHAREPACK_WORKSPACES", r#"[{"url": "http://127.0.0.1:9", "auth": "pat", "token": "t", "name": "Unreachable"}]"#)]).await;
    let (status, body) = dry_run(&portal, "", None, "invalid/recipients.yaml").await;
    assert_eq!(status, 200);
    assert_eq!(body["Plan"], serde_json::json!([]));
    assert!(
        body["ValidationErrors"].as_array().unwrap().iter().any(|error| error.as_str().unwrap().starts_with("line 11, column 12: ")),
        "{body}"
    );
    let (status, body) = dry_run(&portal, "", Some("https://adb-0.0.azuredatabricks.net"), "valid/finance.yaml").await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("unknown_workspace")));
    let (status, body) = dry_run(&portal, "", Some("http://127.0.0.1:9"), "valid/minimal.yaml").await;
    assert_eq!(status, 200);
    assert_eq!(body["Plan"], serde_json::json!([]));
    assert!(body["ValidationErrors"][0].as_str().unwrap().contains("no safe plan"), "{body}");
    assert!(body["ValidationWarnings"][0].as_str().unwrap().contains("could not be read"), "{body}");
}
