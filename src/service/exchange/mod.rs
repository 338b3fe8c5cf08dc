//! The instant exchange (issue 13): pairs and limits, quotes, orders with
//! their lifecycle, the rotating deposit-address pool, reserves, rates and
//! price history, and the chain watcher's reports.

pub mod address;
pub mod keys;
pub mod perms;
pub mod pool;

use crate::app::Ctx;
use crate::infra::jobs::Worker;

/// Schedules the exchange's recurring jobs and registers their handlers
/// (each runs on one instance at a time): the pool refill, due at once on
/// a fresh database so a new server has addresses, then every minute.
pub async fn register_jobs(ctx: &Ctx, worker: &mut Worker) {
    if let Err(e) = crate::infra::jobs::ensure_recurring(&ctx.background_db, pool::REFILL_JOB, pool::REFILL_EVERY).await
    {
        tracing::warn!(error = %e, "cannot schedule the address pool refill");
    }
    let ctx = ctx.clone();
    worker.register(pool::REFILL_JOB, move |_job| {
        let ctx = ctx.clone();
        async move { pool::refill(&ctx).await.map(|_| ()).map_err(|e| pool::describe(&e)) }
    });
}
