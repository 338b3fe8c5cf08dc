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

/// `GET /readyz`: 200 when the database answers, 503 while it does not or
/// while shutting down, so a load balancer stops sending traffic. A Redis
/// outage does not make the instance unready (writes go on; events wait in
/// the outbox) but shows: `"status": "degraded"` with `"bus": "degraded"`,
/// back to `"ok"` once Redis answers again.
pub async fn readyz(State(state): State<AppState>) -> Response {
    use crate::infra::events::BusHealth;
    let timeout = Duration::from_secs(2);
    let draining = state.draining.load(Ordering::Relaxed);
    let (db, bus) = tokio::join!(state.ctx.db.ping(timeout), state.ctx.bus.health(timeout));
    if let Err(e) = &db {
        tracing::warn!(error = %e, "readiness: database unreachable");
    }
    let ready = !draining && db.is_ok();
    let degraded = bus == BusHealth::Degraded;
    let status = if draining {
        "draining"
    } else if !ready {
        "unavailable"
    } else if degraded {
        "degraded"
    } else {
        "ready"
    };
    let body = json!({
        "status": status,
        "database": db.as_ref().map(|_| "ok").unwrap_or("unreachable"),
        "redis": match bus {
            BusHealth::Local => "not configured",
            BusHealth::Ok => "ok",
            BusHealth::Degraded => "unreachable",
        },
        "bus": match bus {
            BusHealth::Local => "in-process",
            BusHealth::Ok => "ok",
            BusHealth::Degraded => "degraded",
        },
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
