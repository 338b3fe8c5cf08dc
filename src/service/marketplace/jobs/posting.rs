//! `submitJob` and the JOB applier. Submitting pays for the posting once:
//! with an unused COMPLETED order of a JOB_POSTING package of the poster
//! (`jobs.posting_order_id`, unique, so one order pays one job), or else
//! with the runtime config `marketplace/pricing` `jobPostingTracecoins`
//! (default 50) in TRC, debited under the key `job-posting:{jobId}`. The
//! job row is locked first, so concurrent submits serialise: the first
//! pays and opens the JOB/CONTENT review, the rest find it submitted and
//! answer `replayed`. Too few tracecoins is `INSUFFICIENT_FUNDS` and
//! nothing is written. A job paid once is never charged again (a rejected
//! job is edited and submitted again for free).

use std::sync::Arc;

use entity::enums::{
    ApprovalEntityType, ApprovalType, JobStatus as S, NotificationKind, OrderStatus, PackageType, ProductType,
};
use entity::jobs;
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use super::{apply_move, lock_for_change, reread, snapshot, status_of, JobRow};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::approval::{self, Applier, Appliers, Decision, NewRequest};
use crate::service::identity::Viewer;
use crate::service::marketplace::companies;
use crate::service::marketplace::perms::MARKETPLACE_USE;
use crate::service::money::CurrencyCode;
use crate::service::notification::{self, Notice, Subject};
use crate::service::wallet::{self, PostingRequest, ReferenceType};

/// How a job's posting was paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaidWith {
    /// A JOB_POSTING package the poster bought.
    Package,
    /// Tracecoins from the poster's wallet.
    Tracecoins,
}

/// How `job` was paid for, if it was.
pub fn paid_with(job: &jobs::Model) -> Option<PaidWith> {
    if job.posting_order_id.is_some() {
        Some(PaidWith::Package)
    } else if job.posting_ledger_entry_id.is_some() {
        Some(PaidWith::Tracecoins)
    } else {
        None
    }
}

/// The outcome of `submitJob`.
#[derive(Clone, Debug)]
pub struct Submitted {
    pub job: JobRow,
    /// The job had been submitted already: nothing was paid or written now.
    pub replayed: bool,
    pub paid_with: Option<PaidWith>,
}

/// What posting a job costs in tracecoins (runtime config
/// `marketplace/pricing` `jobPostingTracecoins`, shared with lead unlocks).
pub async fn posting_price<C: ConnectionTrait>(conn: &C) -> AppResult<i64> {
    Ok(crate::service::marketplace::unlock::pricing(conn).await?.job_posting)
}

/// An unused COMPLETED JOB_POSTING order of `user`, locked (orders other
/// submissions hold are skipped).
async fn unused_package_order(tx: &Tx, user: Uuid) -> AppResult<Option<Uuid>> {
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT o.id FROM orders o WHERE o.user_id = $1 AND o.status = $2 \
               AND EXISTS (SELECT 1 FROM order_items i JOIN pricing_packages p ON p.id = i.item_id \
                           WHERE i.order_id = o.id AND i.item_type = $3 AND p.package_type = $4) \
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.posting_order_id = o.id) \
             ORDER BY o.created_at, o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED",
            [
                user.into(),
                OrderStatus::Completed.to_value().into(),
                ProductType::Package.to_value().into(),
                PackageType::JobPosting.to_value().into(),
            ],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<Uuid>("", "id")).transpose()?)
}

/// Pays for `job` inside `tx` (see the module docs).
async fn pay(tx: &Tx, viewer: &Viewer, me: Uuid, job: &jobs::Model) -> AppResult<Option<PaidWith>> {
    if let Some(order) = unused_package_order(tx, me).await? {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE jobs SET posting_order_id = $2 WHERE id = $1",
            [job.id.into(), order.into()],
        ))
        .await?;
        return Ok(Some(PaidWith::Package));
    }
    let price = posting_price(&**tx).await?;
    if price == 0 {
        return Ok(None);
    }
    let posted = wallet::debit_own_in(
        tx,
        viewer,
        PostingRequest {
            amount: Decimal::from(price),
            currency: CurrencyCode::TRC,
            reference_type: ReferenceType::Job,
            reference_id: Some(job.id),
            remarks: Some(format!("posting the job {}", job.title)),
            idempotency_key: format!("job-posting:{}", job.id),
        },
    )
    .await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE jobs SET posting_ledger_entry_id = $2 WHERE id = $1",
        [job.id.into(), posted.entry.model.id.into()],
    ))
    .await?;
    Ok(Some(PaidWith::Tracecoins))
}

