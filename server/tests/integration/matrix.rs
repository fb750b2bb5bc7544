//! The authorization matrix: every role × their own or another business line × every page,
//! server function, REST endpoint, event stream and download, on both databases. The expected
//! answers are the table below; the routes are read from the portal itself (Leptos' page and
//! server-function lists, `rest::endpoints`, `router::endpoints`), so a route added without an
//! entry here fails the test.
//!
//! The people: nobody (no credentials); Lee, a requester for Legal, whose share pack, upload
//! and runs they are ("own"); Fin, a requester for Finance ("other"); Apo, an approver for
//! Legal; Aud, an auditor; Adm, an administrator. Pages and server functions are called with a
//! session cookie, the REST API and event streams with an API token.
//!
//! Answers: a status code, or `H` for "hidden": what an id nobody used gets (404 on pages, REST
//! and streams; `null` from a server function that reads one thing), or `B` and a status for a
//! batch that was read (200) and the status its one file got inside.

use crate::support::Portal;
use reqwest::header;
use serde_json::Value;
use sharepack_engine::access::{people, sessions, tokens, Grant, Principal, Role, Scopes};
use sharepack_engine::store::testing::Stack;
use std::collections::{BTreeMap, BTreeSet};

const WHO: [&str; 6] = ["nobody", "own", "other", "approver", "auditor", "admin"];

