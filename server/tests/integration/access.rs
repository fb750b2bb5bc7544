//! Who may do what, over HTTP: credentials (sessions, tokens) and their ends, the sign-in form,
//! cross-origin refusal, the requestor rule, isolation between business lines, rate limits,
//! the open REST mode, and the command line's users and tokens.

use crate::support::{bearer_client, make_token, Portal, TESTERS};
use reqwest::header;
use reqwest::redirect::Policy;
use serde_json::Value;
use sharepack_engine::access::{Grant, Role};
use sharepack_engine::store::testing::sample;
use sharepack_engine::store::Store;

fn plain() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

fn file_form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()))
}

async fn exec(store: &Store, sql: &'static str) {
    match store {
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap();
}

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn requests_without_good_credentials_get_401_and_pages_send_people_to_sign_in() {
    let portal = Portal::embedded(&[]).await;
    let status = format!("{}/workflow/sharepack/{}", portal.url, uuid::Uuid::new_v4());
    let response = plain().get(&status).send().await.unwrap();
    assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer realm=\"sharepack\"");
    let (code, body) = json(response).await;
    assert_eq!((code, body["Code"].as_str()), (401, Some("unauthenticated")), "{body}");
    let unknown = sharepack_engine::access::secret::token();
    for token in ["spk_not-a-real-token", "something else", unknown.expose()] {
        let (code, body) = json(bearer_client(token).get(&status).send().await.unwrap()).await;
        assert_eq!((code, body["Code"].as_str()), (401, Some("token_invalid")), "{token}: {body}");
    }
    let (code, _) = json(portal.client_as(TESTERS[0]).get(&status).send().await.unwrap()).await;
    assert_eq!(code, 404, "a good token gets through");

    let page = plain().get(format!("{}/sharepacks?x=1", portal.url)).header(header::ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(page.headers()[header::LOCATION], "/signin?next=%2Fsharepacks%3Fx%3D1");
    let signin = plain().get(format!("{}/signin", portal.url)).header(header::ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(signin.status().as_u16(), 200);
    let events = plain().get(format!("{}/runs/{}/events", portal.url, uuid::Uuid::new_v4())).send().await.unwrap();
    assert_eq!(events.status().as_u16(), 401, "event streams need sign-in too");
    let templates = plain().get(format!("{}/templates/sharepack-template.yaml", portal.url)).send().await.unwrap();
    assert_eq!(templates.status().as_u16(), 200, "templates are for anyone");
}

#[tokio::test]
async fn revoked_and_expired_tokens_stop_working_and_scopes_limit_them() {
    let portal = Portal::embedded(&[]).await;
    let by = sharepack_engine::access::Principal::operator();
    let scopes = "read".parse().unwrap();
    let (read_only, info) =
        sharepack_engine::access::tokens::create(&portal.store, &by, Some(TESTERS[0]), "read only", &scopes, 30).await.unwrap();
    let client = bearer_client(read_only.expose());
    let upload = || file_form("finance.yaml", sample("valid/finance.yaml"));
    let (code, body) =
        json(client.post(format!("{}/workflow/sharepack/upload", portal.url)).multipart(upload()).send().await.unwrap()).await;
    assert_eq!((code, body["Code"].as_str()), (403, Some("scope_missing")), "{body}");
    assert!(body["Message"].as_str().unwrap().contains("needs the submit scope"), "{body}");
    let status = format!("{}/workflow/sharepack/{}", portal.url, uuid::Uuid::new_v4());
    assert_eq!(client.get(&status).send().await.unwrap().status().as_u16(), 404, "reading is in scope");
    let stored = portal.store.tokens_of(portal.store.account_by_email(TESTERS[0]).await.unwrap().unwrap().user_id).await.unwrap();
    assert!(stored.iter().any(|token| token.name == "read only" && token.last_used_at.is_some()), "last use is kept");
    assert!(info.hint.starts_with("spk_") && !info.hint.contains(&read_only.expose()[10..]), "the hint is not the token");

    exec(&portal.store, "UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE name = 'read only'").await;
    let (code, body) = json(client.get(&status).send().await.unwrap()).await;
    assert_eq!((code, body["Code"].as_str()), (401, Some("token_invalid")), "expired: {body}");

    let john = portal.store.account_by_email(TESTERS[0]).await.unwrap().unwrap();
    let tokens = portal.store.tokens_of(john.user_id).await.unwrap();
    let tests = tokens.iter().find(|token| token.name == "tests").unwrap();
    assert!(portal.store.revoke_token(john.user_id, tests.id, chrono::Utc::now()).await.unwrap());
    let (code, _) = json(portal.client_as(TESTERS[0]).get(&status).send().await.unwrap()).await;
    assert_eq!(code, 401, "revoked");
}

/// Signs in through the form as a browser without JavaScript would; the session cookie.
async fn sign_in(portal: &Portal, email: &str, password: &str) -> reqwest::Response {
    plain()
        .post(format!("{}/api/sign_in", portal.url))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, format!("{}/signin", portal.url))
        .form(&[("email", email), ("password", password), ("next", "/sharepacks")])
        .send()
        .await
        .unwrap()
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|cookie| cookie.contains("sharepack_session="))
        .map(str::to_string)
}

