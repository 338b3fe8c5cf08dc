//! Custody inputs.

use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::WithdrawalStatus;

use crate::error::AppError;
use crate::graphql::convert::parse_id;
use crate::graphql::scalars::Money;
use crate::service::custody::list;
use crate::service::custody::withdrawals::WithdrawalRequest;

/// A withdrawal to an outside address.
#[derive(InputObject)]
pub struct RequestWithdrawalInput {
    /// Currency code, such as ETH or BTC.
    pub currency: String,
    /// What should reach the destination; the fee comes on top. At most
    /// the currency's decimal places.
    pub amount: Money,
    /// The outside address (checked as the currency's chain requires).
    pub destination_address: String,
    /// Retries with the same key return the first withdrawal.
    pub idempotency_key: String,
}

impl From<RequestWithdrawalInput> for WithdrawalRequest {
    fn from(i: RequestWithdrawalInput) -> Self {
        WithdrawalRequest {
            currency: i.currency,
            amount: i.amount.0,
            destination_address: i.destination_address,
            idempotency_key: i.idempotency_key,
        }
    }
}

/// Giving up on an approved withdrawal the signer cannot send.
#[derive(InputObject)]
pub struct FailWithdrawalInput {
    /// The withdrawal.
    pub id: ID,
    /// Why (shown to its owner).
    pub reason: String,
}

/// New withdrawal thresholds.
#[derive(InputObject)]
pub struct SetWithdrawalThresholdsInput {
    /// Above this USD value a VERIFIED KYC is required.
    pub kyc_usd: Money,
    /// Above this USD value a second person must approve.
    pub approval_usd: Money,
}

/// Which withdrawals to list.
#[derive(InputObject, Default)]
pub struct WithdrawalFilter {
    /// Only these statuses.
    pub status: Option<Vec<WithdrawalStatus>>,
    /// Only this currency.
    pub currency: Option<String>,
    /// Only this user's (staff only).
    pub user_id: Option<ID>,
    /// Requested at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// Requested before this instant.
    pub created_to: Option<DateTime<Utc>>,
}

impl WithdrawalFilter {
    /// The service's filter.
    pub fn service(self) -> Result<list::WithdrawalFilter, AppError> {
        Ok(list::WithdrawalFilter {
            statuses: self.status.unwrap_or_default(),
            currency: self.currency,
            user_id: self.user_id.as_ref().map(|u| parse_id(u, "userId")).transpose()?,
            created_from: self.created_from,
            created_to: self.created_to,
        })
    }
}

/// Which deposits to list.
#[derive(InputObject, Default)]
pub struct CryptoDepositFilter {
    /// Only this currency.
    pub currency: Option<String>,
    /// Only this user's (staff only).
    pub user_id: Option<ID>,
    /// true: only deposits to addresses that are nobody's (staff);
    /// false: only deposits to users' addresses.
    pub flagged: Option<bool>,
    /// Only credited (true) or not yet credited (false) deposits.
    pub credited: Option<bool>,
}

impl CryptoDepositFilter {
    /// The service's filter.
    pub fn service(self) -> Result<list::DepositFilter, AppError> {
        Ok(list::DepositFilter {
            currency: self.currency,
            user_id: self.user_id.as_ref().map(|u| parse_id(u, "userId")).transpose()?,
            flagged: self.flagged,
            credited: self.credited,
        })
    }
}
