//! The live `exchangeOrderUpdated`; who may follow which order is decided
//! in `service::exchange::live`.

use async_graphql::{Context, Result, Subscription, ID};
use futures::{Stream, StreamExt};

use super::types::ExchangeOrder;
use crate::app::Ctx;
use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::convert::parse_id;
use crate::service::exchange::live;

/// Exchange subscriptions.
#[derive(Default)]
pub struct ExchangeSubscription;

#[Subscription]
impl ExchangeSubscription {
    /// The order as it is now, then every transition, in order, as each
    /// commits: for its owner, staff, or (anonymous orders) the holder of
    /// its token.
    async fn exchange_order_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order.")] order_id: ID,
        #[graphql(desc = "An anonymous order's secret.")] access_token: Option<String>,
    ) -> Result<impl Stream<Item = Result<ExchangeOrder>> + use<>> {
        let app: Ctx = ctx
            .data::<Ctx>()
            .cloned()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))?;
        let id = parse_id(&order_id, "orderId")?;
        let stream = live::updates(app, viewer(ctx).clone(), id, access_token).await?;
        Ok(stream.map(|item| Ok(ExchangeOrder::new(item?))))
    }
}
