//! The instant exchange (issue 13): pairs and limits ([`pairs`]), quotes
//! ([`quotes`]), orders ([`orders`]) and their lifecycle ([`lifecycle`]),
//! the chain watcher's reports ([`chain`], [`settle`]), expiry
//! ([`expiry`]), the rotating deposit-address pool ([`pool`], [`keys`],
//! [`address`]), reserves ([`reserves`]), rates and price history
//! ([`rates`]).

pub mod address;
pub mod catalog;
pub mod chain;
pub mod chain_log;
pub mod events;
pub mod expiry;
pub mod keys;
pub mod lifecycle;
pub mod live;
pub mod orders;
pub mod pairs;
pub mod perms;
pub mod pool;
pub mod quotes;
pub mod rates;
pub mod reserves;
pub mod settle;
pub mod view;

use crate::app::Ctx;
use crate::infra::jobs::{self, Worker};

/// Schedules the exchange's recurring jobs and registers their handlers
/// (each runs on one instance at a time): the pool refill (due at once on
/// a fresh database, so a new server has addresses, then every minute),
/// the expiry of orders that waited too long for their deposit, and the
/// price feed's poll when a feed URL is configured.
pub async fn register_jobs(ctx: &Ctx, worker: &mut Worker) {
    if let Err(e) = jobs::ensure_recurring(&ctx.background_db, pool::REFILL_JOB, pool::REFILL_EVERY).await {
        tracing::warn!(error = %e, "cannot schedule the address pool refill");
    }
    if let Err(e) = jobs::ensure_recurring(&ctx.background_db, expiry::EXPIRY_JOB, ctx.config.expiry_every).await {
        tracing::warn!(error = %e, "cannot schedule the exchange expiry job");
    }
    let c = ctx.clone();
    worker.register(pool::REFILL_JOB, move |_job| {
        let c = c.clone();
        async move { pool::refill(&c).await.map(|_| ()).map_err(|e| pool::describe(&e)) }
    });
    let c = ctx.clone();
    worker.register(expiry::EXPIRY_JOB, move |_job| {
        let c = c.clone();
        async move {
            let n = expiry::expire_due(&c).await.map_err(|e| e.to_string())?;
            if n > 0 {
                tracing::info!(expired = n, "exchange orders expired");
            }
            Ok(())
        }
    });
    let exchange = &ctx.config.exchange;
    rates::register_feed_job(
        &ctx.background_db,
        worker,
        exchange.price_api_url.as_deref(),
        exchange.price_poll,
    )
    .await;
}
