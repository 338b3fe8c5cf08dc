//! Permission keys and API-key scopes of the approval domain.

use crate::service::identity::Permission;

/// `approvals.review`.
pub const APPROVALS_REVIEW: Permission = Permission::new("approvals.review");
/// `approvals.submit`.
pub const APPROVALS_SUBMIT: Permission = Permission::new("approvals.submit");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[APPROVALS_REVIEW, APPROVALS_SUBMIT];