#[tokio::test]
async fn sessions_start_with_a_password_and_end_when_idle_past_their_time_or_signed_out() {
    let portal = Portal::embedded(&[]).await;
    let added = sharepack_engine::access::people::add_person(
        &portal.store,
        &sharepack_engine::access::Principal::operator(),
        "ada@example.com",
        "Ada",
        &[Grant::new(Role::Requester, Some("Legal"))],
    )
    .await
    .unwrap();
    let invitation = added.invitation.expect("a new account gets an invitation");
    sharepack_engine::access::people::accept_invitation(&portal.store, invitation.expose(), "correct horse battery").await.unwrap();
    assert!(
        sharepack_engine::access::people::accept_invitation(&portal.store, invitation.expose(), "another good password").await.is_err(),
        "once"
    );

    for (email, password) in [("ada@example.com", "wrong password here"), ("nobody@example.com", "correct horse battery")] {
        let refused = sign_in(&portal, email, password).await;
        assert_eq!(refused.status().as_u16(), 302, "a failed form post goes back to its page");
        let location = refused.headers()[header::LOCATION].to_str().unwrap().to_string();
        assert!(location.contains("/signin") && location.contains("__err="), "{location}");
        assert!(session_cookie(&refused).is_none());
    }
    let signed_in = sign_in(&portal, "ADA@example.com ", "correct horse battery").await;
    assert_eq!((signed_in.status().as_u16(), signed_in.headers()[header::LOCATION].to_str().unwrap()), (302, "/sharepacks"));
    let cookie = session_cookie(&signed_in).expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let id = pair.split_once('=').unwrap().1.to_string();
    let page = |pair: String| {
        let url = format!("{}/sharepacks", portal.url);
        async move { plain().get(url).header(header::ACCEPT, "text/html").header(header::COOKIE, pair).send().await.unwrap() }
    };
    assert_eq!(page(pair.clone()).await.status().as_u16(), 200);
    let stored = portal.store.session(&sharepack_engine::access::secret::digest(&id)).await.unwrap();
    assert!(stored.is_some(), "the session is kept by the digest of its id");

    exec(&portal.store, "UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00.000000Z'").await;
    let idle = page(pair.clone()).await;
    assert_eq!(idle.status().as_u16(), 303);
    assert!(idle.headers()[header::LOCATION].to_str().unwrap().starts_with("/signin?expired=1&next="), "idle sessions end");
    assert!(session_cookie(&idle).is_some_and(|cookie| cookie.contains("Max-Age=0")), "and the cookie is cleared");

    let again = session_cookie(&sign_in(&portal, "ada@example.com", "correct horse battery").await).unwrap();
    let pair = again.split(';').next().unwrap().to_string();
    exec(&portal.store, "UPDATE sessions SET expires_at = created_at").await;
    assert_eq!(page(pair).await.status().as_u16(), 303, "sessions end at their absolute expiry however active");

    let third = session_cookie(&sign_in(&portal, "ada@example.com", "correct horse battery").await).unwrap();
    let pair = third.split(';').next().unwrap().to_string();
    let out = plain()
        .post(format!("{}/api/sign_out", portal.url))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, pair.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 302);
    assert_eq!(page(pair).await.status().as_u16(), 303, "signed out");

    let secure = Portal::embedded(&[("SHAREPACK_PUBLIC_URL", "https://sharepack.example.com")]).await;
    sharepack_engine::access::people::add_person(
        &secure.store,
        &sharepack_engine::access::Principal::operator(),
        "ada@example.com",
        "",
        &[Grant::everywhere(Role::Auditor)],
    )
    .await
    .unwrap();
    let account = secure.store.account_by_email("ada@example.com").await.unwrap().unwrap();
    secure
        .store
        .set_password_hash(account.user_id, &sharepack_engine::access::secret::hash_password("correct horse battery").unwrap())
        .await
        .unwrap();
    let cookie = session_cookie(&sign_in(&secure, "ada@example.com", "correct horse battery").await).unwrap();
    assert!(cookie.starts_with("__Host-sharepack_session=") && cookie.contains("; Secure"), "over HTTPS: {cookie}");
}

