//! What a verified chain report does, and the operator's decisions on an
//! order on hold. Each report is applied in one transaction that records
//! the chain transaction first (unique by currency, kind and hash: a
//! replay, however concurrent, waits for the first and then changes
//! nothing) and locks the order, so an order moves exactly once per step.
//!
//! - A deposit to the address an open order holds: PENDING → CONFIRMING;
//!   once the currency's confirmations are reached, the amount is judged
//!   (FIXED: exactly the quoted amount, else HOLD UNDERPAID / OVERPAID;
//!   FLOAT: within the pair's limits, else HOLD BELOW_MINIMUM /
//!   ABOVE_MAXIMUM) and the order is exchanged.
//! - A deposit to an address in quarantine belongs to the order that held
//!   it last (never to a newer one): an expired order goes to HOLD
//!   LATE_DEPOSIT; a finished one gets a note on its ticket.
//! - A deposit to a user's deposit address goes to custody (credited to
//!   their wallet once confirmed); a deposit to an address no order ever
//!   held and no user owns is recorded, flagged UNKNOWN, and credits nothing.
//! - Withdrawal reports (sent, failed) go to custody.
//! - Exchanging moves both reserves in the same transaction (the deposit
//!   in, the payout and its network fee out), exactly once
//!   (`reserves_moved_at`); a payout larger than the reserve puts the
//!   order on HOLD RESERVE_SHORT instead. Then the payout goes to the
//!   chain (SENDING); the watcher's PAYOUT report completes the order.

use entity::enums::{ChainTxKind, ChainTxMatch, ExchangeOrderStatus as S, HoldReason, RateType, TransitionActor};
use entity::exchange_orders;
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement};
use uuid::Uuid;

use super::chain::{Purpose, Report, Send};
use super::chain_log::{record, Recorded, Reported};
use super::lifecycle::{self, Move};
use super::{pairs, perms, pool, quotes, reserves};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::custody;
use crate::service::identity::Viewer;
use crate::service::money::CurrencyCode;

/// What a report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It moved an order.
    Applied,
    /// It was recorded (new, a replay, or about no order) and moved nothing.
    Recorded,
}

