//! GraphQL over HTTP, per the GraphQL-over-HTTP spec: POST with a JSON body, GET for queries
//! only, `application/graphql-response+json` (or legacy `application/json`) by `Accept`, and
//! request errors as 4xx without `data`.

use std::{sync::Arc, time::Instant};

use async_graphql::{parser::types::OperationType, BatchRequest, Variables};
use poem::{
    handler,
    http::{header, StatusCode},
    web::{websocket::WebSocket, Data},
    Body, IntoResponse, Request, Response,
};
use serde::Deserialize;

use super::{
    error_response,
    negotiate::{is_json_content, response_type, ResponseType},
    ws, HttpState, RequestId,
};
use crate::{
    auth::{AuthError, Viewer},
    graphql::{context::IdempotencyKey, Admission, CostBudget, ExecutionInfo},
    metrics::Outcome,
};

/// Query-string form of a GET request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// Reads a GraphQL request from the query string (`query`, `operationName`, `variables`,
/// `extensions`, the last two as JSON). The error is a message for a 400.
pub(super) fn request_from_query_string(
    req: &Request,
) -> Result<async_graphql::Request, &'static str> {
    let params = req
        .params::<GetParams>()
        .map_err(|_| "the query string is malformed")?;
    // A persisted query may come without its document (its hash is in `extensions`).
    let query = params.query.unwrap_or_default();
    if query.trim().is_empty() && params.extensions.is_none() {
        return Err("the `query` parameter is required");
    }
    let mut request = async_graphql::Request::new(query);
    request.operation_name = params.operation_name;
    if let Some(vars) = params.variables.filter(|v| !v.is_empty()) {
        let value = serde_json::from_str::<serde_json::Value>(&vars)
            .map_err(|_| "`variables` is not valid JSON")?;
        request.variables = Variables::from_json(value);
    }
    if let Some(ext) = params.extensions.filter(|v| !v.is_empty()) {
        request.extensions =
            serde_json::from_str(&ext).map_err(|_| "`extensions` is not valid JSON")?;
    }
    Ok(request)
}

/// The client app a request says it comes from (`graphql-client-name`, or Apollo's
/// `apollographql-client-name`).
pub(super) fn client_name(req: &Request) -> Option<&str> {
    req.header("graphql-client-name")
        .or_else(|| req.header("apollographql-client-name"))
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

/// GET `/graphql`: a WebSocket upgrade, or a query in the query string.
#[handler]
pub async fn get_or_upgrade(
    req: &Request,
    websocket: Option<WebSocket>,
    state: Data<&Arc<HttpState>>,
) -> Response {
    if let Some(websocket) = websocket {
        return ws::upgrade(req, websocket, state.0.clone());
    }
    let Some(rtype) = response_type(req.header(header::ACCEPT)) else {
        return not_acceptable();
    };
    let mut request = match request_from_query_string(req) {
        Ok(r) => r,
        Err(message) => return bad_request(message),
    };
    if let Err(refusal) = state
        .persisted
        .resolve(&mut request, client_name(req))
        .await
    {
        return refusal.response();
    }
    if request.query.trim().is_empty() {
        return bad_request("the `query` parameter is required");
    }
    // Only queries may travel over GET: a link or an image tag must never change state.
    if let Some(kind) = state
        .graph
        .operation_kind(&request.query, request.operation_name.as_deref())
    {
        if kind != OperationType::Query {
            return Response::builder()
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .header(header::ALLOW, "POST")
                .content_type("application/json")
                .body(
                    serde_json::json!({ "errors": [{
                        "message": "only queries may be sent with GET; use POST",
                        "extensions": { "code": "BAD_REQUEST" }
                    }]})
                    .to_string(),
                );
        }
    }
    execute(req, &state, rtype, BatchRequest::Single(request)).await
}

/// POST `/graphql`: a JSON body holding one operation or a batch of queries.
#[handler]
pub async fn post(req: &Request, body: Body, state: Data<&Arc<HttpState>>) -> Response {
    let Some(rtype) = response_type(req.header(header::ACCEPT)) else {
        return not_acceptable();
    };
    // Only JSON bodies: a form or text/plain POST (which browsers send cross-site without a
    // preflight) is refused before anything runs.
    if !is_json_content(req.content_type()) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "the body must be application/json",
        );
    }
    let limit = state.settings.max_body_bytes;
    let declared = req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return too_large(limit);
    }
    let read = tokio::time::timeout(
        state.settings.body_read_timeout,
        body.into_bytes_limit(limit),
    )
    .await;
    let bytes = match read {
        Err(_) => return super::body_timeout(),
        Ok(Ok(b)) => b,
        Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => return too_large(limit),
        Ok(Err(_)) => return bad_request("the body could not be read"),
    };
    let mut batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(_) => {
            return bad_request(
                "the body is not a GraphQL request: expected a JSON object with `query`",
            )
        }
    };
    let client = client_name(req);
    let resolved = match &mut batch {
        BatchRequest::Single(request) => state.persisted.resolve(request, client).await,
        BatchRequest::Batch(requests) => {
            let mut resolved = Ok(());
            for request in requests.iter_mut() {
                resolved = state.persisted.resolve(request, client).await;
                if resolved.is_err() {
                    break;
                }
            }
            resolved
        }
    };
    if let Err(refusal) = resolved {
        return refusal.response();
    }
    if batch.iter().any(|r| r.query.trim().is_empty()) {
        return bad_request("the body is not a GraphQL request: `query` is required");
    }
    if let BatchRequest::Batch(requests) = &batch {
        if requests.is_empty() {
            return bad_request("the batch is empty");
        }
        if requests.len() > state.settings.max_batch {
            return error_with_code(
                rtype,
                StatusCode::BAD_REQUEST,
                "LIMIT_EXCEEDED",
                &format!(
                    "a batch may hold at most {} operations",
                    state.settings.max_batch
                ),
            );
        }
        let has_mutation = requests.iter().any(|r| {
            state
                .graph
                .operation_kind(&r.query, r.operation_name.as_deref())
                .is_some_and(|k| k != OperationType::Query)
        });
        if has_mutation {
            return error_with_code(
                rtype,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "mutations and subscriptions cannot be batched; send them one per request",
            );
        }
    }
    execute(req, &state, rtype, batch).await
}

