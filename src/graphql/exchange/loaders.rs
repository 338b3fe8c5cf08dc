//! The exchange's DataLoaders: orders by id (a page of tickets showing the
//! orders they are about) and orders' transitions. Batched per request, so
//! a page costs the same statements at any size.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::exchange_orders;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::graphql::loaders::{cached, Cached, LoadError};
use crate::service::exchange::orders::{self, Transition};

/// Orders by id.
pub struct OrdersById(DatabaseConnection);

impl Loader<Uuid> for OrdersById {
    type Value = exchange_orders::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = exchange_orders::Entity::find()
            .filter(exchange_orders::Column::Id.is_in(keys.to_vec()))
            .all(&self.0)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// The transitions of orders, oldest first.
pub struct TransitionsByOrder(DatabaseConnection);

impl Loader<Uuid> for TransitionsByOrder {
    type Value = Vec<Transition>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let mut found = orders::transitions_of_many(&self.0, keys).await.map_err(Arc::new)?;
        Ok(keys.iter().map(|k| (*k, found.remove(k).unwrap_or_default())).collect())
    }
}

/// The exchange's loaders of one request.
pub struct ExchangeLoaders {
    pub orders: Cached<OrdersById>,
    pub transitions: Cached<TransitionsByOrder>,
}

impl ExchangeLoaders {
    /// Fresh loaders reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        ExchangeLoaders {
            orders: cached(OrdersById(db.clone())),
            transitions: cached(TransitionsByOrder(db)),
        }
    }

    /// For subscriptions: every event reads current rows.
    pub fn disable_caches(&self) {
        self.orders.enable_all_cache(false);
        self.transitions.enable_all_cache(false);
    }
}
