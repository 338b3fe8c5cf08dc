//! `requestWithdrawal` and what decides a withdrawal afterwards: the
//! approval engine (four-eyes above the approval threshold), the signer
//! (the dispatch job hands APPROVED withdrawals to [`Chain::send`]), the
//! chain watcher (SENT with its hash, or failed) and finance staff.
//!
//! A request is checked (address, amount, limits, KYC) before anything is
//! written; then, in one transaction with the wallet row locked, a replay
//! of its idempotency key returns the first withdrawal, the daily limit is
//! summed, amount plus fee are held (`INSUFFICIENT_FUNDS` beyond the
//! available balance, writing nothing), and the withdrawal is recorded and
//! moved on: to PENDING_APPROVAL with an approval request, or APPROVED.
//!
//! [`Chain::send`]: crate::service::exchange::chain::Chain::send

use std::time::Duration;

use entity::enums::{ApprovalEntityType, ApprovalType, ChainTxKind, ChainTxMatch, KycStatus, WithdrawalStatus as S};
use entity::withdrawals;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde_json::json;
use uuid::Uuid;

use super::lifecycle::{self, lock, status_of, Move};
use super::perms::{WALLET_WITHDRAW, WITHDRAWALS_MANAGE};
use super::rules::{self, Limits};
use super::view::WithdrawalView;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::approval::{self, Applier, Appliers, Decision, NewRequest};
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::exchange::chain::{Purpose, Send};
use crate::service::exchange::chain_log::{record, Reported};
use crate::service::exchange::pairs::{self, CurrencyInfo};
use crate::service::exchange::quotes::fee_rule_of;
use crate::service::exchange::settle::Outcome;
use crate::service::exchange::{address, pool, rates};
use crate::service::identity::Viewer;
use crate::service::money::{CurrencyCode, Money, Rounding};
use crate::service::wallet::holds;

/// The recurring job that hands APPROVED withdrawals to the signer.
pub const DISPATCH_JOB: &str = "custody.withdrawals.dispatch";
/// How often it runs.
pub const DISPATCH_EVERY: Duration = Duration::from_secs(2);
/// Withdrawals dispatched per transaction.
const DISPATCH_BATCH: u64 = 50;

/// A withdrawal as the client asks for it.
#[derive(Clone, Debug)]
pub struct WithdrawalRequest {
    pub currency: String,
    pub amount: Decimal,
    pub destination_address: String,
    pub idempotency_key: String,
}

/// The outcome of a request.
#[derive(Clone, Debug)]
pub struct Requested {
    pub withdrawal: WithdrawalView,
    /// The key had been used: this is the first withdrawal, nothing new.
    pub replayed: bool,
}

async fn by_key<C: ConnectionTrait>(conn: &C, user: Uuid, key: &str) -> AppResult<Option<withdrawals::Model>> {
    Ok(withdrawals::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT * FROM withdrawals WHERE user_id = $1 AND idempotency_key = $2",
        [user.into(), key.into()],
    ))
    .one(conn)
    .await?)
}

/// The first withdrawal under this key, if `r` asks the same thing again;
/// `CONFLICT` when the key was used for another withdrawal.
fn replay_of(found: withdrawals::Model, code: &str, r: &WithdrawalRequest, dest: &str) -> AppResult<Requested> {
    if found.currency != code || found.amount != r.amount || found.destination_address != dest {
        return Err(AppError::conflict(
            Some("idempotencyKey"),
            "this idempotency key was used for a different withdrawal",
        ));
    }
    Ok(Requested {
        withdrawal: found.into(),
        replayed: true,
    })
}

fn on_chain_network(info: &CurrencyInfo) -> AppResult<entity::enums::ChainNetwork> {
    info.network
        .ok_or_else(|| AppError::invalid("currency", format!("{} is not on a chain", info.code)))
}

