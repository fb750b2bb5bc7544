//! Logs and traces. Logs: structured, with an env filter (`RUST_LOG`), as text or JSON lines;
//! each line inside a request or a job names its span's fields, among them `trace_id` and the
//! run's `correlation_id`. Traces: OpenTelemetry spans exported over OTLP when an endpoint is
//! configured ([`traces`]). Secrets never reach either: they live in `SecretString`, database
//! errors pass through `store::redact`, request spans leave out queries and one-time links.

mod fields;
pub mod traces;

pub use traces::TraceSettings;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{filter::Targets, fmt, EnvFilter, Layer};

/// What was installed; [`Telemetry::shutdown`] sends the spans still waiting.
#[must_use = "dropping it without shutdown() loses the spans not yet exported"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports every finished span now (tests read them right after).
    pub fn flush(&self) {
        if let Some(provider) = &self.provider {
            if let Err(error) = provider.force_flush() {
                tracing::warn!(%error, "spans could not be exported");
            }
        }
    }

    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(error) = provider.shutdown() {
                eprintln!("sharepack: spans could not be exported at shutdown: {error}");
            }
        }
    }
}

/// Installs logging (text by default, JSON lines with `SHAREPACK_LOG_FORMAT=json`) and, with
/// trace settings, the OTLP exporter. Each has its own filter: `RUST_LOG` decides what is
/// logged, never what is traced (Sharepack's own spans at INFO, nothing of the libraries').
pub fn init(json: bool, traces: Option<&TraceSettings>) -> Result<Telemetry, String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let logs = if json {
        fmt::layer().json().with_filter(filter).boxed()
    } else {
        // Colours only on a terminal: log files and collectors get plain text.
        fmt::layer()
            .fmt_fields(fields::WithoutOtel)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .with_filter(filter)
            .boxed()
    };
    let provider = traces.map(TraceSettings::provider).transpose()?;
    let spans = provider.as_ref().map(|provider| {
        let ours = Targets::new().with_target("sharepack_engine", tracing::Level::INFO).with_target("server", tracing::Level::INFO);
        // Per span, only what the trace needs: no code locations or thread names as attributes, no
        // busy/idle timing on every poll, and no OpenTelemetry context made current on each
        // poll (the engine reads trace context from the tracing span itself).
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("sharepack"))
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_context_activation(false)
            .with_filter(ours)
    });
    tracing_subscriber::registry().with(logs).with(spans).try_init().map_err(|error| format!("logging is already set up: {error}"))?;
    Ok(Telemetry { provider })
}
