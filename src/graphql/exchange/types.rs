//! Output types of the exchange: pairs, quotes, orders and their log.

use std::sync::Arc;

use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ChainNetwork, ExchangeOrderStatus, HoldReason, RateType, RotationPolicy, TransitionActor};

use crate::graphql::convert::{db_enum, id};
use crate::graphql::loaders::loaders;
use crate::graphql::scalars::Money;
use crate::service::exchange::orders::Transition;
use crate::service::exchange::pairs::{CurrencyInfo, Pair};
use crate::service::exchange::quotes::Quote;
use crate::service::exchange::view::OrderView;

/// A pair the exchange trades, with its limits.
#[derive(SimpleObject)]
pub struct ExchangePair {
    /// The currency sent.
    pub from_currency: String,
    /// The currency received.
    pub to_currency: String,
    /// Smallest amount of `fromCurrency` accepted.
    pub min_amount: Money,
    /// Largest amount of `fromCurrency` accepted.
    pub max_amount: Money,
    /// FLOAT, FIXED or both.
    pub rate_types: Vec<RateType>,
    /// Decimal places of `fromCurrency` amounts.
    pub from_decimals: i32,
    /// Decimal places of `toCurrency` amounts (the payout is rounded down to them).
    pub to_decimals: i32,
    /// Confirmations a deposit needs before it is exchanged.
    pub confirmations_required: i32,
    /// The chain deposits arrive on (its address rules apply to refunds).
    pub from_network: Option<ChainNetwork>,
    /// The chain payouts leave on (its address rules apply to the receiving address).
    pub to_network: Option<ChainNetwork>,
}

impl From<Pair> for ExchangePair {
    fn from(p: Pair) -> Self {
        ExchangePair {
            from_currency: p.from.code.clone(),
            to_currency: p.to.code.clone(),
            min_amount: Money(p.min_amount.normalize()),
            max_amount: Money(p.max_amount.normalize()),
            rate_types: p.rate_types.clone(),
            from_decimals: p.from.decimals as i32,
            to_decimals: p.to.decimals as i32,
            confirmations_required: p.from.confirmations,
            from_network: p.from.network,
            to_network: p.to.network,
        }
    }
}

/// What an exchange would give, now.
pub struct ExchangeQuote(pub Quote);

/// What an exchange would give, now: rate, fees, amount received and the
/// pair's limits (a FIXED quote also its id and expiry).
#[Object]
impl ExchangeQuote {
    /// FIXED only: pass it to `createExchangeOrder` before `expiresAt`.
    async fn quote_id(&self) -> Option<ID> {
        self.0.locked.map(|(q, _)| id(q))
    }
    /// FIXED or FLOAT.
    async fn rate_type(&self) -> RateType {
        self.0.rate_type
    }
    /// The currency sent.
    async fn from_currency(&self) -> &str {
        &self.0.pair.from.code
    }
    /// The currency received.
    async fn to_currency(&self) -> &str {
        &self.0.pair.to.code
    }
    /// How much `toCurrency` one `fromCurrency` buys.
    async fn rate(&self) -> Money {
        Money(self.0.figures.rate.normalize())
    }
    /// What is sent.
    async fn from_amount(&self) -> Money {
        Money(self.0.figures.from_amount.normalize())
    }
    /// What arrives: `(fromAmount − fee) × rate − networkFee`, rounded down.
    async fn to_amount(&self) -> Money {
        Money(self.0.figures.to_amount.normalize())
    }
    /// The exchange's fee, in `fromCurrency`.
    async fn fee(&self) -> Money {
        Money(self.0.figures.fee.normalize())
    }
    /// What the payout costs on chain, in `toCurrency`.
    async fn network_fee(&self) -> Money {
        Money(self.0.figures.network_fee.normalize())
    }
    /// The pair's smallest amount.
    async fn min_amount(&self) -> Money {
        Money(self.0.pair.min_amount.normalize())
    }
    /// The pair's largest amount.
    async fn max_amount(&self) -> Money {
        Money(self.0.pair.max_amount.normalize())
    }
    /// FIXED only: until when the rate holds.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.locked.map(|(_, t)| t)
    }
}