/// route → answers for nobody, own, other, approver, auditor, admin.
const TABLE: &[(&str, &str)] = &[
    // Pages.
    ("GET /", "303 200 200 200 200 200"),
    ("GET /uploads/{id}", "303 200 H 200 200 200"),
    ("GET /runs/{id}", "303 200 H 200 200 200"),
    ("GET /sharepacks", "303 200 200 200 200 200"),
    ("GET /browse/{kind}", "303 200 200 200 200 200"),
    ("GET /sharepacks/{id}", "303 200 H 200 200 200"),
    ("GET /sharepacks/{id}/compare", "303 200 H 200 200 200"),
    ("GET /sharepacks/{id}/files/{version}", "303 200 H 200 200 200"),
    ("GET /signin", "200 200 200 200 200 200"),
    ("GET /setup/{secret}", "404 404 404 404 404 404"),
    ("GET /invite/{secret}", "404 404 404 404 404 404"),
    ("GET /tokens", "303 200 200 200 200 200"),
    ("GET /admin/people", "303 403 403 403 403 200"),
    ("GET /approvals", "303 200 200 200 200 200"),
    ("GET /audit", "303 200 200 200 200 200"),
    ("GET /drift", "303 200 200 200 200 200"),
    ("GET /history/{kind}/{id}", "303 200 H 200 200 200"),
    ("GET /access", "303 200 200 200 200 200"),
    // Server functions.
    ("POST /api/who_am_i", "200 200 200 200 200 200"),
    ("POST /api/portal_info", "200 200 200 200 200 200"),
    ("POST /api/sign_in", "401 401 401 401 401 401"),
    ("POST /api/sign_out", "200 200 200 200 200 200"),
    ("POST /api/get_link", "H H H H H H"),
    ("POST /api/complete_setup", "404 404 404 404 404 404"),
    ("POST /api/accept_invitation", "404 404 404 404 404 404"),
    ("POST /api/list_tokens", "401 200 200 200 200 200"),
    ("POST /api/create_token", "401 200 200 200 200 200"),
    ("POST /api/revoke_token", "401 404 404 404 404 404"),
    ("POST /api/list_people", "401 403 403 403 403 200"),
    ("POST /api/add_person", "401 403 403 403 403 200"),
    ("POST /api/revoke_grant", "401 403 403 403 403 404"),
    ("POST /api/invite_again", "401 403 403 403 403 404"),
    ("POST /api/upload_pack", "401 200 200 403 403 200"),
    ("POST /api/get_upload", "401 200 H 200 200 200"),
    ("POST /api/submit_upload", "401 200 404 403 403 200"),
    ("POST /api/get_run", "401 200 H 200 200 200"),
    ("POST /api/cancel_run", "401 200 404 403 403 200"),
    ("POST /api/retry_run", "401 200 404 403 403 200"),
    ("POST /api/claim_links", "401 200 200 200 200 200"),
    ("POST /api/get_share_pack", "401 200 H 200 200 200"),
    ("POST /api/get_pack_comparison", "401 200 H 200 200 200"),
    ("POST /api/get_source_file", "401 200 H 200 200 200"),
    ("POST /api/list_entities", "401 200 200 200 200 200"),
    // Lee's pack has no applied version yet: those who may roll it back hear so.
    ("POST /api/rollback_pack", "401 409 404 403 403 409"),
    ("POST /api/delete_draft", "401 409 404 403 403 409"),
    // Decisions on Lee's queued run: only approvers of Legal may decide, and only on runs
    // waiting for approval (409), never on their own (the approvals module tests the rest).
    ("POST /api/list_approvals", "401 200 200 200 200 200"),
    ("POST /api/list_audit", "401 200 200 200 200 200"),
    // Drift: the page's read for everyone signed in; a check for those who may submit; restore
    // and adopt of Lee's pack, whose current version is queued, not applied (409).
    ("POST /api/list_notification_choices", "401 200 200 200 200 200"),
    ("POST /api/choose_notification", "401 200 200 200 200 200"),
    ("POST /api/get_drift", "401 200 200 200 200 200"),
    ("POST /api/check_drift", "401 200 200 403 403 200"),
    ("POST /api/get_syncs", "401 H H H 200 200"),
    ("POST /api/start_sync", "401 403 403 403 403 200"),
    ("POST /api/restore_pack", "401 409 404 403 403 409"),
    ("POST /api/adopt_workspace", "401 409 404 403 403 409"),
    ("POST /api/get_timeline", "401 200 H 200 200 200"),
    ("POST /api/ask_access", "401 200 200 200 200 200"),
    ("POST /api/get_comparison", "401 200 H 200 200 200"),
    ("POST /api/approve_run", "401 403 404 409 403 409"),
    ("POST /api/reject_run", "401 403 404 409 403 409"),
    // The REST API.
    ("GET /workflow/health", "200 200 200 200 200 200"),
    ("GET /openapi.json", "200 200 200 200 200 200"),
    ("POST /workflow/sharepack/validate", "401 200 403 403 403 200"),
    ("POST /workflow/sharepack/plan", "401 200 403 403 403 200"),
    ("POST /workflow/sharepack/upload", "401 202 403 403 403 202"),
    // A batch of one answers 200 with the file's own answer inside: `B` and that status.
    ("POST /workflow/sharepack/batch/validate", "401 B200 B403 403 403 B200"),
    ("POST /workflow/sharepack/batch/plan", "401 B200 B403 403 403 B200"),
    ("POST /workflow/sharepack/batch/upload", "401 B202 B403 403 403 B202"),
    ("GET /workflow/sharepack/{id}", "401 200 H 200 200 200"),
    ("POST /workflow/runs/{id}/cancel", "401 409 H 403 403 409"),
    ("POST /workflow/runs/{id}/retry", "401 409 H 403 403 409"),
    ("POST /workflow/runs/{id}/activation-links", "401 403 H 403 403 403"),
    ("GET /workflow/approvals", "401 200 200 200 200 200"),
    ("GET /workflow/audit", "401 200 200 200 200 200"),
    ("GET /workflow/sharepacks/{id}/export", "401 200 H 200 200 200"),
    ("GET /workflow/access", "401 200 200 200 200 200"),
    ("GET /workflow/sharepacks", "401 200 200 200 200 200"),
    ("GET /workflow/recipients", "401 200 200 200 200 200"),
    ("GET /workflow/shares", "401 200 200 200 200 200"),
    ("GET /workflow/tenants", "401 200 200 200 200 200"),
    ("GET /workflow/projects", "401 200 200 200 200 200"),
    ("GET /workflow/requests", "401 200 200 200 200 200"),
    ("GET /workflow/sharepacks/{id}/uploads/{version}", "401 200 H 200 200 200"),
    ("POST /workflow/sharepacks/{id}/rollback", "401 409 H 403 403 409"),
    // Lee's upload 1 was submitted: it is history, no draft (the history module tests drafts).
    ("DELETE /workflow/sharepacks/{id}/uploads/{version}", "401 409 H 403 403 409"),
    ("GET /workflow/sharepacks/{id}/compare", "401 200 H 200 200 200"),
    ("POST /workflow/runs/{id}/approve", "401 403 H 409 403 409"),
    ("POST /workflow/runs/{id}/reject", "401 403 H 409 403 409"),
    // Drift: anyone who may submit may ask for a check (it only reads); findings are filtered by
    // business line; what no pack manages, and the sync jobs, are for those who see every
    // business line (a job also for whoever asked for it: an id nobody used here).
    // Restore and adopt: Lee's pack's current version is queued, not applied (409).
    ("POST /workflow/sharepacks/{id}/restore", "401 409 H 403 403 409"),
    ("POST /workflow/sharepacks/{id}/adopt", "401 409 H 403 403 409"),
    ("POST /workflow/drift", "401 202 202 403 403 202"),
    ("GET /workflow/drift", "401 200 200 200 200 200"),
    ("GET /workflow/drift/unmanaged", "401 403 403 403 200 200"),
    ("GET /workflow/sync-jobs", "401 403 403 403 200 200"),
    ("GET /workflow/sync-jobs/{id}", "401 H H H H H"),
    // Objects and directory syncs are administrators' to ask for; what they found spans every
    // business line.
    ("POST /workflow/sync-jobs", "401 403 403 403 403 202"),
    ("GET /workflow/objects", "401 403 403 403 200 200"),
    // Notifications: each person's own log and choices.
    ("GET /workflow/notifications", "401 200 200 200 200 200"),
    ("GET /workflow/notifications/preferences", "401 200 200 200 200 200"),
    ("PUT /workflow/notifications/preferences", "401 200 200 200 200 200"),
    // History: Lee's share pack by id; the other kinds by an id nobody used (the history module
    // tests what each business line sees of them).
    ("GET /workflow/sharepacks/{id}/versions", "401 200 H 200 200 200"),
    ("GET /workflow/sharepacks/{id}/diff", "401 200 H 200 200 200"),
    ("GET /workflow/recipients/{id}/versions", "401 H H H H H"),
    ("GET /workflow/recipients/{id}/diff", "401 H H H H H"),
    ("GET /workflow/shares/{id}/versions", "401 H H H H H"),
    ("GET /workflow/shares/{id}/diff", "401 H H H H H"),
    ("GET /workflow/tenants/{id}/versions", "401 H H H H H"),
    ("GET /workflow/tenants/{id}/diff", "401 H H H H H"),
    ("GET /workflow/projects/{id}/versions", "401 H H H H H"),
    ("GET /workflow/projects/{id}/diff", "401 H H H H H"),
    ("GET /workflow/requests/{id}/versions", "401 H H H H H"),
    ("GET /workflow/requests/{id}/diff", "401 H H H H H"),
    // Event streams and downloads.
    ("GET /runs/{id}/events", "401 200 H 200 200 200"),
    ("GET /templates/{file}", "200 200 200 200 200 200"),
    ("GET /samples/{*path}", "200 200 200 200 200 200"),
    // Sign-in through an identity provider, not configured on this portal.
    // Metrics: administrators (and tokens with the metrics scope, which only they make).
    // Tokens need the metrics scope to scrape, an administrator's too (observability.rs scrapes).
    ("GET /metrics", "401 403 403 403 403 403"),
    ("GET /auth/oidc/start", "404 404 404 404 404 404"),
    ("GET /auth/oidc/callback", "404 404 404 404 404 404"),
    // The sandbox workspace answers only its own token.
    ("ANY /sandbox", "401 401 401 401 401 401"),
];

