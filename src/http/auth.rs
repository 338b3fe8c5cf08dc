//! Turning credentials on a request (a bearer token, an API key, or a
//! WebSocket `connection_init` payload) into a [`Viewer`].

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::AppContext;
use crate::error::AppError;
use crate::service::identity::{self, Credentials, Viewer};

/// Who is on the other end of the connection, as far as the transport knows.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl ClientInfo {
    pub fn from_parts(headers: &HeaderMap, extensions: &axum::http::Extensions) -> Self {
        let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        ClientInfo {
            ip_address: extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string()),
            user_agent: header_text("user-agent").map(|ua| ua.chars().take(512).collect()),
            request_id: header_text("x-request-id"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo::from_parts(&parts.headers, &parts.extensions))
    }
}

/// Reads `Authorization: Bearer` or `X-Api-Key` from HTTP headers.
pub fn credentials_from_headers(headers: &HeaderMap) -> Credentials {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    Credentials::from_parts(bearer.as_deref(), api_key.as_deref())
}

/// Reads credentials from a `connection_init` payload: `authorization`
/// (any case, with or without `Bearer `), a nested `headers` object, or
/// `apiKey` / `x-api-key`.
pub fn credentials_from_payload(payload: Option<&serde_json::Value>) -> Credentials {
    let Some(obj) = payload.and_then(|p| p.as_object()) else {
        return Credentials::None;
    };
    let find = |map: &serde_json::Map<String, serde_json::Value>, names: &[&str]| {
        map.iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    };
    let nested = obj.get("headers").and_then(|h| h.as_object());
    let auth = find(obj, &["authorization", "authToken", "token"])
        .or_else(|| nested.and_then(|h| find(h, &["authorization"])));
    let key = find(obj, &["x-api-key", "apiKey"]).or_else(|| nested.and_then(|h| find(h, &["x-api-key"])));
    let auth = auth.map(|a| if a.contains(' ') { a } else { format!("Bearer {a}") });
    Credentials::from_parts(auth.as_deref(), key.as_deref())
}

/// The viewer of an HTTP request.
pub async fn viewer_from_headers(
    ctx: &AppContext,
    headers: &HeaderMap,
    client: ClientInfo,
) -> Result<Viewer, AppError> {
    identity::authenticate(ctx, credentials_from_headers(headers), client).await
}

/// A 401 (bad credentials) or 429 (rate limited) answer before execution.
pub fn refuse_credentials(err: AppError, content_type: HeaderValue) -> Response {
    let status = match err.code() {
        crate::error::ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        crate::error::ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        crate::error::ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let gql = err.to_graphql();
    let message = if status.is_server_error() {
        "internal error".to_string()
    } else {
        gql.message
    };
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": err.code().as_str() } }]
    });
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, content_type);
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    res
}
