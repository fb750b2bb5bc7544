//! The OpenAPI document is the API's contract: every REST route is in it and nothing else is,
//! and real answers (successes and errors) validate against the schemas it gives for their
//! route and status. The explorer page is served from the portal itself.

use crate::support::{bearer_client, Portal};
use serde_json::Value;
use sharepack_engine::store::testing::{sample, Stack};
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

fn document() -> Value {
    serde_json::to_value(server::rest::openapi::document()).unwrap()
}

#[test]
fn every_route_is_in_the_document_and_nothing_else() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|key| METHODS.contains(&key.as_str()))
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> =
        server::rest::endpoints().into_iter().map(|(method, path, _)| (method.as_str().to_string(), path.to_string())).collect();
    assert_eq!(documented, routed);
    // Every operation says what its errors look like, and those with credentials use the scheme.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.keys().any(|status| status.starts_with('4')), "{method} {path} documents no error");
            if path != "/health" {
                assert!(responses.contains_key("401"), "{method} {path} does not say it needs credentials");
            }
        }
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

/// Checks `body` against the schema the document gives `method path` for `status`.
fn conforms(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(!response.is_null(), "{method} {path} does not document {status}");
    let mut schema = response["content"]["application/json"]["schema"].clone();
    assert!(!schema.is_null(), "{method} {path} {status} has no JSON schema");
    schema.as_object_mut().unwrap().insert("components".into(), doc["components"].clone());
    let validator = jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(body).map(|error| format!("{error} at {}", error.instance_path())).collect();
    assert!(errors.is_empty(), "{method} {path} {status} does not match the document: {errors:#?}\n{body:#}");
}

fn file(name: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(sample(name)).file_name(name.rsplit('/').next().unwrap().to_string()))
}

#[tokio::test]
async fn real_answers_match_the_document() {
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50")];
    let portal = Portal::start(Stack::Embedded, &vars, 1).await.unwrap();
    let doc = document();
    let john = bearer_client(portal.token_for("john.doe@jll.com"));
    let url = |path: &str| format!("{}/workflow{path}", portal.url);
    let mut checked = 0;
    let mut check = |method: &str, path: &str, response: (u16, Value)| {
        conforms(&doc, method, path, response.0, &response.1);
        checked += 1;
        response.1
    };
    async fn answer(response: reqwest::Response) -> (u16, Value) {
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    check("get", "/health", answer(reqwest::get(url("/health")).await.unwrap()).await);
    check(
        "post",
        "/sharepack/validate",
        answer(john.post(url("/sharepack/validate")).multipart(file("valid/sales.yaml")).send().await.unwrap()).await,
    );
    check(
        "post",
        "/sharepack/validate",
        answer(john.post(url("/sharepack/validate")).multipart(file("invalid/recipients.yaml")).send().await.unwrap()).await,
    );
    check(
        "post",
        "/sharepack/plan",
        answer(john.post(url("/sharepack/plan")).multipart(file("valid/sales.yaml")).send().await.unwrap()).await,
    );
    check(
        "post",
        "/sharepack/batch/plan",
        answer(john.post(url("/sharepack/batch/plan")).multipart(file("valid/sales.yaml")).send().await.unwrap()).await,
    );
    check(
        "post",
        "/sharepack/batch/validate",
        answer(john.post(url("/sharepack/batch/validate")).multipart(file("invalid/syntax.yaml")).send().await.unwrap()).await,
    );
    let uploaded = check(
        "post",
        "/sharepack/upload",
        answer(john.post(url("/sharepack/upload")).multipart(file("valid/sales.yaml")).send().await.unwrap()).await,
    );
    let (pack, run) = (uploaded["SharePackId"].as_str().unwrap().to_string(), uploaded["RunId"].as_str().unwrap().to_string());
    check(
        "post",
        "/sharepack/upload",
        answer(john.post(url("/sharepack/upload")).multipart(file("invalid/shares.yaml")).send().await.unwrap()).await,
    );
    // Finished, so that the history below has versions.
    let start = std::time::Instant::now();
    loop {
        let status = check("get", "/sharepack/{id}", answer(john.get(url(&format!("/sharepack/{pack}"))).send().await.unwrap()).await);
        if status["Status"] == "COMPLETED" {
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "{status}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    check("post", "/runs/{id}/cancel", answer(john.post(url(&format!("/runs/{run}/cancel"))).send().await.unwrap()).await);
    check("post", "/runs/{id}/retry", answer(john.post(url(&format!("/runs/{run}/retry"))).send().await.unwrap()).await);
    check("get", "/approvals", answer(john.get(url("/approvals")).send().await.unwrap()).await);
    check(
        "post",
        "/runs/{id}/approve",
        answer(john.post(url(&format!("/runs/{run}/approve"))).json(&serde_json::json!({})).send().await.unwrap()).await,
    );
    check("get", "/audit", answer(john.get(url("/audit")).send().await.unwrap()).await);
    check("get", "/audit", answer(john.get(url("/audit?since=yesterday")).send().await.unwrap()).await);
    check("get", "/sharepacks", answer(john.get(url("/sharepacks")).send().await.unwrap()).await);
    check("get", "/sharepacks/{id}/versions", answer(john.get(url(&format!("/sharepacks/{pack}/versions"))).send().await.unwrap()).await);
    check("get", "/recipients", answer(john.get(url("/recipients")).send().await.unwrap()).await);
    let timeline = check("get", "/shares/{id}/versions", answer(john.get(url("/shares/sales_share/versions")).send().await.unwrap()).await);
    let share = timeline["Id"].as_str().map(str::to_string).unwrap_or_else(|| "sales_share".into());
    check("get", "/shares/{id}/diff", answer(john.get(url(&format!("/shares/{share}/diff?from=1&to=1"))).send().await.unwrap()).await);
    check("get", "/shares/{id}/diff", answer(john.get(url(&format!("/shares/{share}/diff?from=x"))).send().await.unwrap()).await);
    check(
        "get",
        "/sharepacks/{id}/compare",
        answer(john.get(url(&format!("/sharepacks/{pack}/compare?from=1&to=1"))).send().await.unwrap()).await,
    );
    check("get", "/access", answer(john.get(url("/access?recipient=nobody")).send().await.unwrap()).await);
    // Errors: the one body everywhere.
    check("get", "/sharepack/{id}", answer(reqwest::get(url(&format!("/sharepack/{pack}"))).await.unwrap()).await);
    check("get", "/sharepack/{id}", answer(john.get(url("/sharepack/not-an-id")).send().await.unwrap()).await);
    check("get", "/sharepack/{id}", answer(john.get(url(&format!("/sharepack/{}", uuid::Uuid::new_v4()))).send().await.unwrap()).await);
    check("post", "/sharepack/validate", answer(john.post(url("/sharepack/validate")).body("not a form").send().await.unwrap()).await);
    assert!(checked >= 28, "{checked}");
}

#[tokio::test]
async fn the_explorer_is_served_by_the_portal() {
    let portal = Portal::embedded(&[]).await;
    let served: Value = reqwest::get(format!("{}/openapi.json", portal.url)).await.unwrap().json().await.unwrap();
    assert_eq!(served, document());
    let page = reqwest::get(format!("{}/api-docs/", portal.url)).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "the page loads nothing from elsewhere:\n{html}");
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css", "swagger-initializer.js"] {
        let response = reqwest::get(format!("{}/api-docs/{asset}", portal.url)).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{asset}");
        let text = response.text().await.unwrap();
        if asset == "swagger-initializer.js" {
            assert!(text.contains("/openapi.json") && text.contains("\"validatorUrl\": \"none\""), "{text}");
        }
    }
}
