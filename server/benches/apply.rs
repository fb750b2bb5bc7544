//! Apply benchmark: 100 share packs submitted over the REST API and applied end to end by the
//! portal's workers against the sandbox, every sandbox call delayed by 50 ms (a real workspace's
//! latency). Prints runs per minute, workspace calls per pack against the fewest possible, and
//! step latency to the browser (from a run's change in the store to its server-sent event).
//! Run with `cargo bench -p server --bench apply`; `BENCH_METRICS=off` runs it with the metrics
//! recorder replaced by a no-op one, for the overhead of recording them; `BENCH_TRACES=on` exports
//! every span over OTLP/HTTP to a receiver in the bench (logging is installed either way, at
//! `RUST_LOG`, `warn` by default), for the overhead of tracing. `BENCH_WORKERS` (2) workers apply,
//! `BENCH_FOLLOWERS` (10) browsers each follow a run's event stream, and `BENCH_DATABASE=postgres`
//! runs the portal on PostgreSQL (`SHAREPACK_TEST_PG_URL`) instead of SQLite.

use sharepack_engine::records::RunStatus;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

mod portal;

const PACKS: usize = 100;
const RECIPIENTS: usize = 2;
const OBJECTS: usize = 5;

fn pack(index: usize) -> String {
    let mut yaml =
        format!("metadata: {{requestor: bench@example.com, project_name: Bench {index}, business_line: Performance}}\nrecipient:\n");
    for r in 0..RECIPIENTS {
        let _ = writeln!(yaml, "  - {{name: bench-{index}-{r}, type: D2O, email: p{r}@example.org}}");
    }
    let recipients: Vec<String> = (0..RECIPIENTS).map(|r| format!("bench-{index}-{r}")).collect();
    let _ = writeln!(yaml, "share:\n  - name: bench_share_{index}\n    recipients: [{}]\n    data_objects:", recipients.join(", "));
    for object in 0..OBJECTS {
        let _ = writeln!(yaml, "      - catalog.bench.table_{object}");
    }
    yaml
}

