//! The portal over HTTP (requests handed to its router in process): the REST API, downloads, the no-JavaScript upload path and
//! server-rendered pages, each with the status codes and bodies a client relies on.

use crate::support::Portal;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sharepack_engine::store::testing::sample;
use tower::ServiceExt;

async fn portal(extra: &[(&str, &str)]) -> Portal {
    Portal::embedded(extra).await
}

const BOUNDARY: &str = "sharepack-test-boundary";

fn multipart(field: &str, file_name: &str, bytes: &[u8]) -> Body {
    let mut body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    Body::from(body)
}

/// A file posted by the person it names as requestor.
fn post_file(portal: &Portal, uri: &str, file_name: &str, bytes: &[u8]) -> Request<Body> {
    Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", portal.token_for_pack(bytes)))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart("file", file_name, bytes))
        .unwrap()
}

/// Sends a request as John (a requester and approver everywhere) unless it says who it is.
async fn send(portal: &Portal, mut request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    if !request.headers().contains_key(header::AUTHORIZATION) {
        let token = format!("Bearer {}", portal.token_for(crate::support::TESTERS[0]));
        request.headers_mut().insert(header::AUTHORIZATION, token.parse().unwrap());
    }
    let response = portal.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

async fn json(portal: &Portal, request: Request<Body>) -> (StatusCode, Value) {
    let (status, _, body) = send(portal, request).await;
    let value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&body)));
    (status, value)
}

