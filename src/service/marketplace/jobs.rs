//! Job postings of approved companies. A job is written as a DRAFT, paid
//! for and sent for review once ([`posting`]), LIVE for everyone after a
//! moderator's approval, and closed by its poster or a job moderator; the
//! moves sit in one table ([`can_move`]), each a conditional UPDATE from
//! the state seen. Lists are one statement a page ([`list`]): a job's row
//! carries its company and the viewer's own application.

pub mod list;
pub mod posting;

use entity::enums::{AuditEntity, EmploymentType, JobStatus as S, WorkMode};
use entity::jobs;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, DbErr, FromQueryResult, QueryResult, Statement, Value};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::applications::{self, ApplicationRow};
use super::companies::{self, Company};
use super::perms::{JOBS_MANAGE, MARKETPLACE_USE, PROFILES_MANAGE};
use super::professions::MAX_PAISE;
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::approval::Appliers;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;

/// Longest title.
pub const MAX_TITLE: usize = 200;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 5000;
/// Longest location.
pub const MAX_LOCATION: usize = 200;

/// A job as every read returns it: the row, its company, and the viewer's
/// own application to it (when signed in and applied).
#[derive(Clone, Debug)]
pub struct JobRow {
    pub job: jobs::Model,
    pub company: Company,
    pub viewer_application: Option<ApplicationRow>,
}

impl FromQueryResult for JobRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let applied: Option<Uuid> = res.try_get(&format!("{pre}va_"), "id")?;
        Ok(JobRow {
            job: jobs::Model::from_query_result(res, pre)?,
            company: Company::from_query_result(res, &format!("{pre}c_"))?,
            viewer_application: match applied {
                Some(_) => Some(ApplicationRow::from_query_result(res, &format!("{pre}va_"))?),
                None => None,
            },
        })
    }
}

impl JobRow {
    /// The typed status.
    pub fn status(&self) -> AppResult<S> {
        status_of(&self.job)
    }
}

/// The select of [`JobRow`] over `jobs j`; `$1` is the viewer's user id
/// (NULL when anonymous), whose application is joined.
pub fn select_sql() -> String {
    format!(
        "SELECT j.*, {}, {} FROM jobs j JOIN company_profiles c ON c.id = j.company_profile_id \
         LEFT JOIN job_applications va ON va.job_id = j.id AND va.applicant_user_id = $1 \
         LEFT JOIN users vu ON vu.id = va.applicant_user_id",
        companies::PREFIXED_COLUMNS,
        applications::PREFIXED_COLUMNS
    )
}

/// The status of a stored job; an unknown value is a data bug.
pub fn status_of(j: &jobs::Model) -> AppResult<S> {
    S::try_from_value(&j.status).map_err(|e| AppError::internal(anyhow::anyhow!("bad job status: {e}")))
}

/// Whether a job may move from `from` to `to`: submitted from DRAFT (or
/// again after a rejection), decided by a moderator (a withdrawn or
/// expired review returns it to DRAFT), closed once LIVE.
pub fn can_move(from: S, to: S) -> bool {
    matches!(
        (from, to),
        (S::Draft | S::Rejected, S::Pending) | (S::Pending, S::Live | S::Rejected | S::Draft) | (S::Live, S::Closed)
    )
}

/// Whether the viewer sees jobs in every state (job or content moderators).
pub fn moderates(viewer: &Viewer) -> bool {
    viewer.can(JOBS_MANAGE) || viewer.can(PROFILES_MANAGE)
}

/// Whether `viewer` may see `job`: LIVE ones anyone, one's own in any
/// state, moderators all.
pub fn visible_to(viewer: &Viewer, job: &jobs::Model) -> bool {
    job.status == S::Live.to_value()
        || (viewer.user_id.is_some() && job.posted_by_user_id == viewer.user_id)
        || moderates(viewer)
}

/// Jobs by id, with the application of `viewer` (no access check).
pub async fn by_ids<C: ConnectionTrait>(conn: &C, viewer: Option<Uuid>, ids: &[Uuid]) -> AppResult<Vec<JobRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{} WHERE j.id = ANY($2)", select_sql());
    Ok(JobRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [viewer.into(), ids.to_vec().into()],
    ))
    .all(conn)
    .await?)
}

/// `job(id)`: one job if the viewer may see it.
pub async fn visible<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<Option<JobRow>> {
    Ok(by_ids(conn, viewer.user_id, &[id])
        .await?
        .pop()
        .filter(|j| visible_to(viewer, &j.job)))
}

/// The job `id`, locked for the rest of the transaction (`exclusive`: for
/// update; else shared, so it cannot change meanwhile).
pub async fn lock(tx: &Tx, id: Uuid, exclusive: bool) -> AppResult<Option<jobs::Model>> {
    let mode = if exclusive { "UPDATE" } else { "SHARE" };
    Ok(jobs::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("SELECT * FROM jobs WHERE id = $1 FOR {mode}"),
        [id.into()],
    ))
    .one(&**tx)
    .await?)
}

