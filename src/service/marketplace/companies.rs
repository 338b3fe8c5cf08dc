//! Company profiles: one per user, saved as a DRAFT and sent for review
//! (a COMPANY/CONTENT approval request); a moderator's approval makes it
//! ACTIVE and APPROVED, and only then may it post jobs. An edit of an
//! approved company waits in its request as `{old, new}` while the
//! approved text stays live, and is written only on approval. Free text is
//! trimmed, bounded and free of contact details ([`super::text`]).

use std::sync::Arc;

use entity::company_profiles;
use entity::enums::{ApprovalEntityType, ApprovalStatus, AuditEntity, ProfileStatus};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::edits::{save_entry, Owner};
use super::perms::MARKETPLACE_USE;
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::approval::{self, Applier, Appliers, Decision};
use crate::service::approval::{ensure_editable, Saved};
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::notification::Subject;

/// A company profile as stored.
pub type Company = company_profiles::Model;

/// Longest company name.
pub const MAX_NAME: usize = 200;
/// Longest business type, industry or contact person name.
pub const MAX_LABEL: usize = 120;
/// Longest location.
pub const MAX_LOCATION: usize = 200;
/// Longest bio.
pub const MAX_BIO: usize = 5000;

/// The company columns aliased with the prefix `c_` over `company_profiles c`,
/// so a job's statement reads its company in the same row
/// (`Company::from_query_result(row, "c_")`).
pub const PREFIXED_COLUMNS: &str = "c.id AS c_id, c.user_id AS c_user_id, c.company_name AS c_company_name, \
    c.business_type AS c_business_type, c.industry AS c_industry, \
    c.contact_person_name AS c_contact_person_name, c.email AS c_email, c.phone AS c_phone, \
    c.location AS c_location, c.bio AS c_bio, c.status AS c_status, \
    c.verification_status AS c_verification_status, c.approval_status AS c_approval_status, \
    c.created_at AS c_created_at, c.updated_at AS c_updated_at, c.rating AS c_rating, \
    c.review_count AS c_review_count";

/// Whether the company may post jobs: ACTIVE and APPROVED.
pub fn is_live(c: &Company) -> bool {
    c.status == ProfileStatus::Active.to_value() && c.approval_status == ApprovalStatus::Approved.to_value()
}

/// The company of `user`, if any.
pub async fn of_user<C: ConnectionTrait>(conn: &C, user: Uuid) -> AppResult<Option<Company>> {
    Ok(Company::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT * FROM company_profiles WHERE user_id = $1",
        [user.into()],
    ))
    .one(conn)
    .await?)
}

/// `myCompanyProfile`: the viewer's company in any state, if any.
pub async fn mine<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<Option<Company>> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    of_user(conn, me).await
}

/// What `saveCompanyProfile` asks for: the whole profile (unset optional
/// fields are cleared).
#[derive(Clone, Debug, Default)]
pub struct SaveCompany {
    pub company_name: String,
    pub business_type: Option<String>,
    pub industry: Option<String>,
    pub contact_person_name: Option<String>,
    pub location: Option<String>,
    pub bio: Option<String>,
}

/// Trims and bounds every field and refuses contact details; every
/// problem at once.
fn check(input: &SaveCompany) -> AppResult<SaveCompany> {
    let mut c = Checks::default();
    let clean = SaveCompany {
        company_name: c.required("companyName", &input.company_name, MAX_NAME),
        business_type: c.text("businessType", input.business_type.as_deref(), MAX_LABEL),
        industry: c.text("industry", input.industry.as_deref(), MAX_LABEL),
        contact_person_name: c.text("contactPersonName", input.contact_person_name.as_deref(), MAX_LABEL),
        location: c.text("location", input.location.as_deref(), MAX_LOCATION),
        bio: c.text("bio", input.bio.as_deref(), MAX_BIO),
    };
    c.finish()?;
    Ok(clean)
}

