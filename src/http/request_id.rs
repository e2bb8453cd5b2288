//! Request ids: taken from a well-formed `X-Request-Id` or generated, put in the response
//! header, and attached to every log line of the request.

use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response, Result};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The header carrying the id.
pub const HEADER: &str = "x-request-id";

/// The request's id, available to handlers as request data.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub(super) async fn middleware<E: Endpoint>(ep: E, mut req: Request) -> Result<Response> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.set_data(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = route_of(&path);
    let span = tracing::info_span!(
        "http",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = %method,
        http.route = route,
        url.path = %path,
        http.response.status_code = tracing::field::Empty,
        request_id = %id,
        trace_id = tracing::field::Empty,
    );
    // Continue the caller's trace when it sent a well-formed `traceparent`.
    let _ = span.set_parent(shahr_tracecontext::extract(req.headers()));
    if let Some(trace_id) = shahr_tracecontext::trace_id_of(&span) {
        span.record("trace_id", trace_id);
    }
    let started = Instant::now();
    async move {
        let mut response = match ep.call(req).await {
            Ok(r) => r.into_response(),
            Err(err) => err.into_response(),
        };
        if let Ok(value) = id.parse() {
            response.headers_mut().insert(HEADER, value);
        }
        let status = response.status();
        let span = tracing::Span::current();
        span.record("http.response.status_code", status.as_u16());
        if status.is_server_error() {
            span.record("otel.status_code", "ERROR");
        }
        tracing::info!(
            status = response.status().as_u16(),
            took_ms = started.elapsed().as_millis() as u64,
            "request"
        );
        Ok(response)
    }
    .instrument(span)
    .await
}

/// The route pattern of `path`, for the `route` label: bounded whatever paths clients ask.
pub(super) fn route_of(path: &str) -> &'static str {
    const EXACT: &[&str] = &[
        "/graphql",
        "/graphql/stream",
        "/uploads",
        "/dashboard",
        "/dashboard/app.js",
        "/dashboard/app.css",
        "/healthz",
        "/readyz",
        "/metrics",
        "/graphiql",
        "/",
    ];
    const PATTERNS: &[(&str, &str)] = &[
        ("/verify/", "/verify/:code"),
        ("/receipts/", "/receipts/:code"),
        ("/payments/callback/", "/payments/callback/:provider"),
        ("/documents/rulings/", "/documents/rulings/:id"),
        ("/assets/fonts/", "/assets/fonts/:file"),
        ("/graphiql/", "/graphiql/:file"),
    ];
    if let Some(exact) = EXACT.iter().find(|p| **p == path) {
        return exact;
    }
    PATTERNS
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map_or("other", |(_, pattern)| pattern)
}

/// Counts each request by route and status.
pub(super) async fn count<E: Endpoint>(
    ep: E,
    req: Request,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) -> Result<Response> {
    let route = route_of(req.uri().path());
    let response = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(err) => err.into_response(),
    };
    metrics.add_http_request(route, response.status().as_u16());
    Ok(response)
}
