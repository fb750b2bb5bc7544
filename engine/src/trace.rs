//! Trace context across process boundaries, in the W3C Trace Context format: what the current
//! span's trace is, so that a queue message or a Databricks request carries it, and how a
//! span on the other side continues it. Spans become OpenTelemetry spans only when the server
//! installs its exporter (`server::telemetry`); without it the current span has no trace and
//! nothing is carried, so this costs nothing by default.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde::{Deserialize, Serialize};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// A trace context as it travels: the `traceparent` and `tracestate` of W3C Trace Context.
/// Kept in a queue message's JSON beside the job's ids; no secret is in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
}

impl Carrier {
    /// The trace of the span the caller is in (empty when it has none).
    pub fn current() -> Self {
        let mut carrier = Carrier::default();
        let context = tracing::Span::current().context();
        if context.span().span_context().is_valid() {
            TraceContextPropagator::new().inject_context(&context, &mut carrier);
        }
        carrier
    }

    /// The trace context a message body carries; a body without one (or from before trace
    /// context was carried) carries none.
    pub fn read(body: &str) -> Self {
        serde_json::from_str(body).unwrap_or_default()
    }

    /// Makes `span` continue this trace, and notes the trace id on it for the logs.
    pub fn continue_in(&self, span: &tracing::Span) {
        if self.traceparent.is_some() {
            let _ = span.set_parent(TraceContextPropagator::new().extract(self));
        }
        note_trace_id(span);
    }
}

impl Injector for Carrier {
    fn set(&mut self, key: &str, value: String) {
        match key {
            "traceparent" => self.traceparent = Some(value),
            "tracestate" if !value.is_empty() => self.tracestate = Some(value),
            _ => {}
        }
    }
}

impl Extractor for Carrier {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => self.traceparent.as_deref(),
            "tracestate" => self.tracestate.as_deref(),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent", "tracestate"]
    }
}

/// Adds the current trace's `traceparent` to an outgoing request's headers.
pub fn inject_headers(headers: &mut http::HeaderMap) {
    let context = tracing::Span::current().context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut opentelemetry_http::HeaderInjector(headers));
    }
}

/// Makes `span` (an incoming request's) continue the trace its caller sent, if any.
pub fn continue_from_headers(span: &tracing::Span, headers: &http::HeaderMap) {
    if headers.contains_key("traceparent") {
        let _ = span.set_parent(TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(headers)));
    }
    note_trace_id(span);
}

/// Records the span's trace id in its `trace_id` field (declared empty by the span), so that
/// every log line inside names the trace; nothing when no trace is being recorded.
pub fn note_trace_id(span: &tracing::Span) {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span.record("trace_id", tracing::field::display(span_context.trace_id()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_without_trace_context_carries_none() {
        assert_eq!(Carrier::read(r#"{"job":"apply_run","run_id":"00000000-0000-0000-0000-000000000007"}"#), Carrier::default());
        assert_eq!(Carrier::read("not json"), Carrier::default());
        let body = r#"{"job":"apply_run","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}"#;
        assert_eq!(Carrier::read(body).traceparent.as_deref(), Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    }

    #[test]
    fn outside_any_trace_nothing_is_carried() {
        // No exporter is installed in unit tests: the current span has no trace.
        assert_eq!(Carrier::current(), Carrier::default());
        let mut headers = http::HeaderMap::new();
        inject_headers(&mut headers);
        assert!(headers.is_empty());
    }
}
