//! Applications to jobs: one per applicant and job (the unique key decides
//! between concurrent applies), only to LIVE jobs and never to one's own.
//! The poster moves them along one table ([`can_move`]) and hears of new
//! ones twice: a notification and the live `jobApplicationReceived`
//! ([`events`]); the applicant hears of every move.

pub mod events;
pub mod list;

use chrono::{DateTime, FixedOffset};
use entity::enums::{AuditEntity, JobApplicationStatus as S, JobStatus, NotificationKind};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde_json::json;
use uuid::Uuid;

use super::jobs::{self, JobRow};
use super::perms::MARKETPLACE_USE;
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::notification::{self, Notice, Subject};

/// Longest cover note.
pub const MAX_COVER_NOTE: usize = 5000;

/// An application with its applicant's display name.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct ApplicationRow {
    pub id: Uuid,
    pub job_id: Uuid,
    pub applicant_user_id: Uuid,
    pub applicant_name: String,
    pub status: String,
    pub cover_note: Option<String>,
    pub applied_at: DateTime<FixedOffset>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl ApplicationRow {
    /// The typed status; an unknown stored value is a data bug.
    pub fn status(&self) -> AppResult<S> {
        S::try_from_value(&self.status).map_err(|e| AppError::internal(anyhow::anyhow!("bad application status: {e}")))
    }
}

/// The select list of [`ApplicationRow`] over `job_applications a JOIN users u`.
pub const SELECT: &str = "SELECT a.id, a.job_id, a.applicant_user_id, u.display_name AS applicant_name, \
    a.status, a.cover_note, a.applied_at, a.created_at, a.updated_at \
    FROM job_applications a JOIN users u ON u.id = a.applicant_user_id";

/// The same columns prefixed `va_` over `job_applications va JOIN users vu`,
/// for a job's statement that also reads the viewer's application.
pub const PREFIXED_COLUMNS: &str = "va.id AS va_id, va.job_id AS va_job_id, \
    va.applicant_user_id AS va_applicant_user_id, vu.display_name AS va_applicant_name, \
    va.status AS va_status, va.cover_note AS va_cover_note, va.applied_at AS va_applied_at, \
    va.created_at AS va_created_at, va.updated_at AS va_updated_at";

/// Whether an application may move from `from` to `to`: forward one step
/// at a time, and any open one may be rejected. OFFERED and REJECTED end it.
pub fn can_move(from: S, to: S) -> bool {
    matches!(
        (from, to),
        (S::Applied, S::Shortlisted)
            | (S::Shortlisted, S::Interview)
            | (S::Interview, S::Offered)
            | (S::Applied | S::Shortlisted | S::Interview, S::Rejected)
    )
}

/// One application by id (no access check: callers decide).
pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<ApplicationRow>> {
    Ok(ApplicationRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("{SELECT} WHERE a.id = $1"),
        [id.into()],
    ))
    .one(conn)
    .await?)
}

