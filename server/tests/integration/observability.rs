//! `/metrics` after real runs, on both stacks: one pack applied, one whose share update the
//! sandbox always refuses. The output is parsed as a scraper parses it, and the series move as
//! they should (a failed step, retries, a poisoned message, request counts by route template),
//! with no label holding an id or an e-mail. Who may scrape is checked too.

use crate::support::{bearer_client, make_token, Portal};
use sharepack_engine::access::{tokens, Grant, Principal, Role, Scopes, Via};
use sharepack_engine::records::RunStatus;
use sharepack_engine::store::testing::Stack;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// The scrape, parsed.
struct Scraped {
    text: String,
    samples: Vec<prometheus_parse::Sample>,
}

impl Scraped {
    /// The sum of the samples of `name` whose labels include `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|sample| sample.metric == name && labels.iter().all(|(label, value)| sample.labels.get(label) == Some(*value)))
            .map(|sample| match &sample.value {
                prometheus_parse::Value::Counter(value)
                | prometheus_parse::Value::Gauge(value)
                | prometheus_parse::Value::Untyped(value) => *value,
                prometheus_parse::Value::Histogram(buckets) => buckets.iter().map(|bucket| bucket.count).fold(0.0, f64::max),
                prometheus_parse::Value::Summary(_) => 0.0,
            })
            .sum()
    }
}

async fn scrape(portal: &Portal, token: &str) -> Scraped {
    let response = bearer_client(token).get(format!("{}/metrics", portal.url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|line| Ok(line.to_string()))).expect("Prometheus text format");
    Scraped { text, samples: parsed.samples }
}