/// Fewest calls for one NEW pack: read what it names (metastore summary, recipients, shares, one
/// table list for its one schema), create each recipient and the share, one PATCH for its
/// objects, one for its grants. Planning at submission reads the same again.
fn minimum_apply_calls() -> usize {
    4 + RECIPIENTS + 1 + OBJECTS.div_ceil(100) + 1
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let metrics = std::env::var("BENCH_METRICS").map_or(true, |value| value != "off");
    if !metrics {
        // Installed first, so the portal's Prometheus recorder is not: every metric is a no-op.
        metrics::set_global_recorder(metrics::NoopRecorder).expect("no recorder is installed yet");
    }
    println!("metrics recorded: {}", if metrics { "yes (Prometheus exporter)" } else { "no (no-op recorder)" });
    let traced = std::env::var("BENCH_TRACES").is_ok_and(|value| value == "on");
    println!("traces exported: {}", if traced { "yes (OTLP/HTTP to a receiver in the bench)" } else { "no" });
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "warn");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let exported = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let collector = traced.then(|| runtime.block_on(receiver(exported.clone())));
    let settings = collector.map(|endpoint| {
        server::telemetry::TraceSettings::read(|name| {
            if name == "OTEL_EXPORTER_OTLP_ENDPOINT" {
                Some(endpoint.clone())
            } else {
                std::env::var(name).ok()
            }
        })
        .unwrap()
        .unwrap()
    });
    let telemetry = server::telemetry::init(false, settings.as_ref()).unwrap();
    let workers_wanted: u32 = std::env::var("BENCH_WORKERS").ok().and_then(|text| text.parse().ok()).unwrap_or(2);
    let followers: usize = std::env::var("BENCH_FOLLOWERS").ok().and_then(|text| text.parse().ok()).unwrap_or(10).min(PACKS);
    runtime.block_on(async {
        let tables: Vec<String> = (0..OBJECTS).map(|object| format!("catalog.bench.table_{object}")).collect();
        let vars = [
            ("SHAREPACK_SANDBOX_FAULTS", "latency_ms=50".to_string()),
            ("SHAREPACK_SANDBOX_TABLES", tables.join(",")),
            ("SHAREPACK_IDLE_POLL_MS", "100".to_string()),
            // Approval is a person's step, not the machine's: submission and apply are what is measured.
            ("SHAREPACK_APPROVALS", r#"{"approvals": 0, "risky_needs_one": false}"#.to_string()),
        ];
        let portal = portal::Portal::start("apply", &vars).await;
        let (address, settings, store, queue, workspaces, http) =
            (portal.address, &portal.settings, &portal.store, &portal.queue, &portal.workspaces, &portal.http);
        let sandbox = workspaces.default_workspace().client.clone();

        // Submit every pack first (workers stopped), so the apply phase is measured alone.
        let started = Instant::now();
        let mut runs = Vec::new();
        for index in 0..PACKS {
            runs.push(portal.upload(pack(index)).await.1);
        }
        let submitted = started.elapsed();
        let submit_calls = sandbox.calls();

        // Browsers following some of the runs, as the run page does.
        let mut watchers = Vec::new();
        for run in runs.iter().take(followers) {
            let url = format!("http://{address}/runs/{run}/events");
            let http = http.clone();
            watchers.push(tokio::spawn(async move {
                let mut response = http.get(url).send().await.unwrap();
                let mut latencies = Vec::new();
                let mut buffer = String::new();
                let (mut first, mut finished) = (true, false);
                while let Ok(Some(chunk)) = response.chunk().await {
                    let received = chrono::Utc::now();
                    buffer.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = buffer.find("\n\n") {
                        let event: String = buffer.drain(..end + 2).collect();
                        let Some(data) = event.lines().find_map(|line| line.strip_prefix("data: ")) else { continue };
                        let view: serde_json::Value = serde_json::from_str(data).unwrap();
                        finished |= serde_json::from_value::<RunStatus>(view["status"].clone()).unwrap().is_terminal();
                        // The first message is the state the browser found, not a change.
                        if std::mem::replace(&mut first, false) {
                            continue;
                        }
                        let changed = chrono::DateTime::parse_from_rfc3339(view["updated_at"].as_str().unwrap()).unwrap();
                        latencies.push((received - changed.with_timezone(&chrono::Utc)).num_microseconds().unwrap() as f64 / 1000.0);
                    }
                }
                // A stream that ends before its run did is one a browser would have lost.
                (latencies, finished)
            }));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;

        let (stop, stopped) = tokio::sync::watch::channel(false);
        let orchestrator = server::orchestrator(settings, store.clone(), workspaces.clone());
        let started = Instant::now();
        let mut workers = server::spawn_workers(settings, workers_wanted, queue.clone(), orchestrator, stopped);
        for run in &runs {
            let id = uuid::Uuid::parse_str(run).unwrap();
            loop {
                let state = store.load_run(id).await.unwrap().unwrap();
                if state.status.is_terminal() {
                    assert_eq!(state.status, RunStatus::Completed, "{state:?}");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let applied = started.elapsed();
        let apply_calls = sandbox.calls() - submit_calls;
        let _ = stop.send(true);
        while workers.join_next().await.is_some() {}
        let (mut latencies, mut dropped) = (Vec::new(), 0);
        for watcher in watchers {
            let (seen, finished) = watcher.await.unwrap();
            latencies.extend(seen);
            dropped += usize::from(!finished);
        }
        latencies.sort_by(f64::total_cmp);

        println!(
            "apply benchmark: {PACKS} packs ({RECIPIENTS} recipients, 1 share, {OBJECTS} objects each), 50 ms per sandbox call, {workers_wanted} workers, {} and its queue",
            portal.database
        );
        println!("submission: {:.1} s for {PACKS} packs ({:.0} ms each, dry run included), {:.1} workspace calls per pack", submitted.as_secs_f64(), submitted.as_secs_f64() * 1000.0 / PACKS as f64, submit_calls as f64 / PACKS as f64);
        println!("apply: {:.1} s, {:.0} runs per minute", applied.as_secs_f64(), PACKS as f64 / applied.as_secs_f64() * 60.0);
        println!("workspace calls per pack while applying: {:.1} (fewest possible: {})", apply_calls as f64 / PACKS as f64, minimum_apply_calls());
        println!(
            "step latency to the browser ({} events on {followers} runs followed): median {:.0} ms, p95 {:.0} ms, max {:.0} ms; {dropped} streams dropped before their run ended",
            latencies.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.95),
            latencies.last().copied().unwrap_or_default()
        );
        portal.clean_up();
    });
    telemetry.flush();
    if traced {
        println!("spans exported: {}", exported.load(std::sync::atomic::Ordering::Relaxed));
    }
    telemetry.shutdown();
}

/// An OTLP/HTTP receiver that decodes each export and counts its spans, as a collector would
/// take them; its address.
async fn receiver(exported: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> String {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let exported = exported.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("an OTLP export");
                let spans: usize = request.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|scope| scope.spans.len()).sum();
                exported.fetch_add(spans, std::sync::atomic::Ordering::Relaxed);
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}
