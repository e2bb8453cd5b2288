//! Liveness, readiness and metrics.

use std::{sync::Arc, time::Instant};

use poem::{handler, http::StatusCode, web::Data, Response};
use serde_json::{json, Map, Value};

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

/// `/metrics`: Prometheus text exposition.
#[handler]
pub fn metrics(state: Data<&Arc<HttpState>>) -> Response {
    for (name, pool) in &state.databases {
        state.metrics.set_pool(name, pool.status());
    }
    state.metrics.observe_connector(
        state.urbanism.statements(),
        &state.urbanism.rejects().snapshot(),
    );
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
