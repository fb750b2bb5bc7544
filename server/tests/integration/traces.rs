//! Traces over OTLP, on both stacks: a local OTLP/HTTP receiver (decoding the protocol's
//! protobuf messages) gets the spans of one pack uploaded and applied, and they form one trace
//! from the upload request through the queue message to every step and every Databricks call
//! (and the sandbox's side of each call, which continues the trace from the request's
//! `traceparent`). The run's correlation id is an attribute, and the spans logs are written in
//! carry the trace id.

use crate::support::Portal;
use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use sharepack_engine::records::RunStatus;
use sharepack_engine::store::testing::Stack;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Spans received, as a collector would take them.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Span>>>);

impl Receiver {
    async fn start(&self) -> String {
        let spans = self.0.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |body: Bytes| {
                let spans = spans.clone();
                async move {
                    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
                    for resource in request.resource_spans {
                        let service = resource.resource.iter().flat_map(|r| &r.attributes).find(|kv| kv.key == "service.name").cloned();
                        assert_eq!(
                            text(service.as_ref().and_then(|kv| kv.value.as_ref()).and_then(|v| v.value.as_ref())),
                            "sharepack-test"
                        );
                        spans.lock().unwrap().extend(resource.scope_spans.into_iter().flat_map(|scope| scope.spans));
                    }
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::StringValue(text)) => text.clone(),
        Some(Value::IntValue(number)) => number.to_string(),
        Some(Value::BoolValue(flag)) => flag.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key == key).map(|kv| text(kv.value.as_ref().and_then(|value| value.value.as_ref())))
}

fn kind(span: &Span) -> SpanKind {
    SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn one_trace_across_the_queue(stack: Stack) {
    let receiver = Receiver::default();
    let endpoint = receiver.start().await;
    let settings = server::telemetry::TraceSettings::read(|name| match name {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
        "OTEL_SERVICE_NAME" => Some("sharepack-test".into()),
        _ => None,
    })
    .unwrap();
    let telemetry = server::telemetry::init(false, settings.as_ref()).unwrap();
    let vars = [("SHAREPACK_IDLE_POLL_MS", "50")];
    let Some(portal) = Portal::start(stack, &vars, 1).await else { return };

    let run = portal.upload_sample("valid/minimal.yaml", None).await;
    let ended = portal.settled(run).await;
    assert_eq!(ended.status, RunStatus::Completed, "{:?}", ended.error);
    let started = std::time::Instant::now();
    let steps = portal.store.load_steps(run).await.unwrap();
    // Spans come as they end: the request's once its answer is sent, the job's once its message
    // is settled (after the run is seen completed), the sandbox's side of a call once its answer
    // is sent (a moment after the caller has it). Wait for all of them.
    let wanted = |spans: &[Span]| {
        let answered = |call: &Span| spans.iter().any(|span| span.parent_span_id == call.span_id && kind(span) == SpanKind::Server);
        spans.iter().any(|span| span.name == "POST /workflow/sharepack/upload")
            && spans.iter().any(|span| span.name == "apply_run" && kind(span) == SpanKind::Consumer)
            && spans.iter().filter(|span| kind(span) == SpanKind::Client).all(answered)
    };
    let spans = loop {
        telemetry.flush();
        let spans = receiver.0.lock().unwrap().clone();
        if wanted(&spans) {
            break spans;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the upload's and the job's spans never came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let upload = spans.iter().find(|span| span.name == "POST /workflow/sharepack/upload").unwrap();
    assert_eq!(kind(upload), SpanKind::Server);
    assert_eq!(attribute(upload, "http.route").as_deref(), Some("/workflow/sharepack/upload"));
    assert_eq!(attribute(upload, "http.response.status_code").as_deref(), Some("202"));
    assert!(upload.parent_span_id.is_empty(), "the upload starts the trace");
    let trace = upload.trace_id.clone();
    // Logs inside the request name the trace: the span's trace_id field is its id.
    assert_eq!(attribute(upload, "trace_id"), Some(hex(&trace)));

    let in_trace: Vec<&Span> = spans.iter().filter(|span| span.trace_id == trace).collect();
    let by_id: HashMap<&[u8], &Span> = in_trace.iter().map(|span| (span.span_id.as_slice(), *span)).collect();
    let parent = |span: &Span| by_id.get(span.parent_span_id.as_slice()).copied();
    let named = |name: &str| in_trace.iter().copied().filter(|span| span.name == name).collect::<Vec<_>>();

    // Every span of the trace hangs from the upload: one tree, nothing orphaned.
    for span in &in_trace {
        if span.span_id != upload.span_id {
            assert!(parent(span).is_some(), "span {} has a parent outside the trace", span.name);
        }
    }
    let submit = named("submit");
    assert_eq!(submit.len(), 1);
    assert_eq!(attribute(submit[0], "correlation_id"), Some(run.to_string()));
    // The message was sent inside the submission, and the worker's job continues from it.
    let send = named("send apply_run");
    assert_eq!(send.len(), 1);
    assert_eq!(kind(send[0]), SpanKind::Producer);
    assert!(std::iter::successors(parent(send[0]), |span| parent(span)).any(|span| span.span_id == submit[0].span_id));
    let job = named("apply_run").into_iter().find(|span| kind(span) == SpanKind::Consumer).expect("the worker's job span in the trace");
    assert_eq!(job.parent_span_id, send[0].span_id, "the job continues the trace the message carried");
    assert_eq!(attribute(job, "messaging.system").as_deref(), Some(if stack == Stack::Production { "azure" } else { "embedded" }));
    assert_eq!(attribute(job, "trace_id"), Some(hex(&trace)));
    let applying = *named("apply").first().expect("the orchestrator's span");
    assert_eq!(applying.parent_span_id, job.span_id);
    assert_eq!(attribute(applying, "correlation_id"), Some(run.to_string()));

    // One span per step, under the run's; each Databricks call under a step or the planning
    // read, a client span with its answer's status, answered by the sandbox in the same trace.
    let step_spans: Vec<&Span> = in_trace.iter().copied().filter(|span| attribute(span, "step").is_some()).collect();
    let numbers: HashSet<String> = step_spans.iter().filter_map(|span| attribute(span, "step")).collect();
    assert_eq!(numbers, steps.iter().map(|step| step.step_no.to_string()).collect::<HashSet<_>>());
    assert!(step_spans.iter().all(|span| span.parent_span_id == applying.span_id));
    let calls: Vec<&Span> = in_trace.iter().copied().filter(|span| kind(span) == SpanKind::Client).collect();
    assert!(calls.len() >= steps.len() / 2, "{} Databricks calls for {} steps", calls.len(), steps.len());
    assert!(calls.iter().any(|call| parent(call).is_some_and(|step| step_spans.iter().any(|s| s.span_id == step.span_id))));
    for call in &calls {
        assert!(attribute(call, "http.response.status_code").is_some(), "{} has no status", call.name);
        let answered: Vec<&&Span> =
            in_trace.iter().filter(|span| span.parent_span_id == call.span_id && kind(span) == SpanKind::Server).collect();
        assert!(!answered.is_empty(), "{} was not answered in the trace", call.name);
        assert!(answered[0].name.starts_with(&format!("{} /sandbox", attribute(call, "http.request.method").unwrap())));
    }
    // Nothing secret went out: no bearer token, no claim token.
    let everything = format!("{spans:?}");
    assert!(!everything.contains("dapi-"), "a token reached the traces");
    telemetry.shutdown();
}

sharepack_engine::on_both_stacks!(one_trace_across_the_queue);
