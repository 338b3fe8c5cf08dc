//! What is sold and at what terms: pricing packages
//! (`commerce.packages.manage`), coupons and discount rules
//! (`commerce.coupons.manage`) and tax rules (`commerce.tax.manage`).
//! Packages and coupons are deactivated, never deleted (orders point at
//! them); discount and tax rules may be deleted. Every change is audited.

use chrono::{DateTime, Utc};
use entity::{coupons, discount_rules, pricing_packages, tax_rules};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::{ListCursor, Problems};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, Entry, Module};
use crate::service::identity::Viewer;

/// `pricing_packages.package_type` values.
pub const PACKAGE_TYPES: &[&str] = &["JOB_POSTING", "CONTACT_VIEWS", "TRACECOIN_BUNDLE"];
/// `discount_type` values of coupons and discount rules.
pub const DISCOUNT_TYPES: &[&str] = &["PERCENT", "FLAT"];
/// `discount_rules.scope_type` values.
pub const DISCOUNT_SCOPES: &[&str] = &["GLOBAL", "CATEGORY", "SERVICE"];
/// `tax_rules.tax_type` values.
pub const TAX_TYPES: &[&str] = &["GST", "TCS"];
/// `tax_rules.applies_to` values.
pub const TAX_APPLIES_TO: &[&str] = &["ALL", "PACKAGE", "SERVICE"];

#[allow(clippy::too_many_arguments)]
async fn audit_change(
    tx: &Tx,
    viewer: &Viewer,
    action: Action,
    entity_type: &'static str,
    id: Uuid,
    summary: String,
    before: Option<Json>,
    after: Json,
) -> AppResult<()> {
    let mut entry = Entry::new(action, Module::Commerce, entity_type, Some(id), summary).after(after);
    if let Some(b) = before {
        entry = entry.before(b);
    }
    audit::record(&**tx, Some(viewer), entry).await?;
    Ok(())
}

// ---------------------------------------------------------------- packages

/// Fields of a package; `None` leaves a field as it is (on update) and
/// `Some(None)` clears a nullable one.
#[derive(Clone, Debug, Default)]
pub struct PackageFields {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub package_type: Option<String>,
    pub price_inr: Option<i64>,
    pub tracecoins_included: Option<i64>,
    pub validity_days: Option<Option<i32>>,
    pub is_active: Option<bool>,
}

fn package_json(p: &pricing_packages::Model) -> Json {
    json!({
        "name": p.name, "description": p.description, "packageType": p.package_type,
        "priceInr": p.price_inr, "tracecoinsIncluded": p.tracecoins_included,
        "validityDays": p.validity_days, "isActive": p.is_active,
    })
}

fn check_package(f: &PackageFields) -> AppResult<()> {
    let mut p = Problems::default();
    if let Some(n) = &f.name {
        p.text("name", n, 200);
    }
    if let Some(Some(d)) = &f.description {
        if d.chars().count() > 2000 {
            p.add("description", "must be at most 2000 characters");
        }
    }
    if let Some(t) = &f.package_type {
        p.choice("packageType", t, PACKAGE_TYPES);
    }
    if let Some(v) = f.price_inr {
        p.amount("priceInr", v);
    }
    if let Some(v) = f.tracecoins_included {
        if !(0..=super::MAX_AMOUNT_INR).contains(&v) {
            p.add("tracecoinsIncluded", "must be zero or more");
        }
    }
    if let Some(Some(d)) = f.validity_days {
        if !(1..=3650).contains(&d) {
            p.add("validityDays", "must be between 1 and 3650");
        }
    }
    p.check()
}

