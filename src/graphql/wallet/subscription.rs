//! The live `walletUpdated` subscription. Who receives which event is
//! decided per event in `service::wallet::events::update_for`.

use async_graphql::{Context, Result, Subscription};
use futures::{Stream, StreamExt};

use super::types::Wallet;
use crate::app::Ctx;
use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::live::deliveries;
use crate::service::wallet::events;

/// Wallet subscriptions.
#[derive(Default)]
pub struct WalletSubscription;

#[Subscription]
impl WalletSubscription {
    /// Your wallets, after each change commits. Ends when your session does.
    async fn wallet_updated(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Result<Wallet>> + use<>> {
        let app: Ctx = ctx
            .data::<Ctx>()
            .cloned()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))?;
        let v = viewer(ctx).clone();
        let topic = events::subscription_topic(&v)?;
        let stream = deliveries(app, v, &topic, |app, v, event| async move {
            events::update_for(&app, &v, &event).await
        });
        Ok(stream.map(|item| item.map(Wallet)))
    }
}
