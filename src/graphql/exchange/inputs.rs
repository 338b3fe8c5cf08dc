//! Inputs of the exchange operations.

use async_graphql::{Enum, InputObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ExchangeOrderStatus, RateType};

use crate::error::AppError;
use crate::graphql::convert::parse_opt_id;
use crate::graphql::scalars::Money;
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
