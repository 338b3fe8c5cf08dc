//! Exchange mutations: placing an order, and an operator's decision on an
//! order on hold.

use async_graphql::{Context, Object, Result};

use super::inputs::{CreateExchangeOrderInput, DecideExchangeOrderInput};
use super::types::{CreateExchangeOrderPayload, ExchangeOrder, ExchangeOrderPayload};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::service::exchange::{orders, settle};

/// Exchange order mutations.
#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Places an order, signed in or anonymously; send the deposit to the
    /// order's `depositAddress` before `expiresAt`. An anonymous order
    /// comes with an `accessToken`, shown this once, to read it back.
    async fn create_exchange_order(
        &self,
        ctx: &Context<'_>,
        input: CreateExchangeOrderInput,
    ) -> Result<CreateExchangeOrderPayload> {
        let placed = orders::place(app(ctx)?, viewer(ctx), input.service()?).await?;
        Ok(CreateExchangeOrderPayload {
            order: ExchangeOrder::new(placed.order),
            access_token: placed.access_token,
        })
    }

    /// Decides an order on hold: exchange at the current rate, refund, or
    /// fail (staff with `exchange.orders.manage`; audited).
    async fn decide_exchange_order(
        &self,
        ctx: &Context<'_>,
        input: DecideExchangeOrderInput,
    ) -> Result<ExchangeOrderPayload> {
        let id = parse_id(&input.order_id, "orderId")?;
        let order = settle::decide(app(ctx)?, viewer(ctx), id, input.decision.into(), &input.reason).await?;
        Ok(ExchangeOrderPayload {
            order: ExchangeOrder::new(order.into()),
        })
    }
}
