//! Wallet mutations.

use async_graphql::{Context, Object, Result};

use super::inputs::{CreditWalletInput, DebitWalletInput};
use super::types::WalletPostingPayload;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::service::wallet;

/// Wallet mutations.
#[derive(Default)]
pub struct WalletMutation;

#[Object]
impl WalletMutation {
    /// Credits a user's wallet (finance staff, `wallet.credit`).
    async fn credit_wallet(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The credit to post.")] input: CreditWalletInput,
    ) -> Result<WalletPostingPayload> {
        let user = parse_id(&input.user_id, "userId")?;
        let request = input.into_request()?;
        Ok(wallet::credit(app(ctx)?, viewer(ctx), user, request).await?.into())
    }

    /// Debits your own wallet; beyond the balance is `INSUFFICIENT_FUNDS`.
    async fn debit_wallet(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The debit to post.")] input: DebitWalletInput,
    ) -> Result<WalletPostingPayload> {
        let request = input.into_request()?;
        Ok(wallet::debit_own(app(ctx)?, viewer(ctx), request).await?.into())
    }
}
