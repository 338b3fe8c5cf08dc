//! File uploads over HTTP: the GraphQL multipart request specification
//! (`operations`, `map`, then one part per file), parsed by async-graphql
//! under the configured limits (`SWITCHBOARD_UPLOAD_MAX_FILE_BYTES`,
//! `SWITCHBOARD_UPLOAD_MAX_FILES`). A request over a limit is refused with
//! HTTP 413 and `BAD_USER_INPUT` before anything executes, so nothing is
//! stored. Only a signed-in caller may send one (checked before the body
//! is read). One operation per request (no batches). WebSocket transport
//! carries no files.

use async_graphql::http::{receive_batch_body, MultipartOptions};
use async_graphql::{BatchRequest, ParseRequestError};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::auth;
use super::graphql_http::{execute_built, refuse, refuse_viewer, with_data, MediaType};
use super::AppState;
use crate::graphql::extensions::RequestMeta;

/// Whether a `Content-Type` is `multipart/form-data`.
pub fn is_multipart(ct: &str) -> bool {
    ct.split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// `POST /graphql` with `multipart/form-data`.
pub async fn post(
    state: &AppState,
    media: MediaType,
    client: auth::ClientInfo,
    headers: &HeaderMap,
    content_type: &str,
    body: Body,
) -> Response {
    // Who is asking comes first: an anonymous caller cannot upload, and
    // must not make the server buffer a body of up to the upload limit.
    let viewer = match auth::viewer_from_headers(&state.ctx, headers, client).await {
        Ok(v) => v,
        Err(e) => return refuse_viewer(e, media),
    };
    if viewer.user_id.is_none() {
        return refuse(StatusCode::UNAUTHORIZED, media, "sign in to upload files");
    }
    let storage = &state.ctx.storage;
    let (max_file, max_files) = (storage.max_file_bytes, storage.max_files);
    let limit = state
        .ctx
        .config
        .limits
        .max_body_bytes
        .saturating_add(max_file.saturating_mul(max_files));
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                &format!("an upload request is at most {limit} bytes"),
            )
        }
    };
    let opts = MultipartOptions::default()
        .max_file_size(max_file)
        .max_num_files(max_files);
    let batch = match receive_batch_body(Some(content_type), &bytes[..], opts).await {
        Ok(b) => b,
        Err(ParseRequestError::PayloadTooLarge) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                &format!("a file is larger than the limit of {max_file} bytes; nothing was stored"),
            )
        }
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                media,
                &format!("not a valid GraphQL multipart request: {e}"),
            )
        }
    };
    let request = match batch {
        BatchRequest::Single(r) => r,
        BatchRequest::Batch(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                media,
                "a multipart request carries one operation",
            )
        }
    };
    if request.uploads.len() > max_files {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            &format!("at most {max_files} files per request; nothing was stored"),
        );
    }
    let meta = RequestMeta::new(false, request.operation_name.clone());
    let request = with_data(state, &viewer, meta.clone(), request);
    execute_built(state, media, meta, request).await
}