/// The job `id` locked for a change by the viewer: `NOT_FOUND` when they
/// may not see it, `FORBIDDEN` when they may but did not post it (unless
/// `moderator_may` and they manage jobs).
async fn lock_for_change(tx: &Tx, viewer: &Viewer, id: Uuid, moderator_may: bool) -> AppResult<jobs::Model> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let job = lock(tx, id, true)
        .await?
        .filter(|j| visible_to(viewer, j))
        .ok_or_else(|| AppError::NotFound("job".into()))?;
    if job.posted_by_user_id != Some(me) && !(moderator_may && viewer.can(JOBS_MANAGE)) {
        return Err(AppError::Forbidden("only the job's poster may change it".into()));
    }
    Ok(job)
}

/// The audited picture of a job.
fn snapshot(j: &jobs::Model) -> Json {
    json!({
        "title": j.title, "description": j.description, "location": j.location,
        "employmentType": j.employment_type, "modeOfWork": j.mode_of_work,
        "budgetInr": j.budget_inr, "status": j.status,
    })
}

/// A job's fields as `createJob` and `updateJob` send them; on an update
/// an unset field keeps its value and empty text clears it.
#[derive(Clone, Debug, Default)]
pub struct JobFields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub employment_type: Option<EmploymentType>,
    pub mode_of_work: Option<WorkMode>,
    pub budget_inr: Option<i64>,
}

/// The checked values of a job: every field as it will be stored.
struct Checked {
    title: String,
    description: Option<String>,
    location: Option<String>,
    employment_type: String,
    mode_of_work: String,
    budget_inr: Option<i64>,
}

/// Checks `f` over `base` (the stored job on an update); every problem at once.
fn check(f: &JobFields, base: Option<&jobs::Model>) -> AppResult<Checked> {
    let mut c = Checks::default();
    let title = match (&f.title, base) {
        (Some(t), _) => c.required("title", t, MAX_TITLE),
        (None, Some(b)) => b.title.clone(),
        (None, None) => c.required("title", "", MAX_TITLE),
    };
    let text = |c: &mut Checks, field: &str, sent: &Option<String>, kept: Option<&Option<String>>, max| match sent {
        Some(t) => c.text(field, Some(t), max),
        None => kept.cloned().flatten(),
    };
    let description = text(
        &mut c,
        "description",
        &f.description,
        base.map(|b| &b.description),
        MAX_DESCRIPTION,
    );
    let location = text(&mut c, "location", &f.location, base.map(|b| &b.location), MAX_LOCATION);
    let budget_inr = match f.budget_inr {
        Some(b) => c.count("budgetInr", Some(b), MAX_PAISE),
        None => base.and_then(|b| b.budget_inr),
    };
    c.finish()?;
    let employment_type = match (f.employment_type, base) {
        (Some(e), _) => e.to_value(),
        (None, Some(b)) => b.employment_type.clone(),
        (None, None) => EmploymentType::FullTime.to_value(),
    };
    let mode_of_work = match (f.mode_of_work, base) {
        (Some(m), _) => m.to_value(),
        (None, Some(b)) => b.mode_of_work.clone(),
        (None, None) => WorkMode::Onsite.to_value(),
    };
    Ok(Checked {
        title,
        description,
        location,
        employment_type,
        mode_of_work,
        budget_inr,
    })
}

/// The job `id` as the viewer reads it, inside `tx`.
async fn reread(tx: &Tx, viewer: Uuid, id: Uuid) -> AppResult<JobRow> {
    by_ids(&**tx, Some(viewer), &[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("job vanished inside its transaction")))
}

/// `createJob`: a DRAFT job of the viewer's company, which must be
/// ACTIVE and APPROVED (`FORBIDDEN` otherwise).
pub async fn create(ctx: &AppContext, viewer: &Viewer, f: JobFields) -> AppResult<JobRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let v = check(&f, None)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let company = companies::of_user(&*tx, me)
        .await?
        .filter(companies::is_live)
        .ok_or_else(|| AppError::Forbidden("jobs are posted by an approved company profile".into()))?;
    let id = Uuid::now_v7();
    let values: Vec<Value> = vec![
        id.into(),
        company.id.into(),
        me.into(),
        v.title.into(),
        v.description.into(),
        v.location.into(),
        v.employment_type.into(),
        v.mode_of_work.into(),
        v.budget_inr.into(),
        S::Draft.to_value().into(),
    ];
    let job = jobs::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO jobs (id, company_profile_id, posted_by_user_id, title, description, location, \
           employment_type, mode_of_work, budget_inr, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        values,
    ))
    .one(&*tx)
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("job insert returned nothing")))?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Marketplace,
            AuditEntity::Job,
            Some(id),
            format!("job {} created", job.title),
        )
        .after(snapshot(&job)),
    )
    .await?;
    let row = reread(&tx, me, id).await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// `updateJob`: the poster edits a DRAFT or REJECTED job (`CONFLICT` in
