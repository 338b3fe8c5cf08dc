//! KYC submissions (source 004 `user_kyc`): one row per user, its ID
//! number sealed at rest (`id_number_encrypted`), its front, back and
//! selfie images kept as the documents of an IDENTITY verification request
//! (the row's `id_front_file`, `id_back_file`, `selfie_file` hold their
//! document ids). Submitting opens an approval request (entity KYC,
//! approval type VERIFICATION) in the same transaction; [`KycApplier`]
//! applies the decision. A cancelled or lapsed (expired) review leaves
//! the KYC EXPIRED: nothing was verified, and the user may submit again.
//! A VERIFIED KYC turns EXPIRED after `kyc.validity` (runtime config) in
//! [`expire_due`].

use chrono::{Duration as Days, NaiveDate, Utc};
use entity::enums::{
    ApprovalEntityType, ApprovalType, IdDocumentType, KycStatus, VerificationAction, VerificationDocumentType,
    VerificationRequestStatus, VerificationType,
};
use entity::{user_kyc, verification_requests};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, QueryFilter, QuerySelect, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::files::{self, Checked, Incoming};
use super::perms::VERIFICATION_SUBMIT;
use crate::app::AppContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::infra::events::Tx;
use crate::service::approval::{self, Decision, NewRequest};
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::identity::Viewer;

/// What a user submits. Not `Debug`: it holds the ID number.
pub struct KycSubmission {
    pub full_name: String,
    pub date_of_birth: NaiveDate,
    pub country: String,
    pub address_line: String,
    pub id_document_type: IdDocumentType,
    pub id_number: String,
    pub front: Incoming,
    pub back: Incoming,
    pub selfie: Incoming,
}

/// The ID number shown to reviewers: its last four characters only.
pub fn mask(id_number: &str) -> String {
    let chars: Vec<char> = id_number.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("****{tail}")
}

fn validate(s: &KycSubmission) -> AppResult<()> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    let name = s.full_name.trim().chars().count();
    if name == 0 || name > 200 {
        bad("fullName", "give your full name (at most 200 characters)");
    }
    let today = Utc::now().date_naive();
    if s.date_of_birth >= today || s.date_of_birth < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(today) {
        bad("dateOfBirth", "give a date of birth in the past");
    }
    let c = s.country.trim();
    if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
        bad("country", "give a two-letter ISO 3166 country code");
    }
    let addr = s.address_line.trim().chars().count();
    if addr == 0 || addr > 500 {
        bad("addressLine", "give an address (at most 500 characters)");
    }
    // The message never repeats the number.
    let id = s.id_number.trim();
    let id_ok =
        (4..=64).contains(&id.chars().count()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ');
    if !id_ok {
        bad("documentNumber", "4 to 64 letters, digits, spaces or hyphens");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(errors))
    }
}

/// `submitKyc`: checks everything, writes the three images, then records
/// the submission and opens its review in one transaction; the images are
/// removed again when that transaction does not commit.
pub async fn submit(ctx: &AppContext, viewer: &Viewer, s: KycSubmission) -> AppResult<user_kyc::Model> {
    let me = viewer.require_self_service(VERIFICATION_SUBMIT)?;
    validate(&s)?;
    let checked = vec![
        files::check(&ctx.storage, s.front)?,
        files::check(&ctx.storage, s.back)?,
        files::check(&ctx.storage, s.selfie)?,
    ];
    let fields = Fields {
        full_name: s.full_name.trim().to_string(),
        date_of_birth: s.date_of_birth,
        country: s.country.trim().to_ascii_uppercase(),
        address_line: s.address_line.trim().to_string(),
        id_document_type: s.id_document_type,
        id_number: s.id_number.trim().to_string(),
    };
    let keys = files::write_all(&ctx.storage, &checked).await?;
    let recorded = async {
        let tx = Tx::begin(&ctx.db.primary).await?;
        let row = submit_in(&tx, ctx, viewer, me, &fields, &checked).await?;
        tx.commit(&ctx.bus).await?;
        AppResult::Ok(row)
    }
    .await;
    if recorded.is_err() {
        ctx.storage.delete_all(&keys).await;
    }
    recorded
}