async fn kyc_verified<C: ConnectionTrait>(conn: &C, user: Uuid) -> AppResult<bool> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT EXISTS (SELECT 1 FROM user_kyc WHERE user_id = $1 AND status = $2 \
               AND (expires_at IS NULL OR expires_at > now())) AS ok",
            [user.into(), KycStatus::Verified.to_value().into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<bool>("", "ok")).transpose()?.unwrap_or(false))
}

/// `requestWithdrawal` (see the module docs).
pub async fn request(ctx: &AppContext, viewer: &Viewer, r: WithdrawalRequest) -> AppResult<Requested> {
    let user = viewer.require_self_service(WALLET_WITHDRAW)?;
    let key = r.idempotency_key.trim().to_string();
    if key.is_empty() || key.chars().count() > 200 {
        return Err(AppError::invalid("idempotencyKey", "must be 1 to 200 characters"));
    }
    let code = CurrencyCode::parse_field(&r.currency, "currency")?;
    let db = &ctx.db.primary;
    let info = pairs::currency(db, code, "currency").await?;
    let network = on_chain_network(&info)?;
    let currency = super::deposits::currency_of(&info)?;
    if r.amount <= Decimal::ZERO {
        return Err(AppError::invalid("amount", "must be greater than zero"));
    }
    let amount = Money::from_decimal(r.amount, currency, Rounding::Exact).map_err(|e| e.on("amount"))?;
    if amount.minor() >= crate::service::wallet::MAX_MINOR {
        return Err(AppError::invalid("amount", "is more than any wallet holds"));
    }
    let dest = address::validate(network, ctx.config.exchange.bitcoin_network, &r.destination_address)
        .map_err(|e| e.on_field("destinationAddress"))?;
    if let Some(found) = by_key(db, user, &key).await? {
        return replay_of(found, &info.code, &r, &dest);
    }
    if pool::is_ours(db, &dest).await? {
        return Err(AppError::invalid(
            "destinationAddress",
            "that address belongs to this platform; withdraw to an outside address",
        ));
    }
    let fee = rules::fee(
        r.amount,
        fee_rule_of(db, entity::enums::FeeType::Withdrawal, &info.code).await?,
        info.decimals,
    )?;
    let total = amount
        .checked_add(Money::from_decimal(fee, currency, Rounding::Exact).map_err(|e| e.on("amount"))?)
        .map_err(|e| e.on("amount"))?;
    let usd = rates::latest(db, &info.code, "USD")
        .await?
        .and_then(|rate| r.amount.checked_mul(rate))
        .map(|v| v.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven));
    let thresholds = rules::thresholds(db).await?;
    let needs = rules::needs(usd, thresholds);
    if needs.kyc && !kyc_verified(db, user).await? {
        let worth = usd.map_or("of unknown USD value (no rate)".to_string(), |v| {
            format!("worth USD {}", v.normalize())
        });
        return Err(AppError::Forbidden(format!(
            "a withdrawal {worth} needs a VERIFIED KYC (above USD {}); submit yours with submitKyc",
            thresholds.kyc_usd.normalize()
        )));
    }
    let limits = Limits {
        min: info.row.withdrawal_min,
        per_transaction: info.row.withdrawal_max,
        daily: info.row.withdrawal_daily_limit,
    };

    let tx = Tx::begin(db).await?;
    holds::lock(&tx, user, currency).await?;
    // Under the wallet's lock: a concurrent request with the same key has
    // committed by now, and the day's sum includes every earlier hold.
    if let Some(found) = by_key(&*tx, user, &key).await? {
        return replay_of(found, &info.code, &r, &dest);
    }
    let used = rules::used_today(&*tx, user, &info.code).await?;
    rules::check_limits(r.amount, limits, used, &info.code)?;
    holds::hold(&tx, user, total).await?;
    let id = Uuid::now_v7();
    let w = withdrawals::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO withdrawals (id, user_id, currency, amount, fee_amount, destination_address, status, \
           idempotency_key, usd_value) \
         VALUES ($1, $2, $3, $4, $5, $6, $9, $7, $8) RETURNING *",
        [
            id.into(),
            user.into(),
            info.code.clone().into(),
            r.amount.into(),
            fee.into(),
            dest.clone().into(),
            key.into(),
            usd.into(),
            S::Requested.to_value().into(),
        ],
    ))
    .one(&*tx)
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("withdrawal insert returned nothing")))?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Exchange,
            AuditEntity::Withdrawal,
            Some(id),
            format!("withdrawal of {} {} requested", r.amount.normalize(), info.code),
        )
        .after(
            json!({"status": S::Requested.to_value(), "amount": r.amount, "fee": fee, "destinationAddress": dest, "usdValue": usd}),
        ),
    )
    .await?;
    let w = if needs.approval {
        let request = approval::submit(
            &tx,
            user,
            NewRequest {
                entity_type: ApprovalEntityType::Withdrawal,
                entity_id: id,
                approval_type: ApprovalType::Financial,
                payload: json!({
                    "currency": info.code, "amount": r.amount, "fee": fee,
                    "destinationAddress": dest, "usdValue": usd,
                }),
                remarks: None,
            },
        )
        .await?;
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE withdrawals SET approval_request_id = $2 WHERE id = $1",
            [id.into(), request.id.into()],
        ))
        .await?;
        let reason = match usd {
            Some(v) => format!(
                "worth USD {}, above the approval threshold of USD {}",
                v.normalize(),
                thresholds.approval_usd.normalize()
            ),
            None => "its USD value is unknown (no rate), so a second person must approve".to_string(),
        };
        let w = withdrawals::Model {
            approval_request_id: Some(request.id),
            ..w
        };
        lifecycle::apply(&tx, &w, Move::system(S::PendingApproval, reason)).await?
    } else {
        lifecycle::apply(&tx, &w, Move::system(S::Approved, "below the approval threshold")).await?
    };
    tx.commit(&ctx.bus).await?;
    Ok(Requested {
        withdrawal: w.into(),
        replayed: false,
    })
}

