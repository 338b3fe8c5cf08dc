//! GraphQL types of commerce. Amounts of rupees are `Int` paise in fields
//! named `...Inr`. A gateway configuration has no field for its secrets.
//! Data fields are plain struct fields (documented once, here); relations
//! resolve through the request's loaders.

use async_graphql::{ComplexObject, Context, Enum, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{InvoiceStatus, OrderStatus, PaymentMethod, PaymentStatus, PaymentTransactionType, ProductType};
use entity::{invoices, order_items, orders, payment_transactions, payments};

use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::identity::types::User;
use crate::graphql::loaders::loaders;
use crate::service::commerce::gateway::GatewayKind;
use crate::service::commerce::orders as svc;

pub use super::catalog::*;

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

/// The amounts of an order or invoice, each an integer amount in paise.
#[derive(SimpleObject, Clone)]
pub struct Totals {
    /// Before discounts and taxes: an integer amount in paise.
    pub subtotal_inr: i64,
    /// The discount rule's and the coupon's together: an integer amount in paise.
    pub discount_inr: i64,
    /// Every tax together: an integer amount in paise.
    pub tax_inr: i64,
    /// What the buyer pays (subtotal - discount + tax): an integer amount in paise.
    pub total_inr: i64,
}

fn totals(subtotal: i64, discount: i64, tax: i64, total: i64) -> Totals {
    Totals {
        subtotal_inr: subtotal,
        discount_inr: discount,
        tax_inr: tax,
        total_inr: total,
    }
}

/// A purchase.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Order {
    /// The order's id.
    pub id: ID,
    /// The buyer's id (see `user`).
    pub user_id: ID,
    /// What it buys.
    pub order_type: ProductType,
    /// PENDING until paid; CANCELLED after a failed payment or a refund.
    pub status: OrderStatus,
    #[graphql(flatten)]
    pub totals: Totals,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row: orders::Model,
}

impl Order {
    /// The order as the API shows it.
    pub fn of(m: orders::Model) -> Result<Self, AppError> {
        Ok(Order {
            id: id(m.id),
            user_id: id(m.user_id),
            order_type: db_enum(&m.order_type)?,
            status: db_enum(&m.status)?,
            totals: totals(m.subtotal_inr, m.discount_inr, m.tax_inr, m.total_inr),
            created_at: ts(m.created_at),
            updated_at: ts(m.updated_at),
            row: m,
        })
    }
}

/// Loads `key` with `loader`, mapping the row.
macro_rules! follow {
    ($ctx:expr, $loader:ident, $key:expr, $map:expr) => {{
        let row = loaders($ctx)?
            .commerce
            .$loader
            .load_one($key)
            .await
            .map_err(|e| e.to_graphql())?;
        Ok(row.map($map).transpose()?)
    }};
}

/// Loads the rows of `key` with `loader`, mapping each.
macro_rules! follow_many {
    ($ctx:expr, $loader:ident, $key:expr, $map:expr) => {{
        let rows = loaders($ctx)?
            .commerce
            .$loader
            .load_one($key)
            .await
            .map_err(|e| e.to_graphql())?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map($map)
            .collect::<Result<_, _>>()?)
    }};
}

async fn user(ctx: &Context<'_>, user: uuid::Uuid) -> Result<Option<User>> {
    Ok(loaders(ctx)?
        .identity
        .users
        .load_one(user)
        .await
        .map_err(|e| e.to_graphql())?
        .map(User::new))
}

