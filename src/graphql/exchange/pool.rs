//! The rotating deposit-address pools, for operators: how many addresses
//! each currency has free, serving orders and resting in quarantine.
//! Addresses' keys never appear here.

use async_graphql::{Context, Object, Result, SimpleObject};
use entity::enums::ChainNetwork;

use crate::graphql::context::{app, viewer};
use crate::service::exchange::pool::{self, PoolStats};

/// One currency's pool of deposit addresses.
#[derive(SimpleObject)]
pub struct AddressPool {
    /// Currency code.
    pub currency: String,
    /// The chain its addresses belong to.
    pub network: ChainNetwork,
    /// Addresses come from an extended public key: the server holds no
    /// private key for them.
    pub watch_only: bool,
    /// Never used and unassigned (what the refill job keeps topped up).
    pub free: i32,
    /// Serving an open order.
    pub in_use: i32,
    /// Released after an order, resting before reuse.
    pub quarantined: i32,
    /// Every address of the pool.
    pub total: i32,
}

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl From<PoolStats> for AddressPool {
    fn from(s: PoolStats) -> Self {
        AddressPool {
            currency: s.currency,
            network: s.network,
            watch_only: s.watch_only,
            free: count(s.free),
            in_use: count(s.in_use),
            quarantined: count(s.quarantined),
            total: count(s.total),
        }
    }
}

/// Address pool queries.
#[derive(Default)]
pub struct PoolQuery;

#[Object]
impl PoolQuery {
    /// Every crypto currency's deposit-address pool (`exchange.addresses.manage`).
    async fn address_pools(&self, ctx: &Context<'_>) -> Result<Vec<AddressPool>> {
        let all = pool::address_pools(app(ctx)?, viewer(ctx)).await?;
        Ok(all.into_iter().map(AddressPool::from).collect())
    }
}
