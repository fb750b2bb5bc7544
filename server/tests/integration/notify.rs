//! Notifications (issue 18): a real SMTP server (aiosmtpd, started by the test command)
//! receives the e-mails, a local receiver checks each webhook's Standard Webhooks signature
//! and fails the first delivery, which is retried; people choose what they receive; no
//! message carries a secret.

use crate::support::{Portal, TESTERS};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use sharepack_engine::store::testing::Stack;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the webhook receiver saw: every body whose signature held, and how many it refused.
#[derive(Default)]
struct Received {
    bodies: Vec<Value>,
    refused_first: bool,
    bad_signatures: usize,
}

async fn receive(State(seen): State<Arc<Mutex<Received>>>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_string();
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap_or_default();
    let expected = sharepack_engine::notify::deliver::sign(SECRET, &header("webhook-id"), timestamp, &body);
    let mut seen = seen.lock().unwrap();
    if header("webhook-signature") != expected || (chrono::Utc::now().timestamp() - timestamp).abs() > 300 {
        seen.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    // The first delivery fails, as a receiver down for a moment would: it must come again.
    if !std::mem::replace(&mut seen.refused_first, true) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    seen.bodies.push(serde_json::from_str(&body).unwrap());
    StatusCode::NO_CONTENT
}

/// The messages in the maildir: (to, subject, whole text).
fn mails(maildir: &str) -> Vec<(String, String, String)> {
    let Ok(entries) = std::fs::read_dir(format!("{maildir}/new")) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        // Quoted-printable bodies wrap long lines with a soft break (`=` at the line's end).
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default().replace("=\n", "").replace("=20", " ");
        let header = |name: &str| {
            text.lines().find_map(|line| line.strip_prefix(&format!("{name}: ")).map(str::trim).map(str::to_string)).unwrap_or_default()
        };
        out.push((header("To"), header("Subject"), text.clone()));
    }
    out
}

