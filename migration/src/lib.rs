//! Schema migrations of Switchboard: one file per domain, in dependency
//! order, each written as raw PostgreSQL (`UP` / `DOWN` constants) so the
//! schema reads like the design in `schema.md`.
//!
//! Order: foundation (trigger functions) → identity → support →
//! marketplace → approval (needs user_role_profiles) → exchange (withdrawals
//! need approval_requests) → wallet (needs currencies) → commerce →
//! knowledge → notification → config → audit (needs employees) → later
//! changes, each dated.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_identity;
mod m20261122_000003_support;
mod m20261122_000004_marketplace;
mod m20261122_000005_approval;
mod m20261122_000006_exchange;
mod m20261122_000007_wallet;
mod m20261122_000008_commerce;
mod m20261122_000009_knowledge;
mod m20261122_000010_notification;
mod m20261122_000011_config;
mod m20261122_000012_audit;
mod m20261122_000013_oauth_providers;
mod m20261201_000014_outbox_jobs;
mod m20261201_000015_credentials_triggers;
mod m20261201_000016_approval_engine;
mod m20261201_000017_exchange_engine;
mod m20261201_000018_custody;
mod m20261202_000019_marketplace_engine;
mod m20261202_000020_candidate_review;

/// Runs the migrations in order; `down` undoes them in reverse.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_identity::Migration),
            Box::new(m20261122_000003_support::Migration),
            Box::new(m20261122_000004_marketplace::Migration),
            Box::new(m20261122_000005_approval::Migration),
            Box::new(m20261122_000006_exchange::Migration),
            Box::new(m20261122_000007_wallet::Migration),
            Box::new(m20261122_000008_commerce::Migration),
            Box::new(m20261122_000009_knowledge::Migration),
            Box::new(m20261122_000010_notification::Migration),
            Box::new(m20261122_000011_config::Migration),
            Box::new(m20261122_000012_audit::Migration),
            Box::new(m20261122_000013_oauth_providers::Migration),
            Box::new(m20261201_000014_outbox_jobs::Migration),
            Box::new(m20261201_000015_credentials_triggers::Migration),
            Box::new(m20261201_000016_approval_engine::Migration),
            Box::new(m20261201_000017_exchange_engine::Migration),
            Box::new(m20261201_000018_custody::Migration),
            Box::new(m20261202_000019_marketplace_engine::Migration),
            Box::new(m20261202_000020_candidate_review::Migration),
        ]
    }
}
