//! Portfolio items (title, description, tags, display order) and their
//! images. Only the profile's owner changes them. An image is checked and
//! re-encoded first ([`super::images`]), written to the object store, and
//! then recorded in one transaction; its objects are removed again when
//! that transaction does not commit, and after a committed delete (no
//! orphans either way). Every change is audited in its transaction.

use std::collections::HashMap;

use bytes::Bytes;
use entity::enums::AuditEntity;
use entity::{portfolio_images, portfolio_items};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::catalog::{lock_owned, owned};
use super::images;
use super::perms::MARKETPLACE_USE;
use super::text::Checks;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::tx::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;

/// Longest item title.
pub const MAX_TITLE: usize = 200;
/// Longest item description.
pub const MAX_DESCRIPTION: usize = 2000;
/// Most tags of an item, and the longest.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG: usize = 60;
/// Most items of a profile.
pub const MAX_ITEMS: u64 = 50;
/// Most images of an item.
pub const MAX_IMAGES: u64 = 20;
/// Highest display order.
pub const MAX_ORDER: i32 = 1_000_000;

/// What `savePortfolioItem` asks for. `description` is `None` to keep,
/// `Some(None)` to clear; `tags` and `display_order` `None` keep (a new
/// item has no tags and comes last).
#[derive(Clone, Debug, Default)]
pub struct SaveItem {
    pub id: Option<Uuid>,
    pub profile_id: Uuid,
    pub title: String,
    pub description: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub display_order: Option<i32>,
}

struct Clean {
    title: String,
    description: Option<Option<String>>,
    tags: Option<Vec<String>>,
}

fn check(input: &SaveItem) -> AppResult<Clean> {
    let mut c = Checks::default();
    let title = c.required("title", &input.title, MAX_TITLE);
    let description = input
        .description
        .as_ref()
        .map(|d| c.text("description", d.as_deref(), MAX_DESCRIPTION));
    let tags = input
        .tags
        .as_ref()
        .map(|t| c.labels("tags", t, MAX_TAGS, MAX_TAG, true));
    if let Some(o) = input.display_order {
        c.count("displayOrder", Some(i64::from(o)), i64::from(MAX_ORDER));
    }
    c.finish()?;
    Ok(Clean {
        title,
        description,
        tags,
    })
}

fn snapshot(i: &portfolio_items::Model) -> Json {
    json!({
        "profileId": i.user_role_profile_id, "title": i.title, "description": i.description,
        "tags": i.tags, "displayOrder": i.display_order,
    })
}

fn image_snapshot(i: &portfolio_images::Model) -> Json {
    json!({
        "itemId": i.portfolio_item_id, "mimeType": i.mime_type, "byteSize": i.byte_size,
        "width": i.width, "height": i.height, "sha256": i.sha256, "displayOrder": i.display_order,
    })
}

/// The next display order after the highest of `column` among `filter`.
async fn next_order<C: ConnectionTrait>(conn: &C, sql: &str, id: Uuid) -> AppResult<i32> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [id.into()]))
        .await?;
    let max: Option<i32> = match row {
        Some(r) => r.try_get_by_index(0)?,
        None => None,
    };
    Ok(max.map_or(0, |m| m.saturating_add(1).min(MAX_ORDER)))
}

/// Creates (no `id`) or edits a portfolio item of the viewer's profile.
pub async fn save(ctx: &AppContext, viewer: &Viewer, input: SaveItem) -> AppResult<portfolio_items::Model> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let clean = check(&input)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let (before, row) = match input.id {
        None => {
            lock_owned(&*tx, me, input.profile_id).await?;
            let n = portfolio_items::Entity::find()
                .filter(portfolio_items::Column::UserRoleProfileId.eq(input.profile_id))
                .count(&*tx)
                .await?;
            if n >= MAX_ITEMS {
                return Err(AppError::conflict(
                    Some("profileId"),
                    format!("a portfolio holds at most {MAX_ITEMS} items"),
                ));
            }
            let order = match input.display_order {
                Some(o) => o,
                None => {
                    next_order(
                        &*tx,
                        "SELECT max(display_order) FROM portfolio_items WHERE user_role_profile_id = $1",
                        input.profile_id,
                    )
                    .await?
                }
            };
            let now = chrono::Utc::now().into();
            let row = portfolio_items::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_role_profile_id: Set(input.profile_id),
                title: Set(clean.title),
                description: Set(clean.description.flatten()),
                tags: Set(clean.tags.unwrap_or_default()),
                display_order: Set(order),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&*tx)
            .await?;
            (None, row)
        }
        Some(id) => {
            let current = lock_item(&tx, id).await?;
            lock_owned(&*tx, me, current.user_role_profile_id).await?;
            if current.user_role_profile_id != input.profile_id {
                return Err(AppError::invalid(
                    "profileId",
                    "an item stays with the profile it was created for",
                ));
            }
            let mut am: portfolio_items::ActiveModel = current.clone().into();
            am.title = Set(clean.title);
            if let Some(d) = clean.description {
                am.description = Set(d);
            }
            if let Some(t) = clean.tags {
                am.tags = Set(t);
            }
            if let Some(o) = input.display_order {
                am.display_order = Set(o);
            }
            (Some(current), am.update(&*tx).await?)
        }
    };
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            if before.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            Module::Marketplace,
            AuditEntity::PortfolioItem,
            Some(row.id),
            "portfolio item saved",
        )
        .label(row.title.clone())
        .before(before.as_ref().map_or(Json::Null, snapshot))
        .after(snapshot(&row)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(row)
}