#[ComplexObject]
impl Order {
    /// The buyer.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.row.user_id).await
    }
    /// The code of the coupon used, if any (for everyone who may see the order).
    async fn coupon_code(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(c) = self.row.coupon_id else { return Ok(None) };
        Ok(loaders(ctx)?
            .commerce
            .coupons
            .load_one(c)
            .await
            .map_err(|e| e.to_graphql())?
            .map(|c| c.code))
    }
    /// The coupon used, if any (`commerce.coupons.manage`; others read `couponCode`).
    async fn coupon(&self, ctx: &Context<'_>) -> Result<Option<Coupon>> {
        crate::service::commerce::catalog::require_coupons(viewer(ctx))?;
        let Some(c) = self.row.coupon_id else { return Ok(None) };
        follow!(ctx, coupons, c, Coupon::of)
    }
    /// What it buys, line by line.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<OrderItem>> {
        follow_many!(ctx, items, self.row.id, OrderItem::of)
    }
    /// Its invoice.
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Option<Invoice>> {
        follow!(ctx, invoice_of_order, self.row.id, Invoice::of)
    }
    /// Its payments, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<Payment>> {
        follow_many!(ctx, payments_of_order, self.row.id, Payment::of)
    }
}

/// One line of an order.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct OrderItem {
    /// The line's id.
    pub id: ID,
    /// What was bought: a package or a service.
    pub item_type: ProductType,
    /// The id of the package (or service) bought (see `package`).
    pub item_id: ID,
    /// Its name when it was bought.
    pub item_name: String,
    /// How many.
    pub quantity: i32,
    /// Price of one when it was bought: an integer amount in paise.
    pub unit_price_inr: i64,
    /// Unit price × quantity: an integer amount in paise.
    pub total_price_inr: i64,
    #[graphql(skip)]
    pub row: order_items::Model,
}

impl OrderItem {
    /// The line as the API shows it.
    pub fn of(m: order_items::Model) -> Result<Self, AppError> {
        Ok(OrderItem {
            id: id(m.id),
            item_type: db_enum(&m.item_type)?,
            item_id: id(m.item_id),
            item_name: m.item_name.clone(),
            quantity: m.quantity,
            unit_price_inr: m.unit_price_inr,
            total_price_inr: m.total_price_inr,
            row: m,
        })
    }
}

#[ComplexObject]
impl OrderItem {
    /// The package bought (null for a service), as it is now.
    async fn package(&self, ctx: &Context<'_>) -> Result<Option<PricingPackage>> {
        if self.item_type != ProductType::Package {
            return Ok(None);
        }
        follow!(ctx, packages, self.row.item_id, PricingPackage::of)
    }
}

/// The invoice of an order; numbers run gap-free per year (INV-2026-000042).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Invoice {
    /// The invoice's id.
    pub id: ID,
    /// Its number, unique and gap-free per year.
    pub invoice_number: String,
    /// The id of its order (see `order`).
    pub order_id: ID,
    /// The buyer's id (see `user`).
    pub user_id: ID,
    #[graphql(flatten)]
    pub totals: Totals,
    /// ISSUED, PAID, or VOID (a failed payment or a refund).
    pub status: InvoiceStatus,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it is due, if it has a due date.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row: invoices::Model,
}

impl Invoice {
    /// The invoice as the API shows it.
    pub fn of(m: invoices::Model) -> Result<Self, AppError> {
        Ok(Invoice {
            id: id(m.id),
            invoice_number: m.invoice_number.clone(),
            order_id: id(m.order_id),
            user_id: id(m.user_id),
            totals: totals(m.subtotal_inr, m.discount_inr, m.tax_inr, m.total_inr),
            status: db_enum(&m.status)?,
            issued_at: ts(m.issued_at),
            due_at: m.due_at.map(ts),
            paid_at: m.paid_at.map(ts),
            created_at: ts(m.created_at),
            row: m,
        })
    }
}

#[ComplexObject]
impl Invoice {
    /// The order it bills.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        follow!(ctx, orders, self.row.order_id, Order::of)
    }
    /// The buyer.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.row.user_id).await
    }
}