async fn notifications_reach_people_and_webhooks(stack: Stack) {
    let (Ok(smtp), Ok(maildir)) = (std::env::var("SHAREPACK_TEST_SMTP"), std::env::var("SHAREPACK_TEST_MAILDIR")) else {
        eprintln!("notification tests skipped: set SHAREPACK_TEST_SMTP and SHAREPACK_TEST_MAILDIR (scripts/test.sh does)");
        return;
    };
    let seen = Arc::new(Mutex::new(Received::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let webhooks = json!([{"name": "ops", "url": hook, "secret": SECRET}]).to_string();
    let vars = [
        ("SHAREPACK_APPROVALS", "{}"),
        ("SHAREPACK_SMTP_URL", &format!("smtp://{smtp}")),
        ("notification_from_email", "portal@sharepack.test"),
        ("SHAREPACK_WEBHOOKS", &webhooks),
        ("SHAREPACK_RETRY_DELAY_MS", "100"),
    ];
    let Some(portal) = Portal::start(stack, &vars, 2).await else { return };
    let (john, ann) = (TESTERS[0], TESTERS[1]);
    // John does not want to hear of finished runs; everything else stays on.
    let chosen: Value = portal
        .client_as(john)
        .put(format!("{}/workflow/notifications/preferences", portal.url))
        .json(&json!({"Preferences": [{"Kind": "RUN_FINISHED", "Enabled": false}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(chosen.as_array().unwrap().iter().any(|p| p["Kind"] == "RUN_FINISHED" && p["Enabled"] == false), "{chosen}");
    let bad = portal
        .client_as(john)
        .put(format!("{}/workflow/notifications/preferences", portal.url))
        .json(&json!({"Preferences": [{"Kind": "GOSSIP", "Enabled": true}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);

    // John submits a plan that needs an approval (a first external recipient); Ann approves.
    let before = mails(&maildir).len();
    let run = portal.upload_sample("valid/finance.yaml", None).await;
    let response = portal
        .client_as(ann)
        .post(format!("{}/workflow/runs/{run}/approve", portal.url))
        .json(&json!({"Comment": "fine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{}", response.text().await.unwrap());
    assert_eq!(portal.settled(run).await.status.as_str(), "COMPLETED");

    // Ann heard the approval was asked of her, John that it was given; the run's end is his to
    // skip. The webhook heard of all three.
    let start = Instant::now();
    let (mine, hooked) = loop {
        let mine: Vec<_> = mails(&maildir).into_iter().filter(|(_, _, text)| text.contains(&run.to_string())).collect();
        let hooked = seen.lock().unwrap().bodies.len();
        if mine.len() >= 2 && hooked >= 3 {
            break (mine, hooked);
        }
        assert!(start.elapsed() < Duration::from_secs(60), "mails {mine:?}, webhook bodies {hooked}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(mails(&maildir).len() >= before + 2);
    let mut got: Vec<(String, String)> =
        mine.iter().map(|(to, subject, _)| (to.clone(), subject.split(':').next().unwrap().to_string())).collect();
    got.sort();
    assert_eq!(
        got,
        vec![(ann.to_string(), "Approval requested".to_string()), (john.to_string(), "Plan approved".to_string())],
        "{mine:#?}"
    );
    assert_eq!(hooked, 3);
    let kinds: Vec<String> = seen.lock().unwrap().bodies.iter().map(|body| body["kind"].as_str().unwrap().to_string()).collect();
    for kind in ["APPROVAL_REQUESTED", "PLAN_DECIDED", "RUN_FINISHED"] {
        assert!(kinds.contains(&kind.to_string()), "{kinds:?}");
    }
    assert_eq!(seen.lock().unwrap().bad_signatures, 0);
    // No secret in any message: the pack's token recipient has an activation link, never sent.
    for (_, _, text) in &mine {
        assert!(!text.contains("retrieve_config") && !text.contains("dapi") && !text.contains("spk_"), "{text}");
        assert!(text.contains("From: portal@sharepack.test"), "{text}");
    }
    for body in &seen.lock().unwrap().bodies {
        assert!(!body.to_string().contains("retrieve_config"), "{body}");
    }

    // The delivery log: John's two, and the webhook's first delivery retried.
    let log: Value =
        portal.client_as(john).get(format!("{}/workflow/notifications", portal.url)).send().await.unwrap().json().await.unwrap();
    let log = log.as_array().unwrap();
    assert!(log.iter().all(|n| n["Recipient"] == john), "John sees his own: {log:?}");
    assert!(log.iter().any(|n| n["Kind"] == "PLAN_DECIDED" && n["Status"] == "SENT" && n["Channel"] == "EMAIL"), "{log:?}");
    let rows = portal.store.notifications(Some("ops"), 10).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|row| row.status.as_str() == "SENT"), "{rows:?}");
    assert_eq!(rows.iter().map(|row| row.attempts).sum::<i32>(), 4, "one delivery failed once and was retried: {rows:?}");

    // Tokens about to expire (the testers' last a day): their owners hear of it once, without
    // the token itself.
    use sharepack_engine::queue::Job;
    portal.queue.send(&Job::WarnExpiringTokens).await.unwrap();
    let start = Instant::now();
    let warned = loop {
        let warned: Vec<_> =
            mails(&maildir).into_iter().filter(|(to, subject, _)| to == john && subject.contains("expires soon")).collect();
        if !warned.is_empty() {
            break warned;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no token warning");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!warned[0].2.contains(portal.token_for(john)), "{}", warned[0].2);
    portal.queue.send(&Job::WarnExpiringTokens).await.unwrap();
    let start = Instant::now();
    while portal.queue.depth().await.unwrap().0 > 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "the queue does not drain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // (The other stack's portal runs beside this one, sending to the same server: its own links tell them apart.)
    let again: Vec<_> = mails(&maildir)
        .into_iter()
        .filter(|(to, subject, text)| to == john && subject.contains("expires soon") && text.contains(&portal.url))
        .collect();
    assert_eq!(again.len(), 1, "once a token");
}

async fn people_choose_what_they_hear_of_on_their_page(stack: Stack) {
    let Some(portal) = Portal::start(stack, &[], 0).await else { return };
    let john = TESTERS[0];
    let browser = portal.browser_as(john).await;
    let html = browser.get(format!("{}/tokens", portal.url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Your run completed or failed") && html.contains("Turn off"), "the tokens page lists the kinds");
    let turned = browser
        .post(format!("{}/api/choose_notification", portal.url))
        .form(&[("kind", "RUN_FINISHED"), ("enabled", "false")])
        .send()
        .await
        .unwrap();
    assert!(turned.status().is_success() || turned.status().is_redirection(), "{}", turned.status());
    let chosen: Value = portal
        .client_as(john)
        .get(format!("{}/workflow/notifications/preferences", portal.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run_finished = chosen.as_array().unwrap().iter().find(|p| p["Kind"] == "RUN_FINISHED").unwrap();
    assert_eq!(run_finished["Enabled"], false, "{chosen}");
    let html = browser.get(format!("{}/tokens", portal.url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"data-kind="RUN_FINISHED" data-enabled="false""#), "the page shows it off");
    // Ann's choices are hers: John's did not change them.
    let hers: Value = portal
        .client_as(TESTERS[1])
        .get(format!("{}/workflow/notifications/preferences", portal.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(hers.as_array().unwrap().iter().all(|p| p["Enabled"] == true), "{hers}");
}

sharepack_engine::on_both_stacks!(notifications_reach_people_and_webhooks, people_choose_what_they_hear_of_on_their_page);
