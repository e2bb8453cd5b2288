//! W3C trace context (`traceparent`, `tracestate`) for the gateway's own calls.
//!
//! The gateway installs the W3C propagator at start-up; these functions read the context a
//! caller sent and write the current span's context onto calls to upstream systems (GIS,
//! e-notice, the bank, the identity provider), so that one trace follows a request across them.

use http::HeaderMap;
use opentelemetry::{global, trace::TraceContextExt, Context};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The trace context a caller sent in `headers` (empty when it sent none or a malformed one).
pub fn extract(headers: &HeaderMap) -> Context {
    global::get_text_map_propagator(|propagator| propagator.extract(&HeaderExtractor(headers)))
}

/// The headers that carry the current span's trace context to an upstream system; empty
/// when no trace is being recorded.
pub fn headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    let context = tracing::Span::current().context();
    if context.span().span_context().is_valid() {
        global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut HeaderInjector(&mut headers))
        });
    }
    headers
}

/// The current span's trace id as 32 hex digits, if a trace is being recorded.
pub fn current_trace_id() -> Option<String> {
    trace_id_of(&tracing::Span::current())
}

/// The trace id of `span`, if it is part of a recorded trace.
pub fn trace_id_of(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}
