//! GraphQL types of commerce. Amounts of rupees are `Int` paise in fields
//! named `...Inr`. A gateway configuration has no field for its secrets.

use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{
    DiscountScope, DiscountType, InvoiceStatus, OrderStatus, PackageType, PaymentGateway, PaymentMethod, PaymentStatus,
    PaymentTransactionType, ProductType, TaxAppliesTo, TaxType,
};
use entity::{
    coupons, discount_rules, invoices, order_items, orders, payment_gateway_configs, payment_transactions, payments,
    pricing_packages, tax_rules,
};
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;

use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::service::commerce::gateway::GatewayKind;
use crate::service::commerce::{gateways, orders as svc, pricing};

fn ts(t: sea_orm::prelude::DateTimeWithTimeZone) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

fn db_enum<E: ActiveEnum<Value = String>>(value: &str) -> Result<E, AppError> {
    E::try_from_value(&value.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad enum value in database: {e}")))
}

fn id(u: uuid::Uuid) -> ID {
    ID(u.to_string())
}

/// Which gateway a payment goes through: a real provider, or the test
/// gateway (enabled only by configuration, for development and tests).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CheckoutGateway {
    /// Razorpay (`/webhooks/payments/razorpay`).
    Razorpay,
    /// Stripe (`/webhooks/payments/stripe`).
    Stripe,
    /// The development gateway (`/webhooks/payments/test`).
    Test,
}

impl From<CheckoutGateway> for GatewayKind {
    fn from(g: CheckoutGateway) -> Self {
        match g {
            CheckoutGateway::Razorpay => GatewayKind::Razorpay,
            CheckoutGateway::Stripe => GatewayKind::Stripe,
            CheckoutGateway::Test => GatewayKind::Test,
        }
    }
}

impl From<GatewayKind> for CheckoutGateway {
    fn from(g: GatewayKind) -> Self {
        match g {
            GatewayKind::Razorpay => CheckoutGateway::Razorpay,
            GatewayKind::Stripe => CheckoutGateway::Stripe,
            GatewayKind::Test => CheckoutGateway::Test,
        }
    }
}

/// Something for sale: job postings, contact views or a tracecoin bundle.
pub struct PricingPackage(pub pricing_packages::Model);

#[Object]
impl PricingPackage {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn package_type(&self) -> Result<PackageType> {
        Ok(db_enum(&self.0.package_type)?)
    }
    /// Price before discounts and taxes, in paise.
    async fn price_inr(&self) -> i64 {
        self.0.price_inr
    }
    /// Tracecoins credited to the buyer's wallet when the order completes.
    async fn tracecoins_included(&self) -> i64 {
        self.0.tracecoins_included
    }
    async fn validity_days(&self) -> Option<i32> {
        self.0.validity_days
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        ts(self.0.updated_at)
    }
}

/// A discount code.
pub struct Coupon(pub coupons::Model);

