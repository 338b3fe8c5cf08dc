//! Inputs of the exchange operations.

use async_graphql::{Enum, InputObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ExchangeOrderStatus, RateType, RotationPolicy};

use crate::error::AppError;
use crate::graphql::convert::parse_opt_id;
use crate::graphql::scalars::Money;
use crate::service::exchange::catalog::{CurrencyEdit, PairEdit};
use crate::service::exchange::orders::{NewOrder, OrderFilter};
use crate::service::exchange::quotes::QuoteAsk;
use crate::service::exchange::settle::Decision;
use crate::service::money::CurrencyCode;

/// A new exchange order.
#[derive(InputObject)]
pub struct CreateExchangeOrderInput {
    /// The currency you send.
    pub from_currency: String,
    /// The currency you receive.
    pub to_currency: String,
    /// How much you send.
    pub from_amount: Money,
    /// FLOAT (the rate when your deposit is exchanged) or FIXED (the quote's).
    #[graphql(default_with = "RateType::Float")]
    pub rate_type: RateType,
    /// FIXED: the id of a live quote for this pair and amount.
    pub quote_id: Option<ID>,
    /// Where the exchanged coins go (checked with the currency's real rules).
    pub receiving_address: String,
    /// Where a refund goes; required for FIXED.
    pub refund_address: Option<String>,
}

impl CreateExchangeOrderInput {
    /// The service's order.
    pub fn service(self) -> Result<NewOrder, AppError> {
        Ok(NewOrder {
            ask: QuoteAsk {
                from: CurrencyCode::parse_field(&self.from_currency, "fromCurrency")?,
                to: CurrencyCode::parse_field(&self.to_currency, "toCurrency")?,
                from_amount: self.from_amount.0,
                rate_type: self.rate_type,
            },
            quote_id: parse_opt_id(self.quote_id.as_ref(), "quoteId")?,
            receiving_address: self.receiving_address,
            refund_address: self.refund_address,
        })
    }
}

/// Which orders to list (all conditions must hold).
#[derive(InputObject, Default)]
pub struct ExchangeOrderFilter {
    /// Only orders in one of these statuses.
    pub status: Option<Vec<ExchangeOrderStatus>>,
    /// Only orders sending or receiving this currency.
    pub currency: Option<String>,
    /// Only this user's orders.
    pub user_id: Option<ID>,
    /// true: only anonymous orders; false: only signed-in customers' orders.
    pub anonymous: Option<bool>,
    /// Only orders placed at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Only orders placed before this time.
    pub created_before: Option<DateTime<Utc>>,
}

impl ExchangeOrderFilter {
    /// The service's filter.
    pub fn service(self) -> Result<OrderFilter, AppError> {
        Ok(OrderFilter {
            statuses: self.status.unwrap_or_default(),
            currency: self
                .currency
                .map(|c| CurrencyCode::parse_field(&c, "filter.currency").map(|c| c.as_str().to_string()))
                .transpose()?,
            user_id: parse_opt_id(self.user_id.as_ref(), "filter.userId")?,
            anonymous: self.anonymous,
            created_after: self.created_after,
            created_before: self.created_before,
        })
    }
}

/// What an operator does with an order on hold.
#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(remote = "Decision")]
pub enum ExchangeHoldDecision {
    /// Exchange what arrived at the current rate.
    Exchange,
    /// Send the deposit back to the refund address.
    Refund,
    /// Give up on the order; the ticket stays open for follow-up.
    Fail,
}

/// An operator's decision on an order on hold.
#[derive(InputObject)]
pub struct DecideExchangeOrderInput {
    /// The order.
    pub order_id: ID,
    /// What to do.
    pub decision: ExchangeHoldDecision,
    /// Why (kept in the order's log and the audit trail).
    pub reason: String,
}

/// Changes to a currency's exchange settings (omitted fields keep theirs).
#[derive(InputObject)]
pub struct UpdateExchangeCurrencyInput {
    /// The currency's code.
    pub code: String,
    /// Confirmations a deposit needs before it is exchanged (0 to 1000).
    pub confirmations_required: Option<i32>,
    /// What a payout costs on chain, taken from the payout.
    pub network_fee: Option<Money>,
    /// PER_ORDER: every order gets a never-used address; POOLED: recycled
    /// ones below the threshold.
    pub rotation_policy: Option<RotationPolicy>,
    /// Orders of at least this amount get a never-used address.
    pub rotation_threshold: Option<Money>,
    /// Removes the threshold.
    #[graphql(default)]
    pub clear_rotation_threshold: bool,
    /// The smallest withdrawal.
    pub withdrawal_min: Option<Money>,
    /// The largest single withdrawal.
    pub withdrawal_max: Option<Money>,
    /// The most one user may withdraw in 24 hours.
    pub withdrawal_daily_limit: Option<Money>,
    /// Removes all three withdrawal limits (before any given above apply).
    #[graphql(default)]
    pub clear_withdrawal_limits: bool,
}

/// A limit as an edit: a value sets it, `clear` without one removes it.
fn limit(value: Option<Money>, clear: bool) -> Option<Option<rust_decimal::Decimal>> {
    match (value, clear) {
        (Some(m), _) => Some(Some(m.0)),
        (None, true) => Some(None),
        (None, false) => None,
    }
}

impl UpdateExchangeCurrencyInput {
    /// The service's edit, and the currency.
    pub fn service(self) -> Result<(CurrencyCode, CurrencyEdit), AppError> {
        let code = CurrencyCode::parse_field(&self.code, "code")?;
        let threshold = if self.clear_rotation_threshold {
            Some(None)
        } else {
            self.rotation_threshold.map(|m| Some(m.0))
        };
        Ok((
            code,
            CurrencyEdit {
                confirmations_required: self.confirmations_required,
                network_fee: self.network_fee.map(|m| m.0),
                rotation_policy: self.rotation_policy,
                rotation_threshold: threshold,
                withdrawal_min: limit(self.withdrawal_min, self.clear_withdrawal_limits),
                withdrawal_max: limit(self.withdrawal_max, self.clear_withdrawal_limits),
                withdrawal_daily_limit: limit(self.withdrawal_daily_limit, self.clear_withdrawal_limits),
            },
        ))
    }
}

/// A pair the exchange trades, as an operator saves it.
#[derive(InputObject)]
pub struct SaveExchangePairInput {
    /// The currency sent.
    pub from_currency: String,
    /// The currency received.
    pub to_currency: String,
    /// Smallest amount of `fromCurrency` accepted.
    pub min_amount: Money,
    /// Largest amount of `fromCurrency` accepted.
    pub max_amount: Money,
    /// The rate types offered.
    pub rate_types: Vec<RateType>,
    /// false takes the pair off the list (orders in flight go on).
    #[graphql(default = true)]
    pub is_active: bool,
}

impl SaveExchangePairInput {
    /// The service's edit.
    pub fn service(self) -> Result<PairEdit, AppError> {
        Ok(PairEdit {
            from: CurrencyCode::parse_field(&self.from_currency, "fromCurrency")?,
            to: CurrencyCode::parse_field(&self.to_currency, "toCurrency")?,
            min_amount: self.min_amount.0,
            max_amount: self.max_amount.0,
            rate_types: self.rate_types,
            is_active: self.is_active,
        })
    }
}
