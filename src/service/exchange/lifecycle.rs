//! The order lifecycle: every allowed transition in one table, and the one
//! function that moves an order. A move is a conditional UPDATE on the
//! status it starts from (two racing movers: one wins, the other gets
//! `CONFLICT`), a row in `exchange_order_transitions` saying who and why,
//! and an event carrying the order as it now is. Entering HOLD or FAILED
//! opens (or adds to) the order's support ticket; ending releases the
//! deposit address into quarantine.
//!
//! ```text
//! PENDING ──► CONFIRMING ──► EXCHANGING ──► SENDING ──► COMPLETED
//!    │             │              │  ▲          │
//!    ▼             ▼              ▼  │          ▼
//! EXPIRED ───────► HOLD ◄─────────┘──┘        FAILED ◄── HOLD
//!                   │
//!                   ▼
//!                REFUNDED
//! ```

use entity::enums::{ExchangeOrderStatus as S, HoldReason, TransitionActor};
use entity::exchange_orders;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement};
use uuid::Uuid;

use super::events::ExchangeEvent;
use super::pool;
use super::view::OrderView;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::support::tickets::system as tickets;

/// Every allowed (from, to) move.
pub const TRANSITIONS: &[(S, S)] = &[
    (S::Pending, S::Confirming),
    (S::Pending, S::Expired),
    (S::Confirming, S::Exchanging),
    (S::Confirming, S::Hold),
    (S::Exchanging, S::Sending),
    (S::Exchanging, S::Hold),
    (S::Exchanging, S::Failed),
    (S::Sending, S::Completed),
    (S::Sending, S::Failed),
    (S::Hold, S::Exchanging),
    (S::Hold, S::Refunded),
    (S::Hold, S::Failed),
    // A deposit that reaches the address after the order expired.
    (S::Expired, S::Hold),
    (S::Failed, S::Refunded),
];

/// Whether `from` may become `to`.
pub fn allowed(from: S, to: S) -> bool {
    TRANSITIONS.contains(&(from, to))
}

/// Statuses an order never leaves on its own (EXPIRED and FAILED may still
/// be taken up by an operator or a late deposit).
pub fn is_final(s: S) -> bool {
    matches!(s, S::Completed | S::Refunded | S::Expired | S::Failed)
}

/// One move of an order.
#[derive(Clone, Debug)]
pub struct Move {
    pub to: S,
    pub actor: TransitionActor,
    pub actor_user: Option<Uuid>,
    pub reason: String,
    /// Required when `to` is HOLD.
    pub hold: Option<HoldReason>,
}

impl Move {
    /// A move by the server itself.
    pub fn system(to: S, reason: impl Into<String>) -> Self {
        Move {
            to,
            actor: TransitionActor::System,
            actor_user: None,
            reason: reason.into(),
            hold: None,
        }
    }
    /// A move caused by what the chain watcher reported.
    pub fn chain(to: S, reason: impl Into<String>) -> Self {
        Move {
            actor: TransitionActor::Chain,
            ..Move::system(to, reason)
        }
    }
    /// Onto HOLD for `why`.
    pub fn hold(actor: TransitionActor, why: HoldReason, reason: impl Into<String>) -> Self {
        Move {
            actor,
            hold: Some(why),
            ..Move::system(S::Hold, reason)
        }
    }
}

/// The order row, locked for the rest of `tx`.
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<exchange_orders::Model>> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT * FROM exchange_orders WHERE id = $1 FOR UPDATE",
            [id.into()],
        ))
        .await?;
    Ok(row
        .map(|r| exchange_orders::Model::from_query_result(&r, ""))
        .transpose()?)
}