#[Object]
impl Coupon {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Upper-case; customers may type it in any case.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn discount_type(&self) -> Result<DiscountType> {
        Ok(db_enum(&self.0.discount_type)?)
    }
    /// A percentage (1-100) or, for FLAT, paise.
    async fn discount_value(&self) -> i64 {
        self.0.discount_value
    }
    async fn max_discount_inr(&self) -> Option<i64> {
        self.0.max_discount_inr
    }
    /// Compared with the order's subtotal.
    async fn min_order_value_inr(&self) -> Option<i64> {
        self.0.min_order_value_inr
    }
    async fn valid_from(&self) -> Option<DateTime<Utc>> {
        self.0.valid_from.map(ts)
    }
    async fn valid_to(&self) -> Option<DateTime<Utc>> {
        self.0.valid_to.map(ts)
    }
    /// Null: unlimited.
    async fn usage_limit(&self) -> Option<i32> {
        self.0.usage_limit
    }
    async fn usage_count(&self) -> i32 {
        self.0.usage_count
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// An automatic discount; the best applicable rule is applied to an order.
pub struct DiscountRule(pub discount_rules::Model);

#[Object]
impl DiscountRule {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn scope_type(&self) -> Result<DiscountScope> {
        Ok(db_enum(&self.0.scope_type)?)
    }
    /// For CATEGORY and SERVICE rules: the package (or service) it applies to.
    async fn scope_id(&self) -> Option<ID> {
        self.0.scope_id.map(id)
    }
    async fn discount_type(&self) -> Result<DiscountType> {
        Ok(db_enum(&self.0.discount_type)?)
    }
    /// A percentage (1-100) or, for FLAT, paise.
    async fn discount_value(&self) -> i64 {
        self.0.discount_value
    }
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.starts_at.map(ts)
    }
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.0.ends_at.map(ts)
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// A tax levied on orders (GST, TCS).
pub struct TaxRule(pub tax_rules::Model);

#[Object]
impl TaxRule {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn tax_type(&self) -> Result<TaxType> {
        Ok(db_enum(&self.0.tax_type)?)
    }
    /// A percentage with up to 4 decimal places ("18.0000").
    async fn tax_rate(&self) -> Decimal {
        self.0.tax_rate
    }
    async fn applies_to(&self) -> Result<TaxAppliesTo> {
        Ok(db_enum(&self.0.applies_to)?)
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// The discount rule applied to a price.
#[derive(SimpleObject, Clone)]
pub struct AppliedDiscountRule {
    pub discount_rule_id: ID,
    pub name: String,
    /// The discount it gave, in paise.
    pub amount_inr: i64,
}

/// The coupon applied to a price.
#[derive(SimpleObject, Clone)]
pub struct AppliedCoupon {
    pub coupon_id: ID,
    pub code: String,
    /// The discount it gave (after the rule's), in paise.
    pub amount_inr: i64,
}

/// One tax of a price.
#[derive(SimpleObject, Clone)]
pub struct TaxLine {
    pub tax_rule_id: ID,
    pub name: String,
    pub tax_type: TaxType,
    /// The percentage applied.
    pub rate: Decimal,
    /// Base × rate / 100, rounded half-up to the paisa.
    pub amount_inr: i64,
}

/// A price, line by line: the best discount rule on the subtotal, the
/// coupon on the rest, then each tax on the discounted amount, each
/// rounded half-up to the paisa.
#[derive(SimpleObject, Clone)]
pub struct PriceQuote {
    pub subtotal_inr: i64,
    pub discount_rule: Option<AppliedDiscountRule>,
    pub coupon: Option<AppliedCoupon>,
    /// Rule plus coupon.
    pub discount_inr: i64,
    pub taxes: Vec<TaxLine>,
    pub tax_inr: i64,
    pub total_inr: i64,
}

impl From<pricing::Quote> for PriceQuote {
    fn from(q: pricing::Quote) -> Self {
        PriceQuote {
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
                .map(|t| TaxLine {
                    tax_rule_id: id(t.id),
                    name: t.name,
                    tax_type: if t.tax_type == "TCS" {
                        TaxType::Tcs
                    } else {
                        TaxType::Gst
                    },
                    rate: t.rate,
                    amount_inr: t.amount_inr,
                })
                .collect(),
            tax_inr: q.tax_inr,
            total_inr: q.total_inr,
        }
    }
}

/// A purchase.
pub struct Order(pub orders::Model);

#[Object]
impl Order {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The buyer.
    async fn user_id(&self) -> ID {
        id(self.0.user_id)
    }
    async fn order_type(&self) -> Result<ProductType> {
        Ok(db_enum(&self.0.order_type)?)
    }
    /// PENDING until paid; CANCELLED after a failed payment or a refund.
    async fn status(&self) -> Result<OrderStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    async fn subtotal_inr(&self) -> i64 {
        self.0.subtotal_inr
    }
    async fn discount_inr(&self) -> i64 {
        self.0.discount_inr
    }
    async fn tax_inr(&self) -> i64 {
        self.0.tax_inr
    }
    async fn total_inr(&self) -> i64 {
        self.0.total_inr
    }
    /// The coupon used, if any.
    async fn coupon_code(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(c) = self.0.coupon_id else {
            return Ok(None);
        };
        Ok(svc::coupon_of(&app(ctx)?.db.read, c).await?.map(|c| c.code))
    }
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<OrderItem>> {
        Ok(svc::items_of(&app(ctx)?.db.read, self.0.id)
            .await?
            .into_iter()
            .map(OrderItem)
            .collect())
    }
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Option<Invoice>> {
        Ok(svc::invoice_of(&app(ctx)?.db.read, self.0.id).await?.map(Invoice))
    }
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<Payment>> {
        Ok(svc::payments_of(&app(ctx)?.db.read, self.0.id)
            .await?
            .into_iter()
            .map(Payment)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        ts(self.0.updated_at)
    }
}

/// One line of an order.
pub struct OrderItem(pub order_items::Model);

#[Object]
impl OrderItem {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn item_type(&self) -> Result<ProductType> {
        Ok(db_enum(&self.0.item_type)?)
    }
    /// The package (or service) bought.
    async fn item_id(&self) -> ID {
        id(self.0.item_id)
    }
    async fn item_name(&self) -> &str {
        &self.0.item_name
    }
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
    async fn unit_price_inr(&self) -> i64 {
        self.0.unit_price_inr
    }
    async fn total_price_inr(&self) -> i64 {
        self.0.total_price_inr
    }
}

/// The invoice of an order; numbers run gap-free per year (INV-2026-000042).
pub struct Invoice(pub invoices::Model);

#[Object]
impl Invoice {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn invoice_number(&self) -> &str {
        &self.0.invoice_number
    }
    async fn order_id(&self) -> ID {
        id(self.0.order_id)
    }
    async fn user_id(&self) -> ID {
        id(self.0.user_id)
    }
    async fn subtotal_inr(&self) -> i64 {
        self.0.subtotal_inr
    }
    async fn discount_inr(&self) -> i64 {
        self.0.discount_inr
    }
    async fn tax_inr(&self) -> i64 {
        self.0.tax_inr
    }
    async fn total_inr(&self) -> i64 {
        self.0.total_inr
    }
    /// ISSUED, PAID, or VOID (a failed payment or a refund).
    async fn status(&self) -> Result<InvoiceStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    async fn issued_at(&self) -> DateTime<Utc> {
        ts(self.0.issued_at)
    }
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at.map(ts)
    }
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at.map(ts)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// A payment of an order through a gateway.
pub struct Payment(pub payments::Model);

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn order_id(&self) -> ID {
        id(self.0.order_id)
    }
    async fn invoice_id(&self) -> Option<ID> {
        self.0.invoice_id.map(id)
    }
    async fn user_id(&self) -> ID {
        id(self.0.user_id)
    }
    /// The gateway it goes through.
    async fn gateway(&self, ctx: &Context<'_>) -> Result<CheckoutGateway> {
        let kind = gateways::kind_of_config(&app(ctx)?.db.read, self.0.payment_gateway_config_id).await?;
        Ok(kind.into())
    }
    async fn gateway_config_id(&self) -> ID {
        id(self.0.payment_gateway_config_id)
    }
    async fn payment_method(&self) -> Result<Option<PaymentMethod>> {
        Ok(self.0.payment_method.as_deref().map(db_enum).transpose()?)
    }
    /// The provider's id of the payment (`pay_...`, `pi_...`), once known.
    async fn provider_payment_ref(&self) -> Option<&str> {
        self.0.provider_payment_ref.as_deref()
    }
    async fn amount_inr(&self) -> i64 {
        self.0.amount_inr
    }
    async fn currency_code(&self) -> &str {
        &self.0.currency_code
    }
    async fn status(&self) -> Result<PaymentStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    async fn initiated_at(&self) -> DateTime<Utc> {
        ts(self.0.initiated_at)
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at.map(ts)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
    /// The append-only log: initiation, every webhook call, completion,
    /// failure, refund (`commerce.orders.read_all`; it holds the providers'
    /// payloads).
    async fn transactions(&self, ctx: &Context<'_>) -> Result<Vec<PaymentTransaction>> {
        Ok(svc::transactions_of(app(ctx)?, viewer(ctx), self.0.id)
            .await?
            .into_iter()
            .map(PaymentTransaction)
            .collect())
    }
}

/// One entry of a payment's log.
pub struct PaymentTransaction(pub payment_transactions::Model);

#[Object]
impl PaymentTransaction {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn transaction_type(&self) -> Result<PaymentTransactionType> {
        Ok(db_enum(&self.0.transaction_type)?)
    }
    async fn provider_reference(&self) -> Option<&str> {
        self.0.provider_reference.as_deref()
    }
    /// What was sent (checkout parameters) or received (a webhook body).
    async fn request_payload(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0.request_payload_json.clone().map(async_graphql::Json)
    }
    /// What we made of it.
    async fn response_payload(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0.response_payload_json.clone().map(async_graphql::Json)
    }
    /// The payment's status after this entry.
    async fn status(&self) -> Result<PaymentStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// A payment gateway configuration. Its secrets are write-only: there is
/// no field for them, only whether they are set.
pub struct PaymentGatewayConfig(pub payment_gateway_configs::Model);

#[Object]
impl PaymentGatewayConfig {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn gateway_key(&self) -> Result<PaymentGateway> {
        Ok(db_enum(&self.0.gateway_key)?)
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// The public part (a Razorpay `keyId`, a Stripe `publishableKey`).
    async fn public_config(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.config_json.clone())
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    /// Secrets (webhook signing secret, API secret) are stored, sealed.
    async fn has_secret(&self) -> bool {
        gateways::has_secret(&self.0)
    }
    /// The test gateway's row (configured by environment, not editable).
    async fn is_test(&self) -> bool {
        gateways::is_test(&self.0)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        ts(self.0.updated_at)
    }
}

/// What the client needs to pay: hand `params` to the provider's checkout.
#[derive(SimpleObject, Clone)]
pub struct PaymentCheckout {
    pub payment_id: ID,
    pub gateway: CheckoutGateway,
    pub amount_inr: i64,
    pub currency_code: String,
    /// Provider checkout parameters (public key, amount, our payment id in
    /// the provider's metadata). Never a secret.
    pub params: async_graphql::Json<serde_json::Value>,
}