/// Every route the portal serves, as `METHOD /path`.
fn routes() -> BTreeSet<String> {
    let mut routes = BTreeSet::new();
    for listing in leptos_axum::generate_route_list(app::App) {
        routes.insert(format!("GET {}", listing.path()));
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        routes.insert(format!("{method} {path}"));
    }
    for (method, path, _) in server::rest::endpoints() {
        routes.insert(format!("{method} /workflow{path}"));
    }
    for (method, path, _) in server::router::endpoints() {
        routes.insert(format!("{method} {path}"));
    }
    routes.insert(format!("ANY {}", server::router::SANDBOX));
    routes
}

/// One person's credentials.
struct Person {
    email: &'static str,
    /// Session cookies: one for everything, one for signing out.
    cookie: Option<String>,
    spare: Option<String>,
    token: Option<String>,
}

async fn person(portal: &Portal, email: &'static str, grant: Grant) -> Person {
    let store = &portal.store;
    people::add_person(store, &Principal::operator(), email, "", &[grant]).await.unwrap();
    let account = store.account_by_email(email).await.unwrap().unwrap();
    let name = app::portal::session_cookie(false);
    let cookie = sessions::open(store, &portal.settings.sessions, &account, "test").await.unwrap().0;
    let spare = sessions::open(store, &portal.settings.sessions, &account, "test").await.unwrap().0;
    // The scopes people give their tokens; metrics is for scrapers.
    let scopes: Scopes = "read,submit,approve".parse().unwrap();
    let (token, _) = tokens::create(store, &Principal::operator(), Some(email), "matrix", &scopes, 1).await.unwrap();
    Person {
        email,
        cookie: Some(format!("{name}={}", cookie.expose())),
        spare: Some(format!("{name}={}", spare.expose())),
        token: Some(token.expose().to_string()),
    }
}

