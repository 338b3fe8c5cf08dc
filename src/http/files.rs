//! `GET /files/{id}?expires=..&sig=..`: downloads of uploaded documents.
//! Nothing is public: the link must carry a valid signature (HMAC over the
//! file, the user it was issued to and its expiry; see
//! `infra::storage::LinkSigner`) AND the request that user's bearer, and
//! that user must still be allowed to read the file. Refusals are JSON
//! (`{"errors": [{"message", "extensions": {"code"}}]}`), never bytes:
//! 401 without credentials, 403 for a tampered, expired or someone else's
//! link, 404 for an unknown file.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::auth;
use super::refusal::{self, refuse};
use super::AppState;
use crate::error::{AppError, ErrorCode};
use crate::infra::storage::LinkError;
use crate::service::verification::files;

/// The signed part of a link.
#[derive(Deserialize)]
pub struct LinkParams {
    expires: Option<i64>,
    sig: Option<String>,
}

fn refuse_error(e: AppError) -> Response {
    refusal::refuse_error(e, "a file download")
}

/// Streams one file to the user its link was issued to.
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(link): Query<LinkParams>,
    client: auth::ClientInfo,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return refuse(StatusCode::NOT_FOUND, ErrorCode::NotFound, "file not found");
    };
    let (Some(expires), Some(sig)) = (link.expires, link.sig) else {
        return refuse(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "a download needs a signed link (expires and sig)",
        );
    };
    let viewer = match auth::viewer_from_headers(&state.ctx, &headers, client).await {
        Ok(v) => v,
        Err(e) => return refuse_error(e),
    };
    let Some(user_id) = viewer.user_id else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "sign in first: the link needs the bearer it was issued to",
        );
    };
    match state.ctx.keys.file_links.verify(id, user_id, expires, &sig) {
        Ok(()) => {}
        Err(LinkError::BadSignature) => {
            return refuse(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "this link is not valid for you",
            )
        }
        Err(LinkError::Expired) => {
            return refuse(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "this link has expired; ask for a new one",
            )
        }
    }
    let file = match files::download(&state.ctx, &viewer, id).await {
        Ok(f) => f,
        Err(e) => return refuse_error(e),
    };
    let mut res = (StatusCode::OK, file.bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.mime_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // The stored name is the client's; only a safe token goes in the header.
    let name = format!("{}.{}", id, files::extension_of(&file.mime_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}