/// Who moved an order, as the log names them.
#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "TransitionActor")]
enum ActorKind {
    /// The customer who placed the order.
    Customer,
    /// A staff member.
    Operator,
    /// The chain watcher.
    Chain,
    /// The server itself.
    System,
}

/// One step of an order's life.
pub struct ExchangeOrderTransition(Transition);

/// One step of an order's life: from which status to which, who and why.
#[Object]
impl ExchangeOrderTransition {
    /// The status before (none for the order's creation).
    #[graphql(name = "fromStatus")]
    async fn status_before(&self) -> Result<Option<ExchangeOrderStatus>> {
        Ok(self.0.from_status.as_deref().map(db_enum).transpose()?)
    }
    /// The status after.
    async fn to_status(&self) -> Result<ExchangeOrderStatus> {
        Ok(db_enum(&self.0.to_status)?)
    }
    /// Who made the move.
    async fn actor(&self) -> Result<TransitionActor> {
        Ok(db_enum(&self.0.actor)?)
    }
    /// Why, in words (amounts, transaction hashes, an operator's reason).
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// An exchange order.
pub struct ExchangeOrder {
    view: Arc<OrderView>,
    transitions: Option<Arc<Vec<Transition>>>,
}

impl ExchangeOrder {
    /// The order as `view` shows it.
    pub fn new(view: OrderView) -> Self {
        ExchangeOrder {
            view: Arc::new(view),
            transitions: None,
        }
    }
    /// With its transitions loaded already (a page loads them at once).
    pub fn with_transitions(mut self, t: Vec<Transition>) -> Self {
        self.transitions = Some(Arc::new(t));
        self
    }
}

/// An exchange order: what is sent and received, where, and where it is
/// in its life.
#[Object]
impl ExchangeOrder {
    /// The order's id.
    async fn id(&self) -> ID {
        id(self.view.id)
    }
    /// Where the order is in its life.
    async fn status(&self) -> Result<ExchangeOrderStatus> {
        Ok(self.view.status()?)
    }
    /// Why the order waits for an operator (HOLD only).
    async fn hold_reason(&self) -> Result<Option<HoldReason>> {
        Ok(self.view.hold_reason()?)
    }
    /// The last transition's reason, in words.
    async fn status_reason(&self) -> Option<&str> {
        self.view.status_reason.as_deref()
    }
    /// FIXED (locked by a quote) or FLOAT.
    async fn rate_type(&self) -> Result<RateType> {
        Ok(self.view.rate_type()?)
    }
    /// The currency sent.
    async fn from_currency(&self) -> &str {
        &self.view.from_currency
    }
    /// The currency received.
    async fn to_currency(&self) -> &str {
        &self.view.to_currency
    }
    /// What is (or was) to be sent; for FLOAT, what arrived once exchanged.
    async fn from_amount(&self) -> Money {
        Money(self.view.from_amount)
    }
    /// What the customer receives.
    async fn to_amount(&self) -> Money {
        Money(self.view.to_amount)
    }
    /// The rate used (an estimate until a FLOAT order is exchanged).
    async fn rate(&self) -> Money {
        Money(self.view.rate)
    }
    /// The exchange's fee, in `fromCurrency`.
    async fn fee(&self) -> Money {
        Money(self.view.fee_amount)
    }
    /// The payout's network fee, in `toCurrency`.
    async fn network_fee(&self) -> Money {
        Money(self.view.network_fee)
    }
    /// Where to send the deposit.
    async fn deposit_address(&self) -> Option<&str> {
        self.view.deposit_address.as_deref()
    }
    /// What arrived, once the chain reported it.
    async fn deposit_amount(&self) -> Option<Money> {
        self.view.deposit_amount.map(Money)
    }
    /// Confirmations of the deposit seen so far.
    async fn deposit_confirmations(&self) -> Option<i32> {
        self.view.deposit_confirmations
    }
    /// Where the payout goes.
    async fn receiving_address(&self) -> Option<&str> {
        self.view.receiving_address.as_deref()
    }
    /// Where a refund goes.
    async fn refund_address(&self) -> Option<&str> {
        self.view.refund_address.as_deref()
    }
    /// The deposit's transaction hash.
    async fn deposit_tx_hash(&self) -> Option<&str> {
        self.view.deposit_tx_hash.as_deref()
    }
    /// The payout's transaction hash.
    async fn payout_tx_hash(&self) -> Option<&str> {
        self.view.payout_tx_hash.as_deref()
    }
    /// Until when a deposit is awaited.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.view.expires_at
    }
    /// When the payout was confirmed.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.view.completed_at
    }
    /// When the order was placed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.view.created_at
    }
    /// When the order last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.view.updated_at
    }
    /// The ticket opened when the order went on hold or failed.
    async fn support_ticket_id(&self) -> Option<ID> {
        self.view.support_ticket_id.map(id)
    }
    /// Every step of the order's life, oldest first.
    async fn transitions(&self, ctx: &Context<'_>) -> Result<Vec<ExchangeOrderTransition>> {
        let list = match &self.transitions {
            Some(t) => t.as_ref().clone(),
            None => loaders(ctx)?
                .exchange
                .transitions
                .load_one(self.view.id)
                .await
                .map_err(|e| e.to_graphql())?
                .unwrap_or_default(),
        };
        Ok(list.into_iter().map(ExchangeOrderTransition).collect())
    }
}

