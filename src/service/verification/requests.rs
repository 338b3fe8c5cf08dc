//! Verification requests (IDENTITY, BUSINESS, DOCUMENT) for a user or one
//! of their own role profiles, with uploaded documents. Reviewers
//! (`verification.review`, `approvals.review`) approve or reject each
//! document and may ask for more (DOCUMENTS_REQUESTED; the next upload
//! returns the request to PENDING); the request itself is decided through
//! the approval engine (entity VERIFICATION), whose decision
//! [`VerificationApplier`] applies. Every transition appends a
//! `verification_logs` row, and every change an audit row, in its
//! transaction.

use chrono::Utc;
use entity::enums::{
    ApprovalEntityType, ApprovalStatus, ApprovalType, VerificationAction, VerificationDocumentType,
    VerificationRequestStatus, VerificationStatus, VerificationType,
};
use entity::{verification_documents, verification_requests};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::files::{self, Checked, Incoming};
use super::kyc::log;
use super::perms::{is_reviewer, VERIFICATION_SUBMIT};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::approval::perms::{APPROVALS_REVIEW, VERIFICATION_REVIEW};
use crate::service::approval::{self, Decision, NewRequest};
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::identity::Viewer;

/// Most documents one request holds, over all its uploads.
pub const MAX_DOCUMENTS: u64 = 20;

/// What a user submits for verification.
pub struct NewVerification {
    pub verification_type: VerificationType,
    /// One of the caller's role profiles; `None`: the user themself.
    pub user_role_profile_id: Option<Uuid>,
    pub documents: Vec<(VerificationDocumentType, Incoming)>,
}

fn parse_status(s: &str) -> AppResult<VerificationRequestStatus> {
    VerificationRequestStatus::try_from_value(&s.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad verification status {s}: {e}")))
}

fn check_all(
    ctx: &AppContext,
    docs: Vec<(VerificationDocumentType, Incoming)>,
) -> AppResult<Vec<(VerificationDocumentType, Checked)>> {
    if docs.is_empty() {
        return Err(AppError::invalid("documents", "upload at least one document"));
    }
    if docs.len() as u64 > MAX_DOCUMENTS {
        return Err(AppError::invalid(
            "documents",
            format!("at most {MAX_DOCUMENTS} documents per request"),
        ));
    }
    docs.into_iter()
        .map(|(kind, f)| Ok((kind, files::check(&ctx.storage, f)?)))
        .collect()
}

/// `submitVerificationRequest`: a PENDING request with its documents and
/// its approval request (one open request per user, profile and type).
pub async fn submit(ctx: &AppContext, viewer: &Viewer, n: NewVerification) -> AppResult<verification_requests::Model> {
    let me = viewer.require_self_service(VERIFICATION_SUBMIT)?;
    let (kinds, checked): (Vec<_>, Vec<_>) = check_all(ctx, n.documents)?.into_iter().unzip();
    let (kind, profile) = (n.verification_type, n.user_role_profile_id);
    let keys = files::write_all(&ctx.storage, &checked).await?;
    let done = async {
        let tx = Tx::begin(&ctx.db.primary).await?;
        let row = submit_in(&tx, viewer, me, kind, profile, &kinds, &checked).await?;
        tx.commit(&ctx.bus).await?;
        AppResult::Ok(row)
    }
    .await;
    if done.is_err() {
        ctx.storage.delete_all(&keys).await;
    }
    done
}

async fn submit_in(
    tx: &Tx,
    viewer: &Viewer,
    me: Uuid,
    kind: VerificationType,
    profile: Option<Uuid>,
    kinds: &[VerificationDocumentType],
    checked: &[Checked],
) -> AppResult<verification_requests::Model> {
    let db: &DatabaseTransaction = tx;
    if let Some(p) = profile {
        let own = entity::user_role_profiles::Entity::find_by_id(p).one(db).await?;
        if own.is_none_or(|r| r.user_id != me) {
            return Err(AppError::NotFound("role profile".into()));
        }
    }
    let open = verification_requests::Entity::find()
        .filter(verification_requests::Column::UserId.eq(me))
        .filter(match profile {
            Some(p) => verification_requests::Column::UserRoleProfileId.eq(p),
            None => verification_requests::Column::UserRoleProfileId.is_null(),
        })
        .filter(verification_requests::Column::VerificationType.eq(kind.to_value()))
        .filter(verification_requests::Column::Status.is_in([
            VerificationRequestStatus::Pending.to_value(),
            VerificationRequestStatus::DocumentsRequested.to_value(),
        ]))
        .lock_exclusive()
        .one(db)
        .await?;
    if let Some(o) = open {
        return Err(AppError::conflict(
            None,
            format!("verification request {} is already open for this", o.id),
        ));
    }
    let row = verification_requests::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(me),
        user_role_profile_id: Set(profile),
        verification_type: Set(kind.to_value()),
        status: Set(VerificationRequestStatus::Pending.to_value()),
        submitted_at: Set(Utc::now().into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut ids = Vec::new();
    for (f, k) in checked.iter().zip(kinds) {
        ids.push(files::insert_document(db, row.id, *k, f).await?.id);
    }
    log(
        db,
        row.id,
        VerificationAction::Submitted,
        None,
        VerificationRequestStatus::Pending,
        Some(me),
        None,
    )
    .await?;
    approval::submit(
        tx,
        me,
        NewRequest {
            entity_type: ApprovalEntityType::Verification,
            entity_id: row.id,
            approval_type: ApprovalType::Verification,
            payload: json!({"verificationType": kind.to_value(), "userRoleProfileId": profile, "documents": ids}),
            remarks: None,
        },
    )
    .await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Verification,
            AuditEntity::VerificationRequest,
            Some(row.id),
            format!("verification requested: {}", kind.to_value()),
        )
        .after(json!({"status": VerificationRequestStatus::Pending.to_value(), "documents": ids.len(), "userRoleProfileId": profile})),
    )
    .await?;
    Ok(row)
}

