//! The four catalogue records: their fields, validation and audit
//! snapshots, plugged into the shared pattern of [`super::CatalogRecord`].

use chrono::{DateTime, Utc};
use entity::enums::{DiscountScope, DiscountType, PackageType, TaxAppliesTo, TaxType};
use entity::{coupons, discount_rules, pricing_packages, tax_rules};
use rust_decimal::Decimal;
use sea_orm::prelude::DateTimeWithTimeZone;
use sea_orm::{ActiveEnum, EntityTrait, Select};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::CatalogRecord;
use crate::service::commerce::workflow::is;
use crate::service::commerce::{audited, perms, Problems, MAX_AMOUNT_INR};
use crate::service::identity::Permission;

/// `v` when given (`Some`), else `old`.
fn or<T>(v: Option<T>, old: T) -> T {
    v.unwrap_or(old)
}

/// Trimmed text; empty becomes `None`.
fn text(v: Option<String>) -> Option<String> {
    v.map(|d| d.trim().to_string()).filter(|d| !d.is_empty())
}

fn required(p: &mut Problems, fields: &[(&str, bool)]) {
    for (field, present) in fields {
        if !present {
            p.add(field, "is required");
        }
    }
}

fn max_chars(p: &mut Problems, field: &str, v: Option<&str>, max: usize) {
    if v.is_some_and(|d| d.chars().count() > max) {
        p.add(field, format!("must be at most {max} characters"));
    }
}

fn ordered(
    p: &mut Problems,
    field: &str,
    after: &str,
    a: Option<DateTimeWithTimeZone>,
    b: Option<DateTimeWithTimeZone>,
) {
    if let (Some(a), Some(b)) = (a, b) {
        if b <= a {
            p.add(field, format!("must be after {after}"));
        }
    }
}

fn check_discount(p: &mut Problems, kind: &str, value: i64) {
    let percent = is(kind, DiscountType::Percent);
    if !percent && !is(kind, DiscountType::Flat) {
        p.add("discountType", "must be PERCENT or FLAT");
    }
    let ok = if percent {
        (1..=100).contains(&value)
    } else {
        (1..=MAX_AMOUNT_INR).contains(&value)
    };
    if !ok {
        p.add(
            "discountValue",
            if percent {
                "a percentage must be between 1 and 100"
            } else {
                "a flat discount must be a positive amount of paise"
            },
        );
    }
}

/// The mechanical part of a [`CatalogRecord`] impl: its table, fields,
/// permission, audit type, noun, and the id and label columns.
macro_rules! basics {
    ($m:ident, $fields:ty, $perm:expr, $audit:expr, $noun:literal, $label:ident) => {
        type Entity = $m::Entity;
        type Active = $m::ActiveModel;
        type Fields = $fields;
        const PERMISSION: Permission = $perm;
        const AUDIT_TYPE: crate::service::audit::AuditEntity = $audit;
        const NOUN: &'static str = $noun;

        fn find(id: Uuid) -> Select<Self::Entity> {
            $m::Entity::find_by_id(id)
        }
        fn id(&self) -> Uuid {
            self.id
        }
        fn label(&self) -> &str {
            &self.$label
        }
    };
}

// ---------------------------------------------------------------- packages

/// Fields of a package (see [`CatalogRecord::Fields`]).
#[derive(Clone, Debug, Default)]
pub struct PackageFields {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub package_type: Option<PackageType>,
    /// Paise.
    pub price_inr: Option<i64>,
    pub tracecoins_included: Option<i64>,
    pub validity_days: Option<Option<i32>>,
    pub is_active: Option<bool>,
}

impl CatalogRecord for pricing_packages::Model {
    basics!(
        pricing_packages,
        PackageFields,
        perms::COMMERCE_PACKAGES_MANAGE,
        audited::PACKAGE,
        "package",
        name
    );
    fn snapshot(&self) -> Json {
        json!({
            "name": self.name, "description": self.description, "packageType": self.package_type,
            "priceInr": self.price_inr, "tracecoinsIncluded": self.tracecoins_included,
            "validityDays": self.validity_days, "isActive": self.is_active,
        })
    }
    fn required(f: &PackageFields, p: &mut Problems) {
        required(
            p,
            &[
                ("name", f.name.is_some()),
                ("packageType", f.package_type.is_some()),
                ("priceInr", f.price_inr.is_some()),
            ],
        );
    }
    fn blank(now: DateTimeWithTimeZone) -> Self {
        pricing_packages::Model {
            id: Uuid::now_v7(),
            name: String::new(),
            description: None,
            package_type: PackageType::TracecoinBundle.to_value(),
            price_inr: 0,
            tracecoins_included: 0,
            validity_days: None,
            is_active: true,
            created_at: now,
            updated_at: now,
        }
    }
    fn apply(self, f: PackageFields) -> Self {
        pricing_packages::Model {
            name: f.name.map(|n| n.trim().to_string()).unwrap_or(self.name),
            description: f.description.map(text).unwrap_or(self.description),
            package_type: f.package_type.map(|t| t.to_value()).unwrap_or(self.package_type),
            price_inr: or(f.price_inr, self.price_inr),
            tracecoins_included: or(f.tracecoins_included, self.tracecoins_included),
            validity_days: or(f.validity_days, self.validity_days),
            is_active: or(f.is_active, self.is_active),
            ..self
        }
    }
    fn check(&self, p: &mut Problems) {
        p.text("name", &self.name, 200);
        max_chars(p, "description", self.description.as_deref(), 2000);
        p.amount("priceInr", self.price_inr);
        if !(0..=MAX_AMOUNT_INR).contains(&self.tracecoins_included) {
            p.add("tracecoinsIncluded", "must be zero or more");
        }
        if self.validity_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            p.add("validityDays", "must be between 1 and 3650");
        }
    }
}

