//! A withdrawal's moves. The table below is the whole life cycle; each
//! move is one conditional UPDATE (the row must still be in the state the
//! caller saw), an audit row, the hold's release or capture when the move
//! ends it, a notification where the owner should hear of it, and an
//! event carrying the withdrawal as the move left it.
//!
//! REQUESTED → PENDING_APPROVAL | APPROVED; PENDING_APPROVAL → APPROVED |
//! REJECTED; APPROVED → SENT | FAILED. REJECTED and FAILED release the
//! hold; SENT captures it (a DEBIT WITHDRAWAL of the amount and a DEBIT
//! FEE of the fee).

use entity::enums::{NotificationKind, WithdrawalStatus as S};
use entity::withdrawals;
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, DbBackend, FromQueryResult, Statement};
use serde_json::json;
use uuid::Uuid;

use super::view::{announce, WithdrawalView};
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::identity::Viewer;
use crate::service::money::{Currency, CurrencyCode, Money, Rounding};
use crate::service::notification::{self, Notice, Subject};
use crate::service::wallet::{holds, EntryType, Posting, ReferenceType};

/// Whether a withdrawal may move from `from` to `to`.
pub fn can_move(from: S, to: S) -> bool {
    matches!(
        (from, to),
        (S::Requested, S::PendingApproval)
            | (S::Requested, S::Approved)
            | (S::PendingApproval, S::Approved)
            | (S::PendingApproval, S::Rejected)
            | (S::Approved, S::Sent)
            | (S::Approved, S::Failed)
    )
}

/// One move: where to, why, who (a signed-in actor, or the user id of a
/// reviewer deciding through the approval engine).
pub struct Move<'a> {
    pub to: S,
    pub reason: String,
    pub actor: Option<&'a Viewer>,
    pub actor_user: Option<Uuid>,
    /// The chain transaction (SENT only).
    pub tx_hash: Option<&'a str>,
}

impl<'a> Move<'a> {
    /// A move made by the system or the chain.
    pub fn system(to: S, reason: impl Into<String>) -> Self {
        Move {
            to,
            reason: reason.into(),
            actor: None,
            actor_user: None,
            tx_hash: None,
        }
    }
}

/// The withdrawal `id`, locked for the rest of the transaction.
pub async fn lock(tx: &Tx, id: Uuid) -> AppResult<Option<withdrawals::Model>> {
    Ok(withdrawals::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT * FROM withdrawals WHERE id = $1 FOR UPDATE",
        [id.into()],
    ))
    .one(&**tx)
    .await?)
}

/// The status of a stored withdrawal.
pub fn status_of(w: &withdrawals::Model) -> AppResult<S> {
    S::try_from_value(&w.status).map_err(|e| AppError::internal(anyhow::anyhow!("bad withdrawal status: {e}")))
}

fn money(currency: Currency, d: Decimal) -> AppResult<Money> {
    Money::from_decimal(d, currency, Rounding::Exact)
        .map_err(|e| AppError::internal(anyhow::anyhow!("a stored withdrawal amount: {e}")))
}

/// The wallet currency of a stored withdrawal.
async fn currency_of(tx: &Tx, w: &withdrawals::Model) -> AppResult<Currency> {
    let code = CurrencyCode::parse(&w.currency)
        .map_err(|e| AppError::internal(anyhow::anyhow!("stored currency {:?}: {e}", w.currency)))?;
    crate::service::money::currency(&**tx, code, "currency").await
}