/// The approval engine's side for withdrawals: approved → APPROVED (the
/// dispatch job sends it); rejected, cancelled by the requester or expired
/// → REJECTED, the hold released.
pub struct WithdrawalApplier;

/// Registers [`WithdrawalApplier`].
pub fn register_applier(appliers: &mut Appliers) {
    appliers.register(ApprovalEntityType::Withdrawal, std::sync::Arc::new(WithdrawalApplier));
}

#[async_trait::async_trait]
impl Applier for WithdrawalApplier {
    async fn apply(
        &self,
        tx: &Tx,
        request: &entity::approval_requests::Model,
        decision: Decision,
        actor: Option<Uuid>,
        remarks: Option<&str>,
    ) -> AppResult<()> {
        let Some(w) = lock(tx, request.entity_id).await? else {
            return Err(AppError::NotFound("withdrawal".into()));
        };
        if status_of(&w)? != S::PendingApproval {
            return Err(AppError::conflict(None, "the withdrawal no longer waits for approval"));
        }
        let (to, reason) = match decision {
            Decision::Approved => (S::Approved, "approved by a reviewer".to_string()),
            Decision::Rejected => (S::Rejected, remarks.unwrap_or("rejected by a reviewer").to_string()),
            Decision::Cancelled => (S::Rejected, "withdrawn by the requester".to_string()),
            Decision::Expired => (S::Rejected, "no reviewer decided in time".to_string()),
        };
        lifecycle::apply(
            tx,
            &w,
            Move {
                actor_user: actor,
                ..Move::system(to, reason)
            },
        )
        .await?;
        Ok(())
    }
}

async fn reported(tx: &Tx, info: &CurrencyInfo, id: Uuid) -> AppResult<withdrawals::Model> {
    let w = lock(tx, id)
        .await?
        .ok_or_else(|| AppError::invalid("withdrawalId", "no such withdrawal"))?;
    if w.currency != info.code {
        return Err(AppError::invalid(
            "withdrawalId",
            "the withdrawal is in another currency",
        ));
    }
    Ok(w)
}