#[tokio::test]
async fn health_answers_in_the_seed_shape() {
    let portal = portal(&[]).await;
    let (status, body) = json(&portal, Request::get("/workflow/health").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Message"], "Workflow system healthy");
    for field in ["DatabaseConnected", "QueueConnected"] {
        assert!(body[field].is_boolean(), "{field} in {body}");
    }
    assert_eq!(body["DatabaseConnected"], true);
    assert_eq!(body["TablesCount"], 35);
    assert_eq!(body["Database"], "sqlite");
    assert_eq!(body["Workspace"]["Sandbox"], true, "the health check says plainly that the workspace is the sandbox");
}

#[tokio::test]
async fn an_unknown_workspace_is_a_400_naming_the_configured_ones() {
    let portal =
        portal(&[("SHAREPACK_WORKSPACES", r#"[{"url": "https://adb-1.1.azuredatabricks.net", "auth": "pat", "token": "dapi-secret-1"}]"#)])
            .await;
    let request =
        Request::get("/workflow/health").header("X-Workspace-URL", "https://adb-9.9.azuredatabricks.net").body(Body::empty()).unwrap();
    let (status, body) = json(&portal, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Code"], "unknown_workspace");
    let message = body["Message"].as_str().unwrap();
    assert!(message.contains("https://adb-1.1.azuredatabricks.net") && message.contains("/sandbox"), "{message}");
    assert!(!message.contains("dapi-secret-1"));
    let request =
        Request::get("/workflow/health").header("X-Workspace-URL", "https://ADB-1.1.azuredatabricks.net/").body(Body::empty()).unwrap();
    let (status, body) = json(&portal, request).await;
    assert_eq!((status, body["Workspace"]["Sandbox"].as_bool()), (StatusCode::OK, Some(false)));
}

#[tokio::test]
async fn validate_returns_the_parsed_pack_and_no_findings_for_a_valid_pack() {
    let portal = portal(&[]).await;
    let (status, body) =
        json(&portal, post_file(&portal, "/workflow/sharepack/validate", "finance.yaml", &sample("valid/finance.yaml"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Valid"], true);
    assert_eq!(body["Format"], "YAML");
    assert_eq!(body["Findings"].as_array().unwrap().len(), 0);
    let pack = &body["SharePack"];
    assert_eq!(pack["Metadata"]["Requestor"], "john.doe@jll.com");
    assert_eq!(pack["Recipients"][0]["Name"], "external-auditor");
    assert_eq!(pack["Recipients"][0]["Type"], "D2O");
    assert_eq!(pack["Recipients"][1]["Type"], "D2D");
    assert_eq!(pack["Shares"][0]["DataObjects"][0]["Name"], "catalog.schema.revenue_table");
    assert_eq!(pack["Shares"][0]["DataObjects"][0]["Type"], "TABLE");
}

#[tokio::test]
async fn validate_reads_excel_the_same_way() {
    let portal = portal(&[]).await;
    let (status, body) =
        json(&portal, post_file(&portal, "/workflow/sharepack/validate", "finance.xlsx", &sample("valid/finance.xlsx"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Format"], "EXCEL");
    assert_eq!(body["Valid"], true);
    assert_eq!(body["SharePack"]["Recipients"][0]["Origin"]["Cell"], "A2");
}

#[tokio::test]
async fn validate_lists_located_findings_with_hints() {
    let portal = portal(&[]).await;
    let (status, body) =
        json(&portal, post_file(&portal, "/workflow/sharepack/validate", "recipients.yaml", &sample("invalid/recipients.yaml"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Valid"], false);
    let findings = body["Findings"].as_array().unwrap();
    let email = findings.iter().find(|finding| finding["Code"] == "invalid_email").expect("invalid e-mail reported");
    assert_eq!(email["Severity"], "error");
    assert_eq!(email["Location"], "line 11, column 12");
    assert!(email["Message"].as_str().unwrap().contains("not-an-address"));
    assert!(email["Hint"].is_string());
    assert!(body["Summary"]["Errors"].as_u64().unwrap() >= 10);
}

#[tokio::test]
async fn validate_reports_yaml_syntax_errors_as_findings() {
    let portal = portal(&[]).await;
    let (status, body) =
        json(&portal, post_file(&portal, "/workflow/sharepack/validate", "syntax.yaml", &sample("invalid/syntax.yaml"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["SharePack"], Value::Null);
    assert_eq!(body["Findings"][0]["Code"], "yaml_syntax");
    assert_eq!(body["Findings"][0]["Location"], "line 3, column 17");
}

#[tokio::test]
async fn unreadable_files_get_a_4xx_with_the_reason() {
    let portal = portal(&[]).await;
    let cases: [(&str, Vec<u8>, StatusCode, &str); 5] = [
        ("empty.yaml", Vec::new(), StatusCode::BAD_REQUEST, "empty_file"),
        ("report.pdf", b"%PDF-1.7 ...".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format"),
        ("legacy.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format"),
        ("broken.xlsx", b"PK\x03\x04garbage that is no zip".to_vec(), StatusCode::BAD_REQUEST, "unreadable_workbook"),
        ("latin1.yaml", b"metadata:\n  requestor: Jos\xe9\n".to_vec(), StatusCode::BAD_REQUEST, "not_text"),
    ];
    for (name, bytes, expected_status, code) in cases {
        let (status, body) = json(&portal, post_file(&portal, "/workflow/sharepack/validate", name, &bytes)).await;
        assert_eq!(status, expected_status, "{name}: {body}");
        assert_eq!(body["Code"], code, "{name}");
        assert!(!body["Message"].as_str().unwrap().is_empty() && body["Hint"].is_string(), "{name}: {body}");
    }
}

#[tokio::test]
async fn files_over_the_limit_get_413() {
    let portal = portal(&[("SHAREPACK_MAX_UPLOAD_BYTES", "1024")]).await;
    let (status, body) = json(&portal, post_file(&portal, "/workflow/sharepack/validate", "big.yaml", &vec![b'#'; 4096])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["Code"], "file_too_large");
    // Far past the limit the body itself is cut off, still with 413.
    let (status, _, body) =
        send(&portal, post_file(&portal, "/workflow/sharepack/validate", "huge.yaml", &vec![b'#'; 3 * 1024 * 1024])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn hostile_files_are_refused_with_a_clear_error() {
    let portal = portal(&[("SHAREPACK_MAX_UNCOMPRESSED_BYTES", "1048576")]).await;
    let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10u8 {
        let (prev, name) = ((b'a' + level - 1) as char, (b'a' + level) as char);
        laughs.push_str(&format!(
            "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    let (status, body) = json(&portal, post_file(&portal, "/workflow/sharepack/validate", "laughs.yaml", laughs.as_bytes())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Code"], "limit_exceeded");
    assert!(body["Message"].as_str().unwrap().contains("alias"), "{body}");
    assert!(body["Location"].as_str().unwrap().starts_with("line "), "{body}");

    let nested = format!("a: {}1{}", "[".repeat(5000), "]".repeat(5000));
    let (status, body) = json(&portal, post_file(&portal, "/workflow/sharepack/validate", "nested.yaml", nested.as_bytes())).await;
    assert_eq!((status, body["Code"].as_str()), (StatusCode::BAD_REQUEST, Some("limit_exceeded")));

    let bomb = {
        use std::io::Write;
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        writer.start_file("xl/workbook.xml", options).unwrap();
        writer.write_all(b"<workbook/>").unwrap();
        writer.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        writer.write_all(&vec![b' '; 4 * 1024 * 1024]).unwrap();
        writer.finish().unwrap().into_inner()
    };
    let (status, body) = json(&portal, post_file(&portal, "/workflow/sharepack/validate", "bomb.xlsx", &bomb)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["Message"].as_str().unwrap().contains("zip bomb"), "{body}");
}

#[tokio::test]
async fn requests_without_a_file_are_told_how_to_send_one() {
    let portal = portal(&[]).await;
    let (status, body) = json(
        &portal,
        Request::post("/workflow/sharepack/validate").header(header::CONTENT_TYPE, "application/json").body(Body::from("{}")).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["Code"], "not_multipart");
    let request = Request::post("/workflow/sharepack/validate")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart("attachment", "pack.yaml", b"metadata: {}"))
        .unwrap();
    let (status, body) = json(&portal, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Code"], "missing_file");
}

#[tokio::test]
async fn the_rest_api_can_be_switched_off_with_the_seed_flag() {
    let portal = portal(&[("enable_workflow", "false")]).await;
    let (status, _, _) = send(&portal, Request::get("/workflow/health").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn templates_and_samples_download() {
    let portal = portal(&[]).await;
    let (status, headers, body) = send(&portal, Request::get("/templates/sharepack-template.xlsx").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("sharepack-template.xlsx"));
    assert_eq!(&body[..2], b"PK");
    let (status, _, body) = send(&portal, Request::get("/templates/sharepack-template.yaml").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("metadata:"));
    let (status, _, body) = send(&portal, Request::get("/samples/valid/sales.xlsx").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, sample("valid/sales.xlsx"));
    for missing in ["/samples/../Cargo.toml", "/samples/nope.yaml", "/templates/other.xlsx"] {
        let (status, _, _) = send(&portal, Request::get(missing).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
}

/// The plain form (no JavaScript) posts to the upload server function and is redirected to the
/// upload's page, which the server renders in full.
#[tokio::test]
async fn the_plain_form_upload_redirects_to_a_rendered_report() {
    let portal = portal(&[]).await;
    let mut request = post_file(&portal, "/api/upload_pack", "finance.yaml", &sample("valid/finance.yaml"));
    request.headers_mut().insert(header::ACCEPT, "text/html".parse().unwrap());
    let (status, headers, _) = send(&portal, request).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/uploads/"), "{location}");

    let (status, _, body) = send(&portal, Request::get(&location).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    for expected in
        ["finance.yaml", "external-auditor", "finance_q1_share", "catalog.audit_schema.activity_log", "Valid: ready for planning"]
    {
        assert!(html.contains(expected), "the rendered report lacks {expected}");
    }
}

#[tokio::test]
async fn refused_uploads_get_a_page_that_says_why() {
    let portal = portal(&[("SHAREPACK_MAX_UPLOAD_BYTES", "1024")]).await;
    let mut request = post_file(&portal, "/api/upload_pack", "big.yaml", &vec![b'#'; 2048]);
    request.headers_mut().insert(header::ACCEPT, "text/html".parse().unwrap());
    let (status, headers, _) = send(&portal, request).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers[header::LOCATION].to_str().unwrap().to_string();
    let (_, _, body) = send(&portal, Request::get(&location).body(Body::empty()).unwrap()).await;
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("data-outcome=\"refused\"") && html.contains("the limit is 1024 bytes"), "{html}");
}

#[tokio::test]
async fn unknown_uploads_are_404_pages() {
    let portal = portal(&[]).await;
    for uri in ["/uploads/0191e0a0-0000-7000-8000-000000000000", "/uploads/not-a-uuid", "/no/such/page"] {
        let (status, _, body) = send(&portal, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(String::from_utf8(body).unwrap().contains("<html"), "{uri} renders a page");
    }
}

/// With several workspaces configured, the page offers a picker and plans against the one chosen.
#[tokio::test]
async fn the_upload_form_plans_against_the_chosen_workspace() {
    let portal =
        portal(&[("SHAREPACK_WORKSPACES", r#"[{"url": "http://127.0.0.1:9", "auth": "pat", "token": "t", "name": "Finance prod"}]"#)])
            .await;
    let (status, _, body) = send(&portal, Request::get("/").body(Body::empty()).unwrap()).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"<select name="workspace""#) && html.contains("Finance prod") && html.contains("Sandbox (sandbox)"),
        "the picker lists both"
    );

    let mut form = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"workspace\"\r\n\r\nhttp://127.0.0.1:9\r\n").into_bytes();
    form.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"minimal.yaml\"\r\n\r\n").into_bytes());
    form.extend(sample("valid/minimal.yaml"));
    form.extend(format!("\r\n--{BOUNDARY}--\r\n").into_bytes());
    let request = Request::post("/api/upload_pack")
        .header(header::AUTHORIZATION, format!("Bearer {}", portal.token_for("ann@example.com")))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::ACCEPT, "text/html")
        .body(Body::from(form))
        .unwrap();
    let (status, headers, _) = send(&portal, request).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers[header::LOCATION].to_str().unwrap().to_string();
    let ann = format!("Bearer {}", portal.token_for("ann@example.com"));
    let (_, _, body) = send(&portal, Request::get(&location).header(header::AUTHORIZATION, ann).body(Body::empty()).unwrap()).await;
    let html = String::from_utf8(body).unwrap();
    let plan = html.split(r#"id="plan""#).nth(1).expect("a plan section");
    let heading = plan.split("</h2>").next().unwrap().replace("<!---->", "").replace("<!>", "");
    assert!(heading.contains("Plan for Finance prod"), "planned against the chosen workspace: {heading}");
    assert!(
        html.contains("could not be read") && html.contains("data-planned=\"false\""),
        "an unreachable workspace blocks the plan and says so"
    );
}

#[tokio::test]
async fn upload_forms_without_a_file_or_with_an_unknown_workspace_are_400() {
    let portal = portal(&[]).await;
    let request = Request::post("/api/upload_pack")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart("attachment", "pack.yaml", b"metadata: {}"))
        .unwrap();
    let (status, _, body) = send(&portal, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("The form has no file"));

    let mut form =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"workspace\"\r\n\r\nhttps://adb-0.0.azuredatabricks.net\r\n")
            .into_bytes();
    form.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"minimal.yaml\"\r\n\r\n").into_bytes());
    form.extend(sample("valid/minimal.yaml"));
    form.extend(format!("\r\n--{BOUNDARY}--\r\n").into_bytes());
    let request = Request::post("/api/upload_pack")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(form))
        .unwrap();
    let (status, _, body) = send(&portal, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("is not configured"), "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn server_functions_called_without_their_arguments_answer_400() {
    let portal = portal(&[]).await;
    for endpoint in ["/api/submit_upload", "/api/cancel_run", "/api/get_run"] {
        let request =
            Request::post(endpoint).header("content-type", "application/x-www-form-urlencoded").body(Body::from("unexpected=1")).unwrap();
        let (status, _, _) = send(&portal, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{endpoint}");
    }
}

/// A body far past the limit is refused before it is read, and still says what and why: JSON
/// with Code, Message and Hint over REST, the error Leptos' client decodes for the page's drop
/// zone, and for the plain form a redirect back to the page, which shows the message.
#[tokio::test]
async fn bodies_past_the_limit_get_a_readable_error_on_every_edge() {
    let portal = portal(&[("SHAREPACK_MAX_UPLOAD_BYTES", "1024")]).await;
    let huge = vec![b'#'; 3 * 1024 * 1024];
    let (status, body) = json(&portal, post_file(&portal, "/workflow/sharepack/validate", "huge.yaml", &huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["Code"], "file_too_large");
    assert_eq!(body["Message"], "The upload is larger than the limit of 1 KiB", "{body}");
    assert!(body["Hint"].as_str().unwrap().contains("SHAREPACK_MAX_UPLOAD_BYTES"), "{body}");

    let mut request = post_file(&portal, "/api/upload_pack", "huge.yaml", &huge);
    request.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
    let (status, _, body) = send(&portal, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let error: app::error::PortalError = serde_json::from_slice(&body).expect("the error the page's client decodes");
    assert_eq!(error.0.code, "file_too_large");
    assert_eq!(error.to_string(), "The upload is larger than the limit of 1 KiB. Split the pack into smaller packs, or ask an administrator to raise SHAREPACK_MAX_UPLOAD_BYTES.");

    let mut request = post_file(&portal, "/api/upload_pack", "huge.yaml", &huge);
    request.headers_mut().insert(header::ACCEPT, "text/html".parse().unwrap());
    request.headers_mut().insert(header::REFERER, "http://127.0.0.1:3000/".parse().unwrap());
    let (status, headers, _) = send(&portal, request).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("http://127.0.0.1:3000/?") && location.contains("__err="), "{location}");
    let path = location.trim_start_matches("http://127.0.0.1:3000");
    let (status, _, body) = send(&portal, Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("data-code=\"file_too_large\"") && html.contains("The upload is larger than the limit of 1 KiB"), "{html}");
}

/// Every failing server function answers with the status of its problem's class and a body
/// the browser reads: an unknown run to cancel is a 404 naming it, not a 500.
#[tokio::test]
async fn server_function_errors_carry_their_class_status() {
    let portal = portal(&[]).await;
    let run = uuid::Uuid::new_v4();
    let request = Request::post("/api/cancel_run")
        .header("content-type", "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(format!("id={run}&by=ann%40example.com")))
        .unwrap();
    let (status, _, body) = send(&portal, request).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{}", String::from_utf8_lossy(&body));
    let error: app::error::PortalError = serde_json::from_slice(&body).unwrap();
    assert_eq!(error.0.code, "not_found");
    assert!(error.0.message.contains(&run.to_string()), "{error}");
}
