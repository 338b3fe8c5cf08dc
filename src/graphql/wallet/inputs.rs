//! Wallet inputs and their conversion to service requests.

use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{LedgerEntryType, LedgerReferenceType};

use crate::error::AppError;
use crate::graphql::convert::parse_opt_id;
use crate::graphql::scalars::Money as MoneyScalar;
use crate::service::money::CurrencyCode;
use crate::service::wallet::{self, PostingRequest};

/// Which ledger entries to list.
#[derive(InputObject, Default)]
pub struct LedgerFilter {
    /// Only credits or only debits.
    pub entry_type: Option<LedgerEntryType>,
    /// Only entries for this reason.
    pub reference_type: Option<LedgerReferenceType>,
    /// Only entries posted at or after this instant.
    pub created_after: Option<DateTime<Utc>>,
    /// Only entries posted before this instant.
    pub created_before: Option<DateTime<Utc>>,
}

impl LedgerFilter {
    pub(super) fn into_service(self) -> wallet::LedgerFilter {
        wallet::LedgerFilter {
            entry_type: self.entry_type,
            reference_type: self.reference_type,
            after: self.created_after,
            before: self.created_before,
        }
    }
}

/// A credit of a user's wallet by finance staff.
#[derive(InputObject)]
pub struct CreditWalletInput {
    /// The user whose wallet is credited.
    pub user_id: ID,
    /// How much, a positive decimal string with at most the currency's
    /// decimal places (whole coins for tracecoins).
    pub amount: MoneyScalar,
    /// Currency code of the wallet (tracecoins by default).
    #[graphql(default = "TRC")]
    pub currency: String,
    /// Why the money moves (an adjustment by default).
    #[graphql(default_with = "LedgerReferenceType::Adjustment")]
    pub reference_type: LedgerReferenceType,
    /// Id of what the credit is for, if anything.
    pub reference_id: Option<ID>,
    /// A note kept with the ledger entry (at most 500 characters).
    pub remarks: Option<String>,
    /// Retries with the same key (1 to 200 characters) return the first
    /// result; the same key with a different posting is a `CONFLICT`.
    pub idempotency_key: String,
}

/// A debit of your own wallet (unlocking a lead, posting a job).
#[derive(InputObject)]
pub struct DebitWalletInput {
    /// How much, a positive decimal string with at most the currency's
    /// decimal places (whole coins for tracecoins).
    pub amount: MoneyScalar,
    /// Currency code of the wallet (tracecoins by default).
    #[graphql(default = "TRC")]
    pub currency: String,
    /// What the money is spent on.
    pub reference_type: LedgerReferenceType,
    /// Id of what the debit is for, if anything.
    pub reference_id: Option<ID>,
    /// A note kept with the ledger entry (at most 500 characters).
    pub remarks: Option<String>,
    /// Retries with the same key (1 to 200 characters) return the first
    /// result; the same key with a different posting is a `CONFLICT`.
    pub idempotency_key: String,
}

fn request(
    amount: MoneyScalar,
    currency: &str,
    reference_type: LedgerReferenceType,
    reference_id: Option<&ID>,
    remarks: Option<String>,
    idempotency_key: String,
) -> Result<PostingRequest, AppError> {
    Ok(PostingRequest {
        amount: amount.0,
        currency: CurrencyCode::parse_field(currency, "currency")?,
        reference_type,
        reference_id: parse_opt_id(reference_id, "referenceId")?,
        remarks,
        idempotency_key,
    })
}

impl CreditWalletInput {
    pub(super) fn into_request(self) -> Result<PostingRequest, AppError> {
        request(
            self.amount,
            &self.currency,
            self.reference_type,
            self.reference_id.as_ref(),
            self.remarks,
            self.idempotency_key,
        )
    }
}

impl DebitWalletInput {
    pub(super) fn into_request(self) -> Result<PostingRequest, AppError> {
        request(
            self.amount,
            &self.currency,
            self.reference_type,
            self.reference_id.as_ref(),
            self.remarks,
            self.idempotency_key,
        )
    }
}
