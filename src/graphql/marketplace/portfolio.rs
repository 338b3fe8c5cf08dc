//! Services, portfolio items and images: the owner's mutations. Images
//! come as files of a GraphQL multipart request.

use std::io::Read;

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject, Upload, ID};

use super::catalog::{PortfolioImage, PortfolioItem, Service};
use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{id as to_id, parse_id, parse_opt_id};
use crate::service::marketplace::perms::MARKETPLACE_USE;
use crate::service::marketplace::{catalog, portfolio};

/// A service to create (no `id`) or change.
#[derive(InputObject)]
pub struct SaveServiceInput {
    /// The service to change; absent: a new one.
    pub id: Option<ID>,
    /// Your professional profile the service belongs to.
    pub profile_id: ID,
    /// What the service is called (at most 200 characters, no contact details).
    pub name: String,
    /// What it includes (at most 2000 characters, no contact details);
    /// absent keeps it, null clears it.
    pub description: MaybeUndefined<String>,
    /// Price in paise (0 to 10,000,000,000).
    pub price_inr: i64,
    /// Duration in minutes (1 to 10080); absent keeps it, null clears it.
    pub duration_minutes: MaybeUndefined<i32>,
    /// Whether it is offered; absent keeps it (a new service is active).
    pub is_active: Option<bool>,
}

/// A portfolio item to create (no `id`) or change.
#[derive(InputObject)]
pub struct SavePortfolioItemInput {
    /// The item to change; absent: a new one.
    pub id: Option<ID>,
    /// Your professional profile the item belongs to.
    pub profile_id: ID,
    /// The item's title (at most 200 characters, no contact details).
    pub title: String,
    /// What the work was (at most 2000 characters, no contact details);
    /// absent keeps it, null clears it.
    pub description: MaybeUndefined<String>,
    /// At most 20 tags of at most 60 characters; absent keeps them.
    pub tags: Option<Vec<String>>,
    /// Position in the portfolio (ascending); absent keeps it (a new item
    /// comes last).
    pub display_order: Option<i32>,
}

/// An image to add to a portfolio item.
#[derive(InputObject)]
pub struct AddPortfolioImageInput {
    /// The portfolio item.
    pub item_id: ID,
    /// The image: PNG, JPEG or WebP (judged by its content), at most
    /// 8000 × 8000 pixels and the upload size limit. Required; nullable
    /// only so that a missing file is an error naming this field.
    pub file: Option<Upload>,
    /// Position among the item's images; absent: last.
    pub display_order: Option<i32>,
}

/// The saved service.
#[derive(SimpleObject)]
pub struct ServicePayload {
    /// The service as stored.
    pub service: Service,
}

/// The saved portfolio item.
#[derive(SimpleObject)]
pub struct PortfolioItemPayload {
    /// The item as stored.
    pub item: PortfolioItem,
}

/// The added image.
#[derive(SimpleObject)]
pub struct PortfolioImagePayload {
    /// The image as stored (re-encoded, with its thumbnail).
    pub image: PortfolioImage,
}

/// The id of a deleted service, portfolio item or image.
#[derive(SimpleObject)]
pub struct MarketplaceDeletePayload {
    /// The deleted record's id.
    pub id: ID,
}

/// `undefined` → keep, `null` → clear, a value → set.
fn patch<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// Reads the uploaded file of `field` (already bounded by the upload limits).
fn read_upload(ctx: &Context<'_>, upload: Option<&Upload>, field: &str) -> Result<bytes::Bytes, AppError> {
    let Some(upload) = upload else {
        return Err(AppError::invalid(field, "the file is required"));
    };
    // `Upload::value` indexes without a bounds check.
    if upload.0 >= ctx.query_env.uploads.len() {
        return Err(AppError::invalid(
            field,
            "send the file as a part of a multipart request",
        ));
    }
    let value = upload
        .value(ctx)
        .map_err(|_| AppError::invalid(field, "the file is missing from the request"))?;
    let mut bytes = Vec::new();
    value
        .into_read()
        .read_to_end(&mut bytes)
        .map_err(|_| AppError::invalid(field, "the file could not be read"))?;
    Ok(bytes.into())
}