/// Applies a verified `report` about `currency`.
pub async fn apply(ctx: &AppContext, currency: &str, report: Report) -> AppResult<Outcome> {
    let code = CurrencyCode::parse_field(currency, "currency")?;
    let info = pairs::currency(&ctx.db.primary, code, "currency").await?;
    if info.network.is_none() {
        return Err(AppError::invalid(
            "currency",
            format!("{} is not on a chain", info.code),
        ));
    }
    if let Report::Deposit { amount, .. } = &report {
        // NUMERIC(38, 18) holds 20 integer digits; finer than the currency
        // is not an amount of it.
        if amount.normalize().scale() > info.decimals || *amount >= Decimal::from(10u64.pow(19)) {
            return Err(AppError::invalid(
                "amount",
                format!("not an amount of {} ({} decimal places)", info.code, info.decimals),
            ));
        }
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let out = match report {
        Report::Deposit {
            address,
            tx_hash,
            amount,
            confirmations,
        } => deposit(ctx, &tx, &info, &address, &tx_hash, amount, confirmations as i32).await?,
        Report::Payout {
            order_id,
            tx_hash,
            confirmations,
        } => payout(&tx, &info, order_id, &tx_hash, confirmations as i32).await?,
        Report::Withdrawal {
            withdrawal_id,
            tx_hash,
            confirmations,
        } => custody::withdrawals::on_chain(&tx, &info, withdrawal_id, &tx_hash, confirmations as i32).await?,
        Report::WithdrawalFailed { withdrawal_id, reason } => {
            custody::withdrawals::on_chain_failure(&tx, &info, withdrawal_id, &reason).await?
        }
    };
    tx.commit(&ctx.bus).await?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn deposit(
    ctx: &AppContext,
    tx: &Tx,
    info: &pairs::CurrencyInfo,
    address: &str,
    hash: &str,
    amount: Decimal,
    confirmations: i32,
) -> AppResult<Outcome> {
    if let Some(wallet_address) = custody::addresses::find(&**tx, &info.code, address).await? {
        return custody::deposits::apply(tx, info, &wallet_address, hash, amount, confirmations).await;
    }
    let owner = pool::owner(&**tx, &info.code, address).await?;
    let (order, matched) = match &owner {
        Some(o) if o.current_order.is_some() => (o.current_order, ChainTxMatch::Order),
        Some(o) if o.last_order.is_some() => (o.last_order, ChainTxMatch::Late),
        _ => (None, ChainTxMatch::Unknown),
    };
    let Recorded { first, order, .. } = record(
        tx,
        Reported {
            currency: &info.code,
            kind: ChainTxKind::Deposit,
            hash,
            address: Some(address),
            amount: Some(amount),
            confirmations,
            order,
            deposit_address: None,
            withdrawal: None,
            matched,
        },
    )
    .await?;
    let Some(order_id) = order else {
        if first {
            tracing::warn!(currency = %info.code, tx = hash, "deposit to an address no order ever held; recorded, nothing credited");
        }
        return Ok(Outcome::Recorded);
    };
    let Some(o) = lifecycle::lock(&**tx, order_id).await? else {
        return Ok(Outcome::Recorded);
    };
    let status: S = super::view::parse(&o.status)?;
    let ours = o.deposit_tx_hash.as_deref() == Some(hash);
    if o.deposit_tx_hash.is_none() && matches!(status, S::Pending | S::Expired) {
        let o = set_deposit(tx, &o, hash, amount, confirmations).await?;
        let needed = info.confirmations;
        let o = if status == S::Pending {
            lifecycle::apply(
                tx,
                &o,
                Move::chain(
                    S::Confirming,
                    format!(
                        "deposit of {} {} seen in {hash} ({confirmations}/{needed} confirmations)",
                        amount.normalize(),
                        info.code
                    ),
                ),
            )
            .await?
        } else {
            lifecycle::apply(
                tx,
                &o,
                Move::hold(
                    TransitionActor::Chain,
                    HoldReason::LateDeposit,
                    format!(
                        "deposit of {} {} in {hash} arrived after the order expired",
                        amount.normalize(),
                        info.code
                    ),
                ),
            )
            .await?
        };
        if o.status == S::Confirming.to_value() && confirmations >= needed {
            judge(ctx, tx, &o).await?;
        }
        return Ok(Outcome::Applied);
    }
    if ours {
        if confirmations > o.deposit_confirmations.unwrap_or(0) {
            let o = set_confirmations(tx, &o, confirmations).await?;
            if status == S::Confirming && confirmations >= info.confirmations {
                judge(ctx, tx, &o).await?;
                return Ok(Outcome::Applied);
            }
        }
        return Ok(Outcome::Recorded);
    }
    if first {
        // Another deposit to an order that already has one, or a late one
        // to a finished order: staff must look; nothing is credited.
        lifecycle::note(
            tx,
            &o,
            &format!(
                "A further deposit of {} {} arrived in {hash} ({}); it is not credited automatically.",
                amount.normalize(),
                info.code,
                matched.to_value()
            ),
        )
        .await?;
    }
    Ok(Outcome::Recorded)
}

async fn update_order(tx: &Tx, sql: &str, values: Vec<sea_orm::Value>) -> AppResult<exchange_orders::Model> {
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the order vanished")))?;
    Ok(exchange_orders::Model::from_query_result(&row, "")?)
}

async fn set_deposit(
    tx: &Tx,
    o: &exchange_orders::Model,
    hash: &str,
    amount: Decimal,
    conf: i32,
) -> AppResult<exchange_orders::Model> {
    update_order(
        tx,
        "UPDATE exchange_orders SET deposit_tx_hash = $2, deposit_amount = $3, deposit_confirmations = $4 WHERE id = $1 RETURNING *",
        vec![o.id.into(), hash.into(), amount.into(), conf.into()],
    )
    .await
}

async fn set_confirmations(tx: &Tx, o: &exchange_orders::Model, conf: i32) -> AppResult<exchange_orders::Model> {
    update_order(
        tx,
        "UPDATE exchange_orders SET deposit_confirmations = $2 WHERE id = $1 RETURNING *",
        vec![o.id.into(), conf.into()],
    )
    .await
}

/// A confirmed deposit: on hold if the amount is not what the order
/// allows, else exchanged.
async fn judge(ctx: &AppContext, tx: &Tx, o: &exchange_orders::Model) -> AppResult<()> {
    let got = o.deposit_amount.unwrap_or_default();
    let pair = pairs::get(&**tx, code(&o.from_currency)?, code(&o.to_currency)?).await?;
    let hold = if o.rate_type == RateType::Fixed.to_value() {
        match got.cmp(&o.from_amount) {
            std::cmp::Ordering::Less => Some(HoldReason::Underpaid),
            std::cmp::Ordering::Greater => Some(HoldReason::Overpaid),
            std::cmp::Ordering::Equal => None,
        }
    } else if got < pair.min_amount {
        Some(HoldReason::BelowMinimum)
    } else if got > pair.max_amount {
        Some(HoldReason::AboveMaximum)
    } else {
        None
    };
    let conf = o.deposit_confirmations.unwrap_or(0);
    if let Some(why) = hold {
        let reason = format!(
            "received {} {}, the order asked {} (limits {} to {})",
            got.normalize(),
            o.from_currency,
            o.from_amount.normalize(),
            pair.min_amount.normalize(),
            pair.max_amount.normalize()
        );
        lifecycle::apply(tx, o, Move::hold(TransitionActor::Chain, why, reason)).await?;
        return Ok(());
    }
    let o = lifecycle::apply(
        tx,
        o,
        Move::chain(S::Exchanging, format!("deposit confirmed ({conf} confirmations)")),
    )
    .await?;
    exchange(
        ctx,
        tx,
        &o,
        o.rate_type == RateType::Float.to_value(),
        TransitionActor::System,
        None,
    )
    .await
}

fn code(c: &str) -> AppResult<CurrencyCode> {
    CurrencyCode::parse(c).map_err(|e| AppError::internal(anyhow::anyhow!("stored currency {c:?}: {e}")))
}

/// Exchanges an order that is EXCHANGING: at the current rate when
/// `reprice` (FLOAT, or an operator's choice), else at its locked figures;
/// moves the reserves once, or holds the order when the reserve is short;
/// then hands the payout to the chain (SENDING).
async fn exchange(
    ctx: &AppContext,
    tx: &Tx,
    o: &exchange_orders::Model,
    reprice: bool,
    actor: TransitionActor,
    actor_user: Option<Uuid>,
) -> AppResult<()> {
    let got = o.deposit_amount.unwrap_or(o.from_amount);
    let o = if reprice {
        let pair = pairs::get(&**tx, code(&o.from_currency)?, code(&o.to_currency)?).await?;
        let f = quotes::price_pair(&**tx, &pair, got).await?;
        update_order(
            tx,
            "UPDATE exchange_orders SET from_amount = $2, to_amount = $3, rate = $4, fee_amount = $5, network_fee = $6 \
             WHERE id = $1 RETURNING *",
            vec![o.id.into(), f.from_amount.into(), f.to_amount.into(), f.rate.into(), f.fee.into(), f.network_fee.into()],
        )
        .await?
    } else {
        o.clone()
    };
    let out = o.to_amount + o.network_fee;
    if o.reserves_moved_at.is_some() {
        return Err(AppError::internal(anyhow::anyhow!(
            "order {} moved its reserves already",
            o.id
        )));
    }
    if !reserves::move_for_order(&**tx, &o.from_currency, got, &o.to_currency, out).await? {
        let reason = format!(
            "the {} reserve cannot cover a payout of {}",
            o.to_currency,
            out.normalize()
        );
        lifecycle::apply(
            tx,
            &o,
            Move::hold(TransitionActor::System, HoldReason::ReserveShort, reason),
        )
        .await?;
        return Ok(());
    }
    let o = update_order(
        tx,
        "UPDATE exchange_orders SET reserves_moved_at = now() WHERE id = $1 AND reserves_moved_at IS NULL RETURNING *",
        vec![o.id.into()],
    )
    .await?;
    let receiving = o
        .receiving_address
        .clone()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("order {} has no receiving address", o.id)))?;
    ctx.chain
        .send(&Send {
            reference_id: o.id,
            purpose: Purpose::Payout,
            currency: o.to_currency.clone(),
            address: receiving.clone(),
            amount: o.to_amount,
        })
        .await
        .map_err(AppError::internal)?;
    let reason = format!(
        "payout of {} {} sent to {receiving}",
        o.to_amount.normalize(),
        o.to_currency
    );
    lifecycle::apply(
        tx,
        &o,
        Move {
            actor,
            actor_user,
            ..Move::system(S::Sending, reason)
        },
    )
    .await?;
    Ok(())
}

