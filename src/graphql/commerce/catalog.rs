//! GraphQL types of the catalogue (packages, coupons, discount and tax
//! rules, gateway configurations) and of price quotes and checkouts.

use async_graphql::{ComplexObject, Context, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{DiscountScope, DiscountType, PackageType, PaymentGateway, TaxAppliesTo, TaxType};
use entity::{coupons, discount_rules, payment_gateway_configs, pricing_packages, tax_rules};
use rust_decimal::Decimal;

use super::types::CheckoutGateway;
use crate::error::AppError;
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::loaders::loaders;
use crate::service::commerce::{gateways, pricing};

/// Whether and when a record was made and last changed, and whether it is
/// in use.
#[derive(SimpleObject, Clone)]
pub struct Lifecycle {
    /// Whether it is in use (inactive records are kept for history).
    pub is_active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

fn lifecycle(
    is_active: bool,
    created: sea_orm::prelude::DateTimeWithTimeZone,
    updated: sea_orm::prelude::DateTimeWithTimeZone,
) -> Lifecycle {
    Lifecycle {
        is_active,
        created_at: ts(created),
        updated_at: ts(updated),
    }
}

/// Something for sale: job postings, contact views or a tracecoin bundle.
#[derive(SimpleObject, Clone)]
pub struct PricingPackage {
    /// The package's id.
    pub id: ID,
    /// Its name, as shown to buyers.
    pub name: String,
    /// What it gives, for buyers.
    pub description: Option<String>,
    /// What it sells.
    pub package_type: PackageType,
    /// Price before discounts and taxes: an integer amount in paise.
    pub price_inr: i64,
    /// Tracecoins credited to the buyer's wallet when the order completes.
    pub tracecoins_included: i64,
    /// How long what it gives lasts, in days (null: no limit).
    pub validity_days: Option<i32>,
    #[graphql(flatten)]
    pub lifecycle: Lifecycle,
}

impl PricingPackage {
    /// The package as the API shows it.
    pub fn of(m: pricing_packages::Model) -> Result<Self, AppError> {
        Ok(PricingPackage {
            id: id(m.id),
            package_type: db_enum(&m.package_type)?,
            lifecycle: lifecycle(m.is_active, m.created_at, m.updated_at),
            name: m.name,
            description: m.description,
            price_inr: m.price_inr,
            tracecoins_included: m.tracecoins_included,
            validity_days: m.validity_days,
        })
    }
}

/// How a coupon or discount rule reduces a price.
#[derive(SimpleObject, Clone)]
pub struct Discount {
    /// PERCENT of the amount, or a FLAT amount.
    pub discount_type: DiscountType,
    /// A percentage (1-100) or, for FLAT, an integer amount in paise.
    pub discount_value: i64,
}

fn discount(kind: &str, value: i64) -> Result<Discount, AppError> {
    Ok(Discount {
        discount_type: db_enum(kind)?,
        discount_value: value,
    })
}

/// A discount code.
#[derive(SimpleObject, Clone)]
pub struct Coupon {
    /// The coupon's id.
    pub id: ID,
    /// Upper-case; customers may type it in any case.
    pub code: String,
    /// What it is for (staff notes).
    pub description: Option<String>,
    #[graphql(flatten)]
    pub discount: Discount,
    /// The largest discount a PERCENT coupon gives: an integer amount in paise (null: no cap).
    pub max_discount_inr: Option<i64>,
    /// The smallest order subtotal it applies to: an integer amount in paise.
    pub min_order_value_inr: Option<i64>,
    /// Usable from this time (null: at once).
    pub valid_from: Option<DateTime<Utc>>,
    /// Usable until this time (null: no end).
    pub valid_to: Option<DateTime<Utc>>,
    /// How many orders may use it (null: unlimited).
    pub usage_limit: Option<i32>,
    /// How many orders have used it.
    pub usage_count: i32,
    #[graphql(flatten)]
    pub lifecycle: Lifecycle,
}

impl Coupon {
    /// The coupon as the API shows it.
    pub fn of(m: coupons::Model) -> Result<Self, AppError> {
        Ok(Coupon {
            id: id(m.id),
            discount: discount(&m.discount_type, m.discount_value)?,
            lifecycle: lifecycle(m.is_active, m.created_at, m.updated_at),
            valid_from: m.valid_from.map(ts),
            valid_to: m.valid_to.map(ts),
            code: m.code,
            description: m.description,
            max_discount_inr: m.max_discount_inr,
            min_order_value_inr: m.min_order_value_inr,
            usage_limit: m.usage_limit,
            usage_count: m.usage_count,
        })
    }
}

/// An automatic discount; the best applicable rule is applied to an order.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct DiscountRule {
    /// The rule's id.
    pub id: ID,
    /// Its name, shown on quotes.
    pub name: String,
    /// GLOBAL (every order) or one package (CATEGORY, SERVICE).
    pub scope_type: DiscountScope,
    /// For CATEGORY and SERVICE rules: the id of the package it applies to.
    pub scope_id: Option<ID>,
    #[graphql(flatten)]
    pub discount: Discount,
    /// Applies from this time (null: at once).
    pub starts_at: Option<DateTime<Utc>>,
    /// Applies until this time (null: no end).
    pub ends_at: Option<DateTime<Utc>>,
    #[graphql(flatten)]
    pub lifecycle: Lifecycle,
    #[graphql(skip)]
    pub scope: Option<uuid::Uuid>,
}

impl DiscountRule {
    /// The rule as the API shows it.
    pub fn of(m: discount_rules::Model) -> Result<Self, AppError> {
        Ok(DiscountRule {
            id: id(m.id),
            scope_type: db_enum(&m.scope_type)?,
            scope_id: m.scope_id.map(id),
            scope: m.scope_id,
            discount: discount(&m.discount_type, m.discount_value)?,
            starts_at: m.starts_at.map(ts),
            ends_at: m.ends_at.map(ts),
            lifecycle: lifecycle(m.is_active, m.created_at, m.updated_at),
            name: m.name,
        })
    }
}

#[ComplexObject]
impl DiscountRule {
    /// The package a CATEGORY or SERVICE rule applies to (`scopeId`).
    async fn scope_package(&self, ctx: &Context<'_>) -> Result<Option<PricingPackage>> {
        let Some(p) = self.scope else { return Ok(None) };
        let m = loaders(ctx)?
            .commerce
            .packages
            .load_one(p)
            .await
            .map_err(|e| e.to_graphql())?;
        Ok(m.map(PricingPackage::of).transpose()?)
    }
}

/// A tax levied on orders (GST, TCS).
#[derive(SimpleObject, Clone)]
pub struct TaxRule {
    /// The rule's id.
    pub id: ID,
    /// Its name, shown on quotes and invoices.
    pub name: String,
    /// Which tax it is.
    pub tax_type: TaxType,
    /// A percentage with up to 4 decimal places ("18.0000").
    pub tax_rate: Decimal,
    /// Which orders it applies to.
    pub applies_to: TaxAppliesTo,
    #[graphql(flatten)]
    pub lifecycle: Lifecycle,
}

impl TaxRule {
    /// The rule as the API shows it.
    pub fn of(m: tax_rules::Model) -> Result<Self, AppError> {
        Ok(TaxRule {
            id: id(m.id),
            tax_type: db_enum(&m.tax_type)?,
            applies_to: db_enum(&m.applies_to)?,
            lifecycle: lifecycle(m.is_active, m.created_at, m.updated_at),
            tax_rate: m.tax_rate,
            name: m.name,
        })
    }
}

/// A payment gateway configuration. Its secrets are write-only: there is
/// no field for them, only whether they are set.
#[derive(SimpleObject, Clone)]
pub struct PaymentGatewayConfig {
    /// The configuration's id.
    pub id: ID,
    /// The provider it is for.
    pub gateway_key: PaymentGateway,
    /// Its name, for staff.
    pub display_name: String,
    /// The public part (a Razorpay `keyId`, a Stripe `publishableKey`).
    pub public_config: async_graphql::Json<serde_json::Value>,
    /// Secrets (webhook signing secret, API secret) are stored, sealed.
    pub has_secret: bool,
    /// The test gateway's row (configured by environment, not editable).
    pub is_test: bool,
    #[graphql(flatten)]
    pub lifecycle: Lifecycle,
}

impl PaymentGatewayConfig {
    /// The configuration as the API shows it (never its secrets).
    pub fn of(m: payment_gateway_configs::Model) -> Result<Self, AppError> {
        Ok(PaymentGatewayConfig {
            id: id(m.id),
            gateway_key: db_enum(&m.gateway_key)?,
            has_secret: gateways::has_secret(&m),
            is_test: gateways::is_test(&m),
            lifecycle: lifecycle(m.is_active, m.created_at, m.updated_at),
            display_name: m.display_name,
            public_config: async_graphql::Json(m.config_json),
        })
    }
}

/// The discount rule applied to a price.
#[derive(SimpleObject, Clone)]
pub struct AppliedDiscountRule {
    /// The rule's id.
    pub discount_rule_id: ID,
    /// Its name.
    pub name: String,
    /// The discount it gave: an integer amount in paise.
    pub amount_inr: i64,
}

/// The coupon applied to a price.
#[derive(SimpleObject, Clone)]
pub struct AppliedCoupon {
    /// The coupon's id.
    pub coupon_id: ID,
    /// Its code.
    pub code: String,
    /// The discount it gave (after the rule's): an integer amount in paise.
    pub amount_inr: i64,
}

/// One tax of a price.
#[derive(SimpleObject, Clone)]
pub struct TaxLine {
    /// The tax rule's id.
    pub tax_rule_id: ID,
    /// Its name.
    pub name: String,
    /// Which tax it is.
    pub tax_type: TaxType,
    /// The percentage applied.
    pub rate: Decimal,
    /// Base × rate / 100, rounded half-up to the paisa: an integer amount in paise.
    pub amount_inr: i64,
}

/// A price, line by line: the best discount rule on the subtotal, the
/// coupon on the rest, then each tax on the discounted amount, each
/// rounded half-up to the paisa.
#[derive(SimpleObject, Clone)]
pub struct PriceQuote {
    /// Unit price × quantity: an integer amount in paise.
    pub subtotal_inr: i64,
    /// The discount rule applied, if any.
    pub discount_rule: Option<AppliedDiscountRule>,
    /// The coupon applied, if any.
    pub coupon: Option<AppliedCoupon>,
    /// Rule plus coupon: an integer amount in paise.
    pub discount_inr: i64,
    /// Each tax levied.
    pub taxes: Vec<TaxLine>,
    /// Every tax together: an integer amount in paise.
    pub tax_inr: i64,
    /// What the buyer pays: an integer amount in paise.
    pub total_inr: i64,
}

impl PriceQuote {
    /// The quote as the API shows it.
    pub fn of(q: pricing::Quote) -> Result<Self, AppError> {
        Ok(PriceQuote {
            subtotal_inr: q.subtotal_inr,
            discount_rule: q.rule.map(|r| AppliedDiscountRule {
                discount_rule_id: id(r.id),
                name: r.name,
                amount_inr: r.amount_inr,
            }),
            coupon: q.coupon.map(|c| AppliedCoupon {
                coupon_id: id(c.id),
                code: c.code,
                amount_inr: c.amount_inr,
            }),
            discount_inr: q.discount_inr,
            taxes: q
                .taxes
                .into_iter()
                .map(|t| {
                    Ok(TaxLine {
                        tax_rule_id: id(t.id),
                        tax_type: db_enum(&t.tax_type)?,
                        name: t.name,
                        rate: t.rate,
                        amount_inr: t.amount_inr,
                    })
                })
                .collect::<Result<_, AppError>>()?,
            tax_inr: q.tax_inr,
            total_inr: q.total_inr,
        })
    }
}

/// What the client needs to pay: hand `params` to the provider's checkout.
#[derive(SimpleObject, Clone)]
pub struct PaymentCheckout {
    /// The payment to complete.
    pub payment_id: ID,
    /// The gateway to pay through.
    pub gateway: CheckoutGateway,
    /// What to pay: an integer amount in paise.
    pub amount_inr: i64,
    /// ISO 4217 code of the amount's currency (always INR).
    pub currency_code: String,
    /// Provider checkout parameters (public key, amount, our payment id in
    /// the provider's metadata). Never a secret.
    pub params: async_graphql::Json<serde_json::Value>,
}
