//! The live `withdrawalUpdated` subscription. Who receives which event is
//! decided per event in `service::custody::view::update_for`.

use async_graphql::{Context, Result, Subscription};
use futures::{Stream, StreamExt};

use super::types::Withdrawal;
use crate::app::Ctx;
use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::live::deliveries;
use crate::service::custody::view;

/// Custody subscriptions.
#[derive(Default)]
pub struct CustodySubscription;

#[Subscription]
impl CustodySubscription {
    /// Your withdrawals, after each change commits, in order. Ends when
    /// your session does.
    async fn withdrawal_updated(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Result<Withdrawal>> + use<>> {
        let app: Ctx = ctx
            .data::<Ctx>()
            .cloned()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))?;
        let v = viewer(ctx).clone();
        let topic = view::subscription_topic(&v)?;
        let stream = deliveries(app, v, &topic, |app, v, event| async move {
            view::update_for(&app, &v, &event).await
        });
        Ok(stream.map(|item| item.map(Withdrawal)))
    }
}
