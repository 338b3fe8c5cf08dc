//! Customer and candidate profiles: one of each per user, created or
//! edited in place, their text free of contact details like every
//! marketplace text. Customer profiles are ACTIVE on creation (source
//! 001); candidate profiles go through the approval engine like role
//! profiles: DRAFT, submitted as a CANDIDATE/CONTENT request, ACTIVE and
//! APPROVED once a moderator approves it. Only then do employers see them
//! on applications ([`shown_on_application`]).

use std::collections::HashMap;
use std::sync::Arc;

use entity::enums::{ApprovalEntityType, ApprovalStatus, ProfileStatus};
use entity::{candidate_profiles, customer_profiles};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement, Value,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::edits::{save_entry, Owner};
use super::perms::{JOBS_MANAGE, MARKETPLACE_USE};
use super::professions::{MAX_COUNT, MAX_LABEL, MAX_LIST, MAX_PAISE};
use super::profiles::{MAX_BIO, MAX_LOCATION, MAX_NAME};
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::approval::{self, Applier, Appliers, Decision, Saved};
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::notification::Subject;

/// What `saveCustomerProfile` asks for.
#[derive(Clone, Debug)]
pub struct CustomerInput {
    pub display_name: String,
    pub location: Option<String>,
}

/// What `saveCandidateProfile` asks for.
#[derive(Clone, Debug)]
pub struct CandidateInput {
    pub display_name: String,
    pub bio: Option<String>,
    pub location: Option<String>,
    pub experience_years: Option<i64>,
    pub preferred_roles: Option<Vec<String>>,
    pub expected_salary_inr: Option<i64>,
}

/// The viewer's customer profile.
pub async fn customer_of<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<Option<customer_profiles::Model>> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    Ok(customer_profiles::Entity::find()
        .filter(customer_profiles::Column::UserId.eq(me))
        .one(conn)
        .await?)
}

/// The viewer's candidate profile.
pub async fn candidate_of<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
) -> AppResult<Option<candidate_profiles::Model>> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    Ok(candidate_profiles::Entity::find()
        .filter(candidate_profiles::Column::UserId.eq(me))
        .one(conn)
        .await?)
}

/// Whether a candidate profile is ACTIVE and APPROVED: the only state
/// employers see.
pub fn is_live(p: &candidate_profiles::Model) -> bool {
    p.status == ProfileStatus::Active.to_value() && p.approval_status == ApprovalStatus::Approved.to_value()
}

/// The candidate profiles of `users`, by user id, in one statement. No
/// access check: callers decide with [`shown_on_application`].
pub async fn candidates_of_users<C: ConnectionTrait>(
    conn: &C,
    users: &[Uuid],
) -> AppResult<HashMap<Uuid, candidate_profiles::Model>> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = candidate_profiles::Entity::find()
        .filter(candidate_profiles::Column::UserId.is_in(users.to_vec()))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|p| (p.user_id, p)).collect())
}

/// Whether `viewer` may see `candidate` on an application to a job posted
/// by `poster`: the applicant always (it is theirs), the poster and job
/// moderators only while it is live, so a draft or rejected profile never
/// reaches an employer.
pub fn shown_on_application(viewer: &Viewer, candidate: &candidate_profiles::Model, poster: Option<Uuid>) -> bool {
    let Some(me) = viewer.user_id else {
        return false;
    };
    if me == candidate.user_id {
        return true;
    }
    (poster == Some(me) || viewer.can(JOBS_MANAGE)) && is_live(candidate)
}

async fn audited(tx: &Tx, viewer: &Viewer, kind: AuditEntity, id: Uuid, what: &str) -> AppResult<()> {
    audit::record(
        &**tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Marketplace,
            kind,
            Some(id),
            format!("{what} saved"),
        ),
    )
    .await?;
    Ok(())
}

/// Creates or edits the viewer's customer profile.
pub async fn save_customer(
    ctx: &AppContext,
    viewer: &Viewer,
    input: CustomerInput,
) -> AppResult<customer_profiles::Model> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let mut c = Checks::default();
    let name = c.required("displayName", &input.display_name, MAX_NAME);
    let location = c.text("location", input.location.as_deref(), MAX_LOCATION);
    c.finish()?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = customer_profiles::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO customer_profiles (user_id, display_name, location) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name, location = EXCLUDED.location \
         RETURNING *",
        [me.into(), name.into(), location.into()],
    ))
    .one(&*tx)
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("upsert returned nothing")))?;
    audited(&tx, viewer, AuditEntity::CustomerProfile, row.id, "customer profile").await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// The audited (and reviewed) picture of a candidate profile.
