//! Permission keys and API-key scopes of the approval domain.

use crate::service::identity::Permission;

/// `approvals.review`: reviews requests of every approval type.
pub const APPROVALS_REVIEW: Permission = Permission::new("approvals.review");
/// `approvals.review.content`: CONTENT and FEATURE requests (moderators).
pub const APPROVALS_REVIEW_CONTENT: Permission = Permission::new("approvals.review.content");
/// `approvals.review.financial`: FINANCIAL requests (finance).
pub const APPROVALS_REVIEW_FINANCIAL: Permission = Permission::new("approvals.review.financial");
/// `verification.review`: VERIFICATION requests (verification, KYC and
/// role requests; compliance).
pub const VERIFICATION_REVIEW: Permission = Permission::new("verification.review");
/// `approvals.submit`: the scope an API key needs to submit requests.
pub const APPROVALS_SUBMIT: Permission = Permission::new("approvals.submit");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[
    APPROVALS_REVIEW,
    APPROVALS_REVIEW_CONTENT,
    APPROVALS_REVIEW_FINANCIAL,
    VERIFICATION_REVIEW,
    APPROVALS_SUBMIT,
];

/// The per-type review permissions a policy may name.
pub const REVIEW_PERMISSIONS: &[Permission] = &[
    APPROVALS_REVIEW_CONTENT,
    APPROVALS_REVIEW_FINANCIAL,
    VERIFICATION_REVIEW,
];