/// The watcher saw withdrawal `id` on chain in `hash`: APPROVED → SENT
/// (once it has a confirmation), the hold captured. Replays change nothing.
pub async fn on_chain(tx: &Tx, info: &CurrencyInfo, id: Uuid, hash: &str, confirmations: i32) -> AppResult<Outcome> {
    let w = reported(tx, info, id).await?;
    record(
        tx,
        Reported {
            currency: &info.code,
            kind: ChainTxKind::Withdrawal,
            hash,
            address: Some(&w.destination_address),
            amount: Some(w.amount),
            confirmations,
            order: None,
            deposit_address: None,
            withdrawal: Some(w.id),
            matched: ChainTxMatch::Withdrawal,
        },
    )
    .await?;
    match status_of(&w)? {
        S::Approved if confirmations >= 1 => {
            let m = Move {
                tx_hash: Some(hash),
                ..Move::system(S::Sent, format!("on chain in {hash}"))
            };
            lifecycle::apply(tx, &w, m).await?;
            Ok(Outcome::Applied)
        }
        S::Approved => Ok(Outcome::Recorded),
        S::Sent if w.tx_hash.as_deref() == Some(hash) => Ok(Outcome::Recorded),
        other => Err(AppError::conflict(
            Some("withdrawalId"),
            format!("a {} withdrawal cannot be sent", other.to_value()),
        )),
    }
}

/// The signer gave up on withdrawal `id`: APPROVED → FAILED, the hold
/// released. A replay of a failure changes nothing.
pub async fn on_chain_failure(tx: &Tx, info: &CurrencyInfo, id: Uuid, reason: &str) -> AppResult<Outcome> {
    let w = reported(tx, info, id).await?;
    match status_of(&w)? {
        S::Approved => {
            lifecycle::apply(
                tx,
                &w,
                Move::system(S::Failed, format!("the chain failed it: {}", reason.trim())),
            )
            .await?;
            Ok(Outcome::Applied)
        }
        S::Failed => Ok(Outcome::Recorded),
        other => Err(AppError::conflict(
            Some("withdrawalId"),
            format!("a {} withdrawal cannot fail", other.to_value()),
        )),
    }
}

/// `failWithdrawal`: finance gives up on an APPROVED withdrawal the signer
/// cannot send, saying why; the hold is released.
pub async fn fail(ctx: &AppContext, viewer: &Viewer, id: Uuid, reason: &str) -> AppResult<WithdrawalView> {
    let staff = viewer.require(WITHDRAWALS_MANAGE)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "say why, in 1 to 500 characters"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let w = lock(&tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("withdrawal".into()))?;
    let w = lifecycle::apply(
        &tx,
        &w,
        Move {
            actor: Some(viewer),
            actor_user: Some(staff),
            ..Move::system(S::Failed, reason.to_string())
        },
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(w.into())
}

/// Hands APPROVED withdrawals not yet dispatched to the signer (a batch
/// per run, rows other instances hold skipped); a refusal fails the
/// withdrawal and releases its hold. Returns how many were handed over.
pub async fn dispatch_due(ctx: &AppContext) -> AppResult<usize> {
    let tx = Tx::begin(&ctx.background_db).await?;
    let due = withdrawals::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT * FROM withdrawals WHERE status = $2 AND dispatched_at IS NULL \
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        [(DISPATCH_BATCH as i64).into(), S::Approved.to_value().into()],
    ))
    .all(&*tx)
    .await?;
    let mut sent = 0;
    for w in due {
        let send = Send {
            reference_id: w.id,
            purpose: Purpose::Withdrawal,
            currency: w.currency.clone(),
            address: w.destination_address.clone(),
            amount: w.amount,
        };
        match ctx.chain.send(&send).await {
            Ok(()) => {
                tx.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "UPDATE withdrawals SET dispatched_at = now() WHERE id = $1",
                    [w.id.into()],
                ))
                .await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(withdrawal = %w.id, error = %e, "the signer refused a withdrawal");
                lifecycle::apply(&tx, &w, Move::system(S::Failed, e.to_string())).await?;
            }
        }
    }
    tx.commit(&ctx.bus).await?;
    Ok(sent)
}
