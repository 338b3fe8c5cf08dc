//! Reserves over GraphQL: the list (staff) and atomic, audited
//! adjustments (`exchange.reserves.manage`).

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::reserves;

use crate::graphql::context::{app, viewer};
use crate::graphql::convert::ts;
use crate::graphql::scalars::Money;
use crate::service::exchange::reserves as service;
use crate::service::money::CurrencyCode;

/// How much of one currency the exchange holds to pay out.
pub struct Reserve(pub reserves::Model);

/// How much of one currency the exchange holds to pay out.
#[Object]
impl Reserve {
    /// The currency code, such as `BTC`.
    async fn currency(&self) -> &str {
        &self.0.id
    }
    /// The amount held, never below zero, on the currency's decimal places.
    async fn amount(&self) -> Money {
        Money(self.0.amount)
    }
    /// When the amount last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        ts(self.0.updated_at)
    }
}

/// A change of a reserve.
#[derive(InputObject)]
pub struct AdjustReserveInput {
    /// The reserve's currency code, such as `BTC`.
    pub currency: String,
    /// How much to add (negative to take out): not zero, at most the
    /// currency's decimal places. A reserve never goes below zero: taking
    /// out more than it holds is `INSUFFICIENT_FUNDS`.
    pub delta: Money,
    /// Why (required, at most 500 characters); kept in the audit trail.
    pub reason: String,
}

/// The reserve after an adjustment.
#[derive(SimpleObject)]
pub struct AdjustReservePayload {
    /// The reserve with its new amount.
    pub reserve: Reserve,
}

/// Reserve queries.
#[derive(Default)]
pub struct ReserveQuery;

#[Object]
impl ReserveQuery {
    /// Every reserve, by currency code (staff with
    /// `exchange.reserves.manage` or `exchange.orders.read_all`).
    async fn reserves(&self, ctx: &Context<'_>) -> Result<Vec<Reserve>> {
        let rows = service::list(&app(ctx)?.db.primary, viewer(ctx)).await?;
        Ok(rows.into_iter().map(Reserve).collect())
    }
}

/// Reserve mutations.
#[derive(Default)]
pub struct ReserveMutation;

#[Object]
impl ReserveMutation {
    /// Adds to or takes from a reserve (`exchange.reserves.manage`), in one
    /// atomic step that never leaves it below zero; audited with the
    /// amounts before and after and the reason.
    async fn adjust_reserve(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The adjustment.")] input: AdjustReserveInput,
    ) -> Result<AdjustReservePayload> {
        let currency = CurrencyCode::parse_field(&input.currency, "currency")?;
        let model = service::adjust_once(app(ctx)?, viewer(ctx), currency, input.delta.0, input.reason).await?;
        Ok(AdjustReservePayload {
            reserve: Reserve(model),
        })
    }
}