async fn lock_item(tx: &Tx, id: Uuid) -> AppResult<portfolio_items::Model> {
    portfolio_items::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::NotFound("portfolio item".into()))
}

/// The storage keys of `images`.
fn stored_keys(images: &[portfolio_images::Model]) -> Vec<String> {
    images
        .iter()
        .flat_map(|i| std::iter::once(i.file_url.clone()).chain(i.thumbnail_url.clone()))
        .filter(|k| k.starts_with("portfolio/"))
        .collect()
}

/// Deletes a portfolio item of the viewer's profile with its images
/// (their stored objects once the deletion committed); returns its id.
pub async fn delete(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<Uuid> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let current = lock_item(&tx, id).await?;
    lock_owned(&*tx, me, current.user_role_profile_id).await?;
    let imgs = portfolio_images::Entity::find()
        .filter(portfolio_images::Column::PortfolioItemId.eq(id))
        .all(&*tx)
        .await?;
    portfolio_items::Entity::delete_by_id(id).exec(&*tx).await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Delete,
            Module::Marketplace,
            AuditEntity::PortfolioItem,
            Some(id),
            format!("portfolio item deleted with {} images", imgs.len()),
        )
        .label(current.title.clone())
        .before(snapshot(&current)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    ctx.storage.delete_all(&stored_keys(&imgs)).await;
    Ok(id)
}

/// What `addPortfolioImage` asks for.
pub struct AddImage {
    pub item_id: Uuid,
    pub bytes: Bytes,
    pub display_order: Option<i32>,
}

/// Adds an image to an item of the viewer's profile: ownership first,
/// then the checks and re-encoding, then the writes, then the record.
pub async fn add_image(ctx: &AppContext, viewer: &Viewer, mut input: AddImage) -> AppResult<portfolio_images::Model> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    if let Some(o) = input.display_order {
        if !(0..=MAX_ORDER).contains(&o) {
            return Err(AppError::invalid(
                "displayOrder",
                format!("must be between 0 and {MAX_ORDER}"),
            ));
        }
    }
    let item = portfolio_items::Entity::find_by_id(input.item_id)
        .one(&ctx.db.primary)
        .await?
        .ok_or_else(|| AppError::NotFound("portfolio item".into()))?;
    owned(&ctx.db.primary, me, item.user_role_profile_id).await?;
    let p = images::process("file", std::mem::take(&mut input.bytes), ctx.storage.max_file_bytes).await?;
    let id = Uuid::now_v7();
    let (key, thumb_key) = images::keys_of(id);
    ctx.storage.put(&key, p.original.clone()).await?;
    if let Err(e) = ctx.storage.put(&thumb_key, p.thumbnail.clone()).await {
        ctx.storage.delete_all(std::slice::from_ref(&key)).await;
        return Err(e);
    }
    let recorded = async {
        let tx = Tx::begin(&ctx.db.primary).await?;
        let row = record_image(&tx, viewer, me, &input, id, &p, (&key, &thumb_key)).await?;
        tx.commit(&ctx.bus).await?;
        AppResult::Ok(row)
    }
    .await;
    if recorded.is_err() {
        ctx.storage.delete_all(&[key, thumb_key]).await;
    }
    recorded
}