/// Portfolio and service mutations.
#[derive(Default)]
pub struct PortfolioMutation;

/// Services and portfolios: only the profile's owner changes them
/// (`FORBIDDEN` for others, `NOT_FOUND` for an unknown id).
#[Object]
impl PortfolioMutation {
    /// Creates or changes a service of one of your professional profiles.
    /// The profile's `priceFromInr` follows its cheapest active service.
    async fn save_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service; with `id` to change one.")] input: SaveServiceInput,
    ) -> Result<ServicePayload> {
        let s = catalog::SaveService {
            id: parse_opt_id(input.id.as_ref(), "id")?,
            profile_id: parse_id(&input.profile_id, "profileId")?,
            name: input.name,
            description: patch(input.description),
            price_inr: input.price_inr,
            duration_minutes: patch(input.duration_minutes),
            is_active: input.is_active,
        };
        let row = catalog::save(app(ctx)?, viewer(ctx), s).await?;
        Ok(ServicePayload { service: Service(row) })
    }

    /// Deletes a service of yours.
    async fn delete_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service to delete.")] id: ID,
    ) -> Result<MarketplaceDeletePayload> {
        let gone = catalog::delete(app(ctx)?, viewer(ctx), parse_id(&id, "id")?).await?;
        Ok(MarketplaceDeletePayload { id: to_id(gone) })
    }

    /// Creates or changes a portfolio item of one of your professional
    /// profiles.
    async fn save_portfolio_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item; with `id` to change one.")] input: SavePortfolioItemInput,
    ) -> Result<PortfolioItemPayload> {
        let s = portfolio::SaveItem {
            id: parse_opt_id(input.id.as_ref(), "id")?,
            profile_id: parse_id(&input.profile_id, "profileId")?,
            title: input.title,
            description: patch(input.description),
            tags: input.tags,
            display_order: input.display_order,
        };
        let row = portfolio::save(app(ctx)?, viewer(ctx), s).await?;
        Ok(PortfolioItemPayload {
            item: PortfolioItem(row),
        })
    }

    /// Deletes a portfolio item of yours with its images.
    async fn delete_portfolio_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item to delete.")] id: ID,
    ) -> Result<MarketplaceDeletePayload> {
        let gone = portfolio::delete(app(ctx)?, viewer(ctx), parse_id(&id, "id")?).await?;
        Ok(MarketplaceDeletePayload { id: to_id(gone) })
    }

    /// Adds an image to a portfolio item of yours (a multipart request).
    /// The image is re-encoded without its metadata (EXIF and the like)
    /// and gets a thumbnail.
    async fn add_portfolio_image(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item and the image file.")] input: AddPortfolioImageInput,
    ) -> Result<PortfolioImagePayload> {
        // Credentials first: an anonymous caller learns nothing of the file.
        viewer(ctx).require_self_service(MARKETPLACE_USE)?;
        let add = portfolio::AddImage {
            item_id: parse_id(&input.item_id, "itemId")?,
            bytes: read_upload(ctx, input.file.as_ref(), "file")?,
            display_order: input.display_order,
        };
        let row = portfolio::add_image(app(ctx)?, viewer(ctx), add).await?;
        Ok(PortfolioImagePayload {
            image: PortfolioImage(row),
        })
    }

    /// Deletes an image of your portfolio.
    async fn delete_portfolio_image(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The image to delete.")] id: ID,
    ) -> Result<MarketplaceDeletePayload> {
        let gone = portfolio::delete_image(app(ctx)?, viewer(ctx), parse_id(&id, "id")?).await?;
        Ok(MarketplaceDeletePayload { id: to_id(gone) })
    }
}