// ----------------------------------------------------------------- coupons

/// Fields of a coupon.
#[derive(Clone, Debug, Default)]
pub struct CouponFields {
    pub code: Option<String>,
    pub description: Option<Option<String>>,
    pub discount_type: Option<DiscountType>,
    /// A percentage (1-100) or, for FLAT, paise.
    pub discount_value: Option<i64>,
    pub max_discount_inr: Option<Option<i64>>,
    pub min_order_value_inr: Option<Option<i64>>,
    pub valid_from: Option<Option<DateTime<Utc>>>,
    pub valid_to: Option<Option<DateTime<Utc>>>,
    pub usage_limit: Option<Option<i32>>,
    pub is_active: Option<bool>,
}

/// A coupon code as stored: trimmed, upper-case.
pub fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

impl CatalogRecord for coupons::Model {
    basics!(
        coupons,
        CouponFields,
        perms::COMMERCE_COUPONS_MANAGE,
        audited::COUPON,
        "coupon",
        code
    );
    const CONFLICT: Option<(&'static str, &'static str)> = Some(("code", "a coupon with this code exists"));
    fn snapshot(&self) -> Json {
        json!({
            "code": self.code, "description": self.description, "discountType": self.discount_type,
            "discountValue": self.discount_value, "maxDiscountInr": self.max_discount_inr,
            "minOrderValueInr": self.min_order_value_inr, "validFrom": self.valid_from, "validTo": self.valid_to,
            "usageLimit": self.usage_limit, "isActive": self.is_active,
        })
    }
    fn required(f: &CouponFields, p: &mut Problems) {
        required(
            p,
            &[
                ("code", f.code.is_some()),
                ("discountType", f.discount_type.is_some()),
                ("discountValue", f.discount_value.is_some()),
            ],
        );
    }
    fn blank(now: DateTimeWithTimeZone) -> Self {
        coupons::Model {
            id: Uuid::now_v7(),
            code: String::new(),
            description: None,
            discount_type: DiscountType::Percent.to_value(),
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
        }
    }
    fn apply(self, f: CouponFields) -> Self {
        coupons::Model {
            code: f.code.map(|c| normalize_code(&c)).unwrap_or(self.code),
            description: f.description.map(text).unwrap_or(self.description),
            discount_type: f.discount_type.map(|t| t.to_value()).unwrap_or(self.discount_type),
            discount_value: or(f.discount_value, self.discount_value),
            max_discount_inr: or(f.max_discount_inr, self.max_discount_inr),
            min_order_value_inr: or(f.min_order_value_inr, self.min_order_value_inr),
            valid_from: f.valid_from.map(|v| v.map(Into::into)).unwrap_or(self.valid_from),
            valid_to: f.valid_to.map(|v| v.map(Into::into)).unwrap_or(self.valid_to),
            usage_limit: or(f.usage_limit, self.usage_limit),
            is_active: or(f.is_active, self.is_active),
            ..self
        }
    }
    fn check(&self, p: &mut Problems) {
        let code_ok = (3..=40).contains(&self.code.len())
            && self
                .code
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
        if !code_ok {
            p.add("code", "must be 3 to 40 letters, digits, - or _");
        }
        max_chars(p, "description", self.description.as_deref(), 500);
        check_discount(p, &self.discount_type, self.discount_value);
        if let Some(v) = self.max_discount_inr {
            p.amount("maxDiscountInr", v);
        }
        if let Some(v) = self.min_order_value_inr {
            p.amount("minOrderValueInr", v);
        }
        ordered(p, "validTo", "validFrom", self.valid_from, self.valid_to);
        match self.usage_limit {
            Some(l) if l < 1 => p.add("usageLimit", "must be at least 1"),
            Some(l) if l < self.usage_count => p.add(
                "usageLimit",
                format!("the coupon has already been used {} times", self.usage_count),
            ),
            _ => {}
        }
    }
}

// ----------------------------------------------------------- discount rules

/// Fields of a discount rule.
#[derive(Clone, Debug, Default)]
pub struct DiscountRuleFields {
    pub name: Option<String>,
    pub scope_type: Option<DiscountScope>,
    pub scope_id: Option<Option<Uuid>>,
    pub discount_type: Option<DiscountType>,
    pub discount_value: Option<i64>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub is_active: Option<bool>,
}

