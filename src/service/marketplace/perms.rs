//! Permission keys and API-key scopes of the marketplace.

use crate::service::identity::Permission;

/// `marketplace.use`: one's own profiles, leads, jobs, applications and
/// reviews (a self-service scope: an API key needs it named).
pub const MARKETPLACE_USE: Permission = Permission::new("marketplace.use");
/// `marketplace.profiles.manage`: sees every profile in any state (moderators).
pub const PROFILES_MANAGE: Permission = Permission::new("marketplace.profiles.manage");
/// `marketplace.jobs.manage`: sees and closes any job and its applications.
pub const JOBS_MANAGE: Permission = Permission::new("marketplace.jobs.manage");
/// `marketplace.leads.manage`: sees and closes any lead, contact included.
pub const LEADS_MANAGE: Permission = Permission::new("marketplace.leads.manage");
/// `marketplace.reviews.moderate`: publishes and hides reviews.
pub const REVIEWS_MODERATE: Permission = Permission::new("marketplace.reviews.moderate");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[
    MARKETPLACE_USE,
    PROFILES_MANAGE,
    JOBS_MANAGE,
    LEADS_MANAGE,
    REVIEWS_MODERATE,
];