/// The audited picture of a company.
fn snapshot(c: &Company) -> Json {
    json!({
        "companyName": c.company_name, "businessType": c.business_type, "industry": c.industry,
        "contactPersonName": c.contact_person_name, "location": c.location, "bio": c.bio,
        "status": c.status, "approvalStatus": c.approval_status,
    })
}

/// The viewer's company, locked for the rest of the transaction.
async fn lock_own(tx: &Tx, user: Uuid) -> AppResult<Company> {
    Company::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT * FROM company_profiles WHERE user_id = $1 FOR UPDATE",
        [user.into()],
    ))
    .one(&**tx)
    .await?
    .ok_or_else(|| AppError::NotFound("company profile".into()))
}

/// `saveCompanyProfile`: creates the viewer's company (DRAFT) or edits it.
/// Edits are refused while a review is pending (`CONFLICT`) and on a
/// suspended company (`FORBIDDEN`); an edit that changes an approved
/// company is sent for review instead of written.
pub async fn save(ctx: &AppContext, viewer: &Viewer, input: SaveCompany) -> AppResult<Saved<Company>> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let clean = check(&input)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let created = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO company_profiles (user_id, company_name, status) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO NOTHING RETURNING id",
            [
                me.into(),
                clean.company_name.clone().into(),
                ProfileStatus::Draft.to_value().into(),
            ],
        ))
        .await?
        .is_some();
    let before = lock_own(&tx, me).await?;
    let suspended = before.status == ProfileStatus::Suspended.to_value();
    ensure_editable(
        &tx,
        ApprovalEntityType::Company,
        before.id,
        suspended,
        "company profile",
    )
    .await?;
    let (old, new) = (shown(&before), shown_of(&clean));
    let review = if is_live(&before) {
        approval::submit_edit(&tx, me, ApprovalEntityType::Company, before.id, old, new).await?
    } else {
        None
    };
    let after = match review {
        Some(_) => before.clone(),
        None => write(&tx, before.id, &clean).await?,
    };
    audit::record(
        &*tx,
        Some(viewer),
        save_entry(
            AuditEntity::CompanyProfile,
            after.id,
            "company profile",
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

/// What a company shows, as reviewers compare it.
fn shown(c: &Company) -> Json {
    shown_of(&SaveCompany {
        company_name: c.company_name.clone(),
        business_type: c.business_type.clone(),
        industry: c.industry.clone(),
        contact_person_name: c.contact_person_name.clone(),
        location: c.location.clone(),
        bio: c.bio.clone(),
    })
}

/// What a checked save would show.
fn shown_of(c: &SaveCompany) -> Json {
    json!({
        "companyName": c.company_name, "businessType": c.business_type, "industry": c.industry,
        "contactPersonName": c.contact_person_name, "location": c.location, "bio": c.bio,
    })
}

/// The save that writes `new` (a [`shown`] picture).
fn save_of(new: &Json) -> SaveCompany {
    let text = |k: &str| new.get(k).and_then(Json::as_str).map(str::to_string);
    SaveCompany {
        company_name: text("companyName").unwrap_or_default(),
        business_type: text("businessType"),
        industry: text("industry"),
        contact_person_name: text("contactPersonName"),
        location: text("location"),
        bio: text("bio"),
    }
}

/// Writes checked text into company `id`.
async fn write(tx: &Tx, id: Uuid, clean: &SaveCompany) -> AppResult<Company> {
    let values: Vec<Value> = vec![
        id.into(),
        clean.company_name.clone().into(),
        clean.business_type.clone().into(),
        clean.industry.clone().into(),
        clean.contact_person_name.clone().into(),
        clean.location.clone().into(),
        clean.bio.clone().into(),
    ];
    Company::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE company_profiles SET company_name = $2, business_type = $3, industry = $4, \
           contact_person_name = $5, location = $6, bio = $7 WHERE id = $1 RETURNING *",
        values,
    ))
    .one(&**tx)
    .await?
    .ok_or_else(|| AppError::NotFound("company profile".into()))
}

