//! Every metric Sharepack records, named once: the engine records through the `metrics` facade
//! and the server renders them for Prometheus (`GET /metrics`). Names follow Prometheus'
//! conventions (`sharepack_` prefix, base units, `_total` counters); every label takes values
//! from a closed set (statuses, kinds, route templates, configured workspaces), never an id, a
//! name from a pack or an e-mail, and none is called `job` or `instance` (Prometheus' own).

use std::time::Instant;

/// Names, kinds and help texts, for `describe` and the dashboard.
pub const METRICS: &[(&str, Kind, &str)] = &[
    (HTTP_REQUESTS, Kind::Counter, "HTTP requests answered, by method, route template and status"),
    (HTTP_DURATION, Kind::Histogram, "Time to answer an HTTP request, by method and route template"),
    (
        UPLOADS,
        Kind::Counter,
        "Share-pack files read for a plan (uploads, validations, plans), by format and outcome (planned, invalid, workspace_unreachable)",
    ),
    (PLANS, Kind::Counter, "Plans computed, by strategy and outcome (changes, no_changes, blocked)"),
    (SUBMISSIONS, Kind::Counter, "Packs submitted, by outcome (queued, awaiting_approval, scheduled, validation_failed)"),
    (RUNS_FINISHED, Kind::Counter, "Runs that reached a final status, by status"),
    (RUN_DURATION, Kind::Histogram, "Time from a run's submission to its final status (approval and schedule waits included), by status"),
    (RUNS, Kind::Gauge, "Runs in the store by status (read when scraped)"),
    (STEPS, Kind::Counter, "Steps carried out, by kind and outcome (done, failed)"),
    (STEP_ATTEMPTS, Kind::Histogram, "Workspace calls a step needed, retries included, by kind"),
    (WORKSPACE_REQUESTS, Kind::Counter, "HTTP requests to a workspace, by workspace, operation and status (transport: no answer)"),
    (WORKSPACE_DURATION, Kind::Histogram, "Time of one HTTP request to a workspace, by workspace and operation"),
    (WORKSPACE_RETRIES, Kind::Counter, "Workspace requests tried again, by workspace, operation and reason"),
    (WORKSPACE_RATE_LIMITED, Kind::Counter, "Workspace requests answered 429 Too Many Requests, by workspace and operation"),
    (QUEUE_DEPTH, Kind::Gauge, "Messages waiting in the work queue and its poison queue, by queue (read when scraped)"),
    (QUEUE_AGE, Kind::Gauge, "Age of the oldest message waiting in the work queue (read when scraped)"),
    (QUEUE_MESSAGES, Kind::Counter, "Messages a worker settled, by job kind and outcome (done, handed_back, retried, poisoned)"),
    (LEASE_RENEWALS, Kind::Counter, "Lease renewals of messages being worked on, by outcome (renewed, failed)"),
    (JOBS, Kind::Counter, "Jobs run, by kind and outcome (done, retryable, fatal)"),
    (DB_DURATION, Kind::Histogram, "Time of one store operation, by module (the table family)"),
    (DB_CONNECTIONS, Kind::Gauge, "Database pool connections, by state (idle, in_use, max) (read when scraped)"),
    (SCRAPE_ERRORS, Kind::Counter, "Values that could not be read when scraped (database or queue down), by source"),
];

pub const HTTP_REQUESTS: &str = "sharepack_http_requests_total";
pub const HTTP_DURATION: &str = "sharepack_http_request_duration_seconds";
pub const UPLOADS: &str = "sharepack_uploads_total";
pub const PLANS: &str = "sharepack_plans_total";
pub const SUBMISSIONS: &str = "sharepack_submissions_total";
pub const RUNS_FINISHED: &str = "sharepack_runs_finished_total";
pub const RUN_DURATION: &str = "sharepack_run_duration_seconds";
pub const RUNS: &str = "sharepack_runs";
pub const STEPS: &str = "sharepack_steps_total";
pub const STEP_ATTEMPTS: &str = "sharepack_step_attempts";
pub const WORKSPACE_REQUESTS: &str = "sharepack_workspace_requests_total";
pub const WORKSPACE_DURATION: &str = "sharepack_workspace_request_duration_seconds";
pub const WORKSPACE_RETRIES: &str = "sharepack_workspace_retries_total";
pub const WORKSPACE_RATE_LIMITED: &str = "sharepack_workspace_rate_limited_total";
pub const QUEUE_DEPTH: &str = "sharepack_queue_messages";
pub const QUEUE_AGE: &str = "sharepack_queue_oldest_message_age_seconds";
pub const QUEUE_MESSAGES: &str = "sharepack_queue_messages_settled_total";
pub const LEASE_RENEWALS: &str = "sharepack_queue_lease_renewals_total";
pub const JOBS: &str = "sharepack_jobs_total";
pub const DB_DURATION: &str = "sharepack_db_operation_duration_seconds";
pub const DB_CONNECTIONS: &str = "sharepack_db_pool_connections";
pub const SCRAPE_ERRORS: &str = "sharepack_scrape_errors_total";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Gives every metric its help text (the exporter prints it as `# HELP`).
pub fn describe() {
    for (name, kind, help) in METRICS {
        match kind {
            Kind::Counter => metrics::describe_counter!(*name, *help),
            Kind::Gauge => metrics::describe_gauge!(*name, *help),
            Kind::Histogram => metrics::describe_histogram!(*name, *help),
        }
    }
}

