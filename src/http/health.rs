//! Liveness, readiness and metrics.

use std::{sync::Arc, time::Instant};

use poem::{handler, http::StatusCode, web::Data, Response};
use serde_json::{json, Map, Value};
use sha2::Digest;

use super::HttpState;

/// `/healthz`: the process is alive and serving HTTP.
#[handler]
pub fn healthz() -> Response {
    Response::builder()
        .content_type("application/json")
        .body(json!({ "status": "alive" }).to_string())
}

/// `/readyz`: every database and Redis answers within the readiness deadline. 503 otherwise,
/// with each dependency's status in the body.
#[handler]
pub async fn readyz(state: Data<&Arc<HttpState>>) -> Response {
    let deadline = state.settings.readiness_timeout;
    let db_checks = state.databases.iter().map(|(name, pool)| async move {
        let started = Instant::now();
        let result = shahr_store::pool::ping(pool, deadline).await;
        (
            *name,
            check_json(result.map_err(|e| e.to_string()), started),
        )
    });
    let redis_check = async {
        let Some(pool) = &state.redis else {
            return json!({ "status": "disabled" });
        };
        let started = Instant::now();
        let result = tokio::time::timeout(deadline, async {
            let mut conn = pool.get().await.map_err(|e| e.to_string())?;
            redis::cmd("PING")
                .query_async::<String>(&mut *conn)
                .await
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|_| Err("no answer within the deadline".into()));
        check_json(result.map(|_| ()), started)
    };
    let (dbs, redis) = tokio::join!(futures_util::future::join_all(db_checks), redis_check);
    let mut checks = Map::new();
    let mut ready = true;
    for (name, check) in dbs {
        ready &= check["status"] == "up";
        checks.insert(name.to_owned(), check);
    }
    ready &= redis["status"] != "down";
    checks.insert("redis".into(), redis);
    checks.insert(
        "eventBus".into(),
        json!({ "status": "up", "kind": state.bus.kind() }),
    );
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": Value::Object(checks),
    });
    Response::builder()
        .status(if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        })
        .content_type("application/json")
        .body(body.to_string())
}

fn check_json(result: Result<(), String>, started: Instant) -> Value {
    match result {
        Ok(()) => json!({ "status": "up", "latencyMs": started.elapsed().as_millis() as u64 }),
        Err(error) => {
            // The reason helps operators; it names no secret (URLs are never in these errors).
            tracing::warn!(%error, "readiness check failed");
            json!({ "status": "down", "error": error })
        }
    }
}

/// `/metrics`: OpenMetrics when asked for, else the Prometheus text format.
#[handler]
pub fn metrics(state: Data<&Arc<HttpState>>, request: &poem::Request) -> Response {
    if let Some(expected) = &state.settings.metrics_token_sha256 {
        let given = request
            .headers()
            .get(poem::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|token| <[u8; 32]>::from(sha2::Sha256::digest(token.trim().as_bytes())));
        // Digests are compared, so the time taken says nothing about the token.
        if given.as_ref() != Some(expected) {
            let mut response = super::error_response_fa(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "/metrics needs the bearer token configured as metrics_token",
                "برای دیدن سنجه‌ها توکن metrics_token لازم است.",
                None,
            );
            response.headers_mut().insert(
                poem::http::header::WWW_AUTHENTICATE,
                poem::http::HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return response;
        }
    }
    for (name, pool) in &state.databases {
        state.metrics.set_pool(name, pool.status());
    }
    if let Some(redis) = &state.redis {
        state.metrics.set_redis_pool(redis.status());
    }
    state.metrics.observe_connector(
        state.urbanism.statements(),
        &state.urbanism.rejects().snapshot(),
    );
    let format = crate::metrics::exposition::Format::negotiate(
        request
            .headers()
            .get(poem::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    Response::builder()
        .content_type(format.content_type())
        .body(state.metrics.render(format))
}
