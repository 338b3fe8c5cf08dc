//! The marketplace's DataLoaders: services, portfolio items and cover
//! images by profile, images by item. A page of professionals costs one
//! statement for each at any page size.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{portfolio_images, portfolio_items, services};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::graphql::loaders::{cached, Cached, LoadError};
use crate::service::marketplace::{catalog, portfolio};

/// Every service of a profile (active or not), cheapest first.
pub struct ServicesByProfile(DatabaseConnection);

impl Loader<Uuid> for ServicesByProfile {
    type Value = Vec<services::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let mut found = catalog::of_profiles(&self.0, keys).await.map_err(Arc::new)?;
        Ok(keys.iter().map(|k| (*k, found.remove(k).unwrap_or_default())).collect())
    }
}

/// The portfolio items of a profile by display order.
pub struct ItemsByProfile(DatabaseConnection);

impl Loader<Uuid> for ItemsByProfile {
    type Value = Vec<portfolio_items::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let mut found = portfolio::items_of(&self.0, keys).await.map_err(Arc::new)?;
        Ok(keys.iter().map(|k| (*k, found.remove(k).unwrap_or_default())).collect())
    }
}

/// The images of a portfolio item by display order.
pub struct ImagesByItem(DatabaseConnection);

impl Loader<Uuid> for ImagesByItem {
    type Value = Vec<portfolio_images::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let mut found = portfolio::images_of(&self.0, keys).await.map_err(Arc::new)?;
        Ok(keys.iter().map(|k| (*k, found.remove(k).unwrap_or_default())).collect())
    }
}

/// The cover image of a profile (absent keys: no image at all).
pub struct CoverByProfile(DatabaseConnection);

impl Loader<Uuid> for CoverByProfile {
    type Value = portfolio_images::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        portfolio::covers_of(&self.0, keys).await.map_err(Arc::new)
    }
}

/// The marketplace's loaders of one request.
pub struct MarketplaceLoaders {
    pub services: Cached<ServicesByProfile>,
    pub items: Cached<ItemsByProfile>,
    pub images: Cached<ImagesByItem>,
    pub covers: Cached<CoverByProfile>,
}

impl MarketplaceLoaders {
    /// Fresh loaders reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        MarketplaceLoaders {
            services: cached(ServicesByProfile(db.clone())),
            items: cached(ItemsByProfile(db.clone())),
            images: cached(ImagesByItem(db.clone())),
            covers: cached(CoverByProfile(db)),
        }
    }

    /// For subscriptions: every event reads current rows.
    pub fn disable_caches(&self) {
        self.services.enable_all_cache(false);
        self.items.enable_all_cache(false);
        self.images.enable_all_cache(false);
        self.covers.enable_all_cache(false);
    }
}
