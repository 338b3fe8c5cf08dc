//! Output types of services and portfolios and their batched reads under
//! a professional: [`services_of`], [`portfolio_of`] and
//! [`cover_image_of`] go through the request's DataLoaders, so a page of
//! professionals costs one statement for each at any page size (and one
//! more for the images of every item on the page).

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::graphql::convert::{id, ts};
use crate::graphql::loaders::loaders;

/// A load error shared by the fields that waited on one batch.
fn load_error(e: std::sync::Arc<AppError>) -> async_graphql::Error {
    e.to_graphql()
}

/// A service a professional offers.
pub struct Service(pub entity::services::Model);

/// A service a professional offers, with its price.
#[Object]
impl Service {
    /// Stable identifier.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// What the service is called.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the service includes.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Price in paise.
    async fn price_inr(&self) -> i64 {
        self.0.price_inr
    }

    /// How long the service takes, in minutes, when given.
    async fn duration_minutes(&self) -> Option<i32> {
        self.0.duration_minutes
    }

    /// Whether the service is offered (inactive ones are shown to the
    /// owner and moderators only).
    async fn is_active(&self) -> bool {
        self.0.is_active
    }

    /// When the service was created.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// One piece of work in a professional's portfolio.
pub struct PortfolioItem(pub entity::portfolio_items::Model);

/// One piece of work in a professional's portfolio, with its images.
#[Object]
impl PortfolioItem {
    /// Stable identifier.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The item's title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What the work was.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Tags of the item (lower case).
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }

    /// Position in the portfolio (ascending).
    async fn display_order(&self) -> i32 {
        self.0.display_order
    }

    /// The item's images by display order (batched across a page).
    async fn images(&self, ctx: &Context<'_>) -> Result<Vec<PortfolioImage>> {
        let found = loaders(ctx)?
            .marketplace
            .images
            .load_one(self.0.id)
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        Ok(found.into_iter().map(PortfolioImage).collect())
    }

    /// When the item was created.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// An image of a portfolio item.
pub struct PortfolioImage(pub entity::portfolio_images::Model);

/// An image of a portfolio item: re-encoded (no EXIF or other metadata)
/// and served by the server itself.
#[Object]
impl PortfolioImage {
    /// Stable identifier.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Where the image is served: `/media/portfolio/{id}` (public when the
    /// profile is; otherwise send the owner's or a moderator's bearer).
    async fn url(&self) -> String {
        format!("/media/portfolio/{}", self.0.id)
    }

    /// The thumbnail (at most 320 pixels on its long side):
    /// `/media/portfolio/{id}/thumbnail`.
    async fn thumbnail_url(&self) -> String {
        format!("/media/portfolio/{}/thumbnail", self.0.id)
    }

    /// The media type of the image and its thumbnail (`image/png`,
    /// `image/jpeg` or `image/webp`).
    async fn mime_type(&self) -> Option<&str> {
        self.0.mime_type.as_deref()
    }

    /// Width in pixels (upright).
    async fn width(&self) -> Option<i32> {
        self.0.width
    }

    /// Height in pixels (upright).
    async fn height(&self) -> Option<i32> {
        self.0.height
    }

    /// Size of the stored image in bytes.
    async fn byte_size(&self) -> Option<i64> {
        self.0.byte_size
    }

    /// Position among the item's images (ascending).
    async fn display_order(&self) -> i32 {
        self.0.display_order
    }
}

/// The services of profile `profile` (only active ones unless
/// `include_inactive`), cheapest first, batched across a page.
pub async fn services_of(ctx: &Context<'_>, profile: Uuid, include_inactive: bool) -> Result<Vec<Service>> {
    let found = loaders(ctx)?
        .marketplace
        .services
        .load_one(profile)
        .await
        .map_err(load_error)?
        .unwrap_or_default();
    Ok(found
        .into_iter()
        .filter(|s| include_inactive || s.is_active)
        .map(Service)
        .collect())
}

/// The portfolio items of `profile` by display order, batched across a page.
pub async fn portfolio_of(ctx: &Context<'_>, profile: Uuid) -> Result<Vec<PortfolioItem>> {
    let found = loaders(ctx)?
        .marketplace
        .items
        .load_one(profile)
        .await
        .map_err(load_error)?
        .unwrap_or_default();
    Ok(found.into_iter().map(PortfolioItem).collect())
}

/// The first image of the first portfolio item of `profile` that has
/// one, batched.
pub async fn cover_image_of(ctx: &Context<'_>, profile: Uuid) -> Result<Option<PortfolioImage>> {
    Ok(loaders(ctx)?
        .marketplace
        .covers
        .load_one(profile)
        .await
        .map_err(load_error)?
        .map(PortfolioImage))
}
