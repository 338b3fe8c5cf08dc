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

/// `POST /webhooks/chain/{currency}`: the chain watcher's deposits and
/// payouts (see `service::exchange::chain` for the signature and bodies).
/// Answers 200 `{"status": "applied" | "recorded"}`; 401 bad signature
/// (nothing written); 404 when the webhook is not configured; 400 signed
/// but unreadable or about no currency of ours; 409 a transaction hash
/// reported again with other details; 413 body too large; 500 otherwise
/// (the watcher retries; nothing was written).
pub async fn chain(
    State(state): State<AppState>,
    Path(currency): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    use crate::service::exchange::{chain, settle};
    let bytes: Bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "the body exceeds 64 KiB"}),
            )
        }
    };
    let cfg = &state.ctx.config.exchange;
    let header = headers.get(chain::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    let tolerance = cfg.chain_webhook_tolerance.as_secs() as i64;
    let report = match chain::verify(cfg.chain_webhook_secret.as_deref(), tolerance, header, &bytes, now) {
        Ok(r) => r,
        Err(chain::Refused::Off) => {
            return reply(
                StatusCode::NOT_FOUND,
                json!({"error": "the chain webhook is not configured"}),
            )
        }
        Err(chain::Refused::BadSignature) => return reply(StatusCode::UNAUTHORIZED, json!({"error": "bad signature"})),
        Err(chain::Refused::Malformed(why)) => return reply(StatusCode::BAD_REQUEST, json!({"error": why})),
    };
    match settle::apply(&state.ctx, &currency, report).await {
        Ok(settle::Outcome::Applied) => reply(StatusCode::OK, json!({"status": "applied"})),
        Ok(settle::Outcome::Recorded) => reply(StatusCode::OK, json!({"status": "recorded"})),
        Err(e @ AppError::BadUserInput { .. }) => reply(StatusCode::BAD_REQUEST, json!({"error": e.to_string()})),
        Err(e @ AppError::Conflict { .. }) => {
            tracing::warn!(currency = %currency, error = %e, "chain webhook conflicts with stored data");
            reply(StatusCode::CONFLICT, json!({"error": e.to_string()}))
        }
        Err(e) => {
            let cause = match &e {
                AppError::Internal(cause) => format!("{cause:#}"),
                other => other.to_string(),
            };
            tracing::error!(currency = %currency, error = cause, "chain webhook failed");
            reply(StatusCode::INTERNAL_SERVER_ERROR, json!({"error": "internal error"}))
        }
    }
}
