//! Edits of approved entities: the approved version stays live while the
//! change waits as a CONTENT request whose payload is
//! `{"edit": true, "old": …, "new": …}` (reviewers see the diff); the
//! entity's applier writes `new` only on approval, after checking it again.

use entity::approval_requests;
use entity::enums::{ApprovalEntityType, ApprovalType};
use serde_json::{json, Value};
use uuid::Uuid;

use super::requests::{pending_for, submit, NewRequest};
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;

/// A saved entity, and the review an edit of it waits for when it was
/// approved (it shows its approved version until then).
pub struct Saved<T> {
    pub row: T,
    pub review: Option<approval_requests::Model>,
}

/// Refuses an edit of entity `entity_id` while a review of it is pending
/// (`CONFLICT`: the reviewer must see what they decide) or when moderators
/// suspended it (`FORBIDDEN`).
pub async fn ensure_editable(
    tx: &Tx,
    entity_type: ApprovalEntityType,
    entity_id: Uuid,
    suspended: bool,
    noun: &str,
) -> AppResult<()> {
    if suspended {
        return Err(AppError::Forbidden(format!("this {noun} is suspended")));
    }
    if pending_for(tx, entity_type, entity_id).await?.is_some() {
        return Err(AppError::conflict(
            None,
            format!("the {noun} is under review; cancel the approval request to edit it"),
        ));
    }
    Ok(())
}

/// Opens the first review of entity `entity_id` (a draft or a rejected
/// one), with `payload` as its picture: `CONFLICT` when it is already
/// approved (`live`; change it with an edit instead) or a review is
/// pending, `FORBIDDEN` when moderators suspended it.
pub async fn submit_first(
    tx: &Tx,
    submitter: Uuid,
    entity_type: ApprovalEntityType,
    entity_id: Uuid,
    state: (bool, bool),
    noun: &str,
    payload: Value,
) -> AppResult<approval_requests::Model> {
    let (live, suspended) = state;
    if live {
        return Err(AppError::conflict(None, format!("the {noun} is already approved")));
    }
    if suspended {
        return Err(AppError::Forbidden(format!("this {noun} is suspended")));
    }
    content_request(tx, submitter, entity_type, entity_id, payload).await
}

/// A CONTENT request about `entity_id` with `payload` and no remarks.
async fn content_request(
    tx: &Tx,
    submitter: Uuid,
    entity_type: ApprovalEntityType,
    entity_id: Uuid,
    payload: Value,
) -> AppResult<approval_requests::Model> {
    submit(
        tx,
        submitter,
        NewRequest {
            entity_type,
            entity_id,
            approval_type: ApprovalType::Content,
            payload,
            remarks: None,
        },
    )
    .await
}

/// Opens the review of changing entity `entity_id` from `old` to `new`
/// (pictures of what it shows); `None`, with nothing opened, when they are
/// equal and the caller may write the save at once.
pub async fn submit_edit(
    tx: &Tx,
    submitter: Uuid,
    entity_type: ApprovalEntityType,
    entity_id: Uuid,
    old: Value,
    new: Value,
) -> AppResult<Option<approval_requests::Model>> {
    if old == new {
        return Ok(None);
    }
    let payload = json!({"edit": true, "old": old, "new": new});
    let request = content_request(tx, submitter, entity_type, entity_id, payload).await?;
    Ok(Some(request))
}

/// The proposed picture when `request` is an edit opened by
/// [`submit_edit`]; `None` for a first submission.
pub fn edit_of(request: &approval_requests::Model) -> Option<&Value> {
    match request.payload.get("edit").and_then(Value::as_bool) {
        Some(true) => Some(request.payload.get("new").unwrap_or(&Value::Null)),
        _ => None,
    }
}
