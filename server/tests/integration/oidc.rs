//! Sign-in through a real OpenID Connect provider (node-oidc-provider, started by the test
//! command as SHAREPACK_TEST_OIDC; these tests skip without it): authorization code with PKCE
//! end to end, groups mapped to roles, a tampered ID token refused, a state used twice refused.

use crate::support::Portal;
use reqwest::header;
use serde_json::Value;

fn issuer() -> Option<String> {
    std::env::var("SHAREPACK_TEST_OIDC").ok().filter(|url| !url.is_empty())
}

async fn portal(issuer: &str) -> Portal {
    let roles = r#"{"sp-legal-requesters": "requester:Legal", "sp-auditors": "auditor"}"#;
    let vars = [
        ("SHAREPACK_OIDC_ISSUER", issuer),
        ("SHAREPACK_OIDC_CLIENT_ID", "sharepack"),
        ("SHAREPACK_OIDC_CLIENT_SECRET", "sharepack-test-secret"),
        ("SHAREPACK_OIDC_SCOPES", "openid email profile groups"),
        ("SHAREPACK_OIDC_ROLES", roles),
    ];
    Portal::embedded(&vars).await
}

/// Where a browser ends after signing in as `login` at the provider: the last answer from the
/// portal, and the client holding the cookies.
async fn sign_in(portal: &Portal, login: &str) -> (reqwest::Response, reqwest::Client, Option<String>) {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_provider(jar.clone()).build().unwrap();
    let mut response = client.get(format!("{}/auth/oidc/start?next=/sharepacks", portal.url)).send().await.unwrap();
    let mut state = None;
    for _ in 0..20 {
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            let location = response.headers()[header::LOCATION].to_str().unwrap().to_string();
            let url = if location.starts_with('/') { format!("{}{location}", origin(response.url())) } else { location };
            if url.starts_with(&portal.url) && !url.contains("/auth/oidc/callback") {
                return (response, client, state);
            }
            if let Some(query) = url.split_once("state=").map(|(_, rest)| rest.split('&').next().unwrap().to_string()) {
                if url.contains("/auth/oidc/callback") {
                    state = Some(query);
                }
            }
            response = client.get(url).send().await.unwrap();
            continue;
        }
        // The provider's login or consent page: a form to post.
        let base = origin(response.url());
        let html = response.text().await.unwrap();
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("a form on the provider's page: {html}"))
            .to_string();
        // Its hidden fields (`prompt`), and on the login page a login and any password.
        let mut fields: Vec<(String, String)> = html
            .split("type=\"hidden\" name=\"")
            .skip(1)
            .filter_map(|rest| {
                let (name, rest) = rest.split_once('"')?;
                let value = rest.split_once("value=\"")?.1.split('"').next()?;
                Some((name.to_string(), value.to_string()))
            })
            .collect();
        if html.contains("name=\"login\"") {
            fields.extend([("login".to_string(), login.to_string()), ("password".to_string(), "any".to_string())]);
        }
        let target = if action.starts_with("http") { action } else { format!("{base}{action}") };
        response = client.post(target).form(&fields).send().await.unwrap();
    }
    panic!("the sign-in did not come back to the portal");
}

fn origin(url: &reqwest::Url) -> String {
    format!("{}://{}", url.scheme(), url.host_str().zip(url.port()).map(|(host, port)| format!("{host}:{port}")).unwrap())
}

