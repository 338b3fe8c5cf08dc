//! Reading requests: one by id, and the queue (a keyset page with filters
//! and its count). Submitters see their own requests, reviewers the types
//! they may review, nobody else anything; each row's age and whether it is
//! past its type's SLA come from the policies.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::approval_logs;
use entity::approval_requests;
use entity::enums::{ApprovalEntityType, ApprovalRequestStatus, ApprovalType};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::policy::Policies;
use crate::error::AppResult;
use crate::service::identity::Viewer;
use crate::service::page::{PageRequest, Paged};

/// The queue's filters (all optional, combined with AND).
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    pub status: Option<ApprovalRequestStatus>,
    pub entity_type: Option<ApprovalEntityType>,
    pub approval_type: Option<ApprovalType>,
    pub submitted_by: Option<Uuid>,
    /// Only requests (not) past their SLA while pending.
    pub overdue: Option<bool>,
}

/// The queue's sort key: submission time, then id.
pub type QueueCursor = (DateTime<Utc>, Uuid);

/// The cursor of a request.
pub fn cursor(row: &approval_requests::Model) -> QueueCursor {
    (row.submitted_at.with_timezone(&Utc), row.id)
}

/// Who the viewer is to the queue: the types they review, and themselves.
fn visible(viewer: &Viewer, policies: &Policies) -> AppResult<Condition> {
    let me = viewer.require_user()?;
    let types: Vec<String> = policies.reviewable(viewer).iter().map(|t| t.to_value()).collect();
    let mut c = Condition::any().add(approval_requests::Column::SubmittedByUserId.eq(me));
    if !types.is_empty() {
        c = c.add(approval_requests::Column::ApprovalType.is_in(types));
    }
    Ok(c)
}

/// Pending and past the SLA of its type.
fn overdue_condition(policies: &Policies, now: DateTime<Utc>) -> Condition {
    use sea_orm::Iterable;
    let mut any = Condition::any();
    for kind in ApprovalType::iter() {
        any = any.add(
            Condition::all()
                .add(approval_requests::Column::ApprovalType.eq(kind.to_value()))
                .add(approval_requests::Column::SubmittedAt.lt(now - policies.of(kind).sla)),
        );
    }
    Condition::all()
        .add(approval_requests::Column::Status.eq(ApprovalRequestStatus::Pending.to_value()))
        .add(any)
}

fn condition(viewer: &Viewer, policies: &Policies, f: &QueueFilter) -> AppResult<Condition> {
    let mut c = Condition::all().add(visible(viewer, policies)?);
    if let Some(s) = f.status {
        c = c.add(approval_requests::Column::Status.eq(s.to_value()));
    }
    if let Some(t) = f.entity_type {
        c = c.add(approval_requests::Column::EntityType.eq(t.to_value()));
    }
    if let Some(t) = f.approval_type {
        c = c.add(approval_requests::Column::ApprovalType.eq(t.to_value()));
    }
    if let Some(u) = f.submitted_by {
        c = c.add(approval_requests::Column::SubmittedByUserId.eq(u));
    }
    match f.overdue {
        Some(true) => c = c.add(overdue_condition(policies, Utc::now())),
        Some(false) => c = c.add(overdue_condition(policies, Utc::now()).not()),
        None => {}
    }
    Ok(c)
}

/// A page of the queue, oldest first (`descending`: newest first).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &QueueFilter,
    descending: bool,
    page: &PageRequest<QueueCursor>,
) -> AppResult<(Paged<approval_requests::Model>, Policies)> {
    let policies = Policies::load(conn).await?;
    let mut cond = condition(viewer, &policies, filter)?;
    for (op, (at, id)) in page.bounds(descending) {
        cond = cond.add(SimpleExpr::from(Expr::cust_with_values(
            format!("(approval_requests.submitted_at, approval_requests.id) {op} ($1, $2)"),
            [sea_orm::Value::from(*at), sea_orm::Value::from(*id)],
        )));
    }
    let q = approval_requests::Entity::find().filter(cond);
    let q = if page.sql_descending(descending) {
        q.order_by_desc(approval_requests::Column::SubmittedAt)
            .order_by_desc(approval_requests::Column::Id)
    } else {
        q.order_by_asc(approval_requests::Column::SubmittedAt)
            .order_by_asc(approval_requests::Column::Id)
    };
    let rows = q.limit(page.fetch()).all(conn).await?;
    Ok((page.finish(rows), policies))
}

/// How many requests of the queue match `filter`.
pub async fn count<C: ConnectionTrait>(conn: &C, viewer: &Viewer, filter: &QueueFilter) -> AppResult<u64> {
    let policies = Policies::load(conn).await?;
    Ok(approval_requests::Entity::find()
        .filter(condition(viewer, &policies, filter)?)
        .count(conn)
        .await?)
}

/// One request the viewer may see (`None` otherwise: a request they may
/// not see does not exist for them).
pub async fn one<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<Option<(approval_requests::Model, Policies)>> {
    viewer.require_user()?;
    let policies = Policies::load(conn).await?;
    let Some(row) = approval_requests::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    Ok(super::live::sees(&policies, viewer, &row).then_some((row, policies)))
}

/// The logs of many requests (one statement), oldest first each.
pub async fn logs_of_many<C: ConnectionTrait>(
    conn: &C,
    requests: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<approval_logs::Model>>> {
    let rows = approval_logs::Entity::find()
        .filter(approval_logs::Column::ApprovalRequestId.is_in(requests.to_vec()))
        .order_by_asc(approval_logs::Column::CreatedAt)
        .order_by_asc(approval_logs::Column::Id)
        .all(conn)
        .await?;
    let mut out: HashMap<Uuid, Vec<approval_logs::Model>> = HashMap::new();
    for r in rows {
        out.entry(r.approval_request_id).or_default().push(r);
    }
    Ok(out)
}

/// `rows` as a reader sees them: internal remarks only for reviewers.
pub fn mask_logs(mut rows: Vec<approval_logs::Model>, reviewer: bool) -> Vec<approval_logs::Model> {
    if !reviewer {
        for r in &mut rows {
            if r.is_internal {
                r.remarks = None;
            }
        }
    }
    rows
}

/// The log of one request, oldest first, as a reader sees it.
pub async fn logs<C: ConnectionTrait>(conn: &C, request: Uuid, reviewer: bool) -> AppResult<Vec<approval_logs::Model>> {
    let mut all = logs_of_many(conn, &[request]).await?;
    Ok(mask_logs(all.remove(&request).unwrap_or_default(), reviewer))
}

/// The request's remarks as `viewer` may read them.
pub fn remarks_for(row: &approval_requests::Model, reviewer: bool) -> Option<&str> {
    (reviewer || !row.remarks_internal)
        .then_some(row.remarks.as_deref())
        .flatten()
}
