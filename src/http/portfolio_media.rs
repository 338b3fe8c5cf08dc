//! `GET /media/portfolio/{imageId}` and `/media/portfolio/{imageId}/thumbnail`:
//! portfolio images, re-encoded at upload (no metadata). Public when the
//! image's profile is (ACTIVE, APPROVED, `is_profile_public`): shared
//! caches may keep it for a few minutes. Otherwise only the profile's
//! owner or a holder of `marketplace.profiles.manage` reads it, with their
//! bearer, and nobody caches it; everyone else gets 404, so ids reveal
//! nothing. `Content-Type` is the stored (sniffed) type, with `nosniff`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::auth;
use super::refusal::{self, refuse};
use super::AppState;
use crate::error::{AppError, ErrorCode};
use crate::service::marketplace::images;

/// How long a public image may be cached, in seconds.
const PUBLIC_MAX_AGE: u32 = 300;

fn refuse_error(e: AppError) -> Response {
    refusal::refuse_error(e, "a portfolio image read")
}

/// The original image.
pub async fn original(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: auth::ClientInfo,
    headers: HeaderMap,
) -> Response {
    serve(&state, &id, false, client, &headers).await
}

/// The thumbnail (at most 320 pixels on its long side).
pub async fn thumbnail(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: auth::ClientInfo,
    headers: HeaderMap,
) -> Response {
    serve(&state, &id, true, client, &headers).await
}

async fn serve(state: &AppState, id: &str, thumbnail: bool, client: auth::ClientInfo, headers: &HeaderMap) -> Response {
    let Ok(id) = Uuid::parse_str(id) else {
        return refuse(StatusCode::NOT_FOUND, ErrorCode::NotFound, "image not found");
    };
    let viewer = match auth::viewer_from_headers(&state.ctx, headers, client).await {
        Ok(v) => v,
        Err(e) => return refuse_error(e),
    };
    let media = match images::download(&state.ctx, &viewer, id, thumbnail).await {
        Ok(m) => m,
        Err(e) => return refuse_error(e),
    };
    let cache = if media.public {
        format!("public, max-age={PUBLIC_MAX_AGE}")
    } else {
        "private, no-store".to_string()
    };
    let etag = HeaderValue::from_str(&media.etag).ok();
    let unchanged = etag.as_ref().is_some_and(|tag| {
        headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == tag.to_str().unwrap_or("")))
    });
    let mut res = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, media.bytes).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&media.mime_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
        r
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&cache) {
        h.insert(header::CACHE_CONTROL, v);
    }
    if let Some(tag) = etag {
        h.insert(header::ETAG, tag);
    }
    // Who may read it depends on the bearer.
    h.insert(header::VARY, HeaderValue::from_static("Authorization"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    res
}