struct Fields {
    full_name: String,
    date_of_birth: NaiveDate,
    country: String,
    address_line: String,
    id_document_type: IdDocumentType,
    id_number: String,
}

async fn submit_in(
    tx: &Tx,
    ctx: &AppContext,
    viewer: &Viewer,
    me: Uuid,
    f: &Fields,
    images: &[Checked],
) -> AppResult<user_kyc::Model> {
    let db: &DatabaseTransaction = tx;
    let existing = user_kyc::Entity::find()
        .filter(user_kyc::Column::UserId.eq(me))
        .lock_exclusive()
        .one(db)
        .await?;
    let current = existing
        .as_ref()
        .and_then(|k| KycStatus::try_from_value(&k.status).ok());
    match current {
        Some(KycStatus::Pending) => {
            return Err(AppError::conflict(
                None,
                "your KYC submission is already pending review",
            ));
        }
        Some(KycStatus::Verified) => {
            return Err(AppError::conflict(
                None,
                "your KYC is verified; submit again once it has expired",
            ));
        }
        _ => {}
    }
    let now = Utc::now();
    let request = verification_requests::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(me),
        user_role_profile_id: Set(None),
        verification_type: Set(VerificationType::Identity.to_value()),
        status: Set(VerificationRequestStatus::Pending.to_value()),
        submitted_at: Set(now.into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let kinds = [
        VerificationDocumentType::IdFront,
        VerificationDocumentType::IdBack,
        VerificationDocumentType::Selfie,
    ];
    let mut doc_ids = Vec::with_capacity(3);
    for (image, kind) in images.iter().zip(kinds) {
        doc_ids.push(files::insert_document(db, request.id, kind, image).await?.id);
    }
    log(
        db,
        request.id,
        VerificationAction::Submitted,
        None,
        VerificationRequestStatus::Pending,
        Some(me),
        None,
    )
    .await?;
    let sealed = ctx.keys.cipher.seal(f.id_number.as_bytes());
    let doc = |i: usize| Set(doc_ids.get(i).map(Uuid::to_string));
    let fresh = existing.is_none();
    let mut a: user_kyc::ActiveModel = match existing {
        Some(row) => row.into(),
        None => user_kyc::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(me),
            ..Default::default()
        },
    };
    a.status = Set(KycStatus::Pending.to_value());
    a.full_name = Set(Some(f.full_name.clone()));
    a.date_of_birth = Set(Some(f.date_of_birth));
    a.country = Set(Some(f.country.clone()));
    a.address_line = Set(Some(f.address_line.clone()));
    a.id_document_type = Set(Some(f.id_document_type.to_value()));
    a.id_number_encrypted = Set(Some(sealed));
    a.id_front_file = doc(0);
    a.id_back_file = doc(1);
    a.selfie_file = doc(2);
    a.submitted_at = Set(Some(now.into()));
    a.verified_at = Set(None);
    a.expires_at = Set(None);
    a.reviewed_by_user_id = Set(None);
    a.rejection_reason = Set(None);
    a.approval_request_id = Set(None);
    let kyc_id = if fresh {
        a.insert(db).await?
    } else {
        a.update(db).await?
    }
    .id;
    let review = approval::submit(
        tx,
        me,
        NewRequest {
            entity_type: ApprovalEntityType::Kyc,
            entity_id: kyc_id,
            approval_type: ApprovalType::Verification,
            payload: json!({
                "verificationRequestId": request.id,
                "idDocumentType": f.id_document_type.to_value(),
                "documentNumber": mask(&f.id_number),
                "country": f.country,
                "documents": doc_ids,
            }),
            remarks: Some("KYC submission".into()),
        },
    )
    .await?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE user_kyc SET approval_request_id = $1 WHERE id = $2",
        [review.id.into(), kyc_id.into()],
    ))
    .await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Verification,
            AuditEntity::UserKyc,
            Some(kyc_id),
            "KYC submitted".to_string(),
        )
        .after(json!({"status": KycStatus::Pending.to_value(), "approvalRequest": review.id, "verificationRequest": request.id})),
    )
    .await?;
    user_kyc::Entity::find_by_id(kyc_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("KYC row vanished")))
}