/// Active packages, cheapest first; with `include_inactive` (managers
/// only) every package.
pub async fn packages(
    ctx: &AppContext,
    viewer: &Viewer,
    include_inactive: bool,
) -> AppResult<Vec<pricing_packages::Model>> {
    let mut q = pricing_packages::Entity::find();
    if include_inactive {
        viewer.require(crate::service::commerce::perms::COMMERCE_PACKAGES_MANAGE)?;
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
        .filter(|p| p.is_active || viewer.can(crate::service::commerce::perms::COMMERCE_PACKAGES_MANAGE))
        .ok_or_else(|| AppError::NotFound("package".into()))
}

/// Creates a package (`commerce.packages.manage`).
pub async fn create_package(ctx: &AppContext, viewer: &Viewer, f: PackageFields) -> AppResult<pricing_packages::Model> {
    viewer.require(crate::service::commerce::perms::COMMERCE_PACKAGES_MANAGE)?;
    let mut p = Problems::default();
    if f.name.is_none() {
        p.add("name", "is required");
    }
    if f.package_type.is_none() {
        p.add("packageType", "is required");
    }
    if f.price_inr.is_none() {
        p.add("priceInr", "is required");
    }
    p.check()?;
    check_package(&f)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = pricing_packages::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(f.name.unwrap_or_default().trim().to_string()),
        description: Set(f
            .description
            .flatten()
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())),
        package_type: Set(f.package_type.unwrap_or_default()),
        price_inr: Set(f.price_inr.unwrap_or_default()),
        tracecoins_included: Set(f.tracecoins_included.unwrap_or(0)),
        validity_days: Set(f.validity_days.flatten()),
        is_active: Set(f.is_active.unwrap_or(true)),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    let summary = format!("created package {}", m.name);
    audit_change(
        &tx,
        viewer,
        Action::Create,
        "PRICING_PACKAGE",
        m.id,
        summary,
        None,
        package_json(&m),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// Updates a package (`commerce.packages.manage`). Orders already made
/// keep their prices.
pub async fn update_package(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    f: PackageFields,
) -> AppResult<pricing_packages::Model> {
    viewer.require(crate::service::commerce::perms::COMMERCE_PACKAGES_MANAGE)?;
    check_package(&f)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let old = pricing_packages::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("package".into()))?;
    let mut a: pricing_packages::ActiveModel = old.clone().into();
    if let Some(v) = f.name {
        a.name = Set(v.trim().to_string());
    }
    if let Some(v) = f.description {
        a.description = Set(v.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()));
    }
    if let Some(v) = f.package_type {
        a.package_type = Set(v);
    }
    if let Some(v) = f.price_inr {
        a.price_inr = Set(v);
    }
    if let Some(v) = f.tracecoins_included {
        a.tracecoins_included = Set(v);
    }
    if let Some(v) = f.validity_days {
        a.validity_days = Set(v);
    }
    if let Some(v) = f.is_active {
        a.is_active = Set(v);
    }
    let m = a.update(&*tx).await?;
    let summary = format!("updated package {}", m.name);
    audit_change(
        &tx,
        viewer,
        Action::Update,
        "PRICING_PACKAGE",
        m.id,
        summary,
        Some(package_json(&old)),
        package_json(&m),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

// ----------------------------------------------------------------- coupons

/// Fields of a coupon (see [`PackageFields`] for `None` / `Some(None)`).
#[derive(Clone, Debug, Default)]
pub struct CouponFields {
    pub code: Option<String>,
    pub description: Option<Option<String>>,
    pub discount_type: Option<String>,
    pub discount_value: Option<i64>,
    pub max_discount_inr: Option<Option<i64>>,
    pub min_order_value_inr: Option<Option<i64>>,
    pub valid_from: Option<Option<DateTime<Utc>>>,
    pub valid_to: Option<Option<DateTime<Utc>>>,
    pub usage_limit: Option<Option<i32>>,
    pub is_active: Option<bool>,
}

fn coupon_json(c: &coupons::Model) -> Json {
    json!({
        "code": c.code, "description": c.description, "discountType": c.discount_type,
        "discountValue": c.discount_value, "maxDiscountInr": c.max_discount_inr,
        "minOrderValueInr": c.min_order_value_inr, "validFrom": c.valid_from, "validTo": c.valid_to,
        "usageLimit": c.usage_limit, "isActive": c.is_active,
    })
}

/// A coupon code as stored: trimmed, upper-case.
pub fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

fn check_discount(p: &mut Problems, kind: &str, value: i64) {
    p.choice("discountType", kind, DISCOUNT_TYPES);
    let ok = match kind {
        "PERCENT" => (1..=100).contains(&value),
        _ => (1..=super::MAX_AMOUNT_INR).contains(&value),
    };
    if !ok {
        p.add(
            "discountValue",
            if kind == "PERCENT" {
                "a percentage must be between 1 and 100"
            } else {
                "a flat discount must be a positive amount of paise"
            },
        );
    }
}

/// Checks a coupon as it would be after the change.
fn check_coupon(c: &coupons::Model) -> AppResult<()> {
    let mut p = Problems::default();
    let code_ok = (3..=40).contains(&c.code.len())
        && c.code
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
    if !code_ok {
        p.add("code", "must be 3 to 40 letters, digits, - or _");
    }
    if c.description.as_ref().is_some_and(|d| d.chars().count() > 500) {
        p.add("description", "must be at most 500 characters");
    }
    check_discount(&mut p, &c.discount_type, c.discount_value);
    if let Some(v) = c.max_discount_inr {
        p.amount("maxDiscountInr", v);
    }
    if let Some(v) = c.min_order_value_inr {
        p.amount("minOrderValueInr", v);
    }
    if let (Some(from), Some(to)) = (c.valid_from, c.valid_to) {
        if to <= from {
            p.add("validTo", "must be after validFrom");
        }
    }
    if let Some(limit) = c.usage_limit {
        if limit < 1 {
            p.add("usageLimit", "must be at least 1");
        } else if limit < c.usage_count {
            p.add(
                "usageLimit",
                format!("the coupon has already been used {} times", c.usage_count),
            );
        }
    }
    p.check()
}

fn apply_coupon_fields(mut c: coupons::Model, f: CouponFields) -> coupons::Model {
    if let Some(v) = f.code {
        c.code = normalize_code(&v);
    }
    if let Some(v) = f.description {
        c.description = v.map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
    }
    if let Some(v) = f.discount_type {
        c.discount_type = v;
    }
    if let Some(v) = f.discount_value {
        c.discount_value = v;
    }
    if let Some(v) = f.max_discount_inr {
        c.max_discount_inr = v;
    }
    if let Some(v) = f.min_order_value_inr {
        c.min_order_value_inr = v;
    }
    if let Some(v) = f.valid_from {
        c.valid_from = v.map(Into::into);
    }
    if let Some(v) = f.valid_to {
        c.valid_to = v.map(Into::into);
    }
    if let Some(v) = f.usage_limit {
        c.usage_limit = v;
    }
    if let Some(v) = f.is_active {
        c.is_active = v;
    }
    c
}

/// Creates a coupon (`commerce.coupons.manage`). Codes are unique
/// regardless of case.
pub async fn create_coupon(ctx: &AppContext, viewer: &Viewer, f: CouponFields) -> AppResult<coupons::Model> {
    viewer.require(crate::service::commerce::perms::COMMERCE_COUPONS_MANAGE)?;
    let mut p = Problems::default();
    for (field, missing) in [
        ("code", f.code.is_none()),
        ("discountType", f.discount_type.is_none()),
        ("discountValue", f.discount_value.is_none()),
    ] {
        if missing {
            p.add(field, "is required");
        }
    }
    p.check()?;
    let now = Utc::now().into();
    let draft = apply_coupon_fields(
        coupons::Model {
            id: Uuid::now_v7(),
            code: String::new(),
            description: None,
            discount_type: String::new(),
            discount_value: 0,
            max_discount_inr: None,
            min_order_value_inr: None,
            valid_from: None,
            valid_to: None,
            usage_limit: None,
            usage_count: 0,
            is_active: true,
            created_at: now,
            updated_at: now,
        },
        f,
    );
    check_coupon(&draft)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = coupons::ActiveModel {
        id: Set(draft.id),
        code: Set(draft.code.clone()),
        description: Set(draft.description.clone()),
        discount_type: Set(draft.discount_type.clone()),
        discount_value: Set(draft.discount_value),
        max_discount_inr: Set(draft.max_discount_inr),
        min_order_value_inr: Set(draft.min_order_value_inr),
        valid_from: Set(draft.valid_from),
        valid_to: Set(draft.valid_to),
        usage_limit: Set(draft.usage_limit),
        is_active: Set(draft.is_active),
        ..Default::default()
    }
    .insert(&*tx)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => AppError::conflict(Some("code"), "a coupon with this code exists"),
        other => other,
    })?;
    let summary = format!("created coupon {}", m.code);
    audit_change(
        &tx,
        viewer,
        Action::Create,
        "COUPON",
        m.id,
        summary,
        None,
        coupon_json(&m),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// Updates a coupon (`commerce.coupons.manage`).
pub async fn update_coupon(ctx: &AppContext, viewer: &Viewer, id: Uuid, f: CouponFields) -> AppResult<coupons::Model> {
    viewer.require(crate::service::commerce::perms::COMMERCE_COUPONS_MANAGE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let old = coupons::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("coupon".into()))?;
    let new = apply_coupon_fields(old.clone(), f);
    check_coupon(&new)?;
    let mut a: coupons::ActiveModel = old.clone().into();
    a.code = Set(new.code.clone());
    a.description = Set(new.description.clone());
    a.discount_type = Set(new.discount_type.clone());
    a.discount_value = Set(new.discount_value);
    a.max_discount_inr = Set(new.max_discount_inr);
    a.min_order_value_inr = Set(new.min_order_value_inr);
    a.valid_from = Set(new.valid_from);
    a.valid_to = Set(new.valid_to);
    a.usage_limit = Set(new.usage_limit);
    a.is_active = Set(new.is_active);
    let m = a.update(&*tx).await.map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => AppError::conflict(Some("code"), "a coupon with this code exists"),
        other => other,
    })?;
    let summary = format!("updated coupon {}", m.code);
    audit_change(
        &tx,
        viewer,
        Action::Update,
        "COUPON",
        m.id,
        summary,
        Some(coupon_json(&old)),
        coupon_json(&m),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// A page of coupons, newest first (`commerce.coupons.manage`).
pub async fn coupons(
    ctx: &AppContext,
    viewer: &Viewer,
    after: Option<ListCursor>,
    limit: u64,
) -> AppResult<Vec<coupons::Model>> {
    viewer.require(crate::service::commerce::perms::COMMERCE_COUPONS_MANAGE)?;
    let mut cond = Condition::all();
    if let Some(c) = after {
        let t = DateTime::<Utc>::from_timestamp_micros(c.t)
            .ok_or_else(|| AppError::invalid("after", "is not a cursor this API issued"))?;
        cond = cond.add(Expr::cust_with_values(
            "(coupons.created_at, coupons.id) < ($1, $2)",
            [sea_orm::Value::from(t), c.id.into()],
        ));
    }
    Ok(coupons::Entity::find()
        .filter(cond)
        .order_by_desc(coupons::Column::CreatedAt)
        .order_by_desc(coupons::Column::Id)
        .limit(limit)
        .all(&ctx.db.read)
        .await?)
}

// ----------------------------------------------------------- discount rules

/// Fields of a discount rule (see [`PackageFields`]).
#[derive(Clone, Debug, Default)]
pub struct DiscountRuleFields {
    pub name: Option<String>,
    pub scope_type: Option<String>,
    pub scope_id: Option<Option<Uuid>>,
    pub discount_type: Option<String>,
    pub discount_value: Option<i64>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub is_active: Option<bool>,
}

fn rule_json(r: &discount_rules::Model) -> Json {
    json!({
        "name": r.name, "scopeType": r.scope_type, "scopeId": r.scope_id,
        "discountType": r.discount_type, "discountValue": r.discount_value,
        "startsAt": r.starts_at, "endsAt": r.ends_at, "isActive": r.is_active,
    })
}

fn apply_rule_fields(mut r: discount_rules::Model, f: DiscountRuleFields) -> discount_rules::Model {
    if let Some(v) = f.name {
        r.name = v.trim().to_string();
    }
    if let Some(v) = f.scope_type {
        r.scope_type = v;
    }
    if let Some(v) = f.scope_id {
        r.scope_id = v;
    }
    if r.scope_type == "GLOBAL" {
        r.scope_id = None;
    }
    if let Some(v) = f.discount_type {
        r.discount_type = v;
    }
    if let Some(v) = f.discount_value {
        r.discount_value = v;
    }
    if let Some(v) = f.starts_at {
        r.starts_at = v.map(Into::into);
    }
    if let Some(v) = f.ends_at {
        r.ends_at = v.map(Into::into);
    }
    if let Some(v) = f.is_active {
        r.is_active = v;
    }
    r
}

fn check_rule(r: &discount_rules::Model) -> AppResult<()> {
    let mut p = Problems::default();
    p.text("name", &r.name, 200);
    p.choice("scopeType", &r.scope_type, DISCOUNT_SCOPES);
    if r.scope_type != "GLOBAL" && r.scope_id.is_none() {
        p.add("scopeId", "is required for a CATEGORY or SERVICE rule");
    }
    check_discount(&mut p, &r.discount_type, r.discount_value);
    if let (Some(a), Some(b)) = (r.starts_at, r.ends_at) {
        if b <= a {
            p.add("endsAt", "must be after startsAt");
        }
    }
    p.check()
}

/// Every discount rule, newest first (`commerce.coupons.manage`).
pub async fn discount_rules(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<discount_rules::Model>> {
    viewer.require(crate::service::commerce::perms::COMMERCE_COUPONS_MANAGE)?;
    Ok(discount_rules::Entity::find()
        .order_by_desc(discount_rules::Column::CreatedAt)
        .order_by_desc(discount_rules::Column::Id)
        .all(&ctx.db.read)
        .await?)
}

/// Creates a discount rule (`commerce.coupons.manage`). A CATEGORY or
/// SERVICE rule applies to the package whose id is its `scope_id`.
pub async fn create_discount_rule(
    ctx: &AppContext,
    viewer: &Viewer,
    f: DiscountRuleFields,
) -> AppResult<discount_rules::Model> {
    viewer.require(crate::service::commerce::perms::COMMERCE_COUPONS_MANAGE)?;
    let now = Utc::now().into();
    let mut p = Problems::default();
    if f.discount_type.is_none() {
        p.add("discountType", "is required");
    }
    if f.discount_value.is_none() {
        p.add("discountValue", "is required");
    }
    p.check()?;
    let r = apply_rule_fields(
        discount_rules::Model {
            id: Uuid::now_v7(),
            name: String::new(),
            scope_type: "GLOBAL".into(),
            scope_id: None,
            discount_type: String::new(),
            discount_value: 0,
            starts_at: None,
            ends_at: None,
            is_active: true,
            created_at: now,
            updated_at: now,
        },
        f,
    );
    check_rule(&r)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = discount_rules::ActiveModel {
        id: Set(r.id),
        name: Set(r.name.clone()),
        scope_type: Set(r.scope_type.clone()),
        scope_id: Set(r.scope_id),
        discount_type: Set(r.discount_type.clone()),
        discount_value: Set(r.discount_value),
        starts_at: Set(r.starts_at),
        ends_at: Set(r.ends_at),
        is_active: Set(r.is_active),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    let summary = format!("created discount rule {}", m.name);
    audit_change(
        &tx,
        viewer,
        Action::Create,
        "DISCOUNT_RULE",
        m.id,
        summary,
        None,
        rule_json(&m),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// Updates a discount rule (`commerce.coupons.manage`).
pub async fn update_discount_rule(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    f: DiscountRuleFields,
) -> AppResult<discount_rules::Model> {
    viewer.require(crate::service::commerce::perms::COMMERCE_COUPONS_MANAGE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let old = discount_rules::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("discount rule".into()))?;
    let r = apply_rule_fields(old.clone(), f);
    check_rule(&r)?;
    let mut a: discount_rules::ActiveModel = old.clone().into();
    a.name = Set(r.name.clone());
    a.scope_type = Set(r.scope_type.clone());
    a.scope_id = Set(r.scope_id);
    a.discount_type = Set(r.discount_type.clone());
    a.discount_value = Set(r.discount_value);
    a.starts_at = Set(r.starts_at);
    a.ends_at = Set(r.ends_at);
    a.is_active = Set(r.is_active);
    let m = a.update(&*tx).await?;
    let summary = format!("updated discount rule {}", m.name);
    audit_change(
        &tx,
        viewer,
        Action::Update,
        "DISCOUNT_RULE",
        m.id,
        summary,
        Some(rule_json(&old)),
        rule_json(&m),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// Deletes a discount rule (`commerce.coupons.manage`).
pub async fn delete_discount_rule(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<Uuid> {
    viewer.require(crate::service::commerce::perms::COMMERCE_COUPONS_MANAGE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let old = discount_rules::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("discount rule".into()))?;
    discount_rules::Entity::delete_by_id(id).exec(&*tx).await?;
    let entry = Entry::new(
        Action::Delete,
        Module::Commerce,
        "DISCOUNT_RULE",
        Some(id),
        format!("deleted discount rule {}", old.name),
    )
    .before(rule_json(&old));
    audit::record(&*tx, Some(viewer), entry).await?;
    tx.commit(&ctx.bus).await?;
    Ok(id)
}

/// The rules that apply now to a package (active, in their period, GLOBAL
/// or scoped to the package's id).
pub async fn applicable_rules<C: sea_orm::ConnectionTrait>(
    conn: &C,
    package_id: Uuid,
) -> AppResult<Vec<discount_rules::Model>> {
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
                .add(discount_rules::Column::ScopeType.eq("GLOBAL"))
                .add(discount_rules::Column::ScopeId.eq(package_id)),
        )
        .all(conn)
        .await?)
}

// --------------------------------------------------------------- tax rules

/// Fields of a tax rule (see [`PackageFields`]).
#[derive(Clone, Debug, Default)]
pub struct TaxRuleFields {
    pub name: Option<String>,
    pub tax_type: Option<String>,
    /// A percentage with at most 4 decimal places (18.0000 for 18 %).
    pub tax_rate: Option<Decimal>,
    pub applies_to: Option<String>,
    pub is_active: Option<bool>,
}

fn tax_json(t: &tax_rules::Model) -> Json {
    json!({
        "name": t.name, "taxType": t.tax_type, "taxRate": t.tax_rate.to_string(),
        "appliesTo": t.applies_to, "isActive": t.is_active,
    })
}

fn check_tax(f: &TaxRuleFields) -> AppResult<()> {
    let mut p = Problems::default();
    if let Some(n) = &f.name {
        p.text("name", n, 200);
    }
    if let Some(t) = &f.tax_type {
        p.choice("taxType", t, TAX_TYPES);
    }
    if let Some(a) = &f.applies_to {
        p.choice("appliesTo", a, TAX_APPLIES_TO);
    }
    if let Some(r) = f.tax_rate {
        if r < Decimal::ZERO || r > Decimal::ONE_HUNDRED || r.normalize().scale() > 4 {
            p.add(
                "taxRate",
                "must be a percentage from 0 to 100 with at most 4 decimal places",
            );
        }
    }
    p.check()
}

/// Every tax rule (`commerce.tax.manage`).
pub async fn tax_rules(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<tax_rules::Model>> {
    viewer.require(crate::service::commerce::perms::COMMERCE_TAX_MANAGE)?;
    Ok(tax_rules::Entity::find()
        .order_by_asc(tax_rules::Column::TaxType)
        .order_by_asc(tax_rules::Column::CreatedAt)
        .all(&ctx.db.read)
        .await?)
}

/// Creates a tax rule (`commerce.tax.manage`).
pub async fn create_tax_rule(ctx: &AppContext, viewer: &Viewer, f: TaxRuleFields) -> AppResult<tax_rules::Model> {
    viewer.require(crate::service::commerce::perms::COMMERCE_TAX_MANAGE)?;
    let mut p = Problems::default();
    for (field, missing) in [
        ("name", f.name.is_none()),
        ("taxType", f.tax_type.is_none()),
        ("taxRate", f.tax_rate.is_none()),
    ] {
        if missing {
            p.add(field, "is required");
        }
    }
    p.check()?;
    check_tax(&f)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let m = tax_rules::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(f.name.unwrap_or_default().trim().to_string()),
        tax_type: Set(f.tax_type.unwrap_or_default()),
        tax_rate: Set(f.tax_rate.unwrap_or_default()),
        applies_to: Set(f.applies_to.unwrap_or_else(|| "ALL".into())),
        is_active: Set(f.is_active.unwrap_or(true)),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    let summary = format!("created tax rule {}", m.name);
    audit_change(
        &tx,
        viewer,
        Action::Create,
        "TAX_RULE",
        m.id,
        summary,
        None,
        tax_json(&m),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// Updates a tax rule (`commerce.tax.manage`).
pub async fn update_tax_rule(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    f: TaxRuleFields,
) -> AppResult<tax_rules::Model> {
    viewer.require(crate::service::commerce::perms::COMMERCE_TAX_MANAGE)?;
    check_tax(&f)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let old = tax_rules::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("tax rule".into()))?;
    let mut a: tax_rules::ActiveModel = old.clone().into();
    if let Some(v) = f.name {
        a.name = Set(v.trim().to_string());
    }
    if let Some(v) = f.tax_type {
        a.tax_type = Set(v);
    }
    if let Some(v) = f.tax_rate {
        a.tax_rate = Set(v);
    }
    if let Some(v) = f.applies_to {
        a.applies_to = Set(v);
    }
    if let Some(v) = f.is_active {
        a.is_active = Set(v);
    }
    let m = a.update(&*tx).await?;
    let summary = format!("updated tax rule {}", m.name);
    audit_change(
        &tx,
        viewer,
        Action::Update,
        "TAX_RULE",
        m.id,
        summary,
        Some(tax_json(&old)),
        tax_json(&m),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(m)
}

/// Deletes a tax rule (`commerce.tax.manage`).
pub async fn delete_tax_rule(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<Uuid> {
    viewer.require(crate::service::commerce::perms::COMMERCE_TAX_MANAGE)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let old = tax_rules::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("tax rule".into()))?;
    tax_rules::Entity::delete_by_id(id).exec(&*tx).await?;
    let entry = Entry::new(
        Action::Delete,
        Module::Commerce,
        "TAX_RULE",
        Some(id),
        format!("deleted tax rule {}", old.name),
    )
    .before(tax_json(&old));
    audit::record(&*tx, Some(viewer), entry).await?;
    tx.commit(&ctx.bus).await?;
    Ok(id)
}

/// The active tax rules of a product type (`PACKAGE` or `SERVICE`).
pub async fn applicable_taxes<C: sea_orm::ConnectionTrait>(
    conn: &C,
    product_type: &str,
) -> AppResult<Vec<tax_rules::Model>> {
    Ok(tax_rules::Entity::find()
        .filter(tax_rules::Column::IsActive.eq(true))
        .filter(tax_rules::Column::AppliesTo.is_in(["ALL".to_string(), product_type.to_string()]))
        .all(conn)
        .await?)
}