/// `uploadVerificationDocuments`: the owner adds documents to an open
/// request; one that had documents requested returns to PENDING.
pub async fn upload(
    ctx: &AppContext,
    viewer: &Viewer,
    request_id: Uuid,
    documents: Vec<(VerificationDocumentType, Incoming)>,
) -> AppResult<verification_requests::Model> {
    let me = viewer.require_self_service(VERIFICATION_SUBMIT)?;
    let (kinds, checked): (Vec<_>, Vec<_>) = check_all(ctx, documents)?.into_iter().unzip();
    let keys = files::write_all(&ctx.storage, &checked).await?;
    let done = async {
        let tx = Tx::begin(&ctx.db.primary).await?;
        let row = upload_in(&tx, viewer, me, request_id, &kinds, &checked).await?;
        tx.commit(&ctx.bus).await?;
        AppResult::Ok(row)
    }
    .await;
    if done.is_err() {
        ctx.storage.delete_all(&keys).await;
    }
    done
}

async fn upload_in(
    tx: &Tx,
    viewer: &Viewer,
    me: Uuid,
    request_id: Uuid,
    kinds: &[VerificationDocumentType],
    checked: &[Checked],
) -> AppResult<verification_requests::Model> {
    let db: &DatabaseTransaction = tx;
    let row = verification_requests::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(db)
        .await?
        .filter(|r| r.user_id == me)
        .ok_or_else(|| AppError::NotFound("verification request".into()))?;
    let from = parse_status(&row.status)?;
    if !matches!(
        from,
        VerificationRequestStatus::Pending | VerificationRequestStatus::DocumentsRequested
    ) {
        return Err(AppError::conflict(
            None,
            format!("this request is already {}", row.status.to_lowercase()),
        ));
    }
    let held = verification_documents::Entity::find()
        .filter(verification_documents::Column::VerificationRequestId.eq(row.id))
        .count(db)
        .await?;
    if held + checked.len() as u64 > MAX_DOCUMENTS {
        return Err(AppError::invalid(
            "documents",
            format!("a request holds at most {MAX_DOCUMENTS} documents"),
        ));
    }
    for (f, k) in checked.iter().zip(kinds) {
        files::insert_document(db, row.id, *k, f).await?;
    }
    let to = VerificationRequestStatus::Pending;
    let mut a: verification_requests::ActiveModel = row.into();
    a.status = Set(to.to_value());
    let row = a.update(db).await?;
    log(
        db,
        row.id,
        VerificationAction::DocumentUploaded,
        Some(from),
        to,
        Some(me),
        None,
    )
    .await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Verification,
            AuditEntity::VerificationRequest,
            Some(row.id),
            "verification documents uploaded".to_string(),
        )
        .before(json!({"status": from.to_value()}))
        .after(json!({"status": to.to_value(), "added": checked.len()})),
    )
    .await?;
    Ok(row)
}

/// Signed in with `verification.review` or `approvals.review`.
fn require_review_permission(viewer: &Viewer) -> AppResult<Uuid> {
    let me = viewer.require_user()?;
    if !(viewer.can(VERIFICATION_REVIEW) || viewer.can(APPROVALS_REVIEW)) {
        return Err(AppError::forbidden());
    }
    Ok(me)
}

