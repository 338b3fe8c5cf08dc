//! DataLoaders, created per request (never shared: a shared cache would
//! leak one viewer's rows to another). They batch the look-ups of a page
//! so that a list costs the same number of statements at any page size.
//! Each domain keeps its loaders in `graphql/<d>/loaders.rs`; this file
//! composes them and holds what they share.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::Context;
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::graphql::commerce::loaders::CommerceLoaders;
use crate::graphql::exchange::loaders::ExchangeLoaders;
use crate::graphql::identity::loaders::IdentityLoaders;
use crate::graphql::marketplace::loaders::MarketplaceLoaders;
use crate::graphql::support::loaders::SupportLoaders;

/// Loader errors are shared between the fields that waited on a batch.
pub type LoadError = Arc<AppError>;

/// Wraps an error for the fields waiting on a batch.
pub fn shared(e: impl Into<AppError>) -> LoadError {
    Arc::new(e.into())
}

/// A loader with a per-request cache.
pub type Cached<T> = DataLoader<T, HashMapCache>;

/// How long a loader gathers keys before it runs its batch.
const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// A cached loader spawning its batches on tokio.
pub fn cached<T: Loader<K>, K: Send + Sync + std::hash::Hash + Eq + Clone + 'static>(loader: T) -> Cached<T> {
    // async-graphql waits out its delay on async-io's timer, which runs a
    // reactor thread of its own beside tokio's (about 5 % of the server's
    // CPU on a ticket page, in wake-ups between the threads). With a zero
    // delay that timer is ready at once, and the batch window is waited on
    // tokio's timer instead.
    DataLoader::with_cache(loader, spawn_after_window, HashMapCache::default()).delay(Duration::ZERO)
}

/// Runs a loader's batch on tokio after [`BATCH_WINDOW`].
fn spawn_after_window(batch: BoxFuture<'static, ()>) {
    tokio::spawn(async move {
        tokio::time::sleep(BATCH_WINDOW).await;
        batch.await;
    });
}

/// All loaders of one request (or one subscription), one group a domain.
pub struct Loaders {
    pub identity: IdentityLoaders,
    pub support: SupportLoaders,
    pub commerce: CommerceLoaders,
    pub exchange: ExchangeLoaders,
    pub marketplace: MarketplaceLoaders,
}

impl Loaders {
    /// Fresh loaders reading from `db` (the primary: payloads of mutations
    /// must see what the mutation wrote). Results are cached for the
    /// request, so a list resolver can prime them in bulk.
    pub fn new(db: DatabaseConnection) -> Self {
        Loaders {
            identity: IdentityLoaders::new(db.clone()),
            support: SupportLoaders::new(db.clone()),
            commerce: CommerceLoaders::new(db.clone()),
            marketplace: MarketplaceLoaders::new(db.clone()),
            exchange: ExchangeLoaders::new(db),
        }
    }

    /// Loaders that never cache: a subscription lives long, and each event
    /// must read current rows.
    pub fn uncached(db: DatabaseConnection) -> Self {
        let l = Self::new(db);
        l.identity.disable_caches();
        l.support.disable_caches();
        l.commerce.disable_caches();
        l.exchange.disable_caches();
        l.marketplace.disable_caches();
        l
    }
}

/// The request's loaders (every request and subscription has them).
pub fn loaders<'a>(ctx: &'a Context<'_>) -> Result<&'a Loaders, AppError> {
    ctx.data::<Loaders>()
        .map_err(|_| AppError::internal(anyhow::anyhow!("no loaders on this request")))
}
