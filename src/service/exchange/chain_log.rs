//! The log of what the chain watcher reported (`chain_transactions`): one
//! row per (currency, kind, hash), so a replayed report, however
//! concurrent, waits for the first and then changes nothing but the
//! confirmation count.

use entity::enums::{ChainTxKind, ChainTxMatch};
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, DbBackend, FromQueryResult, Statement};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;

/// A chain transaction as reported.
pub(crate) struct Reported<'a> {
    pub currency: &'a str,
    pub kind: ChainTxKind,
    pub hash: &'a str,
    pub address: Option<&'a str>,
    pub amount: Option<Decimal>,
    pub confirmations: i32,
    pub order: Option<Uuid>,
    /// The user's deposit address it reached (`matched` WALLET).
    pub deposit_address: Option<Uuid>,
    /// The withdrawal it carries (kind WITHDRAWAL).
    pub withdrawal: Option<Uuid>,
    pub matched: ChainTxMatch,
}

/// A recorded chain transaction.
pub(crate) struct Recorded {
    pub id: Uuid,
    /// This report was its first sighting.
    pub first: bool,
    pub order: Option<Uuid>,
    /// The most confirmations reported so far.
    pub confirmations: i32,
}

/// Records the chain transaction, or finds it (keeping the most
/// confirmations seen); a replay with other details is `CONFLICT`.
pub(crate) async fn record(tx: &Tx, r: Reported<'_>) -> AppResult<Recorded> {
    #[derive(FromQueryResult)]
    struct Seen {
        id: Uuid,
        address: Option<String>,
        amount: Option<Decimal>,
        order_id: Option<Uuid>,
        withdrawal_id: Option<Uuid>,
        confirmations: i32,
    }
    let inserted = Seen::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO chain_transactions \
           (currency, kind, tx_hash, address, amount, confirmations, order_id, matched, deposit_address_id, withdrawal_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (currency, kind, tx_hash) DO NOTHING \
         RETURNING id, address, amount, order_id, withdrawal_id, confirmations",
        [
            r.currency.into(),
            r.kind.to_value().into(),
            r.hash.into(),
            r.address.map(str::to_string).into(),
            r.amount.into(),
            r.confirmations.into(),
            r.order.into(),
            r.matched.to_value().into(),
            r.deposit_address.into(),
            r.withdrawal.into(),
        ],
    ))
    .one(&**tx)
    .await?;
    if let Some(row) = inserted {
        return Ok(Recorded {
            id: row.id,
            first: true,
            order: r.order,
            confirmations: row.confirmations,
        });
    }
    let seen = Seen::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE chain_transactions SET confirmations = greatest(confirmations, $4) \
         WHERE currency = $1 AND kind = $2 AND tx_hash = $3 \
         RETURNING id, address, amount, order_id, withdrawal_id, confirmations",
        [
            r.currency.into(),
            r.kind.to_value().into(),
            r.hash.into(),
            r.confirmations.into(),
        ],
    ))
    .one(&**tx)
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("a recorded chain transaction vanished")))?;
    if seen.address.as_deref() != r.address
        || seen.amount != r.amount
        || (r.kind == ChainTxKind::Payout && seen.order_id != r.order)
        || seen.withdrawal_id != r.withdrawal
    {
        return Err(AppError::conflict(
            Some("txHash"),
            "this transaction hash was reported before with other details",
        ));
    }
    Ok(Recorded {
        id: seen.id,
        first: false,
        order: seen.order_id,
        confirmations: seen.confirmations,
    })
}
