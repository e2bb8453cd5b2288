//! The HTTP surface on poem: routes, auth extraction, request ids, health and metrics.
//!
//! - `/graphql`: GraphQL over HTTP (POST, GET for queries) and WebSocket upgrades
//!   (`graphql-transport-ws` and the legacy `graphql-ws`)
//! - `/graphql/stream`: GraphQL over SSE
//! - `/graphiql`: GraphiQL (dev profile only), its scripts and styles served from here
//! - `/healthz`, `/readyz`, `/metrics`

pub(crate) mod dashboard;
mod documents;
mod graphiql;
mod graphql;
pub mod guard;
mod health;
pub mod limits;
mod negotiate;
pub mod payments;
pub mod pdf;
pub mod persisted;
mod request_id;
mod security;
mod sse;
pub mod uploads;
mod verify;
mod ws;

use std::{sync::Arc, time::Duration};

use poem::{
    get, handler, http::StatusCode, web::Redirect, Endpoint, EndpointExt, IntoResponse, Response,
    Route,
};
use shahr_store::PgPool;
use tokio_util::sync::CancellationToken;

pub use request_id::RequestId;

use crate::{auth::Verifier, config::Profile, events::EventBus, metrics::Metrics};

/// Transport settings taken from the configuration.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Deployment profile (GraphiQL only in dev).
    pub profile: Profile,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Most operations in a batch.
    pub max_batch: usize,
    /// Deadline of one HTTP GraphQL request.
    pub request_timeout: Duration,
    /// Deadline for `connection_init` on WebSockets.
    pub ws_init_timeout: Duration,
    /// Largest WebSocket message.
    pub ws_max_message_bytes: usize,
    /// Most operations one WebSocket runs at once.
    pub max_operations_per_socket: usize,
    /// Most replays one WebSocket runs at once.
    pub max_replays_per_socket: usize,
    /// Deadline for reading a request body.
    pub body_read_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Deadline of each readiness check.
    pub readiness_timeout: Duration,
    /// Largest upload.
    pub max_upload_bytes: usize,
    /// Bytes one person may have uploaded and not yet attached.
    pub upload_quota_bytes: u64,
    /// `/metrics` is served by its own listener, not by the main one.
    pub metrics_apart: bool,
    /// SHA-256 of the bearer token `/metrics` requires.
    pub metrics_token_sha256: Option<[u8; 32]>,
}

/// Everything the routes need.
pub struct HttpState {
    /// Online payments, when a payment gateway is configured.
    pub payments: Option<crate::usecases::payments::Payments>,
    /// Where the browser goes after paying (`None`: `/payments/result`).
    pub payment_return_url: Option<String>,
    /// The graph: admission, then the resolving schema.
    pub graph: crate::graphql::Graph,
    /// Token verification.
    pub verifier: Arc<Verifier>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Settings.
    pub settings: HttpSettings,
    /// Pools checked by `/readyz`, with their names.
    pub databases: Vec<(&'static str, PgPool)>,
    /// The urbanism connector, whose statement and reject counts `/metrics` reports.
    pub urbanism: shahr_urbanism::UrbanismDb,
    /// The citizen store (uploads' metadata).
    pub citizen: shahr_citizen::CitizenDb,
    /// Where uploaded bytes go.
    pub blobs: std::sync::Arc<shahr_citizen::blobs::DirectoryBlobStore>,
    /// Keys that sign and verify issued rulings.
    pub keyring: Arc<shahr_domain::signing::Keyring>,
    /// Checks document links.
    pub links: crate::documents::links::LinkSigner,
    /// Caps on live connections.
    pub connections: std::sync::Arc<limits::ConnectionLimiter>,
    /// Rate limits per viewer and per client address.
    pub rate: Arc<crate::ratelimit::RateLimiter>,
    /// Chromium, for PDFs of documents.
    pub chromium: Option<std::path::PathBuf>,
    /// Turns to print PDFs (`max_concurrent_pdf_renders`, one print per document).
    pub pdfs: Arc<pdf::Printer>,
    /// This server's own address (loopback), for Chromium to load a document from.
    pub self_url: String,
    /// Article 100 settings (the objection window shown with a served ruling).
    pub rules: Arc<shahr_domain::session::Article100Rules>,
    /// The official holidays (deadlines shown with a served ruling).
    pub calendar: crate::usecases::CalendarCache,
    /// Redis pool, when configured.
    pub redis: Option<deadpool_redis::Pool>,
    /// Automatic persisted queries' documents.
    pub persisted: Arc<persisted::PersistedQueries>,
    /// The event bus (its kind is reported by `/readyz`).
    pub bus: Arc<dyn EventBus>,
    /// Cancelled when the server shuts down: live sockets close with 1001.
    pub shutdown: CancellationToken,
}

/// Builds the route table.
pub fn routes(state: Arc<HttpState>) -> impl Endpoint<Output = Response> {
    let mut route = Route::new()
        .at("/graphql", get(graphql::get_or_upgrade).post(graphql::post))
        .at(
            "/graphql/stream",
            get(sse::subscribe_get).post(sse::subscribe_post),
        )
        .at("/uploads", poem::post(uploads::upload))
        .at("/verify/:code", get(verify::verify))
        .at(
            "/payments/callback/:provider",
            poem::post(payments::callback),
        )
        .at("/receipts/:code", get(payments::receipt))
        .at("/documents/rulings/:id", get(documents::ruling_document))
        .at(
            crate::documents::FONT_REGULAR_PATH,
            get(documents::font_regular),
        )
        .at(crate::documents::FONT_BOLD_PATH, get(documents::font_bold))
        .at("/dashboard", get(dashboard::page))
        .at("/dashboard/app.js", get(dashboard::script))
        .at("/dashboard/app.css", get(dashboard::style))
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz));
    if !state.settings.metrics_apart {
        route = route.at("/metrics", get(health::metrics));
    }
    if state.settings.profile == Profile::Dev {
        route = route
            .at("/graphiql", get(graphiql::page))
            .at("/graphiql/:file", get(graphiql::file))
            .at("/", get(index_dev));
    }
    let metrics = state.metrics.clone();
    route
        .data(state)
        .around(security::middleware)
        .around(move |ep, req| request_id::count(ep, req, metrics.clone()))
        .around(request_id::middleware)
        .map_to_response()
}