/// A Legal pack of its own project, with the requestor left to the sign-in.
fn legal_pack(project: &str) -> Vec<u8> {
    let tag = project.to_lowercase().replace(' ', "_");
    format!(
        "metadata:\n  project_name: {project}\n  business_line: Legal\nrecipient:\n  - name: r-{tag}\n    type: D2O\n    email: p@example.org\nshare:\n  - name: s_{tag}\n    recipients: [r-{tag}]\n    data_objects: [catalog.schema.revenue_table]\n"
    )
    .into_bytes()
}

struct Fixture {
    pack: String,
    queued: String,
    cancelled: String,
    upload: String,
}

async fn fixture(portal: &Portal, lee: &Person) -> Fixture {
    let client = crate::support::bearer_client(lee.token.as_deref().unwrap());
    let submit = |project: &'static str| {
        let form =
            reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(legal_pack(project)).file_name("legal.yaml"));
        client.post(format!("{}/workflow/sharepack/upload", portal.url)).multipart(form).send()
    };
    let first: Value = submit("Contracts").await.unwrap().json().await.unwrap();
    let second: Value = submit("Litigation").await.unwrap().json().await.unwrap();
    let cancelled = second["RunId"].as_str().unwrap().to_string();
    let response = client.post(format!("{}/workflow/runs/{cancelled}/cancel", portal.url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(legal_pack("Contracts")).file_name("legal.yaml"));
    let response = reqwest::Client::new()
        .post(format!("{}/api/upload_pack", portal.url))
        .header(header::COOKIE, lee.cookie.as_deref().unwrap())
        .header(header::ACCEPT, "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let upload: String = response.json().await.unwrap();
    Fixture {
        pack: first["SharePackId"].as_str().unwrap().to_string(),
        queued: first["RunId"].as_str().unwrap().to_string(),
        cancelled,
        upload,
    }
}

/// Asks `route` as `who`; the answer in the table's terms, and the body.
async fn ask(portal: &Portal, route: &str, who: &Person, ids: &Fixture, index: usize) -> (String, String) {
    let (method, path) = route.split_once(' ').unwrap();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = &portal.url;
    let fresh = uuid::Uuid::new_v4().to_string();
    let page = |path: String| {
        let mut request = client.get(format!("{base}{path}")).header(header::ACCEPT, "text/html");
        if let Some(cookie) = &who.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request
    };
    let rest = |method: &str, path: String| {
        let mut request = match method {
            "GET" => client.get(format!("{base}{path}")),
            "DELETE" => client.delete(format!("{base}{path}")),
            "PUT" => client.put(format!("{base}{path}")),
            _ => client.post(format!("{base}{path}")),
        };
        if let Some(token) = &who.token {
            request = request.bearer_auth(token);
        }
        request
    };
    let function = |endpoint: &str, cookie: &Option<String>, fields: Vec<(&str, String)>| {
        let mut request = client.post(format!("{base}{endpoint}")).header(header::ACCEPT, "application/json").form(&fields);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request
    };
    let unique = format!("Matrix {index} {}", who.email.split('@').next().unwrap());
    let file =
        |bytes: Vec<u8>| reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("legal.yaml"));
    let request = match (method, path) {
        ("GET", "/")
        | ("GET", "/sharepacks")
        | ("GET", "/signin")
        | ("GET", "/tokens")
        | ("GET", "/admin/people")
        | ("GET", "/approvals")
        | ("GET", "/audit")
        | ("GET", "/drift") => page(path.to_string()),
        ("GET", "/access") => page("/access?table=catalog.schema.revenue_table".into()),
        ("POST", "/api/ask_access") => function(path, &who.cookie, vec![("table", "catalog.schema.revenue_table".into())]),
        ("GET", "/uploads/{id}") => page(format!("/uploads/{}", ids.upload)),
        ("GET", "/browse/{kind}") => page("/browse/shares?q=contracts".into()),
        ("GET", "/history/{kind}/{id}") => page(format!("/history/sharepacks/{}?from=1&to=1", ids.pack)),
        ("POST", "/api/get_timeline") => function(path, &who.cookie, vec![("kind", "sharepacks".into()), ("id", ids.pack.clone())]),
        ("POST", "/api/get_comparison") => function(
            path,
            &who.cookie,
            vec![("kind", "sharepacks".into()), ("id", ids.pack.clone()), ("from", "1".into()), ("to", "1".into())],
        ),
        ("GET", "/runs/{id}") => page(format!("/runs/{}", ids.queued)),
        ("GET", "/sharepacks/{id}") => page(format!("/sharepacks/{}", ids.pack)),
        ("GET", "/sharepacks/{id}/compare") => page(format!("/sharepacks/{}/compare?from=1&to=1", ids.pack)),
        ("GET", "/sharepacks/{id}/files/{version}") => page(format!("/sharepacks/{}/files/1", ids.pack)),
        ("GET", "/setup/{secret}") => page("/setup/no-such-link".into()),
        ("GET", "/invite/{secret}") => page("/invite/no-such-link".into()),
        ("POST", "/api/sign_out") => function(path, &who.spare, vec![]),
        ("POST", "/api/sign_in") => {
            function(path, &who.cookie, vec![("email", "x@example.com".into()), ("password", "not the password".into())])
        }
        ("POST", "/api/get_link") => function(path, &who.cookie, vec![("secret", "no-such-link".into())]),
        ("POST", "/api/complete_setup") => function(
            path,
            &who.cookie,
            vec![
                ("secret", "no-such-link".into()),
                ("email", "x@example.com".into()),
                ("display_name", "X".into()),
                ("password", "a long enough password".into()),
            ],
        ),
        ("POST", "/api/accept_invitation") => {
            function(path, &who.cookie, vec![("secret", "no-such-link".into()), ("password", "a long enough password".into())])
        }
        ("POST", "/api/create_token") => {
            function(path, &who.cookie, vec![("name", "m".into()), ("days", "1".into()), ("read", "true".into())])
        }
        ("POST", "/api/revoke_token") => function(path, &who.cookie, vec![("id", fresh)]),
        ("POST", "/api/add_person") => {
            function(path, &who.cookie, vec![("email", format!("new{index}@example.com")), ("role", "auditor".into())])
        }
        ("POST", "/api/revoke_grant") => function(path, &who.cookie, vec![("user_id", fresh), ("role", "auditor".into())]),
        ("POST", "/api/invite_again") => function(path, &who.cookie, vec![("user_id", fresh)]),
        ("POST", "/api/upload_pack") => {
            let mut request =
                client.post(format!("{base}{path}")).header(header::ACCEPT, "application/json").multipart(file(legal_pack(&unique)));
            if let Some(cookie) = &who.cookie {
                request = request.header(header::COOKIE, cookie);
            }
            request
        }
        ("POST", "/api/get_upload") | ("POST", "/api/submit_upload") => function(path, &who.cookie, vec![("id", ids.upload.clone())]),
        ("POST", "/api/get_run") | ("POST", "/api/retry_run") | ("POST", "/api/claim_links") => {
            function(path, &who.cookie, vec![("id", ids.queued.clone())])
        }
        ("POST", "/api/start_sync") => function(path, &who.cookie, vec![("kind", "OBJECTS".into())]),
        ("POST", "/api/cancel_run") => function(path, &who.cookie, vec![("id", ids.cancelled.clone())]),
        ("POST", "/api/approve_run") | ("POST", "/api/reject_run") => {
            function(path, &who.cookie, vec![("id", ids.queued.clone()), ("digest", String::new()), ("comment", "matrix".into())])
        }
        ("POST", "/api/delete_draft") => function(path, &who.cookie, vec![("id", ids.pack.clone()), ("version", "1".into())]),
        ("POST", "/api/rollback_pack") => function(path, &who.cookie, vec![("id", ids.pack.clone()), ("version", "1".into())]),
        ("POST", "/api/list_entities") => function(path, &who.cookie, vec![("kind", "sharepacks".into())]),
        ("POST", "/api/get_pack_comparison") => {
            function(path, &who.cookie, vec![("id", ids.pack.clone()), ("from", "1".into()), ("to", "1".into())])
        }
        ("POST", "/api/get_source_file") => function(path, &who.cookie, vec![("id", ids.pack.clone()), ("version", "1".into())]),
        ("POST", "/api/get_share_pack") => function(path, &who.cookie, vec![("id", ids.pack.clone())]),
        ("POST", "/api/choose_notification") => {
            function(path, &who.cookie, vec![("kind", "RUN_FINISHED".into()), ("enabled", "false".into())])
        }
        ("POST", "/api/restore_pack") | ("POST", "/api/adopt_workspace") => function(path, &who.cookie, vec![("id", ids.pack.clone())]),
        ("POST", _) if path.starts_with("/api/") => function(path, &who.cookie, vec![]),
        ("GET", "/workflow/health") => rest("GET", path.to_string()),
        ("POST", "/workflow/sharepack/validate") | ("POST", "/workflow/sharepack/plan") => {
            rest("POST", path.to_string()).multipart(file(legal_pack("Contracts")))
        }
        ("POST", "/workflow/sharepack/upload") | ("POST", "/workflow/sharepack/batch/upload") => {
            rest("POST", path.to_string()).multipart(file(legal_pack(&unique)))
        }
        ("POST", "/workflow/sharepack/batch/validate") | ("POST", "/workflow/sharepack/batch/plan") => {
            rest("POST", path.to_string()).multipart(file(legal_pack("Contracts")))
        }
        ("GET", "/workflow/sharepack/{id}") => rest("GET", format!("/workflow/sharepack/{}", ids.pack)),
        ("POST", "/workflow/runs/{id}/cancel") => rest("POST", format!("/workflow/runs/{}/cancel", ids.cancelled)),
        ("POST", "/workflow/runs/{id}/retry") => rest("POST", format!("/workflow/runs/{}/retry", ids.queued)),
        ("POST", "/workflow/runs/{id}/activation-links") => rest("POST", format!("/workflow/runs/{}/activation-links", ids.queued)),
        ("GET", "/workflow/approvals") | ("GET", "/workflow/audit") => rest("GET", path.to_string()),
        ("GET", "/workflow/sharepacks/{id}/uploads/{version}") => rest("GET", format!("/workflow/sharepacks/{}/uploads/1", ids.pack)),
        (
            "GET",
            "/workflow/sharepacks"
            | "/workflow/recipients"
            | "/workflow/shares"
            | "/workflow/tenants"
            | "/workflow/projects"
            | "/workflow/requests",
        ) => rest("GET", path.to_string()),
        ("GET", "/workflow/access") => rest("GET", "/workflow/access?table=catalog.schema.revenue_table".into()),
        ("DELETE", "/workflow/sharepacks/{id}/uploads/{version}") => rest("DELETE", format!("/workflow/sharepacks/{}/uploads/1", ids.pack)),
        ("GET", "/workflow/sharepacks/{id}/compare") => rest("GET", format!("/workflow/sharepacks/{}/compare?from=1&to=1", ids.pack)),
        ("POST", "/workflow/sharepacks/{id}/rollback") => {
            rest("POST", format!("/workflow/sharepacks/{}/rollback", ids.pack)).json(&serde_json::json!({"Version": 1}))
        }
        ("GET", "/workflow/sharepacks/{id}/export") => rest("GET", format!("/workflow/sharepacks/{}/export", ids.pack)),
        ("POST", "/workflow/runs/{id}/approve") => {
            rest("POST", format!("/workflow/runs/{}/approve", ids.queued)).json(&serde_json::json!({}))
        }
        ("POST", "/workflow/runs/{id}/reject") => {
            rest("POST", format!("/workflow/runs/{}/reject", ids.queued)).json(&serde_json::json!({"Comment": "matrix"}))
        }
        ("GET", history) if history.starts_with("/workflow/") && (history.ends_with("/versions") || history.ends_with("/diff")) => {
            let id = if history.starts_with("/workflow/sharepacks/") { ids.pack.clone() } else { fresh.clone() };
            rest("GET", format!("{}?from=1&to=1", history.replace("{id}", &id)))
        }
        ("POST", "/workflow/sharepacks/{id}/restore" | "/workflow/sharepacks/{id}/adopt") => rest("POST", path.replace("{id}", &ids.pack)),
        ("POST", "/workflow/drift") => rest("POST", path.to_string()),
        ("GET", "/workflow/drift" | "/workflow/drift/unmanaged" | "/workflow/sync-jobs") => rest("GET", path.to_string()),
        ("GET", "/workflow/sync-jobs/{id}") => rest("GET", format!("/workflow/sync-jobs/{fresh}")),
        ("POST", "/workflow/sync-jobs") => rest("POST", path.to_string()).json(&serde_json::json!({"Kind": "OBJECTS"})),
        ("GET", "/workflow/objects") => rest("GET", "/workflow/objects?prefix=catalog.".into()),
        ("GET", "/workflow/notifications" | "/workflow/notifications/preferences") => rest("GET", path.to_string()),
        ("PUT", "/workflow/notifications/preferences") => rest("PUT", path.to_string()).json(&serde_json::json!({"Preferences": []})),
        ("GET", "/runs/{id}/events") => rest("GET", format!("/runs/{}/events", ids.queued)),
        ("GET", "/metrics") | ("GET", "/openapi.json") => rest("GET", path.to_string()),
        ("GET", "/templates/{file}") => rest("GET", "/templates/sharepack-template.yaml".into()),
        ("GET", "/samples/{*path}") => rest("GET", "/samples/valid/minimal.yaml".into()),
        ("GET", "/auth/oidc/start") | ("GET", "/auth/oidc/callback") => rest("GET", path.to_string()),
        ("ANY", "/sandbox") => rest("GET", "/sandbox/api/2.1/unity-catalog/recipients".into()),
        _ => panic!("no request for {route}: add one to `ask`"),
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    // Streams stay open: the status is the answer.
    let body = if path.ends_with("/events") && status == 200 { String::new() } else { response.text().await.unwrap_or_default() };
    let hidden = match status {
        404 => !path.starts_with("/api/") && !path.starts_with("/setup") && !path.starts_with("/invite") && !path.starts_with("/auth/"),
        200 => path.starts_with("/api/get_") && body.trim() == "null",
        _ => false,
    };
    if path.contains("/batch/") && status == 200 {
        let batch: serde_json::Value = serde_json::from_str(&body).unwrap();
        return (format!("B{}", batch["Results"][0]["Status"]), body);
    }
    (if hidden { "H".to_string() } else { status.to_string() }, body)
}

async fn every_route_answers_every_role_as_the_table_says(stack: Stack) {
    let Some(portal) = Portal::start(stack, &[], 0).await else { return };
    let table: BTreeMap<&str, Vec<&str>> = TABLE.iter().map(|(route, answers)| (*route, answers.split(' ').collect())).collect();
    let served = routes();
    let listed: BTreeSet<String> = table.keys().map(|route| route.to_string()).collect();
    assert_eq!(served.difference(&listed).collect::<Vec<_>>(), Vec::<&String>::new(), "routes without an entry in the table");
    assert_eq!(listed.difference(&served).collect::<Vec<_>>(), Vec::<&String>::new(), "entries for routes the portal does not serve");

    let nobody = Person { email: "nobody@example.com", cookie: None, spare: None, token: None };
    let lee = person(&portal, "lee@example.com", Grant::new(Role::Requester, Some("Legal"))).await;
    let fin = person(&portal, "fin@example.com", Grant::new(Role::Requester, Some("Finance"))).await;
    let apo = person(&portal, "apo@example.com", Grant::new(Role::Approver, Some("Legal"))).await;
    let aud = person(&portal, "aud@example.com", Grant::everywhere(Role::Auditor)).await;
    let adm = person(&portal, "adm@example.com", Grant::everywhere(Role::Admin)).await;
    let ids = fixture(&portal, &lee).await;
    let people = [&nobody, &lee, &fin, &apo, &aud, &adm];

    let mut wrong = Vec::new();
    let mut index = 0;
    for (route, expected) in &table {
        for (who, (person, wanted)) in WHO.iter().zip(people.iter().zip(expected)) {
            index += 1;
            let (got, body) = ask(&portal, route, person, &ids, index).await;
            if got != *wanted {
                wrong.push(format!("{route} as {who}: {got}, not {wanted}: {}", body.chars().take(200).collect::<String>()));
            }
            // What a list shows is filtered too: Lee's projects are nowhere in Fin's lists.
            if matches!(*route, "GET /sharepacks" | "POST /api/list_entities") && got == "200" {
                let shows = body.contains("Contracts");
                if shows != (*who != "other") {
                    wrong.push(format!("{route} as {who}: shows Lee's pack: {shows}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} answers differ from the table:\n{}", wrong.len(), wrong.join("\n"));
}

sharepack_engine::on_both_stacks!(every_route_answers_every_role_as_the_table_says);