async fn payout(
    tx: &Tx,
    info: &pairs::CurrencyInfo,
    order_id: Uuid,
    hash: &str,
    confirmations: i32,
) -> AppResult<Outcome> {
    let Some(o) = lifecycle::lock(&**tx, order_id).await? else {
        return Err(AppError::invalid("orderId", "no such order"));
    };
    if o.to_currency != info.code {
        return Err(AppError::invalid("orderId", "the order pays out another currency"));
    }
    let Recorded { first, .. } = record(
        tx,
        Reported {
            currency: &info.code,
            kind: ChainTxKind::Payout,
            hash,
            address: None,
            amount: None,
            confirmations,
            order: Some(order_id),
            deposit_address: None,
            withdrawal: None,
            matched: ChainTxMatch::Order,
        },
    )
    .await?;
    if o.status != S::Sending.to_value() {
        return Ok(Outcome::Recorded);
    }
    let o = if first || o.transaction_hash.is_none() {
        update_order(
            tx,
            "UPDATE exchange_orders SET transaction_hash = $2 WHERE id = $1 RETURNING *",
            vec![o.id.into(), hash.into()],
        )
        .await?
    } else {
        o
    };
    if o.transaction_hash.as_deref() != Some(hash) || confirmations < 1 {
        return Ok(Outcome::Recorded);
    }
    lifecycle::apply(
        tx,
        &o,
        Move::chain(S::Completed, format!("payout confirmed on chain in {hash}")),
    )
    .await?;
    Ok(Outcome::Applied)
}