/// any other state).
pub async fn update(ctx: &AppContext, viewer: &Viewer, id: Uuid, f: JobFields) -> AppResult<JobRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let before = lock_for_change(&tx, viewer, id, false).await?;
    let from = status_of(&before)?;
    if !matches!(from, S::Draft | S::Rejected) {
        return Err(AppError::conflict(
            Some("id"),
            format!("a {} job cannot be edited", from.to_value()),
        ));
    }
    let v = check(&f, Some(&before))?;
    let values: Vec<Value> = vec![
        id.into(),
        from.to_value().into(),
        v.title.into(),
        v.description.into(),
        v.location.into(),
        v.employment_type.into(),
        v.mode_of_work.into(),
        v.budget_inr.into(),
    ];
    let after = jobs::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE jobs SET title = $3, description = $4, location = $5, employment_type = $6, \
           mode_of_work = $7, budget_inr = $8 WHERE id = $1 AND status = $2 RETURNING *",
        values,
    ))
    .one(&*tx)
    .await?
    .ok_or_else(|| AppError::conflict(Some("id"), "the job changed meanwhile; read it again"))?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Marketplace,
            AuditEntity::Job,
            Some(id),
            format!("job {} edited", after.title),
        )
        .before(snapshot(&before))
        .after(snapshot(&after)),
    )
    .await?;
    let row = reread(&tx, me, id).await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// Moves a locked job from the state it was read in (`CONFLICT` when the
/// table forbids it or it moved meanwhile) and audits the move.
pub async fn apply_move(
    tx: &Tx,
    actor: Option<&Viewer>,
    job: &jobs::Model,
    to: S,
    summary: String,
) -> AppResult<jobs::Model> {
    let from = status_of(job)?;
    if !can_move(from, to) {
        return Err(AppError::conflict(
            Some("id"),
            format!("a {} job cannot become {}", from.to_value(), to.to_value()),
        ));
    }
    let moved = jobs::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE jobs SET status = $3, approved_at = CASE WHEN $3 = $4 THEN now() ELSE approved_at END \
         WHERE id = $1 AND status = $2 RETURNING *",
        [
            job.id.into(),
            from.to_value().into(),
            to.to_value().into(),
            S::Live.to_value().into(),
        ],
    ))
    .one(&**tx)
    .await?
    .ok_or_else(|| AppError::conflict(Some("id"), "the job changed meanwhile; read it again"))?;
    audit::record(
        &**tx,
        actor,
        Entry::new(
            Action::Update,
            Module::Marketplace,
            AuditEntity::Job,
            Some(job.id),
            summary,
        )
        .before(json!({"status": from.to_value()}))
        .after(json!({"status": to.to_value()})),
    )
    .await?;
    Ok(moved)
}

/// `closeJob`: the poster or a job moderator closes a LIVE job.
pub async fn close(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<JobRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let job = lock_for_change(&tx, viewer, id, true).await?;
    apply_move(&tx, Some(viewer), &job, S::Closed, format!("job {} closed", job.title)).await?;
    let row = reread(&tx, me, id).await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

/// Registers the JOB and COMPANY appliers.
pub fn register_appliers(a: &mut Appliers) {
    posting::register_applier(a);
    companies::register_applier(a);
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn jobs_are_submitted_decided_and_closed() {
        let allowed: Vec<(S, S)> = S::iter()
            .flat_map(|from| S::iter().map(move |to| (from, to)))
            .filter(|(from, to)| can_move(*from, *to))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (S::Draft, S::Pending),
                (S::Pending, S::Draft),
                (S::Pending, S::Live),
                (S::Pending, S::Rejected),
                (S::Live, S::Closed),
                (S::Rejected, S::Pending),
            ]
        );
    }

    #[test]
    fn a_job_keeps_unsent_fields_and_refuses_links() {
        let f = JobFields {
            title: Some("  Editor  ".into()),
            budget_inr: Some(500_000),
            ..Default::default()
        };
        let v = check(&f, None).ok().map(|v| (v.title, v.employment_type, v.budget_inr));
        assert_eq!(
            v,
            Some(("Editor".to_string(), EmploymentType::FullTime.to_value(), Some(500_000)))
        );
        let bad = JobFields {
            title: Some(" ".into()),
            description: Some("apply at jobs(dot)acme(dot)com".into()),
            ..Default::default()
        };
        match check(&bad, None) {
            Err(AppError::BadUserInput { fields, .. }) => {
                let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(names, ["title", "description"]);
            }
            other => panic!("expected field errors, got {:?}", other.map(|v| v.title)),
        }
    }
}
