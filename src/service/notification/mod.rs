//! In-app notifications: rows in `notifications`, written in the caller's
//! transaction, the viewer's list (keyset pages both ways, newest first)
//! and marking them read.

use entity::enums::{NotificationChannel, NotificationKind, NotificationStatus};
use entity::notifications;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::identity::{perms, Viewer};
use crate::service::page::PageRequest;

/// What a notification is about (`notifications.related_entity_type`).
/// The stored value is the SCREAMING_SNAKE name of the variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Subject {
    /// A support ticket.
    SupportTicket,
    /// An approval request.
    ApprovalRequest,
    /// A crypto withdrawal.
    Withdrawal,
    /// A crypto deposit (a `chain_transactions` row).
    CryptoDeposit,
    /// A professional's role profile.
    Professional,
    /// A company profile.
    Company,
    /// A job posting.
    Job,
    /// An application to a job.
    JobApplication,
    /// A customer's lead.
    Lead,
    /// A professional's request for a lead.
    LeadRequest,
    /// A review.
    Review,
    /// A job seeker's candidate profile.
    Candidate,
}

impl Subject {
    /// The stored value.
    pub fn to_db(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        }
    }

    /// From a stored value; `None` for a kind this version does not know.
    pub fn from_db(value: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(value.to_string())).ok()
    }
}

/// What to tell someone.
#[derive(Clone, Debug)]
pub struct Notice {
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub entity_type: Subject,
    pub entity_id: Uuid,
}

/// Writes one in-app notification per user (duplicates in `users` once).
pub async fn notify_many<C: ConnectionTrait>(conn: &C, users: &[Uuid], notice: Notice) -> AppResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    let mut ids = users.to_vec();
    ids.sort();
    ids.dedup();
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO notifications (user_id, channel, kind, title, body, status, related_entity_type, related_entity_id) \
         SELECT u, $2, $3, $4, $5, $6, $7, $8 FROM unnest($1::uuid[]) AS u",
        [
            ids.into(),
            NotificationChannel::InApp.to_value().into(),
            notice.kind.to_value().into(),
            notice.title.into(),
            notice.body.into(),
            NotificationStatus::Pending.to_value().into(),
            notice.entity_type.to_db().into(),
            notice.entity_id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Which of the viewer's notifications to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct NotificationFilter {
    /// Only those not yet read.
    pub unread_only: bool,
}

/// Keyset of a notification: its time (microseconds) and id.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NotificationCursor {
    pub t: i64,
    pub id: Uuid,
}

impl NotificationCursor {
    /// The cursor of a notification.
    pub fn of(n: &notifications::Model) -> Self {
        NotificationCursor {
            t: n.created_at.timestamp_micros(),
            id: n.id,
        }
    }
}

fn condition(user: Uuid, filter: NotificationFilter) -> Condition {
    let mut cond = Condition::all()
        .add(notifications::Column::UserId.eq(user))
        .add(notifications::Column::Channel.eq(NotificationChannel::InApp.to_value()));
    if filter.unread_only {
        cond = cond.add(notifications::Column::Status.ne(NotificationStatus::Read.to_value()));
    }
    cond
}

/// One page of `user`'s in-app notifications on `conn`, newest first, as
/// fetched for `page` (`page.fetch()` rows in `page.sql_descending(true)`
/// order).
pub async fn page_in<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    filter: NotificationFilter,
    page: &PageRequest<NotificationCursor>,
) -> AppResult<Vec<notifications::Model>> {
    let mut cond = condition(user, filter);
    for (op, key) in page.bounds(true) {
        let t = chrono::DateTime::<chrono::Utc>::from_timestamp_micros(key.t)
            .ok_or_else(|| AppError::invalid("after", "is not a cursor this API issued"))?;
        cond = cond.add(Expr::cust_with_values(
            format!("(notifications.created_at, notifications.id) {op} ($1, $2)"),
            [sea_orm::Value::from(t), key.id.into()],
        ));
    }
    let order = if page.sql_descending(true) {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    Ok(notifications::Entity::find()
        .filter(cond)
        .order_by(notifications::Column::CreatedAt, order.clone())
        .order_by(notifications::Column::Id, order)
        .limit(page.fetch())
        .all(conn)
        .await?)
}

/// A page of the viewer's notifications (see [`page_in`]).
pub async fn for_viewer(
    ctx: &AppContext,
    viewer: &Viewer,
    filter: NotificationFilter,
    page: &PageRequest<NotificationCursor>,
) -> AppResult<Vec<notifications::Model>> {
    let user = viewer.require_self_service(perms::PROFILE_READ)?;
    page_in(&ctx.db.read, user, filter, page).await
}

/// How many of the viewer's notifications match `filter` (all pages).
pub async fn count_for_viewer(ctx: &AppContext, viewer: &Viewer, filter: NotificationFilter) -> AppResult<u64> {
    let user = viewer.require_self_service(perms::PROFILE_READ)?;
    Ok(notifications::Entity::find()
        .filter(condition(user, filter))
        .count(&ctx.db.read)
        .await?)
}

/// Marks the viewer's unread notifications read inside `tx` (all of them
/// when `ids` is None; ids of others' notifications change nothing) and
/// returns those it marked, newest first.
pub async fn mark_read_in(tx: &Tx, viewer: &Viewer, ids: Option<Vec<Uuid>>) -> AppResult<Vec<notifications::Model>> {
    let user = viewer.require_self_service(perms::PROFILE_MANAGE)?;
    let rows = tx
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE notifications SET status = $3, read_at = now() \
             WHERE user_id = $1 AND status <> $3 AND ($2::uuid[] IS NULL OR id = ANY($2)) RETURNING *",
            [user.into(), ids.into(), NotificationStatus::Read.to_value().into()],
        ))
        .await?;
    let mut marked = rows
        .iter()
        .map(|r| notifications::Model::from_query_result(r, ""))
        .collect::<Result<Vec<_>, _>>()?;
    marked.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.id)));
    Ok(marked)
}

/// [`mark_read_in`] in its own transaction.
pub async fn mark_read(
    ctx: &AppContext,
    viewer: &Viewer,
    ids: Option<Vec<Uuid>>,
) -> AppResult<Vec<notifications::Model>> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let marked = mark_read_in(&tx, viewer, ids).await?;
    tx.commit(&ctx.bus).await?;
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_stored_by_name() {
        assert_eq!(Subject::SupportTicket.to_db(), "SUPPORT_TICKET");
        assert_eq!(Subject::from_db("APPROVAL_REQUEST"), Some(Subject::ApprovalRequest));
        assert_eq!(Subject::from_db("SOMETHING_NEW"), None);
    }
}
