//! In-app notifications: rows in `notifications`, written in the caller's
//! transaction, and the viewer's list.

use entity::notifications;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::error::AppResult;

/// What to tell someone.
#[derive(Clone, Debug)]
pub struct Notice {
    /// `notifications.kind` (TICKET, APPROVAL, TRANSACTION, ...).
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    pub entity_type: &'static str,
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
         SELECT u, 'IN_APP', $2, $3, $4, 'PENDING', $5, $6 FROM unnest($1::uuid[]) AS u",
        [
            ids.into(),
            notice.kind.into(),
            notice.title.into(),
            notice.body.into(),
            notice.entity_type.into(),
            notice.entity_id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The viewer's newest notifications (`unread_only`: not yet READ).
pub async fn for_viewer(
    ctx: &crate::app::AppContext,
    viewer: &crate::service::identity::Viewer,
    unread_only: bool,
    limit: u64,
) -> AppResult<Vec<notifications::Model>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let user = viewer.require_self_service(crate::service::identity::perms::PROFILE_READ)?;
    let mut q = notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user))
        .filter(notifications::Column::Channel.eq("IN_APP"));
    if unread_only {
        q = q.filter(notifications::Column::Status.ne("READ"));
    }
    Ok(q.order_by_desc(notifications::Column::CreatedAt)
        .order_by_desc(notifications::Column::Id)
        .limit(limit)
        .all(&ctx.db.read)
        .await?)
}

/// Marks the viewer's notifications READ (all when `ids` is None); returns
/// how many changed.
pub async fn mark_read(
    ctx: &crate::app::AppContext,
    viewer: &crate::service::identity::Viewer,
    ids: Option<Vec<Uuid>>,
) -> AppResult<u64> {
    let user = viewer.require_self_service(crate::service::identity::perms::PROFILE_MANAGE)?;
    let res = ctx
        .db
        .primary
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE notifications SET status = 'READ', read_at = now() \
             WHERE user_id = $1 AND status <> 'READ' AND ($2::uuid[] IS NULL OR id = ANY($2))",
            [user.into(), ids.into()],
        ))
        .await?;
    Ok(res.rows_affected())
}