/// Authenticates, runs the operation(s) with a deadline, records metrics, and shapes the answer.
async fn execute(
    req: &Request,
    state: &HttpState,
    rtype: ResponseType,
    batch: BatchRequest,
) -> Response {
    let viewer = match viewer(req, state).await {
        Ok(v) => v,
        Err(err) => return err.into_response(),
    };
    // Rate limits come before any work: requests of the viewer (or of the address, without
    // a token), mutations on their own bucket, and each operation's cost in the guard.
    let who = super::rate_key(&viewer, req, &state.settings);
    let rate = &state.rate;
    let requests = u32::try_from(batch.iter().count()).unwrap_or(u32::MAX);
    let bucket = if viewer.principal().is_some() {
        rate.viewer()
    } else {
        rate.anonymous()
    };
    if let Err(wait) = rate.take(bucket, &who, requests).await {
        return super::rate_limited(wait);
    }
    let mutation = batch.iter().any(|r| {
        state
            .graph
            .operation_kind(&r.query, r.operation_name.as_deref())
            == Some(OperationType::Mutation)
    });
    if mutation {
        if let Err(wait) = rate.take(rate.mutations(), &who, 1).await {
            return super::rate_limited(wait);
        }
    }
    let budget = CostBudget {
        limiter: rate.clone(),
        who,
    };
    let request_id = req.data::<RequestId>().cloned();
    let idempotency_key = req.header("idempotency-key").map(|k| k.trim().to_owned());
    let prepare = |r: async_graphql::Request| -> async_graphql::Request {
        let mut r = r.data(viewer.clone());
        if let Some(key) = &idempotency_key {
            r = r.data(IdempotencyKey(key.clone()));
        }
        if let Some(id) = &request_id {
            r = r.data(id.clone());
        }
        r
    };
    let started = Instant::now();
    match batch {
        BatchRequest::Single(request) => {
            let (response, info) = admit_and_run(state, prepare(request), &budget, mutation).await;
            let (status, body) = shape(rtype, &response, &info);
            record(state, &info, &response, started);
            let mut out = text_response(status, rtype, body);
            if let Some(wait) = info.retry_after() {
                out.set_status(StatusCode::TOO_MANY_REQUESTS);
                let seconds = wait.as_secs().max(1).to_string();
                if let Ok(value) = seconds.parse() {
                    out.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            out
        }
        BatchRequest::Batch(requests) => {
            let runs = requests
                .into_iter()
                .map(|r| admit_and_run(state, prepare(r), &budget, false));
            let responses = futures_util::future::join_all(runs).await;
            let bodies: Vec<String> = responses
                .iter()
                .map(|(response, info)| {
                    record(state, info, response, started);
                    shape(rtype, response, info).1
                })
                .collect();
            text_response(StatusCode::OK, rtype, format!("[{}]", bodies.join(",")))
        }
    }
}

/// Admits one operation and runs it: a mutation to its end, anything else within the
/// request deadline. A refused operation answers with admission's errors.
async fn admit_and_run(
    state: &HttpState,
    mut request: async_graphql::Request,
    budget: &CostBudget,
    mutation: bool,
) -> (async_graphql::Response, Arc<ExecutionInfo>) {
    let info = match state.graph.admit(&mut request, Some(budget.clone())).await {
        Admission::Admitted(info) => info,
        Admission::Refused(response, info) => return (*response, info),
    };
    let response = if mutation {
        run_to_the_end(state, request, &info).await
    } else {
        run_with_deadline(state, request, &info).await
    };
    (response, info)
}

/// A mutation runs to its end: once its transaction may have begun, neither the deadline
/// nor a client that goes away may cut it off, or a commit could land while the client is
/// told it failed. Once admitted it runs in a task of its own (dropping this request does not
/// cancel it); each of its steps is bounded by the pool checkout and statement timeouts
/// instead, and the rate limits and validation came before it.
async fn run_to_the_end(
    state: &HttpState,
    request: async_graphql::Request,
    info: &ExecutionInfo,
) -> async_graphql::Response {
    let graph = state.graph.clone();
    let span = info.span();
    let run = tokio::spawn(tracing::Instrument::instrument(
        async move { graph.schema().execute(request).await },
        span,
    ));
    match run.await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = %err, "a mutation's task failed");
            let mut err = async_graphql::ServerError::new(
                "the mutation failed; retry it with the same idempotency key",
                None,
            );
            let mut ext = async_graphql::ErrorExtensionValues::default();
            ext.set("code", "INTERNAL_SERVER_ERROR");
            err.extensions = Some(ext);
            async_graphql::Response::from_errors(vec![err])
        }
    }
}