/// A route template as a label: `/runs/{id}` becomes `/runs/:id`. Braces are legal in label
/// values, but several text-format parsers split labels at the first `}`.
pub fn template(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|inner| inner.strip_suffix('}')) {
            Some(name) => format!(":{}", name.trim_start_matches('*')),
            None => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Times a store operation from creation to drop, so early returns (`?`) are timed too.
pub struct DbTimer {
    module: &'static str,
    started: Instant,
}

impl DbTimer {
    /// `module_path` is the caller's `module_path!()`; its last segment is the label.
    pub fn start(module_path: &'static str) -> Self {
        let module = module_path.rsplit("::").next().unwrap_or(module_path);
        DbTimer { module, started: Instant::now() }
    }
}

impl Drop for DbTimer {
    fn drop(&mut self) {
        metrics::histogram!(DB_DURATION, "module" => self.module).record(self.started.elapsed().as_secs_f64());
    }
}

/// A file was read for a plan, to `outcome`.
pub fn upload_read(format: crate::model::SourceFormat, outcome: &'static str) {
    let format = match format {
        crate::model::SourceFormat::Yaml => "yaml",
        crate::model::SourceFormat::Excel => "excel",
    };
    metrics::counter!(UPLOADS, "format" => format, "outcome" => outcome).increment(1);
}

/// A plan was computed.
pub fn planned(plan: &crate::plan::Plan) {
    let outcome = if plan.findings.iter().any(crate::finding::Finding::is_error) {
        "blocked"
    } else if plan.changes().next().is_some() {
        "changes"
    } else {
        "no_changes"
    };
    metrics::counter!(PLANS, "strategy" => plan.strategy.as_str(), "outcome" => outcome).increment(1);
}

/// A submission ended as `outcome`.
pub fn submitted(outcome: &'static str) {
    metrics::counter!(SUBMISSIONS, "outcome" => outcome).increment(1);
}

/// A run reached `status` (the worker's transition; counted once, where it is stored).
pub fn run_finished(status: crate::records::RunStatus, submitted: chrono::DateTime<chrono::Utc>) {
    let took = (chrono::Utc::now() - submitted).to_std().unwrap_or_default();
    metrics::counter!(RUNS_FINISHED, "status" => status.as_str()).increment(1);
    metrics::histogram!(RUN_DURATION, "status" => status.as_str()).record(took.as_secs_f64());
}

/// A step ended, on its `attempt`th try (across deliveries).
pub fn step_finished(kind: &str, done: bool, attempt: i32) {
    let outcome = if done { "done" } else { "failed" };
    metrics::counter!(STEPS, "kind" => kind.to_string(), "outcome" => outcome).increment(1);
    metrics::histogram!(STEP_ATTEMPTS, "kind" => kind.to_string()).record(f64::from(attempt.max(1)));
}

/// A worker settled a message of `job`.
pub fn message_settled(job: &'static str, outcome: &'static str) {
    metrics::counter!(QUEUE_MESSAGES, "kind" => job, "outcome" => outcome).increment(1);
}

/// A lease renewal of a message being worked on.
pub fn lease_renewed(renewed: bool) {
    metrics::counter!(LEASE_RENEWALS, "outcome" => if renewed { "renewed" } else { "failed" }).increment(1);
}

/// A job ran to `outcome` (done, retryable, fatal).
pub fn job_ran(job: &'static str, outcome: &'static str) {
    metrics::counter!(JOBS, "kind" => job, "outcome" => outcome).increment(1);
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_leave_no_braces() {
        assert_eq!(super::template("/runs/{id}/events"), "/runs/:id/events");
        assert_eq!(super::template("/samples/{*path}"), "/samples/:path");
        assert_eq!(super::template("/workflow/health"), "/workflow/health");
    }
}
