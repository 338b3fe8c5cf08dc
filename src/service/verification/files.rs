//! Uploaded documents: judged by their bytes (PDF, PNG, JPEG, WebP; never
//! by the client's name or content type), hashed (SHA-256), written to the
//! object store only after every check passed, and removed again when the
//! transaction that records them does not commit (no orphans). Reads go
//! through signed links ([`link_for`]) to `GET /files/{id}`.

use bytes::Bytes;
use chrono::Utc;
use entity::enums::{ApprovalStatus, VerificationDocumentType};
use entity::{verification_documents, verification_requests};
use sea_orm::{ActiveEnum, ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::perms::is_reviewer;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::storage::{sha256_hex, sniff, Storage};
use crate::service::identity::Viewer;

/// A file as received, before any check. `field` names the input field
/// (for errors).
pub struct Incoming {
    pub field: String,
    pub file_name: Option<String>,
    pub bytes: Bytes,
}

/// A file that passed the checks, with its store key (not yet written).
pub struct Checked {
    pub field: String,
    pub file_name: Option<String>,
    pub bytes: Bytes,
    pub mime_type: &'static str,
    pub sha256: String,
    pub key: String,
    pub id: Uuid,
}

/// Longest client file name kept (it is only shown, never trusted).
const MAX_NAME: usize = 255;

/// Checks a file: not empty, within the size limit, of an accepted kind
/// by its bytes. `BAD_USER_INPUT` on `field` otherwise.
pub fn check(storage: &Storage, f: Incoming) -> AppResult<Checked> {
    if f.bytes.is_empty() {
        return Err(AppError::invalid(&f.field, "the file is empty"));
    }
    if f.bytes.len() > storage.max_file_bytes {
        return Err(AppError::invalid(
            &f.field,
            format!("the file is larger than {} bytes", storage.max_file_bytes),
        ));
    }
    let Some(mime_type) = sniff(&f.bytes) else {
        return Err(AppError::invalid(
            &f.field,
            "only PDF, PNG, JPEG and WebP files are accepted (judged by their content)",
        ));
    };
    let id = Uuid::now_v7();
    let file_name = f
        .file_name
        .map(|n| n.chars().filter(|c| !c.is_control()).take(MAX_NAME).collect::<String>())
        .filter(|n| !n.trim().is_empty());
    Ok(Checked {
        sha256: sha256_hex(&f.bytes),
        key: format!("documents/{id}"),
        field: f.field,
        file_name,
        bytes: f.bytes,
        mime_type,
        id,
    })
}

/// Writes checked files; when one write fails, the ones written are
/// removed and the error returned. Returns the keys written.
pub async fn write_all(storage: &Storage, files: &[Checked]) -> AppResult<Vec<String>> {
    let mut written = Vec::with_capacity(files.len());
    for f in files {
        if let Err(e) = storage.put(&f.key, f.bytes.clone()).await {
            storage.delete_all(&written).await;
            return Err(e);
        }
        written.push(f.key.clone());
    }
    Ok(written)
}

/// Records a written file as a document of `request_id`.
pub async fn insert_document<C: ConnectionTrait>(
    db: &C,
    request_id: Uuid,
    kind: VerificationDocumentType,
    f: &Checked,
) -> AppResult<verification_documents::Model> {
    Ok(verification_documents::ActiveModel {
        id: Set(f.id),
        verification_request_id: Set(request_id),
        document_type: Set(kind.to_value()),
        file_url: Set(format!("/files/{}", f.id)),
        file_name: Set(f.file_name.clone()),
        mime_type: Set(Some(f.mime_type.to_string())),
        status: Set(ApprovalStatus::Pending.to_value()),
        uploaded_at: Set(Utc::now().into()),
        storage_key: Set(Some(f.key.clone())),
        size_bytes: Set(Some(f.bytes.len() as i64)),
        sha256: Set(Some(f.sha256.clone())),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The document `id` and its request, when `viewer` may read it (its
/// owner or a reviewer); `NOT_FOUND` otherwise, so ids reveal nothing.
pub async fn readable<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(verification_documents::Model, verification_requests::Model)> {
    let me = viewer.require_user()?;
    let doc = verification_documents::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("file".into()))?;
    let req = verification_requests::Entity::find_by_id(doc.verification_request_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("file".into()))?;
    if req.user_id != me && !is_reviewer(viewer) {
        return Err(AppError::NotFound("file".into()));
    }
    Ok((doc, req))
}

/// A file's bytes and sniffed type, for the download route.
pub struct Download {
    pub bytes: Bytes,
    pub mime_type: String,
}

/// Reads a file for `viewer` (who must still be allowed to read it).
pub async fn download(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<Download> {
    let (doc, _) = readable(&ctx.db.read, viewer, id).await?;
    let key = doc.storage_key.ok_or_else(|| AppError::NotFound("file".into()))?;
    Ok(Download {
        bytes: ctx.storage.get(&key).await?,
        mime_type: doc.mime_type.unwrap_or_else(|| "application/octet-stream".into()),
    })
}

/// A signed link to document `id` for the viewer, valid for the configured
/// time; `None` for anonymous callers.
pub fn link_for(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> Option<String> {
    let user = viewer.user_id?;
    Some(ctx.keys.file_links.link(id, user, ctx.storage.link_ttl))
}

/// The file extension of an accepted type (for download names).
pub fn extension_of(mime: &str) -> &'static str {
    match mime {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "bin",
    }
}
