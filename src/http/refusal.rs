//! The JSON refusals of the byte-serving routes (`/files`, `/media`):
//! `{"errors": [{"message", "extensions": {"code"}}]}` like GraphQL, never
//! cached, and never the cause of an internal error (that goes to the log).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, ErrorCode};

/// A refusal with `status`, `code` and `message`.
pub fn refuse(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
    });
    let mut res = (status, body.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

/// The refusal of error `e`; an internal one is logged as `what` failing
/// and answered only "internal error".
pub fn refuse_error(e: AppError, what: &str) -> Response {
    let status = match e.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = if status.is_server_error() {
        if let AppError::Internal(cause) = &e {
            tracing::error!(error = format!("{cause:#}"), "{what} failed");
        }
        "internal error".to_string()
    } else {
        e.to_string()
    };
    refuse(status, e.code(), &message)
}
