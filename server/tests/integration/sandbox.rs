//! The sandbox workspace behaves like the Unity Catalog sharing API: names, conflicts, limits,
//! tokens, pagination, grants, its catalog, faults, and state that survives a restart.

use crate::support::Portal;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sharepack_engine::store::testing::Stack;
use tower::ServiceExt;

const API: &str = "/sandbox/api/2.1/unity-catalog";

/// A portal whose sandbox the tests call in process.
async fn workspace(extra: &[(&str, &str)]) -> Portal {
    Portal::embedded(extra).await
}

async fn call_with(
    router: &Router,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: &str,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    let mut request =
        Request::builder().method(method).uri(format!("{API}{path}")).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(body.map(|body| Body::from(body.to_string())).unwrap_or_else(Body::empty)).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers)
}

async fn call(ws: &Portal, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let (status, body, _) = call_with(&ws.router, method, path, body, "dapi-sandbox").await;
    (status, body)
}

const METASTORE: &str = "azure:northeurope:6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f";

#[tokio::test]
async fn calls_need_the_sandbox_token() {
    let ws = workspace(&[]).await;
    let (status, body, _) = call_with(&ws.router, "GET", "/recipients", None, "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn recipients_follow_databricks_rules() {
    let ws = workspace(&[]).await;
    let (status, recipient) = call(
        &ws,
        "POST",
        "/recipients",
        Some(json!({"name": "Acme-Corp", "authentication_type": "TOKEN", "ip_access_list": {"allowed_ip_addresses": ["203.0.113.0/24"]}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{recipient}");
    assert_eq!(recipient["name"], "acme-corp", "names are stored lowercase");
    assert!(recipient["tokens"][0]["activation_url"].as_str().unwrap().contains("/sandbox/delta_sharing/"));
    let (status, error) = call(&ws, "POST", "/recipients", Some(json!({"name": "ACME-CORP", "authentication_type": "TOKEN"}))).await;
    assert_eq!((status, error["error_code"].as_str()), (StatusCode::CONFLICT, Some("RESOURCE_ALREADY_EXISTS")));
    assert!(error["details"][0]["request_id"].is_string());

    for (body, why) in [
        (json!({"name": "d2d", "authentication_type": "DATABRICKS"}), "metastore id required"),
        (
            json!({"name": "d2d", "authentication_type": "DATABRICKS", "data_recipient_global_metastore_id": "aws:x:abc-123"}),
            "malformed metastore id",
        ),
        (json!({"name": "v6", "authentication_type": "TOKEN", "ip_access_list": {"allowed_ip_addresses": ["2001:db8::1"]}}), "IPv4 only"),
        (
            json!({"name": "many", "authentication_type": "TOKEN", "ip_access_list": {"allowed_ip_addresses": (0..101).map(|i| format!("10.0.0.{}", i % 250)).collect::<Vec<_>>()}}),
            "at most 100",
        ),
        (
            json!({"name": "d2d-ips", "authentication_type": "DATABRICKS", "data_recipient_global_metastore_id": METASTORE, "ip_access_list": {"allowed_ip_addresses": ["1.2.3.4"]}}),
            "lists for TOKEN only",
        ),
        (json!({"name": "bad.name", "authentication_type": "TOKEN"}), "no dots in names"),
        (
            json!({"name": "props", "authentication_type": "TOKEN", "properties_kvpairs": {"properties": {"databricks.x": "1"}}}),
            "reserved properties",
        ),
    ] {
        let (status, error) = call(&ws, "POST", "/recipients", Some(body)).await;
        assert_eq!((status, error["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("INVALID_PARAMETER_VALUE")), "{why}: {error}");
    }
    let (status, own) = call(&ws, "GET", "/metastore_summary", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &ws,
        "POST",
        "/recipients",
        Some(
            json!({"name": "self", "authentication_type": "DATABRICKS", "data_recipient_global_metastore_id": own["global_metastore_id"]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the provider's own metastore is refused");
    let (status, d2d) = call(
        &ws,
        "POST",
        "/recipients",
        Some(json!({"name": "partner-ws", "authentication_type": "DATABRICKS", "data_recipient_global_metastore_id": METASTORE})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(d2d.get("tokens").is_none(), "D2D recipients have no tokens");

    let (status, missing) = call(&ws, "GET", "/recipients/nobody", None).await;
    assert_eq!((status, missing["error_code"].as_str()), (StatusCode::NOT_FOUND, Some("RESOURCE_DOES_NOT_EXIST")));
    let (status, updated) = call(
        &ws,
        "PATCH",
        "/recipients/acme-corp",
        Some(json!({"comment": "v2", "ip_access_list": {"allowed_ip_addresses": ["198.51.100.7"]}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (updated["comment"].as_str(), updated["ip_access_list"]["allowed_ip_addresses"][0].as_str()),
        (Some("v2"), Some("198.51.100.7"))
    );
}

#[tokio::test]
async fn lists_come_in_pages() {
    let ws = workspace(&[]).await;
    for index in 0..5 {
        call(&ws, "POST", "/recipients", Some(json!({"name": format!("r{index}"), "authentication_type": "TOKEN"}))).await;
    }
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let (status, page) = call(&ws, "GET", &format!("/recipients?max_results=2&page_token={token}"), None).await;
        assert_eq!(status, StatusCode::OK);
        let items = page["recipients"].as_array().unwrap();
        assert!(items.len() <= 2);
        names.extend(items.iter().map(|item| item["name"].as_str().unwrap().to_string()));
        match page["next_page_token"].as_str() {
            Some(next) => token = next.to_string(),
            None => break,
        }
    }
    assert_eq!(names, ["r0", "r1", "r2", "r3", "r4"]);
}

#[tokio::test]
async fn shares_take_objects_in_batches_of_at_most_100() {
    let ws = workspace(&[]).await;
    let (status, _) = call(&ws, "POST", "/shares", Some(json!({"name": "finance", "comment": "Q1"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(call(&ws, "POST", "/shares", Some(json!({"name": "finance"}))).await.0, StatusCode::CONFLICT);
    let (status, error) = call(&ws, "PATCH", "/shares/finance", Some(json!({"updates": []}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["message"], "UpdateShare no fields to update.");
    let add = |name: &str| json!({"action": "ADD", "data_object": {"name": name, "data_object_type": "TABLE"}});
    let (status, share) = call(
        &ws,
        "PATCH",
        "/shares/finance",
        Some(json!({"updates": [add("catalog.schema.revenue_table"), add("catalog.schema.expense_table")]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{share}");
    assert_eq!(share["objects"].as_array().unwrap().len(), 2);
    let (status, error) = call(&ws, "PATCH", "/shares/finance", Some(json!({"updates": [add("catalog.schema.revenue_table")]}))).await;
    assert_eq!(
        (status, error["message"].as_str()),
        (StatusCode::CONFLICT, Some("Shared Table 'catalog.schema.revenue_table' already exists"))
    );
    let (status, error) = call(&ws, "PATCH", "/shares/finance", Some(json!({"updates": [add("catalog.schema.no_such_table")]}))).await;
    assert_eq!((status, error["error_code"].as_str()), (StatusCode::NOT_FOUND, Some("TABLE_DOES_NOT_EXIST")));
    let many: Vec<Value> = (0..101).map(|index| add(&format!("catalog.schema.t{index}"))).collect();
    let (status, error) = call(&ws, "PATCH", "/shares/finance", Some(json!({"updates": many}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["message"].as_str().unwrap().contains("exceeds limit 100"));
    let (_, plain) = call(&ws, "GET", "/shares/finance", None).await;
    assert!(plain.get("objects").is_none(), "objects only with include_shared_data");
    let (_, full) = call(&ws, "GET", "/shares/finance?include_shared_data=true", None).await;
    assert_eq!(full["objects"][0]["status"], "ACTIVE");
    let (status, share) = call(
        &ws,
        "PATCH",
        "/shares/finance",
        Some(json!({"updates": [{"action": "REMOVE", "data_object": {"name": "catalog.schema.expense_table"}}]})),
    )
    .await;
    assert_eq!((status, share["objects"].as_array().unwrap().len()), (StatusCode::OK, 1));
}

#[tokio::test]
async fn grants_are_keyed_by_recipient_name() {
    let ws = workspace(&[]).await;
    call(&ws, "POST", "/recipients", Some(json!({"name": "acme", "authentication_type": "TOKEN"}))).await;
    call(&ws, "POST", "/shares", Some(json!({"name": "sales"}))).await;
    let (status, granted) =
        call(&ws, "PATCH", "/shares/sales/permissions", Some(json!({"changes": [{"principal": "acme", "add": ["SELECT"]}]}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(granted["privilege_assignments"], json!([{"principal": "acme", "privileges": ["SELECT"]}]));
    let (status, _) =
        call(&ws, "PATCH", "/shares/sales/permissions", Some(json!({"changes": [{"principal": "ghost", "add": ["SELECT"]}]}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "grants need an existing recipient");
    let (_, permissions) = call(&ws, "GET", "/recipients/acme/share-permissions", None).await;
    assert_eq!(permissions["permissions_out"][0]["share_name"], "sales");
    assert_eq!(call(&ws, "DELETE", "/recipients/acme", None).await.0, StatusCode::OK);
    let (_, after) = call(&ws, "GET", "/shares/sales/permissions", None).await;
    assert_eq!(after["privilege_assignments"], json!([]), "deleting a recipient removes its grants");
}

#[tokio::test]
async fn token_recipients_rotate_up_to_two_active_tokens() {
    let ws = workspace(&[]).await;
    call(&ws, "POST", "/recipients", Some(json!({"name": "acme", "authentication_type": "TOKEN"}))).await;
    let (status, rotated) =
        call(&ws, "POST", "/recipients/acme/rotate-token", Some(json!({"existing_token_expire_in_seconds": 3600}))).await;
    assert_eq!((status, rotated["tokens"].as_array().unwrap().len()), (StatusCode::OK, 2));
    let (status, error) = call(&ws, "POST", "/recipients/acme/rotate-token", Some(json!({"existing_token_expire_in_seconds": 3600}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["message"], "There are already two active tokens for recipient acme");
    assert_eq!(
        call(&ws, "POST", "/recipients/acme/rotate-token", Some(json!({"existing_token_expire_in_seconds": -1}))).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_catalog_holds_the_seed_tables() {
    let ws = workspace(&[("SHAREPACK_SANDBOX_TABLES", "extra.more.table_x")]).await;
    for table in ["catalog.schema.revenue_table", "prod_catalog.sales.customers", "extra.more.table_x"] {
        let (status, exists) = call(&ws, "GET", &format!("/tables/{table}/exists"), None).await;
        assert_eq!((status, exists["table_exists"].as_bool()), (StatusCode::OK, Some(true)), "{table}");
    }
    let (status, info) = call(&ws, "GET", "/tables/catalog.audit_schema.activity_log", None).await;
    assert_eq!((status, info["table_type"].as_str()), (StatusCode::OK, Some("MANAGED")));
    assert_eq!(call(&ws, "GET", "/schemas/catalog.schema", None).await.0, StatusCode::OK);
    assert_eq!(call(&ws, "GET", "/catalogs/prod_catalog", None).await.0, StatusCode::OK);
    assert_eq!(call(&ws, "GET", "/tables/catalog.schema.nothing/exists", None).await.1["table_exists"], false);
    let (_, summary) = call(&ws, "GET", "/metastore_summary", None).await;
    assert!(sharepack_engine::validate::is_metastore_id(summary["global_metastore_id"].as_str().unwrap()));
}

#[tokio::test]
async fn injected_faults_answer_as_databricks_would() {
    let ws = workspace(&[("SHAREPACK_SANDBOX_FAULTS", "rate_429=1")]).await;
    let (status, body, headers) = call_with(&ws.router, "GET", "/recipients", None, "dapi-sandbox").await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("REQUEST_LIMIT_EXCEEDED")));
    assert_eq!(headers[header::RETRY_AFTER], "1");
    let ws = workspace(&[("SHAREPACK_SANDBOX_FAULTS", "fail=POST /shares")]).await;
    assert_eq!(call(&ws, "POST", "/shares", Some(json!({"name": "x"}))).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(call(&ws, "GET", "/shares", None).await.0, StatusCode::OK, "only the named call fails");
}

#[tokio::test]
async fn the_sandbox_survives_a_restart() {
    let ws = workspace(&[]).await;
    call(&ws, "POST", "/recipients", Some(json!({"name": "durable", "authentication_type": "TOKEN"}))).await;
    let again = Portal::start_in(&ws.data_dir, Stack::Embedded, &[], 0).await.unwrap();
    let (status, body, _) = call_with(&again.router, "GET", "/recipients/durable", None, "dapi-sandbox").await;
    assert_eq!((status, body["name"].as_str()), (StatusCode::OK, Some("durable")));
}

#[tokio::test]
async fn malformed_bodies_are_refused_not_crashed_on() {
    let ws = workspace(&[]).await;
    call(&ws, "POST", "/shares", Some(json!({"name": "s"}))).await;
    call(&ws, "POST", "/recipients", Some(json!({"name": "r", "authentication_type": "TOKEN"}))).await;
    for (method, path, body) in [
        ("POST", "/recipients", json!(["not", "an", "object"])),
        ("PATCH", "/shares/s", json!({"updates": [{"action": "ADD", "data_object": "catalog.schema.revenue_table"}]})),
        ("PATCH", "/shares/s", json!("just text")),
    ] {
        let (status, error) = call(&ws, method, path, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {error}");
        assert!(error["error_code"].is_string());
    }
    let (status, rotated) =
        call(&ws, "POST", "/recipients/r/rotate-token", Some(json!({"existing_token_expire_in_seconds": i64::MAX}))).await;
    assert_eq!(status, StatusCode::OK, "a huge expiry keeps the old token as it is: {rotated}");
}
