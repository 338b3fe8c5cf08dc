//! Custody output types.

use async_graphql::{Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::deposit_addresses;
use entity::enums::{ChainTxMatch, WithdrawalStatus};

use crate::error::AppError;
use crate::graphql::convert::{id, ts};
use crate::graphql::scalars::Money;
use crate::service::custody::list::DepositRow;
use crate::service::custody::rules::Thresholds;
use crate::service::custody::view::WithdrawalView;

/// Your own address for deposits in one currency: coins sent to it are
/// credited to your wallet in that currency once confirmed.
pub struct DepositAddress(pub deposit_addresses::Model);

/// Your own address for deposits in one currency: coins sent to it are
/// credited to your wallet in that currency once confirmed.
#[Object]
impl DepositAddress {
    /// Stable identifier of the address record.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Currency code, such as ETH.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// The address to send coins to.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// Everything credited through this address so far.
    async fn total_received(&self) -> Money {
        Money(self.0.total_received.normalize())
    }
    /// When a deposit to it was last credited.
    async fn last_activity_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_activity_at.map(ts)
    }
    /// When the address became yours.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// A withdrawal of crypto to an outside address.
pub struct Withdrawal(pub WithdrawalView);

/// A withdrawal of crypto to an outside address.
#[Object]
impl Withdrawal {
    /// Stable identifier of the withdrawal.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Where it is in its life cycle.
    async fn status(&self) -> Result<WithdrawalStatus> {
        Ok(self.0.status()?)
    }
    /// Why it is where it is (the threshold, the reviewer's remarks, the failure).
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    /// Currency code.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// What reaches the destination.
    async fn amount(&self) -> Money {
        Money(self.0.amount.normalize())
    }
    /// The withdrawal fee, charged on top of the amount.
    async fn fee(&self) -> Money {
        Money(self.0.fee_amount.normalize())
    }
    /// Amount plus fee: what is held now and debited once sent.
    async fn total(&self) -> Money {
        Money(self.0.total().normalize())
    }
    /// The outside address it goes to.
    async fn destination_address(&self) -> &str {
        &self.0.destination_address
    }
    /// The chain transaction, once sent.
    async fn tx_hash(&self) -> Option<&str> {
        self.0.tx_hash.as_deref()
    }
    /// Its value in USD at the rate when it was requested (null: no rate).
    async fn usd_value(&self) -> Option<Money> {
        self.0.usd_value.map(|v| Money(v.normalize()))
    }
    /// The approval request it waits for, above the approval threshold.
    async fn approval_request_id(&self) -> Option<ID> {
        self.0.approval_request_id.map(id)
    }
    /// Who asked for it.
    async fn user_id(&self) -> ID {
        id(self.0.user_id)
    }
    /// When it was handed to the signer.
    async fn dispatched_at(&self) -> Option<DateTime<Utc>> {
        self.0.dispatched_at.map(ts)
    }
    /// When the chain reported it sent.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at.map(ts)
    }
    /// When it was requested.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        ts(self.0.updated_at)
    }
}

/// A deposit the chain watcher reported to a user's address (or to an
/// address that is nobody's, flagged for staff).
pub struct CryptoDeposit(pub DepositRow);

/// A deposit the chain watcher reported to a user's address (or to an
/// address that is nobody's, flagged for staff).
#[Object]
impl CryptoDeposit {
    /// Stable identifier of the deposit.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Currency code.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// The chain transaction.
    async fn tx_hash(&self) -> &str {
        &self.0.tx_hash
    }
    /// The address it reached.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// How much arrived.
    async fn amount(&self) -> Option<Money> {
        self.0.amount.map(|a| Money(a.normalize()))
    }
    /// Confirmations reported so far.
    async fn confirmations(&self) -> i32 {
        self.0.confirmations
    }
    /// Confirmations the currency needs before a deposit is credited.
    async fn confirmations_required(&self) -> i32 {
        self.0.confirmations_required
    }
    /// Whether it was credited to the owner's wallet.
    async fn credited(&self) -> bool {
        self.0.credited_at.is_some()
    }
    /// When it was credited.
    async fn credited_at(&self) -> Option<DateTime<Utc>> {
        self.0.credited_at
    }
    /// WALLET (a user's address) or UNKNOWN (nobody's: flagged).
    async fn matched(&self) -> Result<ChainTxMatch> {
        use sea_orm::ActiveEnum;
        ChainTxMatch::try_from_value(&self.0.matched)
            .map_err(|e| AppError::internal(anyhow::anyhow!("bad match value: {e}")).into())
    }
    /// The owner of the address (null when it is nobody's).
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.map(id)
    }
    /// When it was first reported.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The USD values above which withdrawals need a verified KYC, and then a
/// second person's approval.
#[derive(SimpleObject)]
pub struct WithdrawalThresholds {
    /// Above this (USD), a VERIFIED KYC is required.
    pub kyc_usd: Money,
    /// Above this (USD), a four-eyes approval is required.
    pub approval_usd: Money,
}

impl From<Thresholds> for WithdrawalThresholds {
    fn from(t: Thresholds) -> Self {
        WithdrawalThresholds {
            kyc_usd: Money(t.kyc_usd.normalize()),
            approval_usd: Money(t.approval_usd.normalize()),
        }
    }
}

/// The result of `requestWithdrawal` or `failWithdrawal`.
#[derive(SimpleObject)]
pub struct WithdrawalPayload {
    /// The withdrawal as it is now.
    pub withdrawal: Withdrawal,
    /// The idempotency key had been used: this is the first withdrawal,
    /// and nothing was written now.
    pub replayed: bool,
}

/// The result of `setWithdrawalThresholds`.
#[derive(SimpleObject)]
pub struct WithdrawalThresholdsPayload {
    /// The thresholds now in force.
    pub thresholds: WithdrawalThresholds,
}
