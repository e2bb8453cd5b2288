//! GraphQL over Server-Sent Events (the "distinct connections" mode of the GraphQL-over-SSE
//! protocol): one subscription per request, `event: next` per result, `event: complete` at
//! the end. A request error arrives as one `next` event carrying `errors`, then `complete`.

use std::{sync::Arc, time::Duration};

use futures_util::StreamExt;
use poem::{
    handler,
    http::{header, StatusCode},
    web::{
        sse::{Event, SSE},
        Data,
    },
    Body, IntoResponse, Request, Response,
};

use super::{
    error_response,
    graphql::{client_name, request_from_query_string, viewer},
    negotiate::is_json_content,
    HttpState,
};
use crate::{auth::Viewer, graphql::Admission};

fn accepts_event_stream(req: &Request) -> bool {
    match req.header(header::ACCEPT) {
        None => true,
        Some(accept) => accept.split(',').any(|r| {
            let media = r.split(';').next().unwrap_or_default().trim();
            media.eq_ignore_ascii_case("text/event-stream") || media == "*/*"
        }),
    }
}

/// GET `/graphql/stream?query=subscription{...}`.
#[handler]
pub async fn subscribe_get(req: &Request, state: Data<&Arc<HttpState>>) -> Response {
    if !accepts_event_stream(req) {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            "BAD_REQUEST",
            "accept text/event-stream",
        );
    }
    let viewer = match viewer(req, &state).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let mut request = match request_from_query_string(req) {
        Ok(r) => r,
        Err(message) => return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", message),
    };
    if let Err(refusal) = state
        .persisted
        .resolve(&mut request, client_name(req))
        .await
    {
        return refusal.response();
    }
    // A link or an image tag must never change state: no mutation travels over GET.
    if state
        .graph
        .operation_kind(&request.query, request.operation_name.as_deref())
        == Some(async_graphql::parser::types::OperationType::Mutation)
    {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_REQUEST",
            "mutations may not be sent with GET; use POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, poem::http::HeaderValue::from_static("POST"));
        return response;
    }
    stream(
        state.0.clone(),
        viewer,
        request,
        super::client_ip(req, &state.settings),
    )
    .await
}

/// POST `/graphql/stream` with a JSON GraphQL request.
#[handler]
pub async fn subscribe_post(req: &Request, body: Body, state: Data<&Arc<HttpState>>) -> Response {
    if !accepts_event_stream(req) {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            "BAD_REQUEST",
            "accept text/event-stream",
        );
    }
    if !is_json_content(req.content_type()) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "the body must be application/json",
        );
    }
    let viewer = match viewer(req, &state).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let read = tokio::time::timeout(
        state.settings.body_read_timeout,
        body.into_bytes_limit(state.settings.max_body_bytes),
    )
    .await;
    let bytes = match read {
        Err(_) => return super::body_timeout(),
        Ok(Ok(b)) => b,
        Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "LIMIT_EXCEEDED",
                "the body is too large",
            )
        }
        Ok(Err(_)) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the body could not be read",
            )
        }
    };
    let Ok(mut request) = serde_json::from_slice::<async_graphql::Request>(&bytes) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the body is not a GraphQL request: expected a JSON object with `query`",
        );
    };
    if let Err(refusal) = state
        .persisted
        .resolve(&mut request, client_name(req))
        .await
    {
        return refusal.response();
    }
    stream(
        state.0.clone(),
        viewer,
        request,
        super::client_ip(req, &state.settings),
    )
    .await
}

async fn stream(
    state: Arc<HttpState>,
    viewer: Viewer,
    request: async_graphql::Request,
    ip: Option<std::net::IpAddr>,
) -> Response {
    let Some(permit) = state.connections.acquire(ip) else {
        return error_response(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "too many live connections; retry later",
        );
    };
    let guard = state.metrics.subscriber("sse");
    let expires_in = viewer
        .expires_at()
        .map(|at| (at - chrono::Utc::now()).to_std().unwrap_or_default())
        .unwrap_or(Duration::from_secs(86_400 * 365));
    let who = super::rate_who(&viewer, ip);
    let budget = crate::graphql::CostBudget {
        limiter: state.rate.clone(),
        who,
    };
    let mut request = request.data(viewer);
    let responses = match state.graph.admit(&mut request, Some(budget)).await {
        Admission::Admitted(_) => state.graph.execute_stream(request),
        Admission::Refused(response, _) => {
            futures_util::stream::once(async move { *response }).boxed()
        }
    };
    let stop = state.shutdown.clone();
    let metrics = state.metrics.clone();
    let events = responses
        .map(move |response| {
            metrics.add_subscription_message("sse", &response);
            let body = serde_json::to_string(&response).unwrap_or_else(|_| "{}".into());
            Event::message(body).event_type("next")
        })
        .take_until(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(expires_in) => {}
            }
        })
        .chain(futures_util::stream::once(async move {
            drop(guard);
            drop(permit);
            Event::message("").event_type("complete")
        }));
    SSE::new(events)
        .keep_alive(Duration::from_secs(15))
        .into_response()
}