/// A placed order.
#[derive(SimpleObject)]
pub struct CreateExchangeOrderPayload {
    /// The order, waiting for its deposit.
    pub order: ExchangeOrder,
    /// Anonymous orders only: the secret that reads the order back with
    /// its id. Shown this once; keep it.
    pub access_token: Option<String>,
}

/// An order after an operator's decision.
#[derive(SimpleObject)]
pub struct ExchangeOrderPayload {
    /// The order as it now is.
    pub order: ExchangeOrder,
}

/// A currency's exchange settings.
#[derive(SimpleObject)]
pub struct ExchangeCurrency {
    /// The currency's code.
    pub code: String,
    /// Decimal places of its amounts.
    pub decimals: i32,
    /// The chain it travels on.
    pub network: Option<ChainNetwork>,
    /// Confirmations a deposit needs before it is exchanged.
    pub confirmations_required: i32,
    /// What a payout costs on chain.
    pub network_fee: Money,
    /// How deposit addresses are given out.
    pub rotation_policy: Option<RotationPolicy>,
    /// Orders of at least this amount get a never-used address.
    pub rotation_threshold: Option<Money>,
    /// The smallest withdrawal (null: none).
    pub withdrawal_min: Option<Money>,
    /// The largest single withdrawal (null: no limit).
    pub withdrawal_max: Option<Money>,
    /// The most one user may withdraw in 24 hours (null: no limit).
    pub withdrawal_daily_limit: Option<Money>,
}

impl ExchangeCurrency {
    /// From the service's view.
    pub fn new(c: CurrencyInfo) -> Self {
        ExchangeCurrency {
            code: c.code.clone(),
            decimals: c.decimals as i32,
            network: c.network,
            confirmations_required: c.confirmations,
            network_fee: Money(c.network_fee.normalize()),
            rotation_policy: crate::service::exchange::view::parse(&c.row.rotation_policy).ok(),
            rotation_threshold: c.row.rotation_threshold.map(|t| Money(t.normalize())),
            withdrawal_min: c.row.withdrawal_min.map(|t| Money(t.normalize())),
            withdrawal_max: c.row.withdrawal_max.map(|t| Money(t.normalize())),
            withdrawal_daily_limit: c.row.withdrawal_daily_limit.map(|t| Money(t.normalize())),
        }
    }
}

/// A currency after an edit.
#[derive(SimpleObject)]
pub struct ExchangeCurrencyPayload {
    /// The currency as it now is.
    pub currency: ExchangeCurrency,
}

/// A pair after an edit.
#[derive(SimpleObject)]
pub struct ExchangePairPayload {
    /// The pair, or null once deactivated.
    pub pair: Option<ExchangePair>,
}
