//! The instant exchange (issue 13): pairs and limits, quotes, orders with
//! their lifecycle, the rotating deposit-address pool, reserves, rates and
//! price history, and the chain watcher's reports.

pub mod perms;
pub mod rates;
pub mod reserves;

use crate::app::Ctx;
use crate::infra::jobs::Worker;

/// Schedules the exchange's recurring jobs and registers their handlers
/// (each runs on one instance at a time): the price feed's poll, when a
/// feed URL is configured.
pub async fn register_jobs(ctx: &Ctx, worker: &mut Worker) {
    let exchange = &ctx.config.exchange;
    rates::register_feed_job(
        &ctx.background_db,
        worker,
        exchange.price_api_url.as_deref(),
        exchange.price_poll,
    )
    .await;
}
