//! The life of an approval request: submitted (at most one PENDING request
//! per entity and approval type), then approved, rejected, cancelled or
//! expired, once. Every move locks the row, writes an append-only
//! `approval_logs` row and an audit row, runs the entity's applier and
//! announces the change, all in one transaction: a failing applier undoes
//! the move.

use std::sync::LazyLock;

use chrono::Utc;
use entity::approval_requests;
use entity::enums::{ApprovalAction, ApprovalEntityType, ApprovalRequestStatus, ApprovalType};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect, Statement,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::appliers::{Appliers, Decision};
use super::events::ApprovalEvent;
use super::policy::Policies;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::identity::Viewer;

/// Every domain's appliers (they are code, not configuration).
static APPLIERS: LazyLock<Appliers> = LazyLock::new(Appliers::standard);

/// The registered appliers.
pub fn appliers() -> &'static Appliers {
    &APPLIERS
}

/// Longest remark kept (longer ones are refused, not cut).
const MAX_REMARKS: usize = 4000;
/// Largest payload kept, serialised.
const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// What a domain submits for review.
#[derive(Clone, Debug)]
pub struct NewRequest {
    /// The kind of entity under review.
    pub entity_type: ApprovalEntityType,
    /// Its id (in the table of that kind).
    pub entity_id: Uuid,
    /// What kind of approval is asked for.
    pub approval_type: ApprovalType,
    /// The proposed change (an object; for an edit `{"old", "new"}`).
    pub payload: Value,
    /// Logged with the submission, for reviewers.
    pub remarks: Option<String>,
}

/// The transitions of a request: only a PENDING request moves, and only to
/// a decision, a withdrawal or expiry.
pub fn can_move(from: ApprovalRequestStatus, to: ApprovalRequestStatus) -> bool {
    use ApprovalRequestStatus::*;
    from == Pending && matches!(to, Approved | Rejected | Cancelled | Expired)
}

/// The status a decision leaves.
pub fn status_of(d: Decision) -> ApprovalRequestStatus {
    match d {
        Decision::Approved => ApprovalRequestStatus::Approved,
        Decision::Rejected => ApprovalRequestStatus::Rejected,
        Decision::Cancelled => ApprovalRequestStatus::Cancelled,
        Decision::Expired => ApprovalRequestStatus::Expired,
    }
}

/// The log action of a move into `to`.
pub fn action_for(to: ApprovalRequestStatus) -> ApprovalAction {
    match to {
        ApprovalRequestStatus::Pending => ApprovalAction::Submitted,
        ApprovalRequestStatus::Approved => ApprovalAction::Approved,
        ApprovalRequestStatus::Rejected => ApprovalAction::Rejected,
        ApprovalRequestStatus::Cancelled => ApprovalAction::Cancelled,
        ApprovalRequestStatus::Expired => ApprovalAction::Expired,
    }
}

fn audit_action(d: Decision) -> Action {
    match d {
        Decision::Approved => Action::Approve,
        Decision::Rejected => Action::Reject,
        Decision::Cancelled | Decision::Expired => Action::Cancel,
    }
}

/// A log row of a move.
struct LogRow<'a> {
    request_id: Uuid,
    action: ApprovalAction,
    old: Option<ApprovalRequestStatus>,
    new: ApprovalRequestStatus,
    actor: Option<Uuid>,
    remarks: Option<&'a str>,
    internal: bool,
}