async fn me(portal: &Portal, client: &reqwest::Client) -> Value {
    let response = client.post(format!("{}/api/who_am_i", portal.url)).header(header::ACCEPT, "application/json").send().await.unwrap();
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_sign_in_at_the_provider_and_their_groups_become_roles() {
    let Some(issuer) = issuer() else { return };
    let portal = portal(&issuer).await;
    let (landed, client, _) = sign_in(&portal, "olga@example.com").await;
    assert_eq!(landed.status().as_u16(), 303);
    assert_eq!(landed.headers()[header::LOCATION], "/sharepacks", "back where they were going");
    let olga = me(&portal, &client).await;
    assert_eq!(olga["email"], "olga@example.com");
    assert_eq!(olga["grants"], serde_json::json!(["requester for Legal"]), "{olga}");
    let account = portal.store.account_by_email("olga@example.com").await.unwrap().unwrap();
    assert_eq!((account.source, account.password_hash), (sharepack_engine::store::Source::Oidc, None));

    let (_, client, _) = sign_in(&portal, "otto@example.com").await;
    assert_eq!(me(&portal, &client).await["grants"], serde_json::json!(["auditor for every business line"]));
    let (_, client, _) = sign_in(&portal, "omar@example.com").await;
    let omar = me(&portal, &client).await;
    assert_eq!(
        (omar["email"].as_str(), omar["grants"].as_array().map(Vec::len)),
        (Some("omar@example.com"), Some(0)),
        "unmapped groups give nothing"
    );
    let list = client
        .post(format!("{}/api/list_entities", portal.url))
        .header(header::ACCEPT, "application/json")
        .form(&[("kind", "sharepacks")])
        .send()
        .await
        .unwrap();
    let (status, body): (u16, Value) = (list.status().as_u16(), list.json().await.unwrap());
    assert_eq!((status, body["code"].as_str()), (403, Some("role_missing")), "{body}");

    // Someone an administrator added (no password yet) is that account at their first sign-in,
    // with the administrator's roles; an account with a password is never taken over by e-mail.
    let operator = sharepack_engine::access::Principal::operator();
    let legal = [sharepack_engine::access::Grant::new(sharepack_engine::access::Role::Approver, Some("Legal"))];
    sharepack_engine::access::people::add_person(&portal.store, &operator, "pia@example.com", "", &legal).await.unwrap();
    let (_, client, _) = sign_in(&portal, "pia@example.com").await;
    assert_eq!(me(&portal, &client).await["grants"], serde_json::json!(["approver for Legal"]));
    sharepack_engine::access::people::add_person(&portal.store, &operator, "paula@example.com", "", &[]).await.unwrap();
    let paula = portal.store.account_by_email("paula@example.com").await.unwrap().unwrap();
    let hash = sharepack_engine::access::secret::hash_password("paula's own password").unwrap();
    portal.store.set_password_hash(paula.user_id, &hash).await.unwrap();
    let (landed, client, _) = sign_in(&portal, "paula@example.com").await;
    let location = landed.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/signin?__err="), "{location}");
    assert!(me(&portal, &client).await.is_null(), "no session for a look-alike");
    // The same person signing in again is found by their subject, not their e-mail.
    let (_, client, _) = sign_in(&portal, "olga@example.com").await;
    assert_eq!(me(&portal, &client).await["email"], "olga@example.com");
    assert_eq!(portal.store.accounts().await.unwrap().iter().filter(|account| account.email == "olga@example.com").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_id_token_and_a_replayed_state_are_refused() {
    let Some(issuer) = issuer() else { return };
    let portal = portal(&issuer).await;
    // The provider breaks the signature of Mallory's ID tokens on their way out.
    let (landed, client, state) = sign_in(&portal, "mallory@example.com").await;
    let location = landed.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/signin?__err="), "back to sign-in with the problem: {location}");
    let problem = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, urlencoding(location.trim_start_matches("/signin?__err=")))
            .unwrap(),
    )
    .unwrap();
    assert!(problem.contains("could not be verified"), "{problem}");
    assert!(me(&portal, &client).await.is_null(), "no session");
    assert!(portal.store.account_by_email("mallory@example.com").await.unwrap().is_none(), "nothing is stored for a refused token");

    // A state is good for one callback only.
    let replay = client.get(format!("{}/auth/oidc/callback?code=whatever&state={}", portal.url, state.unwrap())).send().await.unwrap();
    let location = replay.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/signin?__err="), "{location}");
}

fn urlencoding(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes()).next().map(|(_, value)| value.into_owned()).unwrap_or_default()
}