/// Moves `order` (as read in `tx`) by `m`; returns the order as it now is.
pub async fn apply(tx: &Tx, order: &exchange_orders::Model, m: Move) -> AppResult<exchange_orders::Model> {
    let from: S = super::view::parse(&order.status)?;
    if !allowed(from, m.to) {
        return Err(AppError::conflict(
            Some("status"),
            format!("an order that is {} cannot become {}", from.to_value(), m.to.to_value()),
        ));
    }
    if (m.to == S::Hold) != m.hold.is_some() {
        return Err(AppError::internal(anyhow::anyhow!(
            "a HOLD move needs its reason, and only it"
        )));
    }
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE exchange_orders SET status = $3, hold_reason = $4, status_reason = $5, \
             completed_at = CASE WHEN $3 = $6 THEN now() ELSE completed_at END \
             WHERE id = $1 AND status = $2 RETURNING *",
            [
                order.id.into(),
                from.to_value().into(),
                m.to.to_value().into(),
                m.hold.map(|h| h.to_value()).into(),
                m.reason.clone().into(),
                S::Completed.to_value().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::conflict(Some("status"), "the order changed meanwhile; read it again"))?;
    let moved = exchange_orders::Model::from_query_result(&row, "")?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO exchange_order_transitions (order_id, from_status, to_status, actor, actor_user_id, reason) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        [
            order.id.into(),
            from.to_value().into(),
            m.to.to_value().into(),
            m.actor.to_value().into(),
            m.actor_user.into(),
            m.reason.clone().into(),
        ],
    ))
    .await?;
    let moved = if matches!(m.to, S::Hold | S::Failed) {
        open_ticket(tx, &moved, &m).await?
    } else {
        moved
    };
    if is_final(m.to) {
        pool::release(&**tx, order.id).await?;
    }
    tracing::info!(order = %order.id, from = from.to_value(), to = m.to.to_value(), actor = m.actor.to_value(), "exchange order moved");
    tx.publish_after_commit(ExchangeEvent::changed(&OrderView::from(moved.clone())));
    Ok(moved)
}

/// The first transition of a new order (nothing → PENDING), logged like
/// the others.
pub async fn created(
    tx: &Tx,
    order: &exchange_orders::Model,
    actor: TransitionActor,
    user: Option<Uuid>,
) -> AppResult<()> {
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO exchange_order_transitions (order_id, from_status, to_status, actor, actor_user_id, reason) \
         VALUES ($1, NULL, $2, $3, $4, 'order placed; waiting for the deposit')",
        [
            order.id.into(),
            S::Pending.to_value().into(),
            actor.to_value().into(),
            user.into(),
        ],
    ))
    .await?;
    tx.publish_after_commit(ExchangeEvent::changed(&OrderView::from(order.clone())));
    Ok(())
}

/// Notes `text` on the order's ticket, opening one if it has none (a
/// finished order's late deposit, say); the status does not change.
pub async fn note(tx: &Tx, order: &exchange_orders::Model, text: &str) -> AppResult<exchange_orders::Model> {
    let status = order.status.clone();
    ticket(tx, order, &status, text).await
}

/// Opens the order's ticket in the EXCHANGE department, or notes the new
/// status on the ticket it already has.
async fn open_ticket(tx: &Tx, order: &exchange_orders::Model, m: &Move) -> AppResult<exchange_orders::Model> {
    let status = m.to.to_value();
    let why = m.hold.map(|h| format!("{status} {}", h.to_value())).unwrap_or(status);
    ticket(tx, order, &why, &m.reason).await
}

async fn ticket(tx: &Tx, order: &exchange_orders::Model, why: &str, reason: &str) -> AppResult<exchange_orders::Model> {
    let note = format!(
        "Exchange order {} is {why}: {}. Deposit {} {} to {}; payout {} {} to {}.",
        order.id,
        reason,
        order
            .deposit_amount
            .map(|d| d.normalize().to_string())
            .unwrap_or_else(|| "not received".into()),
        order.from_currency,
        order.deposit_address.as_deref().unwrap_or("-"),
        order.to_amount.normalize(),
        order.to_currency,
        order.receiving_address.as_deref().unwrap_or("-"),
    );
    if let Some(ticket) = order.support_ticket_id {
        tickets::add_system_note(tx, ticket, &note).await?;
        return Ok(order.clone());
    }
    let ticket = tickets::open_for_entity(
        tx,
        tickets::SystemTicket {
            department_code: "EXCHANGE",
            subject: format!("Exchange order {} needs an operator: {why}", short(order.id)),
            description: note,
            user_id: order.user_id,
            related: (tickets::RelatedEntityType::ExchangeOrder, order.id),
        },
    )
    .await?;
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE exchange_orders SET support_ticket_id = $2 WHERE id = $1 RETURNING *",
            [order.id.into(), ticket.into()],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the order vanished while opening its ticket")))?;
    Ok(exchange_orders::Model::from_query_result(&row, "")?)
}

fn short(id: Uuid) -> String {
    id.simple().to_string()[..8].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_is_allowed_and_nothing_leaves_completed() {
        let path = [S::Pending, S::Confirming, S::Exchanging, S::Sending, S::Completed];
        for w in path.windows(2) {
            assert!(allowed(w[0], w[1]), "{:?} -> {:?}", w[0], w[1]);
        }
        for to in [S::Pending, S::Hold, S::Failed, S::Refunded, S::Expired] {
            assert!(!allowed(S::Completed, to));
            assert!(!allowed(S::Refunded, to));
        }
        assert!(!allowed(S::Pending, S::Completed));
        assert!(!allowed(S::Expired, S::Exchanging));
    }
}