/// A payment of an order through a gateway.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Payment {
    /// The payment's id.
    pub id: ID,
    /// The id of the order it pays (see `order`).
    pub order_id: ID,
    /// The id of the invoice it pays (see `invoice`).
    pub invoice_id: Option<ID>,
    /// The payer's id (see `user`).
    pub user_id: ID,
    /// The id of the gateway configuration it goes through (see `gateway`).
    pub gateway_config_id: ID,
    /// How the buyer paid, once the provider said.
    pub payment_method: Option<PaymentMethod>,
    /// The provider's id of the payment (`pay_...`, `pi_...`), once known.
    pub provider_payment_ref: Option<String>,
    /// What is paid: an integer amount in paise.
    pub amount_inr: i64,
    /// ISO 4217 code of the amount's currency (always INR).
    pub currency_code: String,
    /// PENDING until the provider reports; SUCCESS, FAILED or REFUNDED.
    pub status: PaymentStatus,
    /// When it was handed to the gateway.
    pub initiated_at: DateTime<Utc>,
    /// When it succeeded.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row: payments::Model,
}

impl Payment {
    /// The payment as the API shows it.
    pub fn of(m: payments::Model) -> Result<Self, AppError> {
        Ok(Payment {
            id: id(m.id),
            order_id: id(m.order_id),
            invoice_id: m.invoice_id.map(id),
            user_id: id(m.user_id),
            gateway_config_id: id(m.payment_gateway_config_id),
            payment_method: m.payment_method.as_deref().map(db_enum).transpose()?,
            provider_payment_ref: m.provider_payment_ref.clone(),
            amount_inr: m.amount_inr,
            currency_code: m.currency_code.clone(),
            status: db_enum(&m.status)?,
            initiated_at: ts(m.initiated_at),
            completed_at: m.completed_at.map(ts),
            created_at: ts(m.created_at),
            row: m,
        })
    }
}

#[ComplexObject]
impl Payment {
    /// The gateway it goes through.
    async fn gateway(&self, ctx: &Context<'_>) -> Result<CheckoutGateway> {
        let config = self.row.payment_gateway_config_id;
        let kind = loaders(ctx)?
            .commerce
            .gateway_kinds
            .load_one(config)
            .await
            .map_err(|e| e.to_graphql())?;
        Ok(kind
            .ok_or_else(|| AppError::NotFound("payment gateway configuration".into()))?
            .into())
    }
    /// The order it pays.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        follow!(ctx, orders, self.row.order_id, Order::of)
    }
    /// The invoice it pays.
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Option<Invoice>> {
        let Some(i) = self.row.invoice_id else { return Ok(None) };
        follow!(ctx, invoices, i, Invoice::of)
    }
    /// The payer.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.row.user_id).await
    }
    /// The append-only log: initiation, every webhook call, completion,
    /// failure, refund (`commerce.orders.read_all`; it holds the providers'
    /// payloads).
    async fn transactions(&self, ctx: &Context<'_>) -> Result<Vec<PaymentTransaction>> {
        svc::require_transactions(viewer(ctx))?;
        follow_many!(ctx, transactions, self.row.id, PaymentTransaction::of)
    }
}

/// One entry of a payment's log.
#[derive(SimpleObject, Clone)]
pub struct PaymentTransaction {
    /// The entry's id.
    pub id: ID,
    /// What happened.
    pub transaction_type: PaymentTransactionType,
    /// The provider's reference it concerns.
    pub provider_reference: Option<String>,
    /// What was sent (checkout parameters) or received (a webhook body).
    pub request_payload: Option<async_graphql::Json<serde_json::Value>>,
    /// What we made of it.
    pub response_payload: Option<async_graphql::Json<serde_json::Value>>,
    /// The payment's status after this entry.
    pub status: PaymentStatus,
    /// When it was written (the log's order).
    pub created_at: DateTime<Utc>,
}

impl PaymentTransaction {
    /// The entry as the API shows it.
    pub fn of(m: payment_transactions::Model) -> Result<Self, AppError> {
        Ok(PaymentTransaction {
            id: id(m.id),
            transaction_type: db_enum(&m.transaction_type)?,
            status: db_enum(&m.status)?,
            created_at: ts(m.created_at),
            provider_reference: m.provider_reference,
            request_payload: m.request_payload_json.map(async_graphql::Json),
            response_payload: m.response_payload_json.map(async_graphql::Json),
        })
    }
}
