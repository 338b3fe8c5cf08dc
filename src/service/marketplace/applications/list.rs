//! Lists of applications, newest first, keyset pages both ways, one
//! statement a page: those to one job (its poster and job moderators
//! only) and the viewer's own.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use uuid::Uuid;

use super::{ApplicationRow, SELECT};
use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;
use crate::service::marketplace::perms::{JOBS_MANAGE, MARKETPLACE_USE};
use crate::service::page::{self, PageRequest, Paged};

/// The keyset: newest first.
pub type Cursor = (DateTime<Utc>, Uuid);

/// The cursor of an application.
pub fn cursor(a: &ApplicationRow) -> Cursor {
    (a.created_at.with_timezone(&Utc), a.id)
}

/// Which applications a list holds (already authorised).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Those to one job.
    Job(Uuid),
    /// Those of one applicant.
    Applicant(Uuid),
}

impl Scope {
    fn clause(self) -> (&'static str, Value) {
        match self {
            Scope::Job(id) => ("a.job_id = $1", id.into()),
            Scope::Applicant(id) => ("a.applicant_user_id = $1", id.into()),
        }
    }
}

/// The scope of a job's applications: `FORBIDDEN` unless the viewer
/// posted the job or manages jobs.
pub fn of_job(viewer: &Viewer, job: &entity::jobs::Model) -> AppResult<Scope> {
    let me = viewer.require_user()?;
    if job.posted_by_user_id == Some(me) || viewer.can(JOBS_MANAGE) {
        Ok(Scope::Job(job.id))
    } else {
        Err(AppError::Forbidden(
            "only the job's poster and job moderators see its applications".into(),
        ))
    }
}

/// The scope of `myJobApplications`.
pub fn mine(viewer: &Viewer) -> AppResult<Scope> {
    Ok(Scope::Applicant(viewer.require_self_service(MARKETPLACE_USE)?))
}

/// A page of applications in `scope`.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    page: &PageRequest<Cursor>,
) -> AppResult<Paged<ApplicationRow>> {
    let (clause, first) = scope.clause();
    let mut wheres = vec![clause.to_string()];
    let mut values = vec![first];
    let tail = page.sql(&["a.created_at", "a.id"], true, &mut wheres, &mut values);
    let sql = format!("{SELECT} WHERE {} {tail}", wheres.join(" AND "));
    let rows = ApplicationRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .all(conn)
        .await?;
    Ok(page.finish(rows))
}

/// How many applications `scope` holds.
pub async fn count<C: ConnectionTrait>(conn: &C, scope: Scope) -> AppResult<u64> {
    let (clause, first) = scope.clause();
    page::count(
        conn,
        format!("SELECT count(*) AS n FROM job_applications a WHERE {clause}"),
        [first],
    )
    .await
}
