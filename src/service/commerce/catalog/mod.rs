//! What is sold and at what terms: pricing packages
//! (`commerce.packages.manage`), coupons and discount rules
//! (`commerce.coupons.manage`) and tax rules (`commerce.tax.manage`).
//! Packages and coupons are deactivated, never deleted (orders point at
//! them); discount and tax rules may be deleted. Every change is audited.
//!
//! The four share one pattern, [`CatalogRecord`]: a record says how its
//! fields apply to a row, what a valid row is and how it is audited; the
//! generic [`create_in`], [`update_in`] and [`delete_in`] do the rest
//! (permission, required fields, validation of the row as it would be
//! after the change, conflict mapping, the audit row) inside a [`Tx`], and
//! [`create`], [`update`] and [`delete`] open and commit one.

mod records;

pub use records::{normalize_code, CouponFields, DiscountRuleFields, PackageFields, TaxRuleFields};

use chrono::Utc;
use entity::enums::{DiscountScope, ProductType, TaxAppliesTo};
use entity::{coupons, discount_rules, pricing_packages, tax_rules};
use sea_orm::prelude::DateTimeWithTimeZone;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde_json::Value as Json;
use uuid::Uuid;

use super::{perms, Problems};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::{Permission, Viewer};
use crate::service::page::PageRequest;

/// One kind of catalogue record and how the shared create / update /
/// delete treat it.
pub trait CatalogRecord: Sized + Clone + Send + Sync + IntoActiveModel<Self::Active> + 'static {
    /// Its table.
    type Entity: EntityTrait<Model = Self>;
    /// Its active model.
    type Active: ActiveModelTrait<Entity = Self::Entity> + ActiveModelBehavior + From<Self> + Send + Sync;
    /// Its changeable fields: `None` leaves a field, `Some(None)` clears a
    /// nullable one.
    type Fields: Send;

    /// Who may change it.
    const PERMISSION: Permission;
    /// Its audit entity type.
    const AUDIT_TYPE: crate::service::audit::AuditEntity;
    /// What it is called in messages ("discount rule").
    const NOUN: &'static str;
    /// The field and message of a unique violation, when it has one.
    const CONFLICT: Option<(&'static str, &'static str)> = None;

    /// The row by id.
    fn find(id: Uuid) -> Select<Self::Entity>;
    /// Its id.
    fn id(&self) -> Uuid;
    /// Its name (or code) for audit summaries.
    fn label(&self) -> &str;
    /// What audit rows record of it.
    fn snapshot(&self) -> Json;
    /// Complains about fields a new record must have.
    fn required(f: &Self::Fields, p: &mut Problems);
    /// A new record before its fields apply.
    fn blank(now: DateTimeWithTimeZone) -> Self;
    /// The record with `f` applied.
    fn apply(self, f: Self::Fields) -> Self;
    /// Complains about anything invalid in the record as it would be stored.
    fn check(&self, p: &mut Problems);
}

fn validated<R: CatalogRecord>(r: R) -> AppResult<R> {
    let mut p = Problems::default();
    r.check(&mut p);
    p.check().map(|()| r)
}

fn conflict<R: CatalogRecord>(e: sea_orm::DbErr) -> AppError {
    match (AppError::from(e), R::CONFLICT) {
        (AppError::Conflict { .. }, Some((field, message))) => AppError::conflict(Some(field), message),
        (other, _) => other,
    }
}

async fn audit_change<R: CatalogRecord>(
    tx: &Tx,
    viewer: &Viewer,
    action: Action,
    before: Option<&R>,
    after: Option<&R>,
) -> AppResult<()> {
    let Some(r) = after.or(before) else {
        return Ok(());
    };
    let verb = match action {
        Action::Create => "created",
        Action::Delete => "deleted",
        _ => "updated",
    };
    let summary = format!("{verb} {} {}", R::NOUN, r.label());
    let mut entry = Entry::new(action, Module::Commerce, R::AUDIT_TYPE, Some(r.id()), summary);
    if let Some(b) = before {
        entry = entry.before(b.snapshot());
    }
    if let Some(a) = after {
        entry = entry.after(a.snapshot());
    }
    audit::record(&**tx, Some(viewer), entry).await?;
    Ok(())
}

