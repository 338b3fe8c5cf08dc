//! The marketplace's DataLoaders: profiles by id; services, portfolio
//! items and cover images by profile; images by item; requests by lead. A
//! page of professionals or leads costs one statement for each at any page
//! size.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{portfolio_images, portfolio_items, services};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::graphql::loaders::{cached, Cached, LoadError};
use crate::service::marketplace::lead_requests::{self, RequestRow};
use crate::service::marketplace::profiles::{self, ProfileRow};
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

/// Profiles by id, unfiltered: resolvers decide who sees which.
pub struct ProfileById(DatabaseConnection);

impl Loader<Uuid> for ProfileById {
    type Value = ProfileRow;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = profiles::by_ids(&self.0, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// The requests for a lead, oldest first, unfiltered: only its poster and
/// lead moderators may be shown them ([`lead_requests::may_see_requests`]).
pub struct RequestsByLead(DatabaseConnection);

impl Loader<Uuid> for RequestsByLead {
    type Value = Vec<RequestRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let mut found = lead_requests::of_leads(&self.0, keys).await.map_err(Arc::new)?;
        Ok(keys.iter().map(|k| (*k, found.remove(k).unwrap_or_default())).collect())
    }
}

/// The marketplace's loaders of one request.
pub struct MarketplaceLoaders {
    pub services: Cached<ServicesByProfile>,
    pub items: Cached<ItemsByProfile>,
    pub images: Cached<ImagesByItem>,
    pub covers: Cached<CoverByProfile>,
    pub profiles: Cached<ProfileById>,
    pub requests: Cached<RequestsByLead>,
    pub candidates: Cached<super::people::CandidateByUser>,
}

impl MarketplaceLoaders {
    /// Fresh loaders reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        MarketplaceLoaders {
            services: cached(ServicesByProfile(db.clone())),
            items: cached(ItemsByProfile(db.clone())),
            images: cached(ImagesByItem(db.clone())),
            covers: cached(CoverByProfile(db.clone())),
            profiles: cached(ProfileById(db.clone())),
            candidates: cached(super::people::CandidateByUser(db.clone())),
            requests: cached(RequestsByLead(db)),
        }
    }

    /// For subscriptions: every event reads current rows.
    pub fn disable_caches(&self) {
        self.services.enable_all_cache(false);
        self.items.enable_all_cache(false);
        self.images.enable_all_cache(false);
        self.covers.enable_all_cache(false);
        self.profiles.enable_all_cache(false);
        self.requests.enable_all_cache(false);
        self.candidates.enable_all_cache(false);
    }
}
