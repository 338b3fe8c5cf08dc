//! Custody mutations: withdrawing, failing a withdrawal (finance), and
//! the thresholds (admins).

use async_graphql::{Context, Object, Result};

use super::inputs::{FailWithdrawalInput, RequestWithdrawalInput, SetWithdrawalThresholdsInput};
use super::types::{Withdrawal, WithdrawalPayload, WithdrawalThresholdsPayload};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::service::custody::{rules, withdrawals};

/// Custody mutations.
#[derive(Default)]
pub struct CustodyMutation;

/// Custody mutations.
#[Object]
impl CustodyMutation {
    /// Withdraws crypto to an outside address. Amount plus fee are held at
    /// once (beyond your available balance: `INSUFFICIENT_FUNDS`); above
    /// the KYC threshold a VERIFIED KYC is needed (`FORBIDDEN` otherwise),
    /// above the approval threshold a second person approves first.
    async fn request_withdrawal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The withdrawal.")] input: RequestWithdrawalInput,
    ) -> Result<WithdrawalPayload> {
        let r = withdrawals::request(app(ctx)?, viewer(ctx), input.into()).await?;
        Ok(WithdrawalPayload {
            withdrawal: Withdrawal(r.withdrawal),
            replayed: r.replayed,
        })
    }

    /// Gives up on an approved withdrawal the signer cannot send; the hold
    /// is released (finance: `exchange.withdrawals.manage`).
    async fn fail_withdrawal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which withdrawal, and why.")] input: FailWithdrawalInput,
    ) -> Result<WithdrawalPayload> {
        let id = parse_id(&input.id, "id")?;
        let w = withdrawals::fail(app(ctx)?, viewer(ctx), id, &input.reason).await?;
        Ok(WithdrawalPayload {
            withdrawal: Withdrawal(w),
            replayed: false,
        })
    }

    /// Sets the USD thresholds for KYC and four-eyes approval of
    /// withdrawals (admins: `exchange.fees.manage`), audited.
    async fn set_withdrawal_thresholds(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new thresholds.")] input: SetWithdrawalThresholdsInput,
    ) -> Result<WithdrawalThresholdsPayload> {
        let t = rules::Thresholds {
            kyc_usd: input.kyc_usd.0,
            approval_usd: input.approval_usd.0,
        };
        let t = rules::set(app(ctx)?, viewer(ctx), t).await?;
        Ok(WithdrawalThresholdsPayload { thresholds: t.into() })
    }
}
