//! Sessions: ending them (one, all of a user, all but the current one),
//! signing out, and the viewer's own sessions list.

use chrono::Utc;
use entity::user_sessions;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, Statement};
use serde_json::json;
use uuid::Uuid;

use super::{perms, Viewer};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::page::{PageRequest, Paged};

/// Which sessions to end.
#[derive(Clone, Copy, Debug)]
pub enum Sessions {
    /// One session.
    One(Uuid),
    /// Every session of a user.
    AllOf(Uuid),
    /// Every session of a user but one (a password change keeps the
    /// session that made it).
    AllOfExcept(Uuid, Option<Uuid>),
}

/// Revokes sessions and every refresh token of them; returns how many
/// sessions were still live.
pub async fn end_sessions(tx: &Tx, which: Sessions) -> AppResult<u64> {
    let conn: &DatabaseTransaction = tx;
    let (filter, values): (&str, Vec<sea_orm::Value>) = match which {
        Sessions::One(id) => ("id = $1", vec![id.into()]),
        Sessions::AllOf(user) => ("user_id = $1", vec![user.into()]),
        Sessions::AllOfExcept(user, keep) => (
            "user_id = $1 AND id IS DISTINCT FROM $2",
            vec![user.into(), keep.into()],
        ),
    };
    // One statement: the sessions that end now, then their refresh tokens
    // (every revocation goes through here, so ended sessions hold no live
    // token), and a notification per user, delivered when the transaction
    // commits, that closes the sockets those sessions hold on every
    // instance.
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "WITH ended AS (UPDATE user_sessions SET revoked_at = now() \
                   WHERE {filter} AND revoked_at IS NULL RETURNING id, user_id), \
                 tokens AS (UPDATE refresh_tokens SET revoked_at = now() \
                   WHERE revoked_at IS NULL AND session_id IN (SELECT id FROM ended)), \
                 signalled AS (SELECT pg_notify('{channel}', u.user_id::text) \
                   FROM (SELECT DISTINCT user_id FROM ended) u) \
                 SELECT (SELECT count(*) FROM ended) AS n, (SELECT count(*) FROM signalled) AS signalled, \
                   (SELECT coalesce(array_agg(DISTINCT user_id), '{{}}') FROM ended) AS users",
                channel = super::CREDENTIALS_CHANNEL
            ),
            values,
        ))
        .await?;
    let users = row
        .as_ref()
        .and_then(|r| r.try_get::<Vec<Uuid>>("", "users").ok())
        .unwrap_or_default();
    for user in users {
        super::forget_sessions_on_commit(tx, user);
    }
    Ok(row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0).max(0) as u64)
}

/// Ends the viewer's current session.
pub async fn logout(ctx: &AppContext, viewer: &Viewer) -> AppResult<bool> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let ended = logout_in(&tx, viewer).await?;
    tx.commit(&ctx.bus).await?;
    Ok(ended)
}

/// [`logout`] inside `tx`.
pub async fn logout_in(tx: &Tx, viewer: &Viewer) -> AppResult<bool> {
    let db: &DatabaseTransaction = tx;
    let user = viewer.require_user()?;
    let Some(session) = viewer.session_id else {
        return Ok(false);
    };
    let ended = end_sessions(tx, Sessions::One(session)).await? > 0;
    if ended {
        audit::record(
            db,
            Some(viewer),
            Entry::new(
                Action::Logout,
                Module::Identity,
                crate::service::audit::AuditEntity::UserSession,
                Some(session),
                "signed out",
            )
            .metadata(json!({"userId": user})),
        )
        .await?;
    }
    Ok(ended)
}

/// A page of the viewer's sessions, newest first (active ones and those
/// ended in the last 30 days); ids are UUIDv7, so the id is the keyset.
pub async fn sessions_in<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    page: &PageRequest<Uuid>,
) -> AppResult<Paged<user_sessions::Model>> {
    use sea_orm::{QueryOrder, QuerySelect};
    let user = viewer.require_self_service(perms::SESSIONS_READ)?;
    let mut q = user_sessions::Entity::find()
        .filter(user_sessions::Column::UserId.eq(user))
        .filter(user_sessions::Column::CreatedAt.gt(Utc::now() - chrono::Duration::days(30)));
    if let Some(after) = page.after {
        q = q.filter(user_sessions::Column::Id.lt(after));
    }
    if let Some(before) = page.before {
        q = q.filter(user_sessions::Column::Id.gt(before));
    }
    let q = if page.sql_descending(true) {
        q.order_by_desc(user_sessions::Column::Id)
    } else {
        q.order_by_asc(user_sessions::Column::Id)
    };
    Ok(page.finish(q.limit(page.fetch()).all(conn).await?))
}

/// [`sessions_in`] on the read pool.
pub async fn sessions(
    ctx: &AppContext,
    viewer: &Viewer,
    page: &PageRequest<Uuid>,
) -> AppResult<Paged<user_sessions::Model>> {
    sessions_in(&ctx.db.read, viewer, page).await
}

/// How many sessions [`sessions`] lists in all.
pub async fn count_sessions(ctx: &AppContext, viewer: &Viewer) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    let user = viewer.require_self_service(perms::SESSIONS_READ)?;
    Ok(user_sessions::Entity::find()
        .filter(user_sessions::Column::UserId.eq(user))
        .filter(user_sessions::Column::CreatedAt.gt(Utc::now() - chrono::Duration::days(30)))
        .count(&ctx.db.read)
        .await?)
}

/// Ends one of the viewer's sessions.
pub async fn revoke_session(ctx: &AppContext, viewer: &Viewer, session_id: Uuid) -> AppResult<()> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    revoke_session_in(&tx, viewer, session_id).await?;
    tx.commit(&ctx.bus).await?;
    Ok(())
}

/// [`revoke_session`] inside `tx`.
pub async fn revoke_session_in(tx: &Tx, viewer: &Viewer, session_id: Uuid) -> AppResult<()> {
    let db: &DatabaseTransaction = tx;
    let user = viewer.require_self_service(perms::SESSIONS_MANAGE)?;
    let owned = user_sessions::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .is_some_and(|s| s.user_id == user);
    if !owned {
        return Err(AppError::NotFound("session".into()));
    }
    if end_sessions(tx, Sessions::One(session_id)).await? > 0 {
        audit::record(
            db,
            Some(viewer),
            Entry::new(
                Action::Revoke,
                Module::Identity,
                crate::service::audit::AuditEntity::UserSession,
                Some(session_id),
                "session revoked",
            ),
        )
        .await?;
    }
    Ok(())
}

/// Ends every session of the viewer (this one included); returns how many.
pub async fn sign_out_everywhere(ctx: &AppContext, viewer: &Viewer) -> AppResult<u64> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let n = sign_out_everywhere_in(&tx, viewer).await?;
    tx.commit(&ctx.bus).await?;
    Ok(n)
}

/// [`sign_out_everywhere`] inside `tx`.
pub async fn sign_out_everywhere_in(tx: &Tx, viewer: &Viewer) -> AppResult<u64> {
    let db: &DatabaseTransaction = tx;
    let user = viewer.require_self_service(perms::SESSIONS_MANAGE)?;
    let n = end_sessions(tx, Sessions::AllOf(user)).await?;
    audit::record(
        db,
        Some(viewer),
        Entry::new(
            Action::Revoke,
            Module::Identity,
            crate::service::audit::AuditEntity::User,
            Some(user),
            "signed out everywhere",
        )
        .metadata(json!({"sessions": n})),
    )
    .await?;
    Ok(n)
}