/// `submitJob` (see the module docs). The poster only; the company must
/// still be approved.
pub async fn submit(ctx: &AppContext, viewer: &Viewer, id: Uuid, idempotency_key: &str) -> AppResult<Submitted> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let key = idempotency_key.trim();
    if key.is_empty() || key.chars().count() > 200 {
        return Err(AppError::invalid("idempotencyKey", "must be 1 to 200 characters"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let job = lock_for_change(&tx, viewer, id, false).await?;
    let from = status_of(&job)?;
    if matches!(from, S::Pending | S::Live | S::Closed) {
        let row = reread(&tx, me, id).await?;
        tx.commit(&ctx.bus).await?;
        return Ok(Submitted {
            paid_with: paid_with(&row.job),
            job: row,
            replayed: true,
        });
    }
    let company = companies::of_user(&*tx, me).await?;
    if !company.as_ref().is_some_and(companies::is_live) {
        return Err(AppError::Forbidden(
            "jobs are posted by an approved company profile".into(),
        ));
    }
    let paid = match paid_with(&job) {
        Some(p) => Some(p),
        None => pay(&tx, viewer, me, &job).await?,
    };
    approval::submit(
        &tx,
        me,
        NewRequest {
            entity_type: ApprovalEntityType::Job,
            entity_id: id,
            approval_type: ApprovalType::Content,
            payload: json!({"job": snapshot(&job), "idempotencyKey": key}),
            remarks: None,
        },
    )
    .await?;
    apply_move(
        &tx,
        Some(viewer),
        &job,
        S::Pending,
        format!("job {} submitted for review", job.title),
    )
    .await?;
    let row = reread(&tx, me, id).await?;
    tx.commit(&ctx.bus).await?;
    Ok(Submitted {
        paid_with: paid.or(paid_with(&row.job)),
        job: row,
        replayed: false,
    })
}

/// Applies moderators' decisions on JOB requests: approved → LIVE (with
/// approvedAt), rejected → REJECTED, withdrawn or expired → DRAFT; the
/// poster hears of approvals and rejections.
struct JobApplier;

#[async_trait::async_trait]
impl Applier for JobApplier {
    async fn apply(
        &self,
        tx: &Tx,
        request: &entity::approval_requests::Model,
        decision: Decision,
        _actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        let job = super::lock(tx, request.entity_id, true)
            .await?
            .ok_or_else(|| AppError::NotFound("job".into()))?;
        let (to, verb) = match decision {
            Decision::Approved => (S::Live, "approved"),
            Decision::Rejected => (S::Rejected, "rejected"),
            Decision::Cancelled => (S::Draft, "withdrawn"),
            Decision::Expired => (S::Draft, "expired"),
        };
        apply_move(tx, None, &job, to, format!("job {} review {verb}", job.title)).await?;
        if let (Some(poster), Decision::Approved | Decision::Rejected) = (job.posted_by_user_id, decision) {
            let body = match decision {
                Decision::Approved => format!("{} is live.", job.title),
                _ => remarks.unwrap_or("A moderator rejected it.").to_string(),
            };
            notification::notify_many(
                &**tx,
                &[poster],
                Notice {
                    kind: NotificationKind::Marketplace,
                    title: format!("Your job {} was {verb}", job.title),
                    body,
                    entity_type: Subject::Job,
                    entity_id: job.id,
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// Registers the JOB applier.
pub fn register_applier(a: &mut Appliers) {
    a.register(ApprovalEntityType::Job, Arc::new(JobApplier));
}
