//! Approval requests over a caller's [`Tx`]: submitting one (at most one
//! PENDING request per entity and kind) and closing it, each step logged
//! in the append-only `approval_logs`.

use entity::approval_requests;
use entity::enums::{ApprovalAction, ApprovalEntityType, ApprovalRequestStatus, ApprovalType};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;

/// What a domain submits for review.
#[derive(Clone, Debug)]
pub struct NewRequest {
    /// The kind of entity under review.
    pub entity_type: ApprovalEntityType,
    /// Its id (in the table of that kind).
    pub entity_id: Uuid,
    /// What kind of approval is asked for.
    pub approval_type: ApprovalType,
    /// Logged with the submission, for reviewers.
    pub remarks: Option<String>,
}

/// Which request [`close`] decides.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// One request by id.
    Request(Uuid),
    /// The pending request (of any approval type) about one entity.
    Entity(ApprovalEntityType, Uuid),
}

/// The transitions of a request: only a PENDING request moves, and only to
/// a decision (or a withdrawal).
pub fn can_move(from: ApprovalRequestStatus, to: ApprovalRequestStatus) -> bool {
    use ApprovalRequestStatus::*;
    from == Pending && matches!(to, Approved | Rejected | Cancelled)
}

/// The log action of a move into `to`.
pub fn action_for(to: ApprovalRequestStatus) -> ApprovalAction {
    match to {
        ApprovalRequestStatus::Pending => ApprovalAction::Submitted,
        ApprovalRequestStatus::Approved => ApprovalAction::Approved,
        ApprovalRequestStatus::Rejected => ApprovalAction::Rejected,
        ApprovalRequestStatus::Cancelled => ApprovalAction::Cancelled,
    }
}

async fn log(
    db: &DatabaseTransaction,
    request_id: Uuid,
    action: ApprovalAction,
    old: Option<ApprovalRequestStatus>,
    new: ApprovalRequestStatus,
    actor: Option<Uuid>,
    remarks: Option<String>,
) -> AppResult<()> {
    entity::approval_logs::ActiveModel {
        id: Set(Uuid::now_v7()),
        approval_request_id: Set(request_id),
        action: Set(action.to_value()),
        old_status: Set(old.map(|s| s.to_value())),
        new_status: Set(Some(new.to_value())),
        acted_by_user_id: Set(actor),
        remarks: Set(remarks),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn already_pending(id: Uuid) -> AppError {
    AppError::conflict(None, format!("approval request {id} for this is already pending"))
}

/// Opens a PENDING request submitted by `submitter` and logs it. A second
/// pending request for the same entity and kind is a `CONFLICT` naming the
/// pending one.
pub async fn submit(tx: &Tx, submitter: Uuid, request: NewRequest) -> AppResult<approval_requests::Model> {
    let db: &DatabaseTransaction = tx;
    let pending = approval_requests::Entity::find()
        .filter(approval_requests::Column::EntityType.eq(request.entity_type.to_value()))
        .filter(approval_requests::Column::EntityId.eq(request.entity_id))
        .filter(approval_requests::Column::ApprovalType.eq(request.approval_type.to_value()))
        .filter(approval_requests::Column::Status.eq(ApprovalRequestStatus::Pending.to_value()))
        .one(db)
        .await?;
    if let Some(p) = pending {
        return Err(already_pending(p.id));
    }
    let id = Uuid::now_v7();
    let model = approval_requests::ActiveModel {
        id: Set(id),
        entity_type: Set(request.entity_type.to_value()),
        entity_id: Set(request.entity_id),
        approval_type: Set(request.approval_type.to_value()),
        status: Set(ApprovalRequestStatus::Pending.to_value()),
        submitted_by_user_id: Set(Some(submitter)),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match AppError::from(e) {
        // A concurrent submission won the partial unique index.
        AppError::Conflict { .. } => AppError::conflict(None, "an approval request for this is already pending"),
        other => other,
    })?;
    log(
        db,
        id,
        ApprovalAction::Submitted,
        None,
        ApprovalRequestStatus::Pending,
        Some(submitter),
        request.remarks,
    )
    .await?;
    Ok(model)
}

/// Decides the pending request `target` (approve, reject, or cancel) as
/// `actor`, logging the move; returns the closed request, or `None` when
/// no request was pending. A rejection needs remarks; the submitter may
/// cancel but never decide their own request (four eyes).
pub async fn close(
    tx: &Tx,
    target: Target,
    to: ApprovalRequestStatus,
    actor: Uuid,
    remarks: Option<&str>,
) -> AppResult<Option<approval_requests::Model>> {
    let db: &DatabaseTransaction = tx;
    let remarks = remarks.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    if !can_move(ApprovalRequestStatus::Pending, to) {
        return Err(AppError::invalid(
            "status",
            "a request closes as APPROVED, REJECTED or CANCELLED",
        ));
    }
    if to == ApprovalRequestStatus::Rejected && remarks.is_none() {
        return Err(AppError::invalid("remarks", "a rejection needs remarks"));
    }
    let q = approval_requests::Entity::find();
    let q = match target {
        Target::Request(id) => q.filter(approval_requests::Column::Id.eq(id)),
        Target::Entity(kind, id) => q
            .filter(approval_requests::Column::EntityType.eq(kind.to_value()))
            .filter(approval_requests::Column::EntityId.eq(id))
            .filter(approval_requests::Column::Status.eq(ApprovalRequestStatus::Pending.to_value())),
    };
    let Some(row) = q.lock_exclusive().one(db).await? else {
        return match target {
            Target::Request(_) => Err(AppError::NotFound("approval request".into())),
            Target::Entity(..) => Ok(None),
        };
    };
    let from = ApprovalRequestStatus::try_from_value(&row.status)
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad approval status: {e}")))?;
    if !can_move(from, to) {
        return Err(AppError::conflict(
            None,
            format!("this request is already {}", row.status.to_lowercase()),
        ));
    }
    let deciding = to != ApprovalRequestStatus::Cancelled;
    if deciding && row.submitted_by_user_id == Some(actor) {
        return Err(AppError::Forbidden("nobody reviews their own request".into()));
    }
    let mut a: approval_requests::ActiveModel = row.into();
    a.status = Set(to.to_value());
    if deciding {
        a.reviewed_by_user_id = Set(Some(actor));
        a.reviewed_at = Set(Some(chrono::Utc::now().into()));
    }
    a.remarks = Set(remarks.clone());
    let closed = a.update(db).await?;
    log(db, closed.id, action_for(to), Some(from), to, Some(actor), remarks).await?;
    Ok(Some(closed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_pending_request_moves_and_only_to_a_decision() {
        use ApprovalRequestStatus::*;
        assert!(can_move(Pending, Approved));
        assert!(can_move(Pending, Rejected));
        assert!(can_move(Pending, Cancelled));
        assert!(!can_move(Pending, Pending));
        for from in [Approved, Rejected, Cancelled] {
            for to in [Pending, Approved, Rejected, Cancelled] {
                assert!(!can_move(from, to), "{from:?} -> {to:?}");
            }
        }
    }
}