async fn log(db: &DatabaseTransaction, row: LogRow<'_>) -> AppResult<()> {
    entity::approval_logs::ActiveModel {
        id: Set(Uuid::now_v7()),
        approval_request_id: Set(row.request_id),
        action: Set(row.action.to_value()),
        old_status: Set(row.old.map(|s| s.to_value())),
        new_status: Set(Some(row.new.to_value())),
        acted_by_user_id: Set(row.actor),
        remarks: Set(row.remarks.map(str::to_string)),
        is_internal: Set(row.internal),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn clean_remarks(remarks: Option<&str>) -> AppResult<Option<String>> {
    let r = remarks.map(str::trim).filter(|r| !r.is_empty());
    if r.is_some_and(|r| r.chars().count() > MAX_REMARKS) {
        return Err(AppError::invalid(
            "remarks",
            format!("remarks are at most {MAX_REMARKS} characters"),
        ));
    }
    Ok(r.map(str::to_string))
}

fn already_pending(id: Uuid) -> AppError {
    AppError::conflict(
        None,
        format!("approval request {id} is already pending for this entity and approval type"),
    )
}

fn parse_status(s: &str) -> AppResult<ApprovalRequestStatus> {
    ApprovalRequestStatus::try_from_value(&s.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad approval status {s}: {e}")))
}

/// The stored approval type of a row.
pub fn approval_type_of(row: &approval_requests::Model) -> AppResult<ApprovalType> {
    ApprovalType::try_from_value(&row.approval_type)
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad approval type: {e}")))
}

/// The stored entity type of a row.
pub fn entity_type_of(row: &approval_requests::Model) -> AppResult<ApprovalEntityType> {
    ApprovalEntityType::try_from_value(&row.entity_type)
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad approval entity type: {e}")))
}

fn announce(tx: &Tx, row: &approval_requests::Model) {
    tx.publish_after_commit(ApprovalEvent::changed(row));
}

/// Opens a PENDING request submitted by `submitter` inside the caller's
/// transaction, with the deadline of its type's policy, and logs it. A
/// second pending request for the same entity and approval type is a
/// `CONFLICT` naming the pending one.
pub async fn submit(tx: &Tx, submitter: Uuid, request: NewRequest) -> AppResult<approval_requests::Model> {
    let db: &DatabaseTransaction = tx;
    if !request.payload.is_object() {
        return Err(AppError::invalid("payload", "the payload is a JSON object"));
    }
    if request.payload.to_string().len() > MAX_PAYLOAD_BYTES {
        return Err(AppError::invalid(
            "payload",
            format!("the payload is at most {} KiB", MAX_PAYLOAD_BYTES / 1024),
        ));
    }
    let remarks = clean_remarks(request.remarks.as_deref())?;
    let policy = Policies::load(db).await?.of(request.approval_type);
    let now = Utc::now();
    let id = Uuid::now_v7();
    // The partial unique index decides between concurrent submissions: the
    // loser's insert waits for the winner and then does nothing.
    let inserted = approval_requests::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO approval_requests (id, entity_type, entity_id, approval_type, status, submitted_by_user_id, \
           submitted_at, payload, expires_at) \
         VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $8) \
         ON CONFLICT (entity_type, entity_id, approval_type) WHERE status = 'PENDING' DO NOTHING \
         RETURNING *",
        [
            id.into(),
            request.entity_type.to_value().into(),
            request.entity_id.into(),
            request.approval_type.to_value().into(),
            submitter.into(),
            now.into(),
            request.payload.clone().into(),
            (now + policy.expires_after).into(),
        ],
    ))
    .one(db)
    .await?;
    let Some(model) = inserted else {
        let pending = approval_requests::Entity::find()
            .filter(approval_requests::Column::EntityType.eq(request.entity_type.to_value()))
            .filter(approval_requests::Column::EntityId.eq(request.entity_id))
            .filter(approval_requests::Column::ApprovalType.eq(request.approval_type.to_value()))
            .filter(approval_requests::Column::Status.eq(ApprovalRequestStatus::Pending.to_value()))
            .one(db)
            .await?;
        return Err(match pending {
            Some(p) => already_pending(p.id),
            None => AppError::conflict(None, "an approval request for this is already pending"),
        });
    };
    log(
        db,
        LogRow {
            request_id: id,
            action: ApprovalAction::Submitted,
            old: None,
            new: ApprovalRequestStatus::Pending,
            actor: Some(submitter),
            remarks: remarks.as_deref(),
            internal: false,
        },
    )
    .await?;
    audit::record(
        db,
        None,
        Entry::new(
            Action::Create,
            Module::Approval,
            AuditEntity::ApprovalRequest,
            Some(id),
            format!(
                "approval requested: {} {}",
                request.entity_type.to_value(),
                request.approval_type.to_value()
            ),
        )
        .metadata(json!({"submittedBy": submitter, "entityId": request.entity_id})),
    )
    .await?;
    announce(tx, &model);
    Ok(model)
}

