//! Permission keys of verification and KYC.

use crate::service::approval::perms::{APPROVALS_REVIEW, VERIFICATION_REVIEW};
use crate::service::identity::{Permission, Viewer};

/// `kyc.review`: reads KYC submissions (masked) and their documents.
pub const KYC_REVIEW: Permission = Permission::new("kyc.review");
/// The API-key scope for uploads and KYC submissions: the engine's
/// `approvals.submit` (they open approval requests).
pub const VERIFICATION_SUBMIT: Permission = Permission::new("approvals.submit");

/// Reviewers of KYC and verification documents: `kyc.review`,
/// `verification.review` (compliance) or `approvals.review` (admins).
pub fn is_reviewer(v: &Viewer) -> bool {
    v.can(KYC_REVIEW) || v.can(VERIFICATION_REVIEW) || v.can(APPROVALS_REVIEW)
}
