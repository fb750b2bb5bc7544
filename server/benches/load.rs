//! Serving under load: the seed's status endpoint `GET /workflow/sharepack/{id}` (with a bearer
//! token, as a pipeline polls it) and `GET /workflow/health`, each at a fixed rate for a fixed
//! time, driven by oha (a packaged load generator: `cargo install oha`, which
//! `scripts/bench.sh` does) with its latency corrected for coordinated omission, so a slow
//! answer also counts against the requests that should have gone out behind it. Prints the
//! requests answered, their statuses and p50 / p99 / max latency.
//!
//! Run with `cargo bench -p server --bench load`; `BENCH_DATABASE=postgres` runs the portal on
//! PostgreSQL (`SHAREPACK_TEST_PG_URL`), `BENCH_LOAD_RATE` (1000 per second) and
//! `BENCH_LOAD_SECONDS` (30) set the load, `OHA` the load generator's path.

use std::path::PathBuf;
use std::time::Duration;

mod portal;

/// What oha measured, from its JSON report (latencies in seconds).
#[derive(serde::Deserialize)]
struct Report {
    summary: Summary,
    #[serde(rename = "latencyPercentiles")]
    percentiles: std::collections::BTreeMap<String, Option<f64>>,
    #[serde(rename = "statusCodeDistribution")]
    statuses: std::collections::BTreeMap<String, u64>,
    #[serde(rename = "errorDistribution")]
    errors: std::collections::BTreeMap<String, u64>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    slowest: Option<f64>,
    requests_per_sec: f64,
}

fn oha() -> PathBuf {
    if let Some(path) = std::env::var_os("OHA") {
        return path.into();
    }
    let installed = PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/sharepack/tools/bin/oha");
    if installed.exists() {
        installed
    } else {
        "oha".into()
    }
}

/// Runs oha against `url` at `rate` requests per second for `seconds`.
fn drive(url: &str, token: &str, rate: u32, seconds: u32) -> Report {
    let output = std::process::Command::new(oha())
        .args(["-z", &format!("{seconds}s"), "-q", &rate.to_string(), "--latency-correction", "--no-tui", "--output-format", "json"])
        .args(["-H", &format!("Authorization: Bearer {token}"), url])
        .output()
        .expect("oha runs (cargo install oha, or set OHA)");
    assert!(output.status.success(), "oha: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("oha's JSON report")
}

fn ms(seconds: Option<f64>) -> f64 {
    seconds.unwrap_or(f64::NAN) * 1000.0
}

fn main() {
    let rate: u32 = std::env::var("BENCH_LOAD_RATE").ok().and_then(|text| text.parse().ok()).unwrap_or(1000);
    let seconds: u32 = std::env::var("BENCH_LOAD_SECONDS").ok().and_then(|text| text.parse().ok()).unwrap_or(30);
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "warn");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        // No approval step: the pack is applied at once, as the status endpoint then reports it.
        let portal = portal::Portal::start("load", &[("SHAREPACK_APPROVALS", r#"{"approvals": 0, "risky_needs_one": false}"#.to_string())]).await;
        // A share pack that has been applied, so the status endpoint answers as it does for most packs.
        let yaml = "metadata: {requestor: bench@example.com, project_name: Load, business_line: Performance}\n\
                    recipient:\n  - {name: load-partner, type: D2O, email: partner@example.org}\n\
                    share:\n  - {name: load_share, recipients: [load-partner], data_objects: [prod_catalog.sales.customers]}\n";
        let (pack, run) = portal.upload(yaml.to_string()).await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let orchestrator = server::orchestrator(&portal.settings, portal.store.clone(), portal.workspaces.clone());
        let mut workers = server::spawn_workers(&portal.settings, 1, portal.queue.clone(), orchestrator, stopped);
        let run_id = uuid::Uuid::parse_str(&run).unwrap();
        loop {
            let state = portal.store.load_run(run_id).await.unwrap().unwrap();
            if state.status.is_terminal() {
                assert_eq!(state.status, sharepack_engine::records::RunStatus::Completed, "{state:?}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = stop.send(true);
        while workers.join_next().await.is_some() {}

        println!("load benchmark: {rate} requests per second for {seconds} s each (oha, latency corrected), {}, release build", portal.database);
        for (name, path) in [("status", format!("/workflow/sharepack/{pack}")), ("health", "/workflow/health".to_string())] {
            let url = portal.url(&path);
            let token = portal.token.clone();
            // A short warm-up at the same rate (connections opened, caches filled), then the measured run.
            let warm = (url.clone(), token.clone());
            tokio::task::spawn_blocking(move || drive(&warm.0, &warm.1, rate, 2)).await.unwrap();
            let report = tokio::task::spawn_blocking(move || drive(&url, &token, rate, seconds)).await.unwrap();
            let answered: u64 = report.statuses.values().sum();
            // Requests still in flight when the time is up are cut off by oha, not failed by the portal.
            let mut errors = report.errors;
            let cut_off = errors.remove("aborted due to deadline").unwrap_or(0);
            let statuses: Vec<String> = report.statuses.iter().map(|(status, count)| format!("{count} x {status}")).collect();
            println!(
                "  GET {name} ({path}): {answered} answered ({:.0}/s; {}; {cut_off} in flight at the end{}), p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                report.summary.requests_per_sec,
                statuses.join(", "),
                if errors.is_empty() { String::new() } else { format!("; errors {errors:?}") },
                ms(report.percentiles.get("p50").copied().flatten()),
                ms(report.percentiles.get("p99").copied().flatten()),
                ms(report.summary.slowest),
            );
            assert_eq!(report.statuses.get("200").copied(), Some(answered), "every request answered 200");
            assert!(errors.is_empty(), "no request failed: {errors:?}");
        }
        portal.clean_up();
    });
}