/// `submitApprovalRequest`: a client asks for review of an entity; the
/// entity type's applier checks it and shapes the stored payload.
pub async fn submit_from_client(
    ctx: &AppContext,
    viewer: &Viewer,
    entity_type: ApprovalEntityType,
    entity_id: Uuid,
    approval_type: ApprovalType,
    payload: Value,
) -> AppResult<approval_requests::Model> {
    let me = viewer.require_self_service(super::perms::APPROVALS_SUBMIT)?;
    let applier = appliers().get(entity_type).ok_or_else(|| {
        AppError::invalid(
            "entityType",
            format!("{} requests cannot be submitted yet", entity_type.to_value()),
        )
    })?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let payload = applier.prepare(&tx, viewer, entity_id, approval_type, payload).await?;
    let row = submit(
        &tx,
        me,
        NewRequest {
            entity_type,
            entity_id,
            approval_type,
            payload,
            remarks: None,
        },
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// What a reviewer, the submitter or the expiry job does to a request.
#[derive(Clone, Debug)]
pub struct Move<'a> {
    /// The request.
    pub id: Uuid,
    /// Where it goes.
    pub decision: Decision,
    /// The reviewer's (or submitter's) remarks.
    pub remarks: Option<&'a str>,
    /// The remarks are for reviewers only.
    pub internal: bool,
}

/// Moves the request `m.id` inside `tx` as `viewer` (`None`: the system,
/// for expiry). Approve and reject need the review permission of the
/// request's type and never the submitter; cancel only the submitter;
/// a rejection needs remarks. The row is locked first, so of concurrent
/// moves exactly one finds it PENDING; the rest get `CONFLICT`.
pub async fn move_in(tx: &Tx, viewer: Option<&Viewer>, m: Move<'_>) -> AppResult<approval_requests::Model> {
    let db: &DatabaseTransaction = tx;
    let remarks = clean_remarks(m.remarks)?;
    let actor = match viewer {
        Some(v) => Some(v.require_user()?),
        None => None,
    };
    if m.decision == Decision::Rejected && remarks.is_none() {
        return Err(AppError::invalid("remarks", "a rejection needs remarks"));
    }
    let row = approval_requests::Entity::find_by_id(m.id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("approval request".into()))?;
    let kind = approval_type_of(&row)?;
    if let Some(v) = viewer {
        let is_submitter = row.submitted_by_user_id.is_some() && row.submitted_by_user_id == v.user_id;
        match m.decision {
            Decision::Cancelled if !is_submitter => {
                return Err(hidden_or_forbidden(db, v, &row, kind).await?);
            }
            Decision::Cancelled => {
                v.require_self_service(super::perms::APPROVALS_SUBMIT)?;
            }
            Decision::Approved | Decision::Rejected => {
                if !Policies::load(db).await?.may_review(v, kind) {
                    return Err(hidden_or_forbidden(db, v, &row, kind).await?);
                }
                if is_submitter {
                    return Err(AppError::Forbidden("nobody reviews their own request".into()));
                }
            }
            _ => {}
        }
    }
    let from = parse_status(&row.status)?;
    let to = status_of(m.decision);
    if !can_move(from, to) {
        return Err(AppError::conflict(
            None,
            format!("this request is already {}", row.status.to_lowercase()),
        ));
    }
    let reviewing = matches!(m.decision, Decision::Approved | Decision::Rejected);
    let internal = m.internal && reviewing;
    let mut a: approval_requests::ActiveModel = row.clone().into();
    a.status = Set(to.to_value());
    if reviewing {
        a.reviewed_by_user_id = Set(actor);
        a.reviewed_at = Set(Some(Utc::now().into()));
    }
    if remarks.is_some() {
        a.remarks = Set(remarks.clone());
        a.remarks_internal = Set(internal);
    }
    let closed = a.update(db).await?;
    log(
        db,
        LogRow {
            request_id: closed.id,
            action: action_for(to),
            old: Some(from),
            new: to,
            actor,
            remarks: remarks.as_deref(),
            internal,
        },
    )
    .await?;
    if let Some(applier) = appliers().get(entity_type_of(&closed)?) {
        applier
            .apply(tx, &closed, m.decision, actor, remarks.as_deref())
            .await?;
    }
    audit::record(
        db,
        viewer,
        Entry::new(
            audit_action(m.decision),
            Module::Approval,
            AuditEntity::ApprovalRequest,
            Some(closed.id),
            format!("approval request {}", to.to_value().to_lowercase()),
        )
        .before(json!({"status": from.to_value()}))
        .after(json!({"status": to.to_value(), "remarksInternal": internal})),
    )
    .await?;
    announce(tx, &closed);
    Ok(closed)
}

/// A caller who may not see the request learns nothing of it (`NOT_FOUND`);
/// one who sees it but may not make this move gets `FORBIDDEN`.
async fn hidden_or_forbidden(
    db: &DatabaseTransaction,
    viewer: &Viewer,
    row: &approval_requests::Model,
    kind: ApprovalType,
) -> AppResult<AppError> {
    let is_submitter = row.submitted_by_user_id.is_some() && row.submitted_by_user_id == viewer.user_id;
    if is_submitter || Policies::load(db).await?.may_review(viewer, kind) {
        Ok(AppError::forbidden())
    } else {
        Ok(AppError::NotFound("approval request".into()))
    }
}

/// [`move_in`] in a transaction of its own, for the GraphQL mutations.
pub async fn decide(ctx: &AppContext, viewer: &Viewer, m: Move<'_>) -> AppResult<approval_requests::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = move_in(&tx, Some(viewer), m).await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// The pending request about one entity (of any approval type), if any.
pub async fn pending_for(
    db: &DatabaseTransaction,
    entity_type: ApprovalEntityType,
    entity_id: Uuid,
) -> AppResult<Option<approval_requests::Model>> {
    Ok(approval_requests::Entity::find()
        .filter(approval_requests::Column::EntityType.eq(entity_type.to_value()))
        .filter(approval_requests::Column::EntityId.eq(entity_id))
        .filter(approval_requests::Column::Status.eq(ApprovalRequestStatus::Pending.to_value()))
        .one(db)
        .await?)
}

/// Job kind (and singleton key) of the expiry pass.
pub const EXPIRY_JOB: &str = "approval.expire";
/// Requests expired per transaction of the expiry pass.
const EXPIRY_BATCH: u64 = 100;

/// Expires the pending requests past their deadline, each in a transaction
/// of its own (a failing applier keeps only its request pending). A row
/// another instance expired first is skipped, so any number of instances
/// may run it at once. Returns how many expired.
pub async fn expire_due(db: &sea_orm::DatabaseConnection, bus: &crate::infra::events::EventBus) -> AppResult<usize> {
    let mut expired = 0;
    loop {
        // Read without locks: each move locks its row and re-checks that it
        // is still pending, so a row another instance expired is a CONFLICT.
        let due = approval_requests::Entity::find()
            .filter(approval_requests::Column::Status.eq(ApprovalRequestStatus::Pending.to_value()))
            .filter(approval_requests::Column::ExpiresAt.lte(Utc::now()))
            .limit(EXPIRY_BATCH)
            .all(db)
            .await?;
        if due.is_empty() {
            return Ok(expired);
        }
        let mut progressed = false;
        for row in &due {
            let tx = Tx::begin(db).await?;
            let m = Move {
                id: row.id,
                decision: Decision::Expired,
                remarks: None,
                internal: false,
            };
            match move_in(&tx, None, m).await {
                Ok(_) => {
                    tx.commit(bus).await?;
                    expired += 1;
                    progressed = true;
                }
                Err(AppError::Conflict { .. }) => tx.rollback().await?,
                Err(e) => {
                    tracing::warn!(request = %row.id, error = %e, "an approval request could not expire");
                    tx.rollback().await?;
                }
            }
        }
        if !progressed || (due.len() as u64) < EXPIRY_BATCH {
            return Ok(expired);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_pending_request_moves_and_only_once() {
        use ApprovalRequestStatus::*;
        for to in [Approved, Rejected, Cancelled, Expired] {
            assert!(can_move(Pending, to));
        }
        assert!(!can_move(Pending, Pending));
        for from in [Approved, Rejected, Cancelled, Expired] {
            for to in [Pending, Approved, Rejected, Cancelled, Expired] {
                assert!(!can_move(from, to), "{from:?} -> {to:?}");
            }
        }
    }
}