/// The routes of the separate metrics listener (`metrics_listen`).
pub fn metrics_routes(state: Arc<HttpState>) -> impl poem::Endpoint<Output = poem::Response> {
    Route::new()
        .at("/metrics", get(health::metrics))
        .data(state)
        .around(security::middleware)
        .map_to_response()
}

#[handler]
fn index_dev() -> Response {
    Redirect::see_other("/graphiql").into_response()
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the right-most
/// address of `X-Forwarded-For` that is not itself a trusted proxy (entries further left
/// were written by the client and prove nothing).
pub(crate) fn client_ip(req: &poem::Request, settings: &HttpSettings) -> Option<std::net::IpAddr> {
    let peer = req
        .remote_addr()
        .as_socket_addr()
        .map(std::net::SocketAddr::ip)?;
    let trusted = |ip: &std::net::IpAddr| settings.trusted_proxies.iter().any(|n| n.contains(ip));
    if !trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted(ip))
            .unwrap_or(peer),
    )
}

/// Who a rate limit counts: the signed-in viewer, or the client's address.
pub(crate) fn rate_who(viewer: &crate::auth::Viewer, ip: Option<std::net::IpAddr>) -> String {
    match viewer.principal() {
        Some(p) => format!("sub:{}", p.subject),
        None => format!(
            "ip:{}",
            ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
        ),
    }
}

/// [`rate_who`] of an HTTP request.
pub(crate) fn rate_key(
    viewer: &crate::auth::Viewer,
    req: &poem::Request,
    settings: &HttpSettings,
) -> String {
    rate_who(viewer, client_ip(req, settings))
}

/// 429 with `Retry-After` (whole seconds, at least 1).
pub(crate) fn rate_limited(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let body = serde_json::json!({ "errors": [{
        "message": format!("too many requests; retry in {} s", seconds.max(1)),
        "extensions": {
            "code": "RATE_LIMITED",
            "retryAfter": seconds.max(1),
            "messageFa": "درخواست‌ها بیش از حد مجاز است؛ کمی بعد دوباره تلاش کنید.",
        }
    }]});
    Response::builder()
        .status(StatusCode::TOO_MANY_REQUESTS)
        .header(poem::http::header::RETRY_AFTER, seconds.max(1).to_string())
        .content_type("application/json")
        .body(body.to_string())
}

/// 408: the request body did not arrive within `body_read_timeout`.
pub(crate) fn body_timeout() -> Response {
    let mut response = error_response(
        StatusCode::REQUEST_TIMEOUT,
        "BAD_REQUEST",
        "the request body did not arrive in time",
    );
    response.headers_mut().insert(
        poem::http::header::CONNECTION,
        poem::http::HeaderValue::from_static("close"),
    );
    response
}

/// A JSON error body in GraphQL shape, for failures outside GraphQL execution.
/// A code read from paper (`/verify/{code}`, `/receipts/{code}`), once the per-address brake
/// on guessing allows it: the code in capitals, or `None` when it cannot be one. `Err` is the
/// rate-limited answer to send instead.
pub(crate) async fn paper_code(
    req: &poem::Request,
    state: &HttpState,
    code: &str,
) -> Result<Option<String>, Response> {
    // Codes are unguessable, and guessing them is slowed further per address.
    let ip =
        client_ip(req, &state.settings).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    if let Err(wait) = state.rate.take(state.rate.verify(), &ip, 1).await {
        return Err(rate_limited(wait));
    }
    let code = code.trim().to_uppercase();
    Ok((code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric())).then_some(code))
}

/// An error outside GraphQL (`/uploads`, `/documents`, a refused token) in the same shape as
/// the GraphQL errors: `errors[0].message`, `extensions.code` and `extensions.messageFa` (the
/// code's general Persian message).
pub(crate) fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let fa = crate::graphql::error::ErrorCode::parse(code)
        .map_or("درخواست انجام نشد.", |c| c.message_fa());
    error_response_fa(status, code, message, fa, None)
}

/// [`error_response`] with its own Persian message, and the request field at fault if any.
pub(crate) fn error_response_fa(
    status: StatusCode,
    code: &str,
    message: &str,
    message_fa: &str,
    field: Option<&str>,
) -> Response {
    let mut extensions = serde_json::json!({ "code": code, "messageFa": message_fa });
    if let Some(field) = field {
        extensions["field"] = field.into();
    }
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": extensions }]
    });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}