async fn record_image(
    tx: &Tx,
    viewer: &Viewer,
    me: Uuid,
    input: &AddImage,
    id: Uuid,
    p: &images::Processed,
    (key, thumb_key): (&str, &str),
) -> AppResult<portfolio_images::Model> {
    // The item may have been deleted or moved meanwhile: check again.
    let item = lock_item(tx, input.item_id).await?;
    lock_owned(&**tx, me, item.user_role_profile_id).await?;
    let n = portfolio_images::Entity::find()
        .filter(portfolio_images::Column::PortfolioItemId.eq(item.id))
        .count(&**tx)
        .await?;
    if n >= MAX_IMAGES {
        return Err(AppError::conflict(
            Some("itemId"),
            format!("a portfolio item holds at most {MAX_IMAGES} images"),
        ));
    }
    let order = match input.display_order {
        Some(o) => o,
        None => {
            next_order(
                &**tx,
                "SELECT max(display_order) FROM portfolio_images WHERE portfolio_item_id = $1",
                item.id,
            )
            .await?
        }
    };
    let now = chrono::Utc::now().into();
    let row = portfolio_images::ActiveModel {
        id: Set(id),
        portfolio_item_id: Set(item.id),
        file_url: Set(key.to_string()),
        display_order: Set(order),
        created_at: Set(now),
        updated_at: Set(now),
        thumbnail_url: Set(Some(thumb_key.to_string())),
        mime_type: Set(Some(p.mime_type.to_string())),
        byte_size: Set(Some(p.original.len() as i64)),
        width: Set(Some(p.width as i32)),
        height: Set(Some(p.height as i32)),
        sha256: Set(Some(p.sha256.clone())),
    }
    .insert(&**tx)
    .await?;
    audit::record(
        &**tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Marketplace,
            AuditEntity::PortfolioImage,
            Some(row.id),
            "portfolio image added",
        )
        .label(item.title.clone())
        .after(image_snapshot(&row)),
    )
    .await?;
    Ok(row)
}

/// Deletes an image of the viewer's portfolio (its objects once the
/// deletion committed); returns its id.
pub async fn delete_image(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<Uuid> {
    let me = viewer.require_self_service(MARKETPLACE_USE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let img = portfolio_images::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("portfolio image".into()))?;
    let item = lock_item(&tx, img.portfolio_item_id).await?;
    lock_owned(&*tx, me, item.user_role_profile_id).await?;
    portfolio_images::Entity::delete_by_id(id).exec(&*tx).await?;
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Delete,
            Module::Marketplace,
            AuditEntity::PortfolioImage,
            Some(id),
            "portfolio image deleted",
        )
        .label(item.title.clone())
        .before(image_snapshot(&img)),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    ctx.storage.delete_all(&stored_keys(std::slice::from_ref(&img))).await;
    Ok(id)
}

/// The items of many profiles by display order, then age: one statement.
pub async fn items_of<C: ConnectionTrait>(
    conn: &C,
    profiles: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<portfolio_items::Model>>> {
    let mut out: HashMap<Uuid, Vec<portfolio_items::Model>> = HashMap::new();
    if profiles.is_empty() {
        return Ok(out);
    }
    let rows = portfolio_items::Entity::find()
        .filter(portfolio_items::Column::UserRoleProfileId.is_in(profiles.to_vec()))
        .order_by_asc(portfolio_items::Column::DisplayOrder)
        .order_by_asc(portfolio_items::Column::CreatedAt)
        .order_by_asc(portfolio_items::Column::Id)
        .all(conn)
        .await?;
    for r in rows {
        out.entry(r.user_role_profile_id).or_default().push(r);
    }
    Ok(out)
}

/// The images of many items by display order, then age: one statement.
pub async fn images_of<C: ConnectionTrait>(
    conn: &C,
    items: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<portfolio_images::Model>>> {
    let mut out: HashMap<Uuid, Vec<portfolio_images::Model>> = HashMap::new();
    if items.is_empty() {
        return Ok(out);
    }
    let rows = portfolio_images::Entity::find()
        .filter(portfolio_images::Column::PortfolioItemId.is_in(items.to_vec()))
        .order_by_asc(portfolio_images::Column::DisplayOrder)
        .order_by_asc(portfolio_images::Column::CreatedAt)
        .order_by_asc(portfolio_images::Column::Id)
        .all(conn)
        .await?;
    for r in rows {
        out.entry(r.portfolio_item_id).or_default().push(r);
    }
    Ok(out)
}

/// The cover of many profiles: the first image of the first item (by
/// display order) that has an image. One statement.
pub async fn covers_of<C: ConnectionTrait>(
    conn: &C,
    profiles: &[Uuid],
) -> AppResult<HashMap<Uuid, portfolio_images::Model>> {
    let mut out = HashMap::new();
    if profiles.is_empty() {
        return Ok(out);
    }
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT DISTINCT ON (i.user_role_profile_id) i.user_role_profile_id AS cover_of, img.* \
             FROM portfolio_items i JOIN portfolio_images img ON img.portfolio_item_id = i.id \
             WHERE i.user_role_profile_id = ANY($1) \
             ORDER BY i.user_role_profile_id, i.display_order, i.created_at, i.id, \
               img.display_order, img.created_at, img.id",
            [profiles.to_vec().into()],
        ))
        .await?;
    for r in rows {
        let profile: Uuid = r.try_get("", "cover_of")?;
        out.insert(profile, portfolio_images::Model::from_query_result(&r, "")?);
    }
    Ok(out)
}
