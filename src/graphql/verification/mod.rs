//! Verification and KYC over GraphQL: `submitKyc` (multipart uploads),
//! the reviewer's `kycSubmission`, `verificationDocument` and the
//! documents' signed `downloadUrl`. Decisions go through the approval
//! engine's `approveRequest` / `rejectRequest`.

mod inputs;
mod mutation;
pub mod placeholders;
mod query;
mod types;

pub use inputs::SubmitKycInput;
pub use mutation::VerificationMutation;
pub use query::VerificationQuery;
pub use types::{Kyc, SubmitKycPayload, VerificationDocument};
