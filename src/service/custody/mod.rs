//! Custody (issue 14, source 004's custodial side): each user's own
//! deposit address per currency ([`addresses`]), deposits the chain
//! watcher reports credited to their wallet once confirmed ([`deposits`]),
//! and withdrawals ([`withdrawals`]): fee from `fee_config`, per-currency
//! limits and USD thresholds ([`rules`]), the amount plus fee held in the
//! wallet while the withdrawal waits ([`crate::service::wallet::holds`]),
//! four-eyes approval through the approval engine, and a life cycle
//! ([`lifecycle`]) that every move audits and announces to the owner
//! ([`view`]). Crypto balances are ordinary wallets: exact minor units
//! (wei, satoshi) in `NUMERIC(38, 0)`, the same ledger rules as tracecoins.

pub mod addresses;
pub mod deposits;
pub mod lifecycle;
pub mod list;
pub mod perms;
pub mod rules;
pub mod view;
pub mod withdrawals;

use crate::app::Ctx;
use crate::infra::jobs::{self, Worker};

pub use withdrawals::register_applier;

/// Schedules the dispatch of approved withdrawals to the signer and
/// registers its handler.
pub async fn register_jobs(ctx: &Ctx, worker: &mut Worker) {
    if let Err(e) = jobs::ensure_recurring(
        &ctx.background_db,
        withdrawals::DISPATCH_JOB,
        withdrawals::DISPATCH_EVERY,
    )
    .await
    {
        tracing::warn!(error = %e, "cannot schedule the withdrawal dispatch");
    }
    let c = ctx.clone();
    worker.register(withdrawals::DISPATCH_JOB, move |_job| {
        let c = c.clone();
        async move {
            let n = withdrawals::dispatch_due(&c).await.map_err(|e| e.to_string())?;
            if n > 0 {
                tracing::info!(dispatched = n, "withdrawals handed to the signer");
            }
            Ok(())
        }
    });
}
