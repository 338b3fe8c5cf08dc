//! Input objects of commerce: list filters, purchases and the catalogue's
//! create / update inputs. Amounts are integer paise (`...Inr`).

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};
use entity::enums::{
    DiscountScope, DiscountType, InvoiceStatus, OrderStatus, PackageType, PaymentGateway, PaymentStatus, TaxAppliesTo,
    TaxType,
};
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;

use super::types::CheckoutGateway;
use crate::error::AppError;
use crate::graphql::convert::{parse_opt_id, to_db};
use crate::service::commerce::ListFilter;

/// `undefined` → leave, `null` → clear, a value → set.
pub fn patch<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(x) => Some(Some(x)),
    }
}

/// Filters of a list of orders, invoices or payments (`S` is its status enum).
#[derive(InputObject, Clone)]
#[graphql(concrete(name = "OrderFilter", params(OrderStatus)))]
#[graphql(concrete(name = "InvoiceFilter", params(InvoiceStatus)))]
#[graphql(concrete(name = "PaymentFilter", params(PaymentStatus)))]
pub struct StatusFilter<S: async_graphql::InputType + ActiveEnum<Value = String>> {
    /// Only records in any of these statuses (omitted or empty: all).
    pub status: Option<Vec<S>>,
    /// Only this user's (staff lists only; ignored for your own).
    pub user_id: Option<ID>,
    /// Only records made at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Only records made before this time.
    pub created_before: Option<DateTime<Utc>>,
}

impl<S: async_graphql::InputType + ActiveEnum<Value = String>> StatusFilter<S> {
    /// The service's filter.
    pub fn into_filter(self) -> Result<ListFilter, AppError> {
        Ok(ListFilter {
            status: self.status.unwrap_or_default().into_iter().map(to_db).collect(),
            user_id: parse_opt_id(self.user_id.as_ref(), "filter.userId")?,
            created_after: self.created_after,
            created_before: self.created_before,
        })
    }
}

/// A purchase of one package.
#[derive(InputObject)]
pub struct PurchasePackageInput {
    /// The package to buy (it must be on sale).
    pub package_id: ID,
    /// A coupon code, in any case.
    pub coupon_code: Option<String>,
    /// The gateway to pay through; ignored when the total comes to zero
    /// (the order completes at once).
    pub gateway: CheckoutGateway,
    /// Retries with the same key return the first result; the same key for
    /// a different purchase is a CONFLICT. 1 to 200 characters.
    pub idempotency_key: String,
}

/// A price question: a package and, optionally, a coupon.
#[derive(InputObject)]
pub struct QuotePackageInput {
    /// The package to price (it must be on sale).
    pub package_id: ID,
    /// A coupon code to try, in any case (checked, not used).
    pub coupon_code: Option<String>,
}

/// A test-gateway payment outcome to deliver (development only).
#[derive(InputObject)]
pub struct SimulateTestPaymentInput {
    /// One of your payments through the test gateway.
    pub payment_id: ID,
    /// False delivers a payment failure.
    #[graphql(default = true)]
    pub succeed: bool,
}

/// A refund of a successful payment.
#[derive(InputObject)]
pub struct RefundPaymentInput {
    /// The payment to refund (it must be SUCCESS).
    pub payment_id: ID,
    /// Why, for the audit trail: 1 to 500 characters.
    pub reason: String,
}