/// An operator's decision on an order on hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Exchange what arrived at the current rate.
    Exchange,
    /// Send the deposit back to the refund address.
    Refund,
    /// Give up on the order (staff follow up on the ticket).
    Fail,
}

/// Applies `decision` to order `id` (permission `exchange.orders.manage`),
/// audited, with the operator's `reason` in the transition log.
pub async fn decide(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    decision: Decision,
    reason: &str,
) -> AppResult<exchange_orders::Model> {
    let staff = viewer.require(perms::EXCHANGE_ORDERS_MANAGE)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "say why, in 1 to 500 characters"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let o = lifecycle::lock(&*tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("exchange order".into()))?;
    let before = o.status.clone();
    let operator = |to: S| Move {
        actor: TransitionActor::Operator,
        actor_user: Some(staff),
        ..Move::system(to, reason.to_string())
    };
    match decision {
        Decision::Exchange => {
            if o.status != S::Hold.to_value() || o.deposit_amount.is_none() {
                return Err(AppError::conflict(
                    Some("orderId"),
                    "only an order on hold with a deposit can be exchanged",
                ));
            }
            let moved = lifecycle::apply(&tx, &o, operator(S::Exchanging)).await?;
            exchange(ctx, &tx, &moved, true, TransitionActor::Operator, Some(staff)).await?;
        }
        Decision::Refund => {
            let (Some(to), Some(amount)) = (o.refund_address.clone(), o.deposit_amount) else {
                return Err(AppError::conflict(
                    Some("orderId"),
                    "the order has no refund address or no deposit",
                ));
            };
            let moved = lifecycle::apply(&tx, &o, operator(S::Refunded)).await?;
            ctx.chain
                .send(&Send {
                    reference_id: moved.id,
                    purpose: Purpose::Refund,
                    currency: moved.from_currency.clone(),
                    address: to,
                    amount,
                })
                .await
                .map_err(AppError::internal)?;
        }
        Decision::Fail => {
            lifecycle::apply(&tx, &o, operator(S::Failed)).await?;
        }
    }
    let after = lifecycle::lock(&*tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("exchange order".into()))?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Update,
            Module::Exchange,
            AuditEntity::ExchangeOrder,
            Some(id),
            format!("exchange order {decision:?}: {reason}"),
        )
        .before(serde_json::json!({"status": before}))
        .after(serde_json::json!({"status": after.status})),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(after)
}