async fn metrics_follow_runs(stack: Stack) {
    let vars = [
        ("SHAREPACK_IDLE_POLL_MS", "50"),
        ("SHAREPACK_RETRY_DELAY_MS", "50"),
        ("SHAREPACK_MAX_DELIVERIES", "2"),
        ("SHAREPACK_SANDBOX_FAULTS", "down=PATCH /shares/minimal_share"),
    ];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };
    let admin = make_token(&portal.store, "adm@example.com", &[Grant::everywhere(Role::Admin)]).await;

    let applied = portal.upload_sample("valid/finance.yaml", None).await;
    assert_eq!(portal.settled(applied).await.status, RunStatus::Completed);
    let refused = portal.upload_sample("valid/minimal.yaml", None).await;
    assert_eq!(portal.settled(refused).await.status, RunStatus::Failed);
    // The poisoned message is settled just after the run fails.
    let start = std::time::Instant::now();
    while portal.queue.depth().await.unwrap().1 == 0 {
        assert!(start.elapsed() < Duration::from_secs(10), "the message reaches the poison queue");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // An administrator's token is scoped like anyone's: scraping takes the metrics scope.
    let refused = bearer_client(&admin).get(format!("{}/metrics", portal.url)).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let metrics_scope: Scopes = "metrics".parse().unwrap();
    let (prometheus, _) =
        tokens::create(&portal.store, &Principal::operator(), Some("adm@example.com"), "prometheus", &metrics_scope, 1).await.unwrap();
    let scraped = scrape(&portal, prometheus.expose()).await;
    let value = |name: &str, labels: &[(&str, &str)]| scraped.value(name, labels);
    assert_eq!(value("sharepack_runs_finished_total", &[("status", "COMPLETED")]), 1.0);
    assert_eq!(value("sharepack_runs_finished_total", &[("status", "FAILED")]), 1.0);
    assert_eq!(value("sharepack_runs", &[("status", "COMPLETED")]), 1.0);
    assert_eq!(value("sharepack_runs", &[("status", "FAILED")]), 1.0);
    assert_eq!(value("sharepack_uploads_total", &[("format", "yaml"), ("outcome", "planned")]), 2.0);
    assert_eq!(value("sharepack_plans_total", &[("strategy", "NEW"), ("outcome", "changes")]), 2.0);
    assert_eq!(value("sharepack_submissions_total", &[("outcome", "queued")]), 2.0);
    assert!(value("sharepack_steps_total", &[("outcome", "done")]) >= 6.0, "{}", scraped.text);
    // Two deliveries, each failing the same step.
    assert_eq!(value("sharepack_steps_total", &[("outcome", "failed")]), 2.0, "{}", scraped.text);
    let patch = [("operation", "PATCH /shares/:name"), ("workspace", "Sandbox")];
    assert!(value("sharepack_workspace_requests_total", &[patch[0], patch[1], ("status", "503")]) >= 2.0, "{}", scraped.text);
    assert!(value("sharepack_workspace_requests_total", &[("operation", "POST /recipients"), ("status", "200")]) >= 2.0);
    assert!(value("sharepack_workspace_retries_total", &[patch[0], ("reason", "unavailable")]) >= 1.0, "{}", scraped.text);
    assert_eq!(value("sharepack_queue_messages_settled_total", &[("kind", "apply_run"), ("outcome", "done")]), 1.0);
    assert_eq!(value("sharepack_queue_messages_settled_total", &[("kind", "apply_run"), ("outcome", "retried")]), 1.0);
    assert_eq!(value("sharepack_queue_messages_settled_total", &[("kind", "apply_run"), ("outcome", "poisoned")]), 1.0);
    assert_eq!(value("sharepack_queue_messages", &[("queue", "poison")]), 1.0);
    assert_eq!(value("sharepack_queue_messages", &[("queue", "work")]), 0.0);
    assert_eq!(value("sharepack_queue_oldest_message_age_seconds", &[]), 0.0);
    assert!(value("sharepack_db_pool_connections", &[("state", "max")]) >= 1.0);
    let upload = [("method", "POST"), ("route", "/workflow/sharepack/upload"), ("status", "202")];
    assert_eq!(value("sharepack_http_requests_total", &upload), 2.0);
    assert!(scraped.text.contains("sharepack_db_operation_duration_seconds_count{module=\"runs\"}"), "{}", scraped.text);
    assert!(scraped.text.contains("sharepack_http_request_duration_seconds_bucket{"), "latency is a histogram");

    // Every series is typed and described, and no label value is an id, a name from a pack or
    // an e-mail.
    for sample in &scraped.samples {
        let family = ["_bucket", "_sum", "_count"].iter().fold(sample.metric.as_str(), |name, suffix| name.trim_end_matches(suffix));
        assert!(scraped.text.contains(&format!("# TYPE {family} ")), "{family} has no TYPE");
        assert!(scraped.text.contains(&format!("# HELP {family} ")), "{family} has no HELP");
        let labels: HashMap<&str, &str> = ["method", "route", "status", "operation", "workspace", "kind", "outcome", "module"]
            .into_iter()
            .filter_map(|label| sample.labels.get(label).map(|value| (label, value)))
            .collect();
        for (label, value) in labels {
            assert!(!value.contains('@') && Uuid::parse_str(value).is_err(), "{} {label}={value}", sample.metric);
            for secret in ["finance_q1_share", "external-auditor", "minimal_share", &applied.to_string()] {
                assert!(!value.contains(secret), "{} {label}={value}", sample.metric);
            }
        }
    }

    // Who may scrape: administrators, and tokens with the metrics scope, which only they make.
    let requester = portal.token_for("john.doe@jll.com");
    let response = bearer_client(requester).get(format!("{}/metrics", portal.url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["Code"], "scope_missing", "{body}");
    assert_eq!(reqwest::get(format!("{}/metrics", portal.url)).await.unwrap().status().as_u16(), 401);
    let metrics_scope: Scopes = "metrics".parse().unwrap();
    let john = portal.store.account_by_email("john.doe@jll.com").await.unwrap().unwrap();
    let john = sharepack_engine::access::people::principal(&portal.store, &john, Via::Session).await.unwrap();
    let refused = tokens::create(&portal.store, &john, None, "scraper", &metrics_scope, 1).await.unwrap_err();
    assert_eq!(refused.code, "role_missing");
    let (scraper, _) =
        tokens::create(&portal.store, &Principal::operator(), Some("john.doe@jll.com"), "scraper", &metrics_scope, 1).await.unwrap();
    scrape(&portal, scraper.expose()).await;
}

sharepack_engine::on_both_stacks!(metrics_follow_runs);
