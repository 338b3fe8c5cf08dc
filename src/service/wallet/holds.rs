//! Holds: part of a balance set aside while a withdrawal waits for its
//! checks and the chain. A hold changes no balance (so it writes no ledger
//! row): it raises `wallets.held`, and the available balance
//! (`balance - held`) drops at once; debits never reach into it. The hold
//! ends by [`release`] (rejected, failed) or by [`capture`], which releases
//! it and debits the same amount through the ledger in one transaction.
//! The database keeps `0 <= held <= balance` (`wallets_held_check`).

use entity::wallets;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use uuid::Uuid;

use super::{lock_wallet, post, Posted, Posting, Wallet};
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::identity::Viewer;
use crate::service::money::Money;

async fn add_held(tx: &Tx, wallet: &Wallet, delta: Money) -> AppResult<Wallet> {
    let delta = delta.minor_decimal().map_err(|e| e.on("amount"))?;
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE wallets SET held = held + $2 WHERE id = $1 RETURNING *",
            [wallet.model.id.into(), delta.into()],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a locked wallet vanished")))?;
    Ok(Wallet {
        model: wallets::Model::from_query_result(&row, "")?,
        currency: wallet.currency,
    })
}

/// Holds `amount` of `user`'s available balance inside `tx`; more than is
/// available is `INSUFFICIENT_FUNDS` and holds nothing.
pub async fn hold(tx: &Tx, user: Uuid, amount: Money) -> AppResult<Wallet> {
    if !amount.is_positive() {
        return Err(AppError::invalid("amount", "must be greater than zero"));
    }
    let wallet = lock_wallet(tx, user, amount.currency()).await?;
    if wallet.available().minor() < amount.minor() {
        return Err(AppError::InsufficientFunds);
    }
    add_held(tx, &wallet, amount).await
}

/// Ends a hold of `amount` on `user`'s wallet without moving money.
pub async fn release(tx: &Tx, user: Uuid, amount: Money) -> AppResult<Wallet> {
    let wallet = lock_wallet(tx, user, amount.currency()).await?;
    if wallet.held().minor() < amount.minor() {
        return Err(AppError::internal(anyhow::anyhow!(
            "wallet {} holds {} but {} was to be released",
            wallet.model.id,
            wallet.held(),
            amount
        )));
    }
    let negative = amount.checked_neg().map_err(|e| e.on("amount"))?;
    add_held(tx, &wallet, negative).await
}

/// Ends a hold of `amount` by debiting it: `debits` (each a DEBIT of
/// `user`'s wallet in the hold's currency) must add up to `amount`.
pub async fn capture(
    tx: &Tx,
    actor: Option<&Viewer>,
    user: Uuid,
    amount: Money,
    debits: Vec<Posting>,
) -> AppResult<Vec<Posted>> {
    let mut total = Money::zero(amount.currency());
    for d in &debits {
        total = total.checked_add(d.amount).map_err(|e| e.on("amount"))?;
    }
    if total != amount || debits.iter().any(|d| d.user_id != user) {
        return Err(AppError::internal(anyhow::anyhow!(
            "a capture of {amount} was asked to debit {total}"
        )));
    }
    release(tx, user, amount).await?;
    let mut out = Vec::with_capacity(debits.len());
    for d in debits {
        out.push(post(tx, actor, d).await?);
    }
    Ok(out)
}

/// Locks `user`'s wallet in `currency` (made empty on first use) for the
/// rest of `tx`, so checks that read other rows (daily limits, replays)
/// see every earlier hold of this wallet.
pub async fn lock(tx: &Tx, user: Uuid, currency: crate::service::money::Currency) -> AppResult<Wallet> {
    lock_wallet(tx, user, currency).await
}