/// A new pricing package.
#[derive(InputObject)]
pub struct CreatePricingPackageInput {
    /// Its name: 1 to 200 characters.
    pub name: String,
    /// What it gives, for buyers: at most 2000 characters.
    pub description: Option<String>,
    /// What it sells.
    pub package_type: PackageType,
    /// Price before discounts and taxes: an integer amount in paise.
    pub price_inr: i64,
    /// Tracecoins credited when an order of it completes.
    #[graphql(default)]
    pub tracecoins_included: i64,
    /// How long it lasts, 1 to 3650 days (null: no limit).
    pub validity_days: Option<i32>,
    /// Whether it is on sale.
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a pricing package; omitted fields stay, `null` clears a nullable one.
#[derive(InputObject)]
pub struct UpdatePricingPackageInput {
    /// The package to change.
    pub id: ID,
    /// A new name: 1 to 200 characters.
    pub name: Option<String>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
    /// What it sells.
    pub package_type: Option<PackageType>,
    /// A new price: an integer amount in paise (orders already made keep theirs).
    pub price_inr: Option<i64>,
    /// Tracecoins credited when an order of it completes.
    pub tracecoins_included: Option<i64>,
    /// How long it lasts, 1 to 3650 days (null: no limit).
    pub validity_days: MaybeUndefined<i32>,
    /// False stops selling it.
    pub is_active: Option<bool>,
}

/// A new coupon.
#[derive(InputObject)]
pub struct CreateCouponInput {
    /// 3 to 40 letters, digits, - or _; stored upper-case, unique in any case.
    pub code: String,
    /// What it is for: at most 500 characters.
    pub description: Option<String>,
    /// PERCENT of the amount, or a FLAT amount.
    pub discount_type: DiscountType,
    /// A percentage (1-100) or, for FLAT, an integer amount in paise.
    pub discount_value: i64,
    /// The largest discount a PERCENT coupon gives: an integer amount in paise.
    pub max_discount_inr: Option<i64>,
    /// The smallest order subtotal it applies to: an integer amount in paise.
    pub min_order_value_inr: Option<i64>,
    /// Usable from this time (null: at once).
    pub valid_from: Option<DateTime<Utc>>,
    /// Usable until this time (null: no end).
    pub valid_to: Option<DateTime<Utc>>,
    /// How many orders may use it (null: unlimited).
    pub usage_limit: Option<i32>,
    /// Whether it can be used.
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a coupon; omitted fields stay, `null` clears a nullable one.
#[derive(InputObject)]
pub struct UpdateCouponInput {
    /// The coupon to change.
    pub id: ID,
    /// A new code (3 to 40 letters, digits, - or _).
    pub code: Option<String>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
    /// PERCENT of the amount, or a FLAT amount.
    pub discount_type: Option<DiscountType>,
    /// A percentage (1-100) or, for FLAT, an integer amount in paise.
    pub discount_value: Option<i64>,
    /// The largest discount a PERCENT coupon gives: an integer amount in paise (null: no cap).
    pub max_discount_inr: MaybeUndefined<i64>,
    /// The smallest order subtotal it applies to: an integer amount in paise (null: none).
    pub min_order_value_inr: MaybeUndefined<i64>,
    /// Usable from this time (null: at once).
    pub valid_from: MaybeUndefined<DateTime<Utc>>,
    /// Usable until this time (null: no end).
    pub valid_to: MaybeUndefined<DateTime<Utc>>,
    /// How many orders may use it (null: unlimited; not below its uses so far).
    pub usage_limit: MaybeUndefined<i32>,
    /// Whether it can be used.
    pub is_active: Option<bool>,
}

/// A new discount rule.
#[derive(InputObject)]
pub struct CreateDiscountRuleInput {
    /// Its name, shown on quotes: 1 to 200 characters.
    pub name: String,
    /// GLOBAL (every order) or one package (CATEGORY, SERVICE).
    #[graphql(default_with = "DiscountScope::Global")]
    pub scope_type: DiscountScope,
    /// For CATEGORY and SERVICE rules: the package id it applies to.
    pub scope_id: Option<ID>,
    /// PERCENT of the amount, or a FLAT amount.
    pub discount_type: DiscountType,
    /// A percentage (1-100) or, for FLAT, an integer amount in paise.
    pub discount_value: i64,
    /// Applies from this time (null: at once).
    pub starts_at: Option<DateTime<Utc>>,
    /// Applies until this time (null: no end).
    pub ends_at: Option<DateTime<Utc>>,
    /// Whether it applies.
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a discount rule; omitted fields stay, `null` clears a nullable one.
#[derive(InputObject)]
pub struct UpdateDiscountRuleInput {
    /// The rule to change.
    pub id: ID,
    /// A new name: 1 to 200 characters.
    pub name: Option<String>,
    /// GLOBAL (every order) or one package (CATEGORY, SERVICE).
    pub scope_type: Option<DiscountScope>,
    /// The package id a CATEGORY or SERVICE rule applies to.
    pub scope_id: MaybeUndefined<ID>,
    /// PERCENT of the amount, or a FLAT amount.
    pub discount_type: Option<DiscountType>,
    /// A percentage (1-100) or, for FLAT, an integer amount in paise.
    pub discount_value: Option<i64>,
    /// Applies from this time (null: at once).
    pub starts_at: MaybeUndefined<DateTime<Utc>>,
    /// Applies until this time (null: no end).
    pub ends_at: MaybeUndefined<DateTime<Utc>>,
    /// Whether it applies.
    pub is_active: Option<bool>,
}

/// A new tax rule.
#[derive(InputObject)]
pub struct CreateTaxRuleInput {
    /// Its name, shown on quotes and invoices: 1 to 200 characters.
    pub name: String,
    /// Which tax it is.
    pub tax_type: TaxType,
    /// A percentage from 0 to 100 with at most 4 decimal places, as a string ("18").
    pub tax_rate: Decimal,
    /// Which orders it applies to.
    #[graphql(default_with = "TaxAppliesTo::All")]
    pub applies_to: TaxAppliesTo,
    /// Whether it is levied.
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a tax rule; omitted fields stay.
#[derive(InputObject)]
pub struct UpdateTaxRuleInput {
    /// The rule to change.
    pub id: ID,
    /// A new name: 1 to 200 characters.
    pub name: Option<String>,
    /// Which tax it is.
    pub tax_type: Option<TaxType>,
    /// A percentage from 0 to 100 with at most 4 decimal places.
    pub tax_rate: Option<Decimal>,
    /// Which orders it applies to.
    pub applies_to: Option<TaxAppliesTo>,
    /// Whether it is levied.
    pub is_active: Option<bool>,
}

/// The id of the record to delete.
#[derive(InputObject)]
pub struct DeleteByIdInput {
    /// The record's id.
    pub id: ID,
}

/// A new payment gateway configuration; secrets are write-only.
#[derive(InputObject)]
pub struct CreatePaymentGatewayConfigInput {
    /// The provider it is for.
    pub gateway_key: PaymentGateway,
    /// Its name, for staff: 1 to 100 characters.
    pub display_name: String,
    /// Public settings only (a Razorpay `keyId`, a Stripe `publishableKey`).
    pub public_config: Option<async_graphql::Json<serde_json::Value>>,
    /// Signs the provider's webhooks. Write-only: stored sealed, never returned.
    pub webhook_secret: Option<String>,
    /// The provider API secret. Write-only: stored sealed, never returned.
    pub api_secret: Option<String>,
    /// Whether new payments may use it.
    #[graphql(default = true)]
    pub is_active: bool,
}

/// Changes to a payment gateway configuration; omitted fields (and secrets) stay.
#[derive(InputObject)]
pub struct UpdatePaymentGatewayConfigInput {
    /// The configuration to change.
    pub id: ID,
    /// A new name, for staff.
    pub display_name: Option<String>,
    /// New public settings (replacing the old).
    pub public_config: Option<async_graphql::Json<serde_json::Value>>,
    /// Replaces the stored webhook secret when given.
    pub webhook_secret: Option<String>,
    /// Replaces the stored API secret when given.
    pub api_secret: Option<String>,
    /// Whether new payments may use it.
    pub is_active: Option<bool>,
}
