//! Text logs' fields: tracing-subscriber's own formatting, without the `otel.*` fields that
//! only tell the trace exporter a span's name, kind and status (the span's other fields say
//! the same to a reader).

use std::fmt;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};
use tracing_subscriber::fmt::{FormatFields, FormattedFields};

pub struct WithoutOtel;

impl<'writer> FormatFields<'writer> for WithoutOtel {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = Skipping(DefaultVisitor::new(writer, true));
        fields.record(&mut visitor);
        visitor.0.finish()
    }

    fn add_fields(&self, current: &'writer mut FormattedFields<Self>, fields: &tracing::span::Record<'_>) -> fmt::Result {
        let empty = current.fields.is_empty();
        let mut visitor = Skipping(DefaultVisitor::new(current.as_writer(), empty));
        fields.record(&mut visitor);
        visitor.0.finish()
    }
}

struct Skipping<'a>(DefaultVisitor<'a>);

fn shown(field: &Field) -> bool {
    !field.name().starts_with("otel.")
}

impl Visit for Skipping<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if shown(field) {
            self.0.record_debug(field, value)
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if shown(field) {
            self.0.record_str(field, value)
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if shown(field) {
            self.0.record_error(field, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn logs_name_the_trace_and_leave_out_the_exporter_fields() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber =
            tracing_subscriber::fmt().fmt_fields(super::WithoutOtel).with_ansi(false).with_writer(move || writer.clone()).finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "job",
                otel.name = "apply_run",
                otel.kind = "consumer",
                job = "apply_run",
                trace_id = tracing::field::Empty
            );
            span.record("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
            span.record("otel.status_code", "ERROR");
            span.in_scope(|| tracing::warn!(step = 3, "step failed"));
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains(r#"job{job="apply_run" trace_id="4bf92f3577b34da6a3ce929d0e0e4736"}: "#), "{text}");
        assert!(text.contains("step failed step=3"), "{text}");
        assert!(!text.contains("otel"), "{text}");
    }
}