async fn lock<R: CatalogRecord>(tx: &Tx, id: Uuid) -> AppResult<R> {
    R::find(id)
        .lock_exclusive()
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::NotFound(R::NOUN.into()))
}

/// Creates a record in `tx` (needs `R::PERMISSION`).
pub async fn create_in<R: CatalogRecord>(tx: &Tx, viewer: &Viewer, f: R::Fields) -> AppResult<R> {
    viewer.require(R::PERMISSION)?;
    let mut p = Problems::default();
    R::required(&f, &mut p);
    p.check()?;
    let draft = validated(R::blank(Utc::now().into()).apply(f))?;
    let m = R::Active::from(draft)
        .reset_all()
        .insert(&**tx)
        .await
        .map_err(conflict::<R>)?;
    audit_change(tx, viewer, Action::Create, None, Some(&m)).await?;
    Ok(m)
}

/// Updates a record in `tx` (needs `R::PERMISSION`); the row is locked and
/// checked as it would be after the change.
pub async fn update_in<R: CatalogRecord>(tx: &Tx, viewer: &Viewer, id: Uuid, f: R::Fields) -> AppResult<R> {
    viewer.require(R::PERMISSION)?;
    let old: R = lock(tx, id).await?;
    let new = validated(old.clone().apply(f))?;
    let m = R::Active::from(new)
        .reset_all()
        .update(&**tx)
        .await
        .map_err(conflict::<R>)?;
    audit_change(tx, viewer, Action::Update, Some(&old), Some(&m)).await?;
    Ok(m)
}

/// Deletes a record in `tx` (needs `R::PERMISSION`); returns it as it was.
pub async fn delete_in<R: CatalogRecord>(tx: &Tx, viewer: &Viewer, id: Uuid) -> AppResult<R> {
    viewer.require(R::PERMISSION)?;
    let old: R = lock(tx, id).await?;
    R::Active::from(old.clone()).delete(&**tx).await?;
    audit_change(tx, viewer, Action::Delete, Some(&old), None).await?;
    Ok(old)
}