/// A reviewer of verification requests who is not their subject.
fn require_reviewer(viewer: &Viewer, subject: Uuid) -> AppResult<Uuid> {
    let me = require_review_permission(viewer)?;
    if me == subject {
        return Err(AppError::Forbidden("nobody reviews their own verification".into()));
    }
    Ok(me)
}

fn clean(remarks: Option<&str>) -> Option<String> {
    remarks.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string)
}

/// `reviewVerificationDocument`: approves or rejects one document (a
/// rejection needs remarks), logged on its request.
pub async fn review_document(
    ctx: &AppContext,
    viewer: &Viewer,
    document_id: Uuid,
    approve: bool,
    remarks: Option<&str>,
) -> AppResult<verification_documents::Model> {
    require_review_permission(viewer)?;
    let remarks = clean(remarks);
    if !approve && remarks.is_none() {
        return Err(AppError::invalid("remarks", "a rejection needs remarks"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let db: &DatabaseTransaction = &tx;
    let (doc, req) = files::readable(db, viewer, document_id).await?;
    let me = require_reviewer(viewer, req.user_id)?;
    let status = parse_status(&req.status)?;
    if !matches!(
        status,
        VerificationRequestStatus::Pending | VerificationRequestStatus::DocumentsRequested
    ) {
        return Err(AppError::conflict(None, "the request is already decided"));
    }
    let before = doc.status.clone();
    let to = if approve {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::Rejected
    };
    let mut a: verification_documents::ActiveModel = doc.into();
    a.status = Set(to.to_value());
    a.reviewed_at = Set(Some(Utc::now().into()));
    a.reviewed_by_user_id = Set(Some(me));
    a.remarks = Set(remarks.clone());
    let doc = a.update(db).await?;
    let note = format!("document {} {}", doc.id, to.to_value().to_lowercase());
    let note = match &remarks {
        Some(r) => format!("{note}: {r}"),
        None => note,
    };
    log(
        db,
        req.id,
        VerificationAction::Commented,
        Some(status),
        status,
        Some(me),
        Some(&note),
    )
    .await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            if approve { Action::Approve } else { Action::Reject },
            Module::Verification,
            AuditEntity::VerificationDocument,
            Some(doc.id),
            format!("verification document {}", to.to_value().to_lowercase()),
        )
        .before(json!({"status": before}))
        .after(json!({"status": to.to_value(), "remarks": remarks})),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(doc)
}

/// `requestVerificationDocuments`: a reviewer asks for more documents
/// (remarks say which); the request waits in DOCUMENTS_REQUESTED.
pub async fn request_documents(
    ctx: &AppContext,
    viewer: &Viewer,
    request_id: Uuid,
    remarks: Option<&str>,
) -> AppResult<verification_requests::Model> {
    require_review_permission(viewer)?;
    let remarks = clean(remarks).ok_or_else(|| AppError::invalid("remarks", "say which documents are needed"))?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let db: &DatabaseTransaction = &tx;
    let row = verification_requests::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(db)
        .await?
        .filter(|r| r.user_id == viewer.user_id.unwrap_or_default() || is_reviewer(viewer))
        .ok_or_else(|| AppError::NotFound("verification request".into()))?;
    let me = require_reviewer(viewer, row.user_id)?;
    let from = parse_status(&row.status)?;
    if from != VerificationRequestStatus::Pending {
        return Err(AppError::conflict(
            None,
            format!("this request is {}", row.status.to_lowercase()),
        ));
    }
    let to = VerificationRequestStatus::DocumentsRequested;
    let mut a: verification_requests::ActiveModel = row.into();
    a.status = Set(to.to_value());
    a.remarks = Set(Some(remarks.clone()));
    let row = a.update(db).await?;
    log(
        db,
        row.id,
        VerificationAction::DocumentsRequested,
        Some(from),
        to,
        Some(me),
        Some(&remarks),
    )
    .await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Verification,
            AuditEntity::VerificationRequest,
            Some(row.id),
            "verification documents requested".to_string(),
        )
        .before(json!({"status": from.to_value()}))
        .after(json!({"status": to.to_value()})),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// One request, for its owner or a reviewer (`NOT_FOUND` otherwise).
pub async fn get(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<verification_requests::Model> {
    let me = viewer.require_user()?;
    verification_requests::Entity::find_by_id(id)
        .one(&ctx.db.read)
        .await?
        .filter(|r| r.user_id == me || is_reviewer(viewer))
        .ok_or_else(|| AppError::NotFound("verification request".into()))
}

/// The caller's own requests, newest first (at most 100).
pub async fn mine(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<verification_requests::Model>> {
    let me = viewer.require_user()?;
    Ok(verification_requests::Entity::find()
        .filter(verification_requests::Column::UserId.eq(me))
        .order_by_desc(verification_requests::Column::SubmittedAt)
        .limit(100)
        .all(&ctx.db.read)
        .await?)
}

/// The documents of a request the viewer may read, oldest first.
pub async fn documents(
    ctx: &AppContext,
    viewer: &Viewer,
    row: &verification_requests::Model,
) -> AppResult<Vec<verification_documents::Model>> {
    if viewer.user_id != Some(row.user_id) && !is_reviewer(viewer) {
        return Ok(Vec::new());
    }
    Ok(verification_documents::Entity::find()
        .filter(verification_documents::Column::VerificationRequestId.eq(row.id))
        .order_by_asc(verification_documents::Column::UploadedAt)
        .order_by_asc(verification_documents::Column::Id)
        .all(&ctx.db.read)
        .await?)
}

/// Registers [`VerificationApplier`] for VERIFICATION requests.
pub fn register_applier(appliers: &mut approval::Appliers) {
    appliers.register(
        ApprovalEntityType::Verification,
        std::sync::Arc::new(VerificationApplier),
    );
}

/// Applies the engine's decision: approved → APPROVED (not while documents
/// are requested); rejected → REJECTED with the remarks; a cancelled or
/// lapsed review → REJECTED saying so. A role profile's
/// `verification_status` follows (VERIFIED with `verified_at`, or REJECTED).
pub struct VerificationApplier;

#[async_trait::async_trait]
impl approval::Applier for VerificationApplier {
    async fn apply(
        &self,
        tx: &Tx,
        request: &entity::approval_requests::Model,
        decision: Decision,
        actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        let db: &DatabaseTransaction = tx;
        let row = verification_requests::Entity::find_by_id(request.entity_id)
            .lock_exclusive()
            .one(db)
            .await?
            .ok_or_else(|| AppError::NotFound("verification request".into()))?;
        let from = parse_status(&row.status)?;
        match (decision, from) {
            (_, VerificationRequestStatus::Approved | VerificationRequestStatus::Rejected) => {
                return Err(AppError::conflict(None, "this verification request is already decided"));
            }
            (Decision::Approved, VerificationRequestStatus::DocumentsRequested) => {
                return Err(AppError::conflict(
                    None,
                    "documents were requested: approve once the user has uploaded them",
                ));
            }
            _ => {}
        }
        let (to, action) = if decision == Decision::Approved {
            (VerificationRequestStatus::Approved, VerificationAction::Approved)
        } else {
            (VerificationRequestStatus::Rejected, VerificationAction::Rejected)
        };
        let remarks = match decision {
            Decision::Cancelled => Some("the review was cancelled".to_string()),
            Decision::Expired => Some("the review lapsed".to_string()),
            _ => remarks.map(str::to_string),
        };
        let now = Utc::now();
        let profile = row.user_role_profile_id;
        let mut a: verification_requests::ActiveModel = row.into();
        a.status = Set(to.to_value());
        a.reviewed_at = Set(Some(now.into()));
        a.reviewed_by_user_id = Set(actor);
        a.remarks = Set(remarks.clone());
        let row = a.update(db).await?;
        log(db, row.id, action, Some(from), to, actor, remarks.as_deref()).await?;
        if let Some(p) = profile {
            let verified = decision == Decision::Approved;
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE user_role_profiles SET verification_status = $1, \
                 verified_at = CASE WHEN $2 THEN now() ELSE verified_at END WHERE id = $3",
                [
                    (if verified {
                        VerificationStatus::Verified
                    } else {
                        VerificationStatus::Rejected
                    })
                    .to_value()
                    .into(),
                    verified.into(),
                    p.into(),
                ],
            ))
            .await?;
        }
        audit::record(
            db,
            None,
            Entry::new(
                if decision == Decision::Approved {
                    Action::Approve
                } else {
                    Action::Reject
                },
                Module::Verification,
                AuditEntity::VerificationRequest,
                Some(row.id),
                format!("verification request {}", to.to_value().to_lowercase()),
            )
            .before(json!({"status": from.to_value()}))
            .after(json!({"status": to.to_value(), "approvalRequest": request.id, "userRoleProfileId": profile})),
        )
        .await?;
        Ok(())
    }
}
