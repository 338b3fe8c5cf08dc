//! `exchangeOrderUpdated`: the order as it is when the subscription
//! starts, then every transition, in order, to whoever may read it (its
//! owner, staff, or the holder of its token).
//! Access is checked when the subscription starts; for a signed-in
//! subscriber every event re-checks, in one statement, that the session
//! (or API key) still holds and, for staff, that the permission does, so
//! a revoked session ends the stream with `UNAUTHENTICATED` and a
//! withdrawn role with `FORBIDDEN`.

use entity::enums::{ApprovalStatus, UserStatus};
use futures::{Stream, StreamExt};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use super::events::{ExchangeEvent, TOPIC};
use super::view::OrderView;
use super::{orders, perms};
use crate::app::Ctx;
use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;

/// How the subscriber reached the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    Staff,
    Owner,
    Token,
}

async fn still_ok<C: ConnectionTrait>(conn: &C, viewer: &Viewer, reach: Reach) -> AppResult<()> {
    let Some(user) = viewer.user_id else {
        return Ok(());
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT coalesce(CASE \
               WHEN $2::uuid IS NOT NULL THEN (SELECT s.revoked_at IS NULL AND s.expires_at > now() AND u.status = $4 \
                 FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $2 AND s.user_id = $1) \
               WHEN $3::uuid IS NOT NULL THEN (SELECT k.is_active AND (k.expires_at IS NULL OR k.expires_at > now()) \
                 AND u.status = $4 FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $3 AND k.user_id = $1) \
             END, false) AS credentials_ok, \
             EXISTS (SELECT 1 FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id \
               WHERE ur.user_id = $1 AND ur.status = $5 AND rp.permission_key = $6) AS staff_ok",
            [
                user.into(),
                viewer.session_id.into(),
                viewer.api_key_id.into(),
                UserStatus::Active.to_value().into(),
                ApprovalStatus::Approved.to_value().into(),
                perms::EXCHANGE_ORDERS_READ_ALL.key().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the live check returned no row")))?;
    let credentials: bool = row.try_get("", "credentials_ok")?;
    let staff: bool = row.try_get("", "staff_ok")?;
    if !credentials {
        return Err(AppError::Unauthenticated("the session has ended".into()));
    }
    if reach == Reach::Staff && !staff {
        return Err(AppError::forbidden());
    }
    Ok(())
}

/// The order's transitions from now on, or `NOT_FOUND` at once when the
/// viewer (with `token`) may not read it: an id alone reveals nothing.
pub async fn updates(
    ctx: Ctx,
    viewer: Viewer,
    order_id: Uuid,
    token: Option<String>,
) -> AppResult<impl Stream<Item = AppResult<OrderView>> + Send + 'static> {
    // Subscribe before reading, so no transition falls between the two.
    let events = ctx.bus.subscribe(TOPIC);
    let order = orders::get(&ctx.db.primary, &viewer, order_id, token.as_deref())
        .await?
        .ok_or_else(|| AppError::NotFound("exchange order".into()))?;
    let reach = if order.user_id.is_some() && order.user_id == viewer.user_id {
        Reach::Owner
    } else if viewer.can(perms::EXCHANGE_ORDERS_READ_ALL) {
        Reach::Staff
    } else {
        Reach::Token
    };
    let now = OrderView::from(order);
    let first = now.clone();
    let stream = events
        .filter_map(move |e| {
            let order = e
                .decode::<ExchangeEvent>()
                .map(|ExchangeEvent::Changed { order }| *order);
            let first = first.clone();
            // An event for the very state shown first is not news.
            async move { order.filter(|o| o.id == order_id && *o != first) }
        })
        .then(move |order| {
            let (ctx, viewer) = (ctx.clone(), viewer.clone());
            async move { still_ok(&ctx.db.primary, &viewer, reach).await.map(|()| order) }
        })
        .scan(false, |ended, item| {
            let out = if *ended {
                None
            } else {
                *ended = item.is_err();
                Some(item)
            };
            futures::future::ready(out)
        });
    Ok(futures::stream::once(futures::future::ready(Ok(now))).chain(stream))
}
