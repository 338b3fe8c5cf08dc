//! Customer and candidate profiles: one of each per user, created or
//! edited in place, their text free of contact details like every
//! marketplace text.

use entity::{candidate_profiles, customer_profiles};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement, Value};
use uuid::Uuid;

use super::perms::MARKETPLACE_USE;
use super::professions::{MAX_COUNT, MAX_LABEL, MAX_LIST, MAX_PAISE};
use super::profiles::{MAX_BIO, MAX_LOCATION, MAX_NAME};
use super::text::Checks;
use crate::app::AppContext;
use crate::error::AppResult;
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::identity::Viewer;

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
    .ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("upsert returned nothing")))?;
    audited(&tx, viewer, AuditEntity::CustomerProfile, row.id, "customer profile").await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// Creates or edits the viewer's candidate profile (DRAFT when new).
pub async fn save_candidate(
    ctx: &AppContext,
    viewer: &Viewer,
    input: CandidateInput,
) -> AppResult<candidate_profiles::Model> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let mut c = Checks::default();
    let name = c.required("displayName", &input.display_name, MAX_NAME);
    let bio = c.text("bio", input.bio.as_deref(), MAX_BIO);
    let location = c.text("location", input.location.as_deref(), MAX_LOCATION);
    let years = c.count("experienceYears", input.experience_years, 80);
    let roles = input
        .preferred_roles
        .as_ref()
        .map(|r| c.labels("preferredRoles", r, MAX_LIST, MAX_LABEL, false));
    let salary = c.count(
        "expectedSalaryInr",
        input.expected_salary_inr,
        MAX_PAISE.min(MAX_COUNT * 100_000),
    );
    c.finish()?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = candidate_profiles::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO candidate_profiles (user_id, display_name, bio, location, experience_years, preferred_roles, \
           expected_salary_inr) VALUES ($1, $2, $3, $4, $5, coalesce($6, '{}'::text[]), $7) \
         ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name, bio = EXCLUDED.bio, \
           location = EXCLUDED.location, experience_years = EXCLUDED.experience_years, \
           preferred_roles = coalesce($6, candidate_profiles.preferred_roles), \
           expected_salary_inr = EXCLUDED.expected_salary_inr \
         RETURNING *",
        [
            me.into(),
            name.into(),
            bio.into(),
            location.into(),
            years.map(|y| y as i32).into(),
            roles
                .map(Value::from)
                .unwrap_or(Value::Array(sea_orm::sea_query::ArrayType::String, None)),
            salary.into(),
        ],
    ))
    .one(&*tx)
    .await?
    .ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("upsert returned nothing")))?;
    audited(&tx, viewer, AuditEntity::CandidateProfile, row.id, "candidate profile").await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}
