//! Deposits to users' own addresses, as the chain watcher reports them.
//! Each report is recorded in `chain_transactions` (matched WALLET, unique
//! per currency and hash: replays wait for the first and change only the
//! confirmation count). Once the currency's confirmations are reached the
//! deposit is credited exactly once: `credited_at` is set by a conditional
//! UPDATE, and the ledger credit carries the chain transaction's id as its
//! idempotency key, so neither a replay nor a concurrent report can credit
//! it twice.

use entity::deposit_addresses;
use entity::enums::{ChainTxKind, ChainTxMatch, NotificationKind};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::exchange::chain_log::{record, Reported};
use crate::service::exchange::pairs::CurrencyInfo;
use crate::service::exchange::settle::Outcome;
use crate::service::money::{Currency, CurrencyCode, Money, Rounding};
use crate::service::notification::{self, Notice, Subject};
use crate::service::wallet::{self, EntryType, Posting, ReferenceType};

/// The wallet currency of `info`.
pub(crate) fn currency_of(info: &CurrencyInfo) -> AppResult<Currency> {
    CurrencyCode::parse(&info.code)
        .ok()
        .and_then(|c| Currency::new(c, u8::try_from(info.decimals).ok()?))
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("currency {} cannot hold money", info.code)))
}

/// Applies a deposit of `amount` in `hash` to the user's address `to`.
pub async fn apply(
    tx: &Tx,
    info: &CurrencyInfo,
    to: &deposit_addresses::Model,
    hash: &str,
    amount: Decimal,
    confirmations: i32,
) -> AppResult<Outcome> {
    let seen = record(
        tx,
        Reported {
            currency: &info.code,
            kind: ChainTxKind::Deposit,
            hash,
            address: Some(&to.address),
            amount: Some(amount),
            confirmations,
            order: None,
            deposit_address: Some(to.id),
            withdrawal: None,
            matched: ChainTxMatch::Wallet,
        },
    )
    .await?;
    if seen.confirmations < info.confirmations {
        return Ok(Outcome::Recorded);
    }
    let credit = tx
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE chain_transactions SET credited_at = now() WHERE id = $1 AND credited_at IS NULL",
            [seen.id.into()],
        ))
        .await?
        .rows_affected();
    if credit == 0 {
        return Ok(Outcome::Recorded);
    }
    let money = Money::from_decimal(amount, currency_of(info)?, Rounding::Exact).map_err(|e| e.on("amount"))?;
    wallet::post(
        tx,
        None,
        Posting {
            user_id: to.user_id,
            entry_type: EntryType::Credit,
            amount: money,
            reference_type: ReferenceType::Deposit,
            reference_id: Some(seen.id),
            idempotency_key: Some(format!("chain-deposit:{}", seen.id)),
            remarks: Some(format!("deposit in {hash}")),
        },
    )
    .await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE deposit_addresses SET balance = balance + $2, total_received = total_received + $2, \
         last_activity_at = now() WHERE id = $1",
        [to.id.into(), amount.into()],
    ))
    .await?;
    notification::notify_many(
        &**tx,
        &[to.user_id],
        Notice {
            kind: NotificationKind::Deposit,
            title: format!("{} {} deposited", amount.normalize(), info.code),
            body: format!(
                "Your deposit of {} {} is confirmed and credited to your wallet.",
                amount.normalize(),
                info.code
            ),
            entity_type: Subject::CryptoDeposit,
            entity_id: seen.id,
        },
    )
    .await?;
    tracing::info!(currency = %info.code, deposit = %seen.id, "deposit credited");
    Ok(Outcome::Applied)
}