/// Appends one `verification_logs` row (the table refuses updates).
pub async fn log<C: ConnectionTrait>(
    db: &C,
    request_id: Uuid,
    action: VerificationAction,
    old: Option<VerificationRequestStatus>,
    new: VerificationRequestStatus,
    actor: Option<Uuid>,
    remarks: Option<&str>,
) -> AppResult<()> {
    entity::verification_logs::ActiveModel {
        id: Set(Uuid::now_v7()),
        verification_request_id: Set(request_id),
        action: Set(action.to_value()),
        old_status: Set(old.map(|s| s.to_value())),
        new_status: Set(Some(new.to_value())),
        acted_by_user_id: Set(actor),
        remarks: Set(remarks.map(str::to_string)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Days a verified KYC stays valid (`runtime_configs` kyc/validity).
async fn valid_days<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT config_value_json FROM runtime_configs WHERE config_group = 'kyc' AND config_key = 'validity'",
        ))
        .await?;
    let days = row
        .and_then(|r| r.try_get::<serde_json::Value>("", "config_value_json").ok())
        .and_then(|v| v["validDays"].as_i64())
        .filter(|d| *d > 0)
        .unwrap_or(365);
    Ok(days)
}

/// Registers [`KycApplier`] for KYC requests.
pub fn register_applier(appliers: &mut approval::Appliers) {
    appliers.register(ApprovalEntityType::Kyc, std::sync::Arc::new(KycApplier));
}

/// Applies review decisions to a KYC: approved → VERIFIED until now plus
/// the validity; rejected → REJECTED with the remarks as the reason;
/// cancelled or expired review → EXPIRED (submit again). Its IDENTITY
/// verification request follows, with a log row.
pub struct KycApplier;