/// Runs an admitted operation within the request deadline.
async fn run_with_deadline(
    state: &HttpState,
    request: async_graphql::Request,
    info: &ExecutionInfo,
) -> async_graphql::Response {
    match tokio::time::timeout(
        state.settings.request_timeout,
        state.graph.execute(request, info),
    )
    .await
    {
        Ok(response) => response,
        Err(_) => {
            let mut err =
                async_graphql::ServerError::new("the request ran past its deadline", None);
            let mut ext = async_graphql::ErrorExtensionValues::default();
            ext.set("code", "SERVICE_UNAVAILABLE");
            err.extensions = Some(ext);
            async_graphql::Response::from_errors(vec![err])
        }
    }
}

/// The status and body for one response: request errors lose `data` and, with
/// `application/graphql-response+json`, answer 400.
fn shape(
    rtype: ResponseType,
    response: &async_graphql::Response,
    info: &ExecutionInfo,
) -> (StatusCode, String) {
    let request_error = !info.accepted() && !response.errors.is_empty();
    if request_error {
        let body = serde_json::json!({ "errors": response.errors });
        let status = match rtype {
            ResponseType::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            ResponseType::Json => StatusCode::OK,
        };
        return (status, body.to_string());
    }
    // Straight to text: no intermediate JSON tree for the (possibly large) data.
    let body = serde_json::to_string(response).unwrap_or_else(|_| "{}".to_owned());
    (StatusCode::OK, body)
}

fn record(
    state: &HttpState,
    info: &ExecutionInfo,
    response: &async_graphql::Response,
    started: Instant,
) {
    let outcome = if !info.accepted() {
        Outcome::Rejected
    } else if response.errors.is_empty() {
        Outcome::Ok
    } else {
        Outcome::FieldErrors
    };
    state
        .metrics
        .observe_request(info.operation_name().as_deref(), outcome, started.elapsed());
}

fn text_response(status: StatusCode, rtype: ResponseType, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type(rtype.content_type())
        .body(body)
}

fn json_response(status: StatusCode, rtype: ResponseType, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .content_type(rtype.content_type())
        .body(body.to_string())
}

fn error_with_code(rtype: ResponseType, status: StatusCode, code: &str, message: &str) -> Response {
    let status = match rtype {
        ResponseType::GraphqlResponseJson => status,
        ResponseType::Json => StatusCode::OK,
    };
    json_response(
        status,
        rtype,
        serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }),
    )
}

/// A request that is not a GraphQL request at all: a plain 400 whatever the `Accept` says.
fn bad_request(message: &str) -> Response {
    error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

fn not_acceptable() -> Response {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        "BAD_REQUEST",
        "accept application/graphql-response+json or application/json",
    )
}

fn too_large(limit: usize) -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "LIMIT_EXCEEDED",
        &format!("the body is larger than {limit} bytes"),
    )
}

/// 401 for a token that is present but unusable; nothing was executed.
pub(super) fn unauthorized(err: &AuthError) -> Response {
    let description = err.to_string();
    let fa = match err {
        AuthError::Malformed => "سربرگ Authorization باید به شکل Bearer و سپس توکن باشد.",
        AuthError::Expired => "نشست شما به پایان رسیده است؛ دوباره وارد سامانه شوید.",
        AuthError::Invalid => "توکن ورود معتبر نیست؛ دوباره وارد سامانه شوید.",
    };
    let mut response = super::error_response_fa(
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        &description,
        fa,
        None,
    );
    let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
    if let Ok(value) = challenge.parse() {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

impl IntoResponse for AuthErrorResponse {
    fn into_response(self) -> Response {
        unauthorized(&self.0)
    }
}

/// An [`AuthError`] as an HTTP response.
pub(super) struct AuthErrorResponse(pub AuthError);

/// Helper so handlers can write `viewer(req, state)?`.
pub(super) async fn viewer(req: &Request, state: &HttpState) -> Result<Viewer, AuthErrorResponse> {
    state
        .verifier
        .viewer_from_header(req.header(header::AUTHORIZATION))
        .await
        .map_err(AuthErrorResponse)
}
