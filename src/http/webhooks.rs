//! `POST /webhooks/payments/{gateway}`: payment providers' notifications
//! (`razorpay`, `stripe`, and `test` when the test gateway is enabled).
//!
//! The raw body (size-limited) is verified against the provider's
//! signature scheme before anything is read from it; see
//! `service::commerce::webhooks` for what a verified call does. Answers:
//! 200 `{"status": "applied" | "recorded" | "ignored"}`; 401 bad signature
//! (nothing written); 400 signed but unreadable; 404 unknown gateway; 409
//! a conflicting provider reference; 413 body too large; 500 otherwise
//! (the provider retries).

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::error::AppError;
use crate::service::commerce::webhooks::{self, Refusal};

fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Receives one webhook call.
pub async fn payment(
    State(state): State<AppState>,
    Path(gateway): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let limit = state.ctx.config.limits.max_body_bytes;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": format!("the body exceeds {limit} bytes")}),
            )
        }
    };
    match webhooks::receive(&state.ctx, &gateway, &headers, &bytes).await {
        Ok(outcome) => reply(StatusCode::OK, json!({"status": outcome.as_str()})),
        Err(Refusal::UnknownGateway) => reply(StatusCode::NOT_FOUND, json!({"error": "no such payment gateway"})),
        Err(Refusal::BadSignature) => reply(StatusCode::UNAUTHORIZED, json!({"error": "bad signature"})),
        Err(Refusal::Malformed(why)) => reply(StatusCode::BAD_REQUEST, json!({"error": why})),
        Err(Refusal::Failed(e @ AppError::Conflict { .. })) => {
            tracing::warn!(gateway = %gateway, error = %e, "payment webhook conflicts with stored data");
            reply(StatusCode::CONFLICT, json!({"error": e.to_string()}))
        }
        Err(Refusal::Failed(e)) => {
            let cause = match &e {
                AppError::Internal(cause) => format!("{cause:#}"),
                other => other.to_string(),
            };
            tracing::error!(gateway = %gateway, error = cause, "payment webhook failed");
            reply(StatusCode::INTERNAL_SERVER_ERROR, json!({"error": "internal error"}))
        }
    }
}