#[async_trait::async_trait]
impl approval::Applier for KycApplier {
    async fn apply(
        &self,
        tx: &Tx,
        request: &entity::approval_requests::Model,
        decision: Decision,
        actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        let db: &DatabaseTransaction = tx;
        let row = user_kyc::Entity::find_by_id(request.entity_id)
            .lock_exclusive()
            .one(db)
            .await?
            .ok_or_else(|| AppError::NotFound("KYC submission".into()))?;
        if row.status != KycStatus::Pending.to_value() || row.approval_request_id != Some(request.id) {
            return Err(AppError::conflict(None, "this KYC submission is no longer pending"));
        }
        let now = Utc::now();
        let (status, vr_status) = match decision {
            Decision::Approved => (KycStatus::Verified, VerificationRequestStatus::Approved),
            Decision::Rejected => (KycStatus::Rejected, VerificationRequestStatus::Rejected),
            Decision::Cancelled | Decision::Expired => (KycStatus::Expired, VerificationRequestStatus::Rejected),
        };
        let user_id = row.user_id;
        let doc_id = row.id_front_file.as_deref().and_then(|d| Uuid::parse_str(d).ok());
        let mut a: user_kyc::ActiveModel = row.into();
        a.status = Set(status.to_value());
        a.reviewed_by_user_id = Set(actor);
        match decision {
            Decision::Approved => {
                a.verified_at = Set(Some(now.into()));
                a.expires_at = Set(Some((now + Days::days(valid_days(db).await?)).into()));
            }
            Decision::Rejected => a.rejection_reason = Set(remarks.map(str::to_string)),
            _ => {}
        }
        let kyc = a.update(db).await?;
        // The images' verification request follows the decision.
        if let Some(doc_id) = doc_id {
            if let Some(doc) = entity::verification_documents::Entity::find_by_id(doc_id)
                .one(db)
                .await?
            {
                let vr_remarks = match decision {
                    Decision::Approved | Decision::Rejected => remarks.map(str::to_string),
                    Decision::Cancelled => Some("the KYC review was cancelled".to_string()),
                    Decision::Expired => Some("the KYC review lapsed".to_string()),
                };
                let res = db
                    .execute_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "UPDATE verification_requests SET status = $1, reviewed_at = $2, reviewed_by_user_id = $3, \
                         remarks = $4 WHERE id = $5 AND status = $6",
                        [
                            vr_status.to_value().into(),
                            now.into(),
                            actor.into(),
                            vr_remarks.clone().into(),
                            doc.verification_request_id.into(),
                            VerificationRequestStatus::Pending.to_value().into(),
                        ],
                    ))
                    .await?;
                if res.rows_affected() == 1 {
                    let action = if vr_status == VerificationRequestStatus::Approved {
                        VerificationAction::Approved
                    } else {
                        VerificationAction::Rejected
                    };
                    log(
                        db,
                        doc.verification_request_id,
                        action,
                        Some(VerificationRequestStatus::Pending),
                        vr_status,
                        actor,
                        vr_remarks.as_deref(),
                    )
                    .await?;
                }
            }
        }
        audit::record(
            db,
            None,
            Entry::new(
                match decision {
                    Decision::Approved => Action::Approve,
                    Decision::Rejected => Action::Reject,
                    _ => Action::Cancel,
                },
                Module::Verification,
                AuditEntity::UserKyc,
                Some(kyc.id),
                format!("KYC {}", status.to_value().to_lowercase()),
            )
            .before(json!({"status": KycStatus::Pending.to_value()}))
            .after(json!({
                "status": status.to_value(),
                "expiresAt": kyc.expires_at,
                "approvalRequest": request.id,
                "user": user_id,
                "reviewedBy": actor,
            })),
        )
        .await?;
        Ok(())
    }
}

/// Job kind (and singleton key) of the KYC expiry pass.
pub const EXPIRY_JOB: &str = "kyc.expire";
/// How often the pass runs.
pub const EXPIRY_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Turns VERIFIED KYC past `expires_at` into EXPIRED, with an audit row
/// each, in one transaction per batch. The conditional UPDATE (skipping
/// rows another instance holds) makes concurrent runs on several
/// instances safe: each row expires once. Returns how many expired.
pub async fn expire_due(db: &sea_orm::DatabaseConnection, bus: &crate::infra::events::EventBus) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let tx = Tx::begin(db).await?;
        let conn: &DatabaseTransaction = &tx;
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE user_kyc SET status = $1 WHERE id IN ( \
                   SELECT id FROM user_kyc WHERE status = $2 AND expires_at <= now() \
                   ORDER BY expires_at LIMIT 200 FOR UPDATE SKIP LOCKED) \
                 AND status = $2 AND expires_at <= now() RETURNING id, user_id",
                [
                    KycStatus::Expired.to_value().into(),
                    KycStatus::Verified.to_value().into(),
                ],
            ))
            .await?;
        for r in &rows {
            let id: Uuid = r.try_get("", "id").map_err(AppError::from)?;
            let user: Uuid = r.try_get("", "user_id").map_err(AppError::from)?;
            audit::record(
                conn,
                None,
                Entry::new(
                    Action::Update,
                    Module::Verification,
                    AuditEntity::UserKyc,
                    Some(id),
                    "KYC expired".to_string(),
                )
                .before(json!({"status": KycStatus::Verified.to_value()}))
                .after(json!({"status": KycStatus::Expired.to_value(), "user": user})),
            )
            .await?;
        }
        tx.commit(bus).await?;
        total += rows.len();
        if rows.len() < 200 {
            return Ok(total);
        }
    }
}