impl CatalogRecord for discount_rules::Model {
    basics!(
        discount_rules,
        DiscountRuleFields,
        perms::COMMERCE_COUPONS_MANAGE,
        audited::DISCOUNT_RULE,
        "discount rule",
        name
    );
    fn snapshot(&self) -> Json {
        json!({
            "name": self.name, "scopeType": self.scope_type, "scopeId": self.scope_id,
            "discountType": self.discount_type, "discountValue": self.discount_value,
            "startsAt": self.starts_at, "endsAt": self.ends_at, "isActive": self.is_active,
        })
    }
    fn required(f: &DiscountRuleFields, p: &mut Problems) {
        required(
            p,
            &[
                ("discountType", f.discount_type.is_some()),
                ("discountValue", f.discount_value.is_some()),
            ],
        );
    }
    fn blank(now: DateTimeWithTimeZone) -> Self {
        discount_rules::Model {
            id: Uuid::now_v7(),
            name: String::new(),
            scope_type: DiscountScope::Global.to_value(),
            scope_id: None,
            discount_type: DiscountType::Percent.to_value(),
            discount_value: 0,
            starts_at: None,
            ends_at: None,
            is_active: true,
            created_at: now,
            updated_at: now,
        }
    }
    fn apply(self, f: DiscountRuleFields) -> Self {
        let scope_type = f.scope_type.map(|t| t.to_value()).unwrap_or(self.scope_type);
        // A GLOBAL rule has no scope.
        let scope_id = or(f.scope_id, self.scope_id).filter(|_| !is(&scope_type, DiscountScope::Global));
        discount_rules::Model {
            name: f.name.map(|n| n.trim().to_string()).unwrap_or(self.name),
            scope_type,
            scope_id,
            discount_type: f.discount_type.map(|t| t.to_value()).unwrap_or(self.discount_type),
            discount_value: or(f.discount_value, self.discount_value),
            starts_at: f.starts_at.map(|v| v.map(Into::into)).unwrap_or(self.starts_at),
            ends_at: f.ends_at.map(|v| v.map(Into::into)).unwrap_or(self.ends_at),
            is_active: or(f.is_active, self.is_active),
            ..self
        }
    }
    fn check(&self, p: &mut Problems) {
        p.text("name", &self.name, 200);
        if !is(&self.scope_type, DiscountScope::Global) && self.scope_id.is_none() {
            p.add("scopeId", "is required for a CATEGORY or SERVICE rule");
        }
        check_discount(p, &self.discount_type, self.discount_value);
        ordered(p, "endsAt", "startsAt", self.starts_at, self.ends_at);
    }
}

// --------------------------------------------------------------- tax rules

/// Fields of a tax rule.
#[derive(Clone, Debug, Default)]
pub struct TaxRuleFields {
    pub name: Option<String>,
    pub tax_type: Option<TaxType>,
    /// A percentage with at most 4 decimal places (18.0000 for 18 %).
    pub tax_rate: Option<Decimal>,
    pub applies_to: Option<TaxAppliesTo>,
    pub is_active: Option<bool>,
}

impl CatalogRecord for tax_rules::Model {
    basics!(
        tax_rules,
        TaxRuleFields,
        perms::COMMERCE_TAX_MANAGE,
        audited::TAX_RULE,
        "tax rule",
        name
    );
    fn snapshot(&self) -> Json {
        json!({
            "name": self.name, "taxType": self.tax_type, "taxRate": self.tax_rate.to_string(),
            "appliesTo": self.applies_to, "isActive": self.is_active,
        })
    }
    fn required(f: &TaxRuleFields, p: &mut Problems) {
        required(
            p,
            &[
                ("name", f.name.is_some()),
                ("taxType", f.tax_type.is_some()),
                ("taxRate", f.tax_rate.is_some()),
            ],
        );
    }
    fn blank(now: DateTimeWithTimeZone) -> Self {
        tax_rules::Model {
            id: Uuid::now_v7(),
            name: String::new(),
            tax_type: TaxType::Gst.to_value(),
            tax_rate: Decimal::ZERO,
            applies_to: TaxAppliesTo::All.to_value(),
            is_active: true,
            created_at: now,
            updated_at: now,
        }
    }
    fn apply(self, f: TaxRuleFields) -> Self {
        tax_rules::Model {
            name: f.name.map(|n| n.trim().to_string()).unwrap_or(self.name),
            tax_type: f.tax_type.map(|t| t.to_value()).unwrap_or(self.tax_type),
            tax_rate: or(f.tax_rate, self.tax_rate),
            applies_to: f.applies_to.map(|t| t.to_value()).unwrap_or(self.applies_to),
            is_active: or(f.is_active, self.is_active),
            ..self
        }
    }
    fn check(&self, p: &mut Problems) {
        p.text("name", &self.name, 200);
        let r = self.tax_rate;
        if r < Decimal::ZERO || r > Decimal::ONE_HUNDRED || r.normalize().scale() > 4 {
            p.add(
                "taxRate",
                "must be a percentage from 0 to 100 with at most 4 decimal places",
            );
        }
    }
}