#[tokio::test]
async fn state_changing_requests_from_other_origins_are_refused() {
    let portal = Portal::embedded(&[]).await;
    let token = format!("Bearer {}", portal.token_for(TESTERS[0]));
    let cancel = format!("{}/api/cancel_run", portal.url);
    let host = portal.url.trim_start_matches("http://").to_string();
    for (name, value) in [("sec-fetch-site", "cross-site"), ("sec-fetch-site", "same-site"), ("origin", "http://127.0.0.1:1")] {
        let response = plain()
            .post(&cancel)
            .header(header::AUTHORIZATION, &token)
            .header(name, value)
            .form(&[("id", uuid::Uuid::new_v4().to_string())])
            .send()
            .await
            .unwrap();
        let (code, body) = json(response).await;
        assert_eq!((code, body["Code"].as_str()), (403, Some("cross_origin")), "{name}: {value}: {body}");
    }
    let same = plain()
        .post(&cancel)
        .header(header::AUTHORIZATION, &token)
        .header("origin", format!("http://{host}"))
        .header(header::ACCEPT, "application/json")
        .form(&[("id", uuid::Uuid::new_v4().to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(same.status().as_u16(), 404, "the portal's own pages get through (to an unknown run)");
}

#[tokio::test]
async fn the_requestor_is_whoever_submits_and_business_lines_are_kept_apart() {
    let portal = Portal::embedded(&[]).await;
    let upload = |client: reqwest::Client, name: &'static str, bytes: Vec<u8>| {
        let url = format!("{}/workflow/sharepack/upload", portal.url);
        async move { json(client.post(url).multipart(file_form(name, bytes)).send().await.unwrap()).await }
    };
    // Left out, the requestor is the signed-in person.
    let anonymous = String::from_utf8(sample("valid/minimal.yaml")).unwrap().replace("  requestor: ann@example.com\n", "");
    let (code, body) = upload(portal.client_as(TESTERS[0]), "minimal.yaml", anonymous.into_bytes()).await;
    assert_eq!(code, 202, "{body}");
    let id = body["SharePackId"].as_str().unwrap().to_string();
    let (_, status) = json(portal.client_as(TESTERS[0]).get(format!("{}/workflow/sharepack/{id}", portal.url)).send().await.unwrap()).await;
    assert_eq!(status["RequestedBy"], "john.doe@jll.com", "{status}");
    // Someone else's name is a located error, and nothing is stored.
    let (code, body) = upload(portal.client_as(TESTERS[0]), "minimal.yaml", sample("valid/minimal.yaml")).await;
    assert_eq!(
        (code, body["Code"].as_str(), body["Location"].as_str()),
        (400, Some("requestor_not_you"), Some("line 3, column 14")),
        "{body}"
    );

    // A requester for Legal only: the Examples pack is not theirs to submit, nor to see.
    let legal = make_token(&portal.store, "lee@example.com", &[Grant::new(Role::Requester, Some("Legal"))]).await;
    let pack = String::from_utf8(sample("valid/minimal.yaml")).unwrap().replace("ann@example.com", "lee@example.com");
    let (code, body) = upload(bearer_client(&legal), "minimal.yaml", pack.clone().into_bytes()).await;
    assert_eq!(
        (code, body["Code"].as_str(), body["Location"].as_str()),
        (403, Some("business_line_not_yours"), Some("line 5, column 18")),
        "{body}"
    );
    assert!(body["Message"].as_str().unwrap().contains("requester role for business line Examples"), "{body}");
    let (code, _) = json(bearer_client(&legal).get(format!("{}/workflow/sharepack/{id}", portal.url)).send().await.unwrap()).await;
    assert_eq!(code, 404, "another business line's pack is not found, exactly like an unknown one");
    let (code, body) =
        upload(bearer_client(&legal), "legal.yaml", pack.replace("Examples", "Legal").replace("partner", "counsel").into_bytes()).await;
    assert_eq!(code, 202, "their own business line: {body}");

    // Lee drops the Examples pack on the page: the preview says it is not theirs, and the upload
    // stays Lee's alone (not shown to the Examples business line).
    let form = file_form("minimal.yaml", pack.clone().into_bytes());
    let response = bearer_client(&legal)
        .post(format!("{}/api/upload_pack", portal.url))
        .header(header::ACCEPT, "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let upload: String = response.json().await.unwrap();
    let get = |token: String| {
        let url = format!("{}/api/get_upload", portal.url);
        let id = upload.clone();
        async move {
            bearer_client(&token)
                .post(url)
                .header(header::ACCEPT, "application/json")
                .form(&[("id", id)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let seen = get(legal.clone()).await;
    let findings = seen["outcome"]["Read"]["Findings"].as_array().unwrap_or_else(|| panic!("{seen}"));
    assert!(findings.iter().any(|finding| finding["Code"] == "business_line_not_yours"), "{seen}");
    let examples = make_token(&portal.store, "exa@example.com", &[Grant::new(Role::Requester, Some("Examples"))]).await;
    assert!(get(examples).await.is_null(), "the Examples business line does not see Lee's attempt");

    // Lists show only what one may see.
    let list = |token: String| {
        let url = format!("{}/api/list_entities", portal.url);
        async move {
            let response = bearer_client(&token)
                .post(url)
                .header(header::ACCEPT, "application/json")
                .form(&[("kind", "sharepacks")])
                .send()
                .await
                .unwrap();
            let page: Value = response.json().await.unwrap();
            page["Rows"].as_array().unwrap().iter().map(|row| row["Data"]["project_name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(list(legal.clone()).await, vec!["Minimal".to_string()], "Lee sees the Legal pack only");
    let all = list(portal.token_for(TESTERS[0]).to_string()).await;
    assert_eq!(all.len(), 2, "John, a requester everywhere, sees both: {all:?}");
}

#[tokio::test]
async fn uploads_and_plans_are_rate_limited_per_person() {
    let portal = Portal::embedded(&[("SHAREPACK_RATE_PER_MINUTE", "2")]).await;
    let validate = |client: reqwest::Client| {
        let url = format!("{}/workflow/sharepack/validate", portal.url);
        async move { client.post(url).multipart(file_form("finance.yaml", sample("valid/finance.yaml"))).send().await.unwrap() }
    };
    for _ in 0..2 {
        assert_eq!(validate(portal.client_as(TESTERS[0])).await.status().as_u16(), 200);
    }
    let limited = validate(portal.client_as(TESTERS[0])).await;
    assert_eq!(limited.status().as_u16(), 429);
    let wait: u64 = limited.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    let (_, body) = json(limited).await;
    assert_eq!(body["Code"], "rate_limited");
    assert_eq!(validate(portal.client_as(TESTERS[1])).await.status().as_u16(), 200, "others are not held up");
}

#[tokio::test]
async fn the_open_rest_mode_says_so_and_records_nobody_in_particular() {
    let portal = Portal::embedded(&[("SHAREPACK_OPEN_REST", "true")]).await;
    let (_, health) = json(plain().get(format!("{}/workflow/health", portal.url)).send().await.unwrap()).await;
    assert_eq!(health["Auth"]["Rest"], "open");
    assert!(health["Auth"]["Warning"].as_str().unwrap().contains("without credentials"), "{health}");
    let response = plain()
        .post(format!("{}/workflow/sharepack/upload", portal.url))
        .multipart(file_form("minimal.yaml", sample("valid/minimal.yaml")))
        .send()
        .await
        .unwrap();
    let (code, body) = json(response).await;
    assert_eq!(code, 202, "{body}");
    let run = uuid::Uuid::parse_str(body["RunId"].as_str().unwrap()).unwrap();
    assert_eq!(portal.store.load_run(run).await.unwrap().unwrap().requested_by, "anonymous");
    let page = plain().get(format!("{}/sharepacks", portal.url)).header(header::ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303, "the pages still need sign-in");

    let closed = Portal::embedded(&[]).await;
    let (_, health) = json(plain().get(format!("{}/workflow/health", closed.url)).send().await.unwrap()).await;
    assert_eq!((health["Auth"]["Rest"].as_str(), health["Auth"].get("Warning")), (Some("bearer"), None), "{health}");
}

#[tokio::test]
async fn the_command_line_adds_people_and_makes_tokens_the_portal_accepts() {
    let dir = sharepack_engine::store::testing::TempDir::new("sharepack-cli");
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sharepack"))
            .args(args)
            .env("SHAREPACK_DATA_DIR", &dir.0)
            .env("RUST_LOG", "error")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).trim().to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (code, link, note) = cli(&["users", "add", "Lee@Example.com", "--role", "requester", "--business-line", "Examples"]);
    assert_eq!(code, Some(0), "{note}");
    assert!(link.contains("/invite/") && note.contains("added lee@example.com as requester for Examples"), "{link} {note}");
    let (code, _, note) = cli(&["users", "add", "lee@example.com", "--role", "owner"]);
    assert_eq!(code, Some(1));
    assert!(note.contains("`owner` is not a role"), "{note}");
    let (code, token, note) =
        cli(&["tokens", "create", "--user", "lee@example.com", "--name", "ci", "--scope", "read,submit", "--expires", "7"]);
    assert_eq!(code, Some(0), "{note}");
    assert!(sharepack_engine::access::secret::is_token(&token) && note.contains("not shown again"), "{token} {note}");
    let (code, _, note) = cli(&["tokens", "create", "--user", "nobody@example.com", "--name", "ci", "--scope", "read", "--expires", "7"]);
    assert_eq!(code, Some(1));
    assert!(note.contains("No account has the e-mail nobody@example.com"), "{note}");
    let (_, list, _) = cli(&["users", "list"]);
    assert!(list.contains("lee@example.com\tlocal\trequester for Examples"), "{list}");

    let portal = Portal::start_in(&dir.0, sharepack_engine::store::testing::Stack::Embedded, &[], 0).await.unwrap();
    let pack = String::from_utf8(sample("valid/minimal.yaml")).unwrap().replace("ann@example.com", "lee@example.com");
    let response = bearer_client(&token)
        .post(format!("{}/workflow/sharepack/upload", portal.url))
        .multipart(file_form("minimal.yaml", pack.into_bytes()))
        .send()
        .await
        .unwrap();
    let (code, body) = json(response).await;
    assert_eq!(code, 202, "the CLI's token works on the portal: {body}");
    let trail = portal.store.audit_of(uuid::Uuid::parse_str(body["RunId"].as_str().unwrap()).unwrap()).await.unwrap();
    assert!(trail.iter().all(|entry| entry.actor == "lee@example.com"), "{trail:?}");
    drop(portal);

    // Disabling locks Lee out at once: the token stops working.
    let (code, _, note) = cli(&["users", "disable", "lee@example.com"]);
    assert_eq!(code, Some(0), "{note}");
    let portal = Portal::start_in(&dir.0, sharepack_engine::store::testing::Stack::Embedded, &[], 0).await.unwrap();
    let status = bearer_client(&token).get(format!("{}/workflow/sharepack/{}", portal.url, uuid::Uuid::new_v4())).send().await.unwrap();
    assert_eq!(status.status().as_u16(), 401, "a disabled person's token is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_another_business_line_made_cannot_be_reached_through_a_pack() {
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50"), ("SHAREPACK_RETRY_DELAY_MS", "100")];
    let portal = Portal::start(sharepack_engine::store::testing::Stack::Embedded, &vars, 1).await.unwrap();
    let lee = make_token(&portal.store, "lee@example.com", &[Grant::new(Role::Requester, Some("Legal"))]).await;
    let fin = make_token(&portal.store, "fin@example.com", &[Grant::new(Role::Requester, Some("Finance"))]).await;
    let pack = |line: &str, project: &str| {
        format!("metadata:\n  project_name: {project}\n  business_line: {line}\nrecipient:\n  - name: counsel\n    type: D2O\n    email: c@example.org\nshare:\n  - name: contracts\n    recipients: [counsel]\n    data_objects: [catalog.schema.revenue_table]\n")
            .into_bytes()
    };
    let post = |token: String, endpoint: &'static str, bytes: Vec<u8>| {
        let url = format!("{}/workflow/sharepack/{endpoint}", portal.url);
        async move { json(bearer_client(&token).post(url).multipart(file_form("pack.yaml", bytes)).send().await.unwrap()).await }
    };
    let (code, body) = post(lee.clone(), "upload", pack("Legal", "Contracts")).await;
    assert_eq!(code, 202, "{body}");
    let id = body["SharePackId"].as_str().unwrap().to_string();
    let started = std::time::Instant::now();
    loop {
        let (_, status) = json(bearer_client(&lee).get(format!("{}/workflow/sharepack/{id}", portal.url)).send().await.unwrap()).await;
        if status["Status"] == "COMPLETED" {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{status}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Finance names Legal's share and recipient: refused, where they are written, before any plan is read.
    for endpoint in ["validate", "plan", "upload"] {
        let (code, body) = post(fin.clone(), endpoint, pack("Finance", "Raid")).await;
        assert_eq!((code, body["Code"].as_str()), (403, Some("owned_by_another_business_line")), "{endpoint}: {body}");
        assert_eq!(body["Location"], "line 5, column 5", "{endpoint}: the recipient's line: {body}");
    }
    let (code, body) = post(lee, "plan", pack("Legal", "Contracts")).await;
    assert_eq!(code, 200, "Legal still plans its own: {body}");
}

/// Metadata longer than the store keeps is a located 400 on every edge and either database (the
/// owner columns are 255 characters), never a database error.
async fn overlong_metadata_is_refused_where_it_is_written(stack: sharepack_engine::store::testing::Stack) {
    let Some(portal) = Portal::start(stack, &[], 0).await else { return };
    let long = "L".repeat(300);
    let pack = format!("metadata:\n  project_name: P\n  business_line: {long}\nrecipient:\n  - name: r\n    type: D2O\n    email: r@example.org\nshare:\n  - name: s\n    recipients: [r]\n    data_objects: [catalog.schema.revenue_table]\n");
    let everywhere = make_token(&portal.store, "all@example.com", &[Grant::everywhere(Role::Requester)]).await;
    let client = bearer_client(&everywhere);
    let response = client
        .post(format!("{}/workflow/sharepack/upload", portal.url))
        .multipart(file_form("p.yaml", pack.clone().into_bytes()))
        .send()
        .await
        .unwrap();
    let (code, body) = json(response).await;
    assert_eq!(code, 400, "{body}");
    let errors = body["ValidationErrors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|error| error.as_str().unwrap().contains("line 3, column 18") && error.as_str().unwrap().contains("300 characters")),
        "{body}"
    );
    let response = client
        .post(format!("{}/api/upload_pack", portal.url))
        .header(header::ACCEPT, "application/json")
        .multipart(file_form("p.yaml", pack.into_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "the page keeps the upload and shows the finding");
}

sharepack_engine::on_both_stacks!(overlong_metadata_is_refused_where_it_is_written);