/// [`create_in`] in its own transaction.
pub async fn create<R: CatalogRecord>(ctx: &AppContext, viewer: &Viewer, f: R::Fields) -> AppResult<R> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = create_in::<R>(&tx, viewer, f).await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// [`update_in`] in its own transaction.
pub async fn update<R: CatalogRecord>(ctx: &AppContext, viewer: &Viewer, id: Uuid, f: R::Fields) -> AppResult<R> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = update_in::<R>(&tx, viewer, id, f).await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// [`delete_in`] in its own transaction (discount and tax rules only:
/// packages and coupons are deactivated instead).
pub async fn delete<R: CatalogRecord + Deletable>(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<R> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = delete_in::<R>(&tx, viewer, id).await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// Records that may be deleted (nothing points at them).
pub trait Deletable {}
impl Deletable for discount_rules::Model {}
impl Deletable for tax_rules::Model {}

// ------------------------------------------------------------------ reads

/// Active packages, cheapest first; with `include_inactive` (managers
/// only) every package.
pub async fn packages(
    ctx: &AppContext,
    viewer: &Viewer,
    include_inactive: bool,
) -> AppResult<Vec<pricing_packages::Model>> {
    let mut q = pricing_packages::Entity::find();
    if include_inactive {
        viewer.require(perms::COMMERCE_PACKAGES_MANAGE)?;
    } else {
        q = q.filter(pricing_packages::Column::IsActive.eq(true));
    }
    Ok(q.order_by_asc(pricing_packages::Column::PriceInr)
        .order_by_asc(pricing_packages::Column::Id)
        .all(&ctx.db.read)
        .await?)
}

/// One package: active ones for everyone, inactive ones for managers.
pub async fn package(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<pricing_packages::Model> {
    pricing_packages::Entity::find_by_id(id)
        .one(&ctx.db.read)
        .await?
        .filter(|p| p.is_active || viewer.can(perms::COMMERCE_PACKAGES_MANAGE))
        .ok_or_else(|| AppError::NotFound("package".into()))
}

/// Packages by id, in bulk (what order items bought; inactive ones too:
/// an order keeps pointing at what it bought).
pub async fn packages_of_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<pricing_packages::Model>> {
    Ok(pricing_packages::Entity::find()
        .filter(super::any_of("pricing_packages.id", ids))
        .all(conn)
        .await?)
}

/// Coupons by id, in bulk (the coupons orders used).
pub async fn coupons_of_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<coupons::Model>> {
    Ok(coupons::Entity::find()
        .filter(super::any_of("coupons.id", ids))
        .all(conn)
        .await?)
}

/// Sort key of the coupon list: creation time (µs) and id, newest first.
pub type CouponKey = super::ListCursor;

/// A page of coupons, newest first, either direction, as fetched for
/// `page.finish` (`commerce.coupons.manage`).
pub async fn coupons(
    ctx: &AppContext,
    viewer: &Viewer,
    page: &PageRequest<CouponKey>,
) -> AppResult<Vec<coupons::Model>> {
    viewer.require(perms::COMMERCE_COUPONS_MANAGE)?;
    let cond = super::keyset("coupons", Condition::all(), page)?;
    super::newest_first(
        &ctx.db.read,
        coupons::Entity::find().filter(cond),
        page,
        coupons::Column::CreatedAt,
        coupons::Column::Id,
    )
    .await
}

/// How many coupons exist (`commerce.coupons.manage`; for `totalCount`).
pub async fn count_coupons(ctx: &AppContext, viewer: &Viewer) -> AppResult<u64> {
    viewer.require(perms::COMMERCE_COUPONS_MANAGE)?;
    Ok(coupons::Entity::find().count(&ctx.db.read).await?)
}

/// Every discount rule, newest first (`commerce.coupons.manage`).
pub async fn discount_rules(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<discount_rules::Model>> {
    viewer.require(perms::COMMERCE_COUPONS_MANAGE)?;
    Ok(discount_rules::Entity::find()
        .order_by_desc(discount_rules::Column::CreatedAt)
        .order_by_desc(discount_rules::Column::Id)
        .all(&ctx.db.read)
        .await?)
}

/// Whether the viewer may see coupons (`commerce.coupons.manage`).
pub fn require_coupons(viewer: &Viewer) -> AppResult<()> {
    viewer.require(perms::COMMERCE_COUPONS_MANAGE).map(|_| ())
}

/// Every tax rule (`commerce.tax.manage`).
pub async fn tax_rules(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<tax_rules::Model>> {
    viewer.require(perms::COMMERCE_TAX_MANAGE)?;
    Ok(tax_rules::Entity::find()
        .order_by_asc(tax_rules::Column::TaxType)
        .order_by_asc(tax_rules::Column::CreatedAt)
        .all(&ctx.db.read)
        .await?)
}

/// The rules that apply now to a package (active, in their period, GLOBAL
/// or scoped to the package's id).
pub async fn applicable_rules<C: ConnectionTrait>(conn: &C, package_id: Uuid) -> AppResult<Vec<discount_rules::Model>> {
    Ok(discount_rules::Entity::find()
        .filter(discount_rules::Column::IsActive.eq(true))
        .filter(Expr::cust(
            "(discount_rules.starts_at IS NULL OR discount_rules.starts_at <= now())",
        ))
        .filter(Expr::cust(
            "(discount_rules.ends_at IS NULL OR discount_rules.ends_at > now())",
        ))
        .filter(
            Condition::any()
                .add(discount_rules::Column::ScopeType.eq(DiscountScope::Global.to_value()))
                .add(discount_rules::Column::ScopeId.eq(package_id)),
        )
        .all(conn)
        .await?)
}

/// The active tax rules of a product type.
pub async fn applicable_taxes<C: ConnectionTrait>(conn: &C, product: ProductType) -> AppResult<Vec<tax_rules::Model>> {
    let applies = match product {
        ProductType::Package => TaxAppliesTo::Package,
        ProductType::Service => TaxAppliesTo::Service,
    };
    Ok(tax_rules::Entity::find()
        .filter(tax_rules::Column::IsActive.eq(true))
        .filter(tax_rules::Column::AppliesTo.is_in([TaxAppliesTo::All.to_value(), applies.to_value()]))
        .all(conn)
        .await?)
}