fn snapshot(p: &candidate_profiles::Model) -> Json {
    json!({
        "displayName": p.display_name, "bio": p.bio, "location": p.location,
        "experienceYears": p.experience_years, "preferredRoles": p.preferred_roles,
        "expectedSalaryInr": p.expected_salary_inr,
    })
}

/// The viewer's candidate profile, locked for the transaction.
async fn lock_candidate(tx: &Tx, user: Uuid) -> AppResult<Option<candidate_profiles::Model>> {
    Ok(
        candidate_profiles::Model::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT * FROM candidate_profiles WHERE user_id = $1 FOR UPDATE",
            [user.into()],
        ))
        .one(&**tx)
        .await?,
    )
}

/// A candidate save after its checks.
struct CleanCandidate {
    name: String,
    bio: Option<String>,
    location: Option<String>,
    years: Option<i32>,
    roles: Option<Vec<String>>,
    salary: Option<i64>,
}

/// Trims and bounds every field and refuses contact details; every
/// problem at once.
fn check_candidate(input: &CandidateInput) -> AppResult<CleanCandidate> {
    let mut c = Checks::default();
    let clean = CleanCandidate {
        name: c.required("displayName", &input.display_name, MAX_NAME),
        bio: c.text("bio", input.bio.as_deref(), MAX_BIO),
        location: c.text("location", input.location.as_deref(), MAX_LOCATION),
        years: c.count("experienceYears", input.experience_years, 80).map(|y| y as i32),
        roles: input
            .preferred_roles
            .as_ref()
            .map(|r| c.labels("preferredRoles", r, MAX_LIST, MAX_LABEL, false)),
        salary: c.count(
            "expectedSalaryInr",
            input.expected_salary_inr,
            MAX_PAISE.min(MAX_COUNT * 100_000),
        ),
    };
    c.finish()?;
    Ok(clean)
}

/// What `before` would show after the save `c` (the [`snapshot`] shape).
fn proposed(before: &candidate_profiles::Model, c: &CleanCandidate) -> Json {
    json!({
        "displayName": c.name, "bio": c.bio, "location": c.location, "experienceYears": c.years,
        "preferredRoles": c.roles.as_ref().unwrap_or(&before.preferred_roles), "expectedSalaryInr": c.salary,
    })
}

/// The save that writes `new` (a [`snapshot`] picture).
fn input_of(new: &Json) -> CandidateInput {
    let text = |k: &str| new.get(k).and_then(Json::as_str).map(str::to_string);
    CandidateInput {
        display_name: text("displayName").unwrap_or_default(),
        bio: text("bio"),
        location: text("location"),
        experience_years: new.get("experienceYears").and_then(Json::as_i64),
        preferred_roles: new
            .get("preferredRoles")
            .and_then(Json::as_array)
            .map(|r| r.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()),
        expected_salary_inr: new.get("expectedSalaryInr").and_then(Json::as_i64),
    }
}

/// Writes checked fields into candidate profile `id`.
async fn write_candidate(tx: &Tx, id: Uuid, c: &CleanCandidate) -> AppResult<candidate_profiles::Model> {
    candidate_profiles::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE candidate_profiles SET display_name = $2, bio = $3, location = $4, experience_years = $5, \
           preferred_roles = coalesce($6, preferred_roles), expected_salary_inr = $7 WHERE id = $1 RETURNING *",
        [
            id.into(),
            c.name.clone().into(),
            c.bio.clone().into(),
            c.location.clone().into(),
            c.years.into(),
            c.roles
                .clone()
                .map(Value::from)
                .unwrap_or(Value::Array(sea_orm::sea_query::ArrayType::String, None)),
            c.salary.into(),
        ],
    ))
    .one(&**tx)
    .await?
    .ok_or_else(|| AppError::NotFound("candidate profile".into()))
}