/// Applies `m` to `w` (see the module docs).
pub async fn apply(tx: &Tx, w: &withdrawals::Model, m: Move<'_>) -> AppResult<withdrawals::Model> {
    let from = status_of(w)?;
    if !can_move(from, m.to) {
        return Err(AppError::conflict(
            Some("id"),
            format!("a {} withdrawal cannot become {}", from.to_value(), m.to.to_value()),
        ));
    }
    let moved = withdrawals::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE withdrawals SET status = $3, status_reason = $4, \
           tx_hash = coalesce($5, tx_hash), sent_at = CASE WHEN $3 = $6 THEN now() ELSE sent_at END \
         WHERE id = $1 AND status = $2 RETURNING *",
        [
            w.id.into(),
            from.to_value().into(),
            m.to.to_value().into(),
            m.reason.clone().into(),
            m.tx_hash.map(str::to_string).into(),
            S::Sent.to_value().into(),
        ],
    ))
    .one(&**tx)
    .await?
    .ok_or_else(|| AppError::conflict(Some("id"), "the withdrawal changed meanwhile; read it again"))?;
    let currency = currency_of(tx, &moved).await?;
    let total = money(currency, moved.amount + moved.fee_amount)?;
    match m.to {
        S::Rejected | S::Failed => {
            holds::release(tx, moved.user_id, total).await?;
        }
        S::Sent => {
            let mut debits = vec![Posting {
                user_id: moved.user_id,
                entry_type: EntryType::Debit,
                amount: money(currency, moved.amount)?,
                reference_type: ReferenceType::Withdrawal,
                reference_id: Some(moved.id),
                idempotency_key: Some(format!("withdrawal:{}", moved.id)),
                remarks: Some(format!("sent to {}", moved.destination_address)),
            }];
            if moved.fee_amount > Decimal::ZERO {
                debits.push(Posting {
                    user_id: moved.user_id,
                    entry_type: EntryType::Debit,
                    amount: money(currency, moved.fee_amount)?,
                    reference_type: ReferenceType::Fee,
                    reference_id: Some(moved.id),
                    idempotency_key: Some(format!("withdrawal-fee:{}", moved.id)),
                    remarks: Some("withdrawal fee".into()),
                });
            }
            holds::capture(tx, m.actor, moved.user_id, total, debits).await?;
        }
        _ => {}
    }
    let action = match m.to {
        S::Approved => Action::Approve,
        S::Rejected => Action::Reject,
        _ => Action::Update,
    };
    audit::record(
        &**tx,
        m.actor,
        Entry::new(
            action,
            Module::Exchange,
            AuditEntity::Withdrawal,
            Some(moved.id),
            format!("withdrawal {} → {}: {}", from.to_value(), m.to.to_value(), m.reason),
        )
        .before(json!({"status": from.to_value()}))
        .after(json!({"status": m.to.to_value(), "txHash": moved.tx_hash}))
        .metadata(json!({"actorUserId": m.actor_user.or(m.actor.and_then(|a| a.user_id)), "userId": moved.user_id})),
    )
    .await?;
    notify(tx, &moved, m.to).await?;
    announce(tx, &WithdrawalView::from(moved.clone()));
    Ok(moved)
}

/// Tells the owner what they should hear of: sent, rejected, failed.
async fn notify(tx: &Tx, w: &withdrawals::Model, to: S) -> AppResult<()> {
    let amount = format!("{} {}", w.amount.normalize(), w.currency);
    let (title, body) = match to {
        S::Sent => (
            format!("Withdrawal of {amount} sent"),
            format!(
                "Your withdrawal of {amount} to {} is on chain ({}).",
                w.destination_address,
                w.tx_hash.as_deref().unwrap_or("")
            ),
        ),
        S::Rejected => (
            format!("Withdrawal of {amount} rejected"),
            format!(
                "Your withdrawal of {amount} was not approved: {}. The amount is available again.",
                w.status_reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        S::Failed => (
            format!("Withdrawal of {amount} failed"),
            format!(
                "Your withdrawal of {amount} could not be sent: {}. The amount is available again.",
                w.status_reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        _ => return Ok(()),
    };
    notification::notify_many(
        &**tx,
        &[w.user_id],
        Notice {
            kind: NotificationKind::Withdrawal,
            title,
            body,
            entity_type: Subject::Withdrawal,
            entity_id: w.id,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn finished_withdrawals_never_move_and_nothing_skips_the_approval_it_waits_for() {
        for to in S::iter() {
            assert!(!can_move(S::Sent, to));
            assert!(!can_move(S::Rejected, to));
            assert!(!can_move(S::Failed, to));
        }
        assert!(!can_move(S::PendingApproval, S::Sent));
        assert!(!can_move(S::Requested, S::Sent));
        assert!(can_move(S::PendingApproval, S::Approved));
        assert!(can_move(S::Approved, S::Sent));
    }
}
