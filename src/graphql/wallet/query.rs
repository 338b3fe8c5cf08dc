//! Wallet queries.

use async_graphql::{Context, Object, Result, ID};

use super::types::Wallet;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::service::money::CurrencyCode;
use crate::service::wallet;

/// Wallet queries.
#[derive(Default)]
pub struct WalletQuery;

#[Object]
impl WalletQuery {
    /// Your wallet in `currency` (an empty one until money first moves).
    async fn viewer_wallet(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = "TRC", desc = "Currency code of the wallet (tracecoins by default).")] currency: String,
    ) -> Result<Wallet> {
        let code = CurrencyCode::parse_field(&currency, "currency")?;
        Ok(Wallet(wallet::viewer_wallet(app(ctx)?, viewer(ctx), code).await?))
    }

    /// All your wallets, by currency code; the tracecoin wallet is always
    /// among them.
    async fn viewer_wallets(&self, ctx: &Context<'_>) -> Result<Vec<Wallet>> {
        Ok(wallet::viewer_wallets(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(Wallet)
            .collect())
    }

    /// Your wallet in `currency` (tracecoins by default).
    #[graphql(deprecation = "Use viewerWallet.")]
    async fn wallet(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = "TRC", desc = "Currency code of the wallet (tracecoins by default).")] currency: String,
    ) -> Result<Wallet> {
        self.viewer_wallet(ctx, currency).await
    }

    /// Another user's wallet (finance staff: `wallet.read_all`).
    async fn user_wallet(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user whose wallet to read.")] user_id: ID,
        #[graphql(default = "TRC", desc = "Currency code of the wallet (tracecoins by default).")] currency: String,
    ) -> Result<Wallet> {
        let user = parse_id(&user_id, "userId")?;
        let code = CurrencyCode::parse_field(&currency, "currency")?;
        Ok(Wallet(wallet::user_wallet(app(ctx)?, viewer(ctx), user, code).await?))
    }
}