/// Creates or edits the viewer's candidate profile (DRAFT when new).
/// Refused while a review is pending (`CONFLICT`: cancel the request to
/// edit) and on a suspended profile (`FORBIDDEN`). An edit that changes
/// an approved profile is sent for review instead of written.
pub async fn save_candidate(
    ctx: &AppContext,
    viewer: &Viewer,
    input: CandidateInput,
) -> AppResult<Saved<candidate_profiles::Model>> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let clean = check_candidate(&input)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let created = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO candidate_profiles (user_id, display_name) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO NOTHING RETURNING id",
            [me.into(), clean.name.clone().into()],
        ))
        .await?
        .is_some();
    let before = lock_candidate(&tx, me)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("candidate profile vanished inside its transaction")))?;
    let suspended = before.status == ProfileStatus::Suspended.to_value();
    approval::ensure_editable(&tx, ApprovalEntityType::Candidate, before.id, suspended, "profile").await?;
    let review = if is_live(&before) {
        let (old, new) = (snapshot(&before), proposed(&before, &clean));
        approval::submit_edit(&tx, me, ApprovalEntityType::Candidate, before.id, old, new).await?
    } else {
        None
    };
    let after = match review {
        Some(_) => before.clone(),
        None => write_candidate(&tx, before.id, &clean).await?,
    };
    audit::record(
        &*tx,
        Some(viewer),
        save_entry(
            AuditEntity::CandidateProfile,
            after.id,
            "candidate profile",
            created,
            review.is_some(),
        )
        .before(if created { Json::Null } else { snapshot(&before) })
        .after(snapshot(&after)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(Saved { row: after, review })
}

/// `submitCandidateProfile`: sends the viewer's candidate profile for
/// review (a CANDIDATE/CONTENT request moderators decide, never the
/// submitter). `NOT_FOUND` without a profile; `CONFLICT` while a review is
/// pending or when it is already ACTIVE and APPROVED; `FORBIDDEN` when
/// suspended.
pub async fn submit_candidate(ctx: &AppContext, viewer: &Viewer) -> AppResult<candidate_profiles::Model> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = lock_candidate(&tx, me)
        .await?
        .ok_or_else(|| AppError::NotFound("candidate profile".into()))?;
    let state = (is_live(&row), row.status == ProfileStatus::Suspended.to_value());
    let payload = json!({"profile": snapshot(&row)});
    approval::submit_first(
        &tx,
        me,
        ApprovalEntityType::Candidate,
        row.id,
        state,
        "profile",
        payload,
    )
    .await?;
    let after = candidate_profiles::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE candidate_profiles SET approval_status = $2, rejection_reason = NULL WHERE id = $1 RETURNING *",
        [row.id.into(), ApprovalStatus::Pending.to_value().into()],
    ))
    .one(&*tx)
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("candidate profile vanished inside its transaction")))?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Marketplace,
            AuditEntity::CandidateProfile,
            Some(after.id),
            "candidate profile submitted for review".to_string(),
        )
        .after(snapshot(&after)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(after)
}

/// Applies moderators' decisions on CANDIDATE requests.
struct CandidateApplier;

#[async_trait::async_trait]
impl Applier for CandidateApplier {
    async fn apply(
        &self,
        tx: &Tx,
        request: &entity::approval_requests::Model,
        decision: Decision,
        _actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        let edit = approval::edit_of(request);
        let change: Option<(&str, Vec<Value>)> = match (decision, edit) {
            // Withdrawn or unanswered: the profile stays as it was.
            (Decision::Cancelled | Decision::Expired, _) => return Ok(()),
            (Decision::Approved, Some(new)) => {
                // An approved edit: written after its checks, still live.
                write_candidate(tx, request.entity_id, &check_candidate(&input_of(new))?).await?;
                None
            }
            // A rejected edit: the approved profile stays as it was.
            (Decision::Rejected, Some(_)) => None,
            (Decision::Approved, None) => Some((
                "UPDATE candidate_profiles SET status = $2, approval_status = $3, approved_at = now(), \
                   rejection_reason = NULL WHERE id = $1",
                vec![
                    request.entity_id.into(),
                    ProfileStatus::Active.to_value().into(),
                    ApprovalStatus::Approved.to_value().into(),
                ],
            )),
            (Decision::Rejected, None) => Some((
                "UPDATE candidate_profiles SET approval_status = $2, rejection_reason = $3 WHERE id = $1",
                vec![
                    request.entity_id.into(),
                    ApprovalStatus::Rejected.to_value().into(),
                    remarks.unwrap_or("rejected by a reviewer").into(),
                ],
            )),
        };
        if let Some((sql, values)) = change {
            tx.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
                .await?;
        }
        let owner = candidate_profiles::Entity::find_by_id(request.entity_id)
            .one(&**tx)
            .await?
            .ok_or_else(|| AppError::NotFound("candidate profile".into()))?
            .user_id;
        Owner {
            user: owner,
            noun: "candidate profile",
            subject: Subject::Candidate,
            id: request.entity_id,
        }
        .tell(&**tx, decision, edit.is_some(), remarks)
        .await
    }
}

/// Registers the CANDIDATE applier.
pub fn register_applier(a: &mut Appliers) {
    a.register(ApprovalEntityType::Candidate, Arc::new(CandidateApplier));
}