/// `submitCompanyProfile`: sends the viewer's company for review (a
/// COMPANY/CONTENT request moderators decide); approvalStatus PENDING.
/// `CONFLICT` while one is pending or when it is already approved.
pub async fn submit(ctx: &AppContext, viewer: &Viewer) -> AppResult<Company> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = lock_own(&tx, me).await?;
    let state = (is_live(&row), row.status == ProfileStatus::Suspended.to_value());
    let payload = json!({"company": snapshot(&row)});
    approval::submit_first(
        &tx,
        me,
        ApprovalEntityType::Company,
        row.id,
        state,
        "company profile",
        payload,
    )
    .await?;
    let after = Company::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE company_profiles SET approval_status = $2 WHERE id = $1 AND status = $3 RETURNING *",
        [
            row.id.into(),
            ApprovalStatus::Pending.to_value().into(),
            row.status.clone().into(),
        ],
    ))
    .one(&*tx)
    .await?
    .ok_or_else(|| AppError::conflict(None, "the company profile changed meanwhile; read it again"))?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Marketplace,
            AuditEntity::CompanyProfile,
            Some(after.id),
            "company profile submitted for review",
        )
        .after(snapshot(&after)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(after)
}

/// Applies moderators' decisions on COMPANY requests: approved → ACTIVE
/// and APPROVED (an edit: its text written, checked again), rejected →
/// REJECTED (an edit: the company stays as approved); the owner hears of
/// each. A withdrawn or expired request leaves the company as it was.
struct CompanyApplier;

#[async_trait::async_trait]
impl Applier for CompanyApplier {
    async fn apply(
        &self,
        tx: &Tx,
        request: &entity::approval_requests::Model,
        decision: Decision,
        _actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        let edit = approval::edit_of(request);
        let status_change: Option<(&str, Vec<Value>)> = match (decision, edit) {
            (Decision::Cancelled | Decision::Expired, _) => return Ok(()),
            (Decision::Approved, Some(new)) => {
                write(tx, request.entity_id, &check(&save_of(new))?).await?;
                None
            }
            (Decision::Rejected, Some(_)) => None,
            (Decision::Approved, None) => Some((
                "UPDATE company_profiles SET status = $2, approval_status = $3 WHERE id = $1",
                vec![
                    request.entity_id.into(),
                    ProfileStatus::Active.to_value().into(),
                    ApprovalStatus::Approved.to_value().into(),
                ],
            )),
            (Decision::Rejected, None) => Some((
                "UPDATE company_profiles SET approval_status = $2 WHERE id = $1",
                vec![request.entity_id.into(), ApprovalStatus::Rejected.to_value().into()],
            )),
        };
        if let Some((sql, values)) = status_change {
            tx.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
                .await?;
        }
        let owner = tx
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT user_id FROM company_profiles WHERE id = $1",
                [request.entity_id.into()],
            ))
            .await?
            .ok_or_else(|| AppError::NotFound("company profile".into()))?
            .try_get::<Uuid>("", "user_id")?;
        Owner {
            user: owner,
            noun: "company profile",
            subject: Subject::Company,
            id: request.entity_id,
        }
        .tell(&**tx, decision, edit.is_some(), remarks)
        .await
    }
}

/// Registers the COMPANY applier.
pub fn register_applier(a: &mut Appliers) {
    a.register(ApprovalEntityType::Company, Arc::new(CompanyApplier));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_company_is_checked_field_by_field() {
        let ok = check(&SaveCompany {
            company_name: "  Acme Studios  ".into(),
            bio: Some("We make films.".into()),
            ..Default::default()
        })
        .map(|c| c.company_name);
        assert_eq!(ok.ok().as_deref(), Some("Acme Studios"));
        let bad = check(&SaveCompany {
            company_name: " ".into(),
            bio: Some("write to acme [at] mail [dot] com".into()),
            ..Default::default()
        });
        match bad {
            Err(AppError::BadUserInput { fields, .. }) => {
                let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(names, ["companyName", "bio"]);
            }
            other => panic!("expected field errors, got {other:?}"),
        }
    }
}
