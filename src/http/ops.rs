//! Health, readiness and metrics endpoints for orchestrators and Prometheus.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

/// `GET /readyz`: 200 when the database (and Redis, when configured)
/// answer; 503 while either does not or while shutting down, so a load
/// balancer stops sending traffic.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let timeout = Duration::from_secs(2);
    let draining = state.draining.load(Ordering::Relaxed);
    let (db, redis) = tokio::join!(state.ctx.db.ping(timeout), state.ctx.bus.ping(timeout));
    let redis_status = if state.ctx.config.redis_url.is_none() {
        "not configured".to_string()
    } else {
        redis.as_ref().map(|_| "ok".to_string()).unwrap_or_else(|e| e.clone())
    };
    let ready = !draining && db.is_ok() && redis.is_ok();
    if let Err(e) = &db {
        tracing::warn!(error = %e, "readiness: database unreachable");
    }
    let body = json!({
        "status": if ready { "ready" } else if draining { "draining" } else { "unavailable" },
        "database": db.as_ref().map(|_| "ok").unwrap_or("unreachable"),
        "redis": if redis.is_ok() { redis_status } else { "unreachable".into() },
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.ctx.metrics.render(state.ctx.db.pool_usage());
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}