/// `applyToJob`: the viewer applies to a LIVE job of someone else, once
/// (`CONFLICT` the second time, also under concurrent calls); the poster
/// is notified and hears it live. A job the viewer cannot see is
/// `NOT_FOUND`; their own is `FORBIDDEN`; one they see that is not LIVE
/// (moderators) is `CONFLICT`.
pub async fn apply(
    ctx: &AppContext,
    viewer: &Viewer,
    job_id: Uuid,
    cover_note: Option<&str>,
) -> AppResult<(ApplicationRow, JobRow)> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let mut c = Checks::default();
    let note = c.text("coverNote", cover_note, MAX_COVER_NOTE);
    c.finish()?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    // A shared lock: the job cannot be closed under this application.
    // A job the viewer may not see is not there for them (any non-LIVE
    // job of someone else, unless they moderate).
    let job = jobs::lock(&tx, job_id, false)
        .await?
        .filter(|j| jobs::visible_to(viewer, j))
        .ok_or_else(|| AppError::NotFound("job".into()))?;
    if job.posted_by_user_id == Some(me) {
        return Err(AppError::Forbidden("you cannot apply to your own job".into()));
    }
    if job.status != JobStatus::Live.to_value() {
        return Err(AppError::conflict(Some("jobId"), "only LIVE jobs take applications"));
    }
    let inserted = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO job_applications (id, job_id, applicant_user_id, status, cover_note) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id, applicant_user_id) DO NOTHING RETURNING id",
            [
                Uuid::now_v7().into(),
                job_id.into(),
                me.into(),
                S::Applied.to_value().into(),
                note.clone().into(),
            ],
        ))
        .await?;
    let Some(inserted) = inserted else {
        return Err(AppError::conflict(
            Some("jobId"),
            "you have already applied to this job",
        ));
    };
    let id: Uuid = inserted.try_get("", "id")?;
    let row = by_id(&*tx, id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application vanished inside its transaction")))?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Marketplace,
            AuditEntity::JobApplication,
            Some(id),
            format!("applied to job {}", job.title),
        )
        .after(json!({"jobId": job_id, "status": row.status, "coverNote": row.cover_note})),
    )
    .await?;
    if let Some(poster) = job.posted_by_user_id {
        notification::notify_many(
            &*tx,
            &[poster],
            Notice {
                kind: NotificationKind::Marketplace,
                title: format!("New application to {}", job.title),
                body: format!("{} applied to your job {}.", row.applicant_name, job.title),
                entity_type: Subject::JobApplication,
                entity_id: id,
            },
        )
        .await?;
        events::announce(&tx, poster, &row);
    }
    let job_row = jobs::by_ids(&*tx, Some(me), &[job_id])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("job vanished inside its transaction")))?;
    tx.commit(&ctx.bus).await?;
    Ok((row, job_row))
}

/// `updateJobApplication`: the poster moves an application along
/// [`can_move`] (`CONFLICT` otherwise, or when it moved meanwhile); the
/// applicant is notified. Anyone else who may see it gets `FORBIDDEN`.
pub async fn update(ctx: &AppContext, viewer: &Viewer, id: Uuid, to: S) -> AppResult<ApplicationRow> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let row = by_id(&*tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("job application".into()))?;
    let job = jobs::lock(&tx, row.job_id, false)
        .await?
        .ok_or_else(|| AppError::NotFound("job application".into()))?;
    if job.posted_by_user_id != Some(me) {
        return Err(if row.applicant_user_id == me || jobs::moderates(viewer) {
            AppError::Forbidden("only the job's poster moves its applications".into())
        } else {
            AppError::NotFound("job application".into())
        });
    }
    let from = row.status()?;
    if !can_move(from, to) {
        return Err(AppError::conflict(
            Some("status"),
            format!("an application {} cannot become {}", from.to_value(), to.to_value()),
        ));
    }
    let moved = tx
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE job_applications SET status = $3 WHERE id = $1 AND status = $2",
            [id.into(), from.to_value().into(), to.to_value().into()],
        ))
        .await?;
    if moved.rows_affected() == 0 {
        return Err(AppError::conflict(
            Some("status"),
            "the application changed meanwhile; read it again",
        ));
    }
    let after = by_id(&*tx, id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application vanished inside its transaction")))?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Marketplace,
            AuditEntity::JobApplication,
            Some(id),
            format!("application {} → {}", from.to_value(), to.to_value()),
        )
        .before(json!({"status": from.to_value()}))
        .after(json!({"status": to.to_value()})),
    )
    .await?;
    notification::notify_many(
        &*tx,
        &[row.applicant_user_id],
        Notice {
            kind: NotificationKind::Marketplace,
            title: format!("Your application to {} is {}", job.title, to.to_value()),
            body: format!("The employer moved your application to {}.", to.to_value()),
            entity_type: Subject::JobApplication,
            entity_id: id,
        },
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn applications_move_forward_one_step_or_are_rejected_while_open() {
        let allowed: Vec<(S, S)> = S::iter()
            .flat_map(|from| S::iter().map(move |to| (from, to)))
            .filter(|(from, to)| can_move(*from, *to))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (S::Applied, S::Shortlisted),
                (S::Applied, S::Rejected),
                (S::Shortlisted, S::Interview),
                (S::Shortlisted, S::Rejected),
                (S::Interview, S::Offered),
                (S::Interview, S::Rejected),
            ]
        );
    }
}
