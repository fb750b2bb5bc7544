//! `GET /metrics` in Prometheus' text format, for an administrator or a token with the metrics
//! scope (and, with `SHAREPACK_METRICS_ADDR`, without credentials on a separate address only a
//! scraper reaches). The engine records through the `metrics` facade
//! (`sharepack_engine::telemetry` names every series); this module installs the exporter,
//! counts HTTP requests by route template, and reads the store and queue when scraped.

use crate::rest::ApiError;
use crate::{auth::Caller, AppState};
use axum::extract::{MatchedPath, State};
use axum::http::{header, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sharepack_engine::access::Act;
use sharepack_engine::queue::Queue;
use sharepack_engine::store::Store;
use sharepack_engine::telemetry::{self as series, DB_CONNECTIONS, QUEUE_AGE, QUEUE_DEPTH, RUNS, SCRAPE_ERRORS};
use std::sync::OnceLock;
use std::time::Instant;

/// Latency buckets (seconds): from a cached page to a slow workspace.
const SECONDS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Run durations (seconds): queued briefly to waiting on approvals for hours.
const RUN_SECONDS: [f64; 10] = [1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4.0 * 3600.0, 24.0 * 3600.0, 7.0 * 24.0 * 3600.0];
const ATTEMPTS: [f64; 6] = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0];

/// The process's recorder, installed once (several routers in one test process share it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(series::RUN_DURATION.into()), &RUN_SECONDS)
            .and_then(|builder| builder.set_buckets_for_metric(Matcher::Full(series::STEP_ATTEMPTS.into()), &ATTEMPTS))
            .and_then(|builder| builder.set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS))
            .expect("bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if ::metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics stays empty");
        }
        series::describe();
        // Histograms are drained into buckets on upkeep; without a scraper they would grow.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let upkeep = handle.clone();
            runtime.spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    upkeep.run_upkeep();
                }
            });
        }
        handle
    })
}

/// Counts and times every request by its route template (`/runs/:id`, never the id itself);
/// the sandbox and static files by their prefix, anything else no route matched as `other`.
pub async fn track(request: Request<axum::body::Body>, next: Next) -> Response {
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => series::template(matched.as_str()),
        None => unrouted(request.uri().path()).to_string(),
    };
    use axum::http::Method;
    let method = match *request.method() {
        Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::HEAD => request.method().as_str().to_string(),
        _ => "other".to_string(),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    ::metrics::histogram!(series::HTTP_DURATION, "method" => method.clone(), "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    ::metrics::counter!(series::HTTP_REQUESTS, "method" => method, "route" => route, "status" => status).increment(1);
    response
}

/// What names a request no route template matched: the sandbox's and the static files'
/// prefix, or `other`.
pub fn unrouted(path: &str) -> &'static str {
    ["/sandbox", "/pkg"].into_iter().find(|prefix| path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))).unwrap_or("other")
}

/// `GET /metrics` on the portal.
pub async fn scrape(State(state): State<AppState>, Caller(by): Caller) -> Result<Response, ApiError> {
    by.require(Act::Observe, None)?;
    Ok(render(&state.portal.store, &state.portal.queue).await)
}

/// The exposition text, with the values read now from the store and queue.
pub async fn render(store: &Store, queue: &Queue) -> Response {
    sample(store, queue).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle().render()).into_response()
}

/// Gauges read when scraped. A source that cannot be read keeps its last value and counts a
/// scrape error, so an outage shows without failing the scrape.
async fn sample(store: &Store, queue: &Queue) {
    let (open, idle, max) = store.pool_use();
    ::metrics::gauge!(DB_CONNECTIONS, "state" => "idle").set(f64::from(idle));
    ::metrics::gauge!(DB_CONNECTIONS, "state" => "in_use").set(f64::from(open.saturating_sub(idle)));
    ::metrics::gauge!(DB_CONNECTIONS, "state" => "max").set(f64::from(max));
    match store.run_counts().await {
        Ok(counts) => {
            for status in sharepack_engine::records::RunStatus::ALL.iter().copied() {
                let count = counts.iter().find(|(counted, _)| *counted == status).map_or(0, |(_, count)| *count);
                ::metrics::gauge!(RUNS, "status" => status.as_str()).set(count as f64);
            }
        }
        Err(error) => scrape_error("database", &error.to_string()),
    }
    match queue.depth().await {
        Ok((waiting, poisoned)) => {
            ::metrics::gauge!(QUEUE_DEPTH, "queue" => "work").set(waiting as f64);
            ::metrics::gauge!(QUEUE_DEPTH, "queue" => "poison").set(poisoned as f64);
        }
        Err(error) => scrape_error("queue", &error.to_string()),
    }
    match queue.oldest_age().await {
        Ok(age) => metrics::gauge!(QUEUE_AGE).set(age.as_secs_f64()),
        Err(error) => scrape_error("queue", &error.to_string()),
    }
}

fn scrape_error(source: &'static str, error: &str) {
    tracing::warn!(source, error = %sharepack_engine::store::redact(error), "a metric could not be read");
    ::metrics::counter!(SCRAPE_ERRORS, "source" => source).increment(1);
}
