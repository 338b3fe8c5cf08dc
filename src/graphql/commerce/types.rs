//! GraphQL types of commerce. Amounts of rupees are `Int` paise in fields
//! named `...Inr`. A gateway configuration has no field for its secrets.
//! Data fields are plain struct fields (documented once, here); relations
//! resolve from what a page loaded along with its rows, or else through
//! the request's loaders.

use async_graphql::{ComplexObject, Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{InvoiceStatus, OrderStatus, PaymentMethod, PaymentStatus, PaymentTransactionType, ProductType};
use entity::{invoices, order_items, orders, payments};
use serde_json::Value as Json;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::identity::types::User;
use crate::graphql::loaders::loaders;
use crate::service::commerce::gateway::GatewayKind;
use crate::service::commerce::order_page::{PaymentWith, TransactionEntry};
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
    /// What its page loaded along with it; the rest resolves through the
    /// request's loaders.
    #[graphql(skip)]
    pub with: OrderRelations,
}

/// An order's relations, each filled by its page (which loads them for
/// every order at once) or else, when first resolved, by the loaders.
#[derive(Clone, Default)]
pub struct OrderRelations {
    pub items: OnceCell<Vec<OrderItem>>,
    pub invoice: OnceCell<Option<Invoice>>,
    pub payments: OnceCell<Vec<Payment>>,
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
            with: OrderRelations::default(),
        })
    }
}

/// The row of `key` in `loader`, mapped (in a resolver returning `Result`).
macro_rules! follow {
    ($ctx:expr, $loader:ident, $key:expr, $map:expr) => {
        loaders($ctx)?
            .commerce
            .$loader
            .load_one($key)
            .await
            .map_err(|e| e.to_graphql())?
            .map($map)
            .transpose()?
    };
}

/// The rows of `key` in `loader`, each mapped (in a resolver returning `Result`).
macro_rules! follow_many {
    ($ctx:expr, $loader:ident, $key:expr, $map:expr) => {
        loaders($ctx)?
            .commerce
            .$loader
            .load_one($key)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or_default()
            .into_iter()
            .map($map)
            .collect::<Result<Vec<_>, _>>()?
    };
}

async fn user(ctx: &Context<'_>, user: Uuid) -> Result<Option<User>> {
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
        Ok(follow!(ctx, coupons, c, Coupon::of))
    }
    /// What it buys, line by line.
    async fn items(&self, ctx: &Context<'_>) -> Result<&[OrderItem]> {
        let items = self.with.items.get_or_try_init(|| async {
            Ok::<_, async_graphql::Error>(follow_many!(ctx, items, self.row.id, OrderItem::of))
        });
        Ok(items.await?)
    }
    /// Its invoice.
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Option<&Invoice>> {
        let invoice = self.with.invoice.get_or_try_init(|| async {
            Ok::<_, async_graphql::Error>(follow!(ctx, invoice_of_order, self.row.id, Invoice::of))
        });
        Ok(invoice.await?.as_ref())
    }
    /// Its payments, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> Result<&[Payment]> {
        let payments = self.with.payments.get_or_try_init(|| async {
            Ok::<_, async_graphql::Error>(follow_many!(ctx, payments_of_order, self.row.id, Payment::of))
        });
        Ok(payments.await?)
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
    /// `item_id` as stored (`package` follows it).
    #[graphql(skip)]
    pub item_key: Uuid,
}

impl OrderItem {
    /// The line as the API shows it.
    pub fn of(m: order_items::Model) -> Result<Self, AppError> {
        Ok(OrderItem {
            id: id(m.id),
            item_type: db_enum(&m.item_type)?,
            item_id: id(m.item_id),
            item_name: m.item_name,
            quantity: m.quantity,
            unit_price_inr: m.unit_price_inr,
            total_price_inr: m.total_price_inr,
            item_key: m.item_id,
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
        Ok(follow!(ctx, packages, self.item_key, PricingPackage::of))
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
    /// `order_id` as stored.
    #[graphql(skip)]
    pub order_key: Uuid,
    /// `user_id` as stored.
    #[graphql(skip)]
    pub user_key: Uuid,
}

impl Invoice {
    /// The invoice as the API shows it.
    pub fn of(m: invoices::Model) -> Result<Self, AppError> {
        Ok(Invoice {
            id: id(m.id),
            order_id: id(m.order_id),
            user_id: id(m.user_id),
            totals: totals(m.subtotal_inr, m.discount_inr, m.tax_inr, m.total_inr),
            status: db_enum(&m.status)?,
            issued_at: ts(m.issued_at),
            due_at: m.due_at.map(ts),
            paid_at: m.paid_at.map(ts),
            created_at: ts(m.created_at),
            invoice_number: m.invoice_number,
            order_key: m.order_id,
            user_key: m.user_id,
        })
    }
}

#[ComplexObject]
impl Invoice {
    /// The order it bills.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        Ok(follow!(ctx, orders, self.order_key, Order::of))
    }
    /// The buyer.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.user_key).await
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
    /// The ids its relations follow, as stored.
    #[graphql(skip)]
    pub keys: PaymentKeys,
    /// Its log, filled by its page or else, when first resolved, by the
    /// loaders.
    #[graphql(skip)]
    pub log: OnceCell<Vec<PaymentTransaction>>,
}

/// The ids a payment's relations follow.
#[derive(Clone, Copy)]
pub struct PaymentKeys {
    pub id: Uuid,
    pub order_id: Uuid,
    pub invoice_id: Option<Uuid>,
    pub user_id: Uuid,
    pub gateway_config_id: Uuid,
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
            amount_inr: m.amount_inr,
            status: db_enum(&m.status)?,
            initiated_at: ts(m.initiated_at),
            completed_at: m.completed_at.map(ts),
            created_at: ts(m.created_at),
            keys: PaymentKeys {
                id: m.id,
                order_id: m.order_id,
                invoice_id: m.invoice_id,
                user_id: m.user_id,
                gateway_config_id: m.payment_gateway_config_id,
            },
            provider_payment_ref: m.provider_payment_ref,
            currency_code: m.currency_code,
            log: OnceCell::new(),
        })
    }

    /// The payment with the log its page loaded (if it loaded one).
    pub fn with_log(p: PaymentWith) -> Result<Self, AppError> {
        let mut out = Payment::of(p.payment)?;
        if let Some(log) = p.transactions {
            let log = log.into_iter().map(PaymentTransaction::of).collect::<Result<_, _>>()?;
            out.log = OnceCell::new_with(Some(log));
        }
        Ok(out)
    }
}

#[ComplexObject]
impl Payment {
    /// The gateway it goes through.
    async fn gateway(&self, ctx: &Context<'_>) -> Result<CheckoutGateway> {
        let kind = loaders(ctx)?
            .commerce
            .gateway_kinds
            .load_one(self.keys.gateway_config_id)
            .await
            .map_err(|e| e.to_graphql())?;
        Ok(kind
            .ok_or_else(|| AppError::NotFound("payment gateway configuration".into()))?
            .into())
    }
    /// The order it pays.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        Ok(follow!(ctx, orders, self.keys.order_id, Order::of))
    }
    /// The invoice it pays.
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Option<Invoice>> {
        let Some(i) = self.keys.invoice_id else { return Ok(None) };
        Ok(follow!(ctx, invoices, i, Invoice::of))
    }
    /// The payer.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.keys.user_id).await
    }
    /// The append-only log: initiation, every webhook call, completion,
    /// failure, refund (`commerce.orders.read_all`; it holds the providers'
    /// payloads).
    async fn transactions(&self, ctx: &Context<'_>) -> Result<&[PaymentTransaction]> {
        svc::require_transactions(viewer(ctx))?;
        let log = self.log.get_or_try_init(|| async {
            Ok::<_, async_graphql::Error>(follow_many!(ctx, transactions, self.keys.id, PaymentTransaction::of))
        });
        Ok(log.await?)
    }
}

/// One entry of a payment's log. Its payloads are read only when asked
/// for (they can be large, and a list of logs rarely wants them).
#[derive(Clone)]
pub struct PaymentTransaction {
    id: ID,
    key: Uuid,
    transaction_type: PaymentTransactionType,
    provider_reference: Option<String>,
    status: PaymentStatus,
    created_at: DateTime<Utc>,
}

impl PaymentTransaction {
    /// The entry as the API shows it.
    pub fn of(m: TransactionEntry) -> Result<Self, AppError> {
        Ok(PaymentTransaction {
            id: id(m.id),
            key: m.id,
            transaction_type: db_enum(&m.transaction_type)?,
            status: db_enum(&m.status)?,
            created_at: ts(m.created_at),
            provider_reference: m.provider_reference,
        })
    }

    async fn payloads(&self, ctx: &Context<'_>) -> Result<Option<(Option<Json>, Option<Json>)>> {
        loaders(ctx)?
            .commerce
            .payloads
            .load_one(self.key)
            .await
            .map_err(|e| e.to_graphql())
    }
}

/// One entry of a payment's log.
#[Object]
impl PaymentTransaction {
    /// The entry's id.
    async fn id(&self) -> &ID {
        &self.id
    }
    /// What happened.
    async fn transaction_type(&self) -> PaymentTransactionType {
        self.transaction_type
    }
    /// The provider's reference it concerns.
    async fn provider_reference(&self) -> Option<&str> {
        self.provider_reference.as_deref()
    }
    /// What was sent (checkout parameters) or received (a webhook body).
    async fn request_payload(&self, ctx: &Context<'_>) -> Result<Option<async_graphql::Json<Json>>> {
        Ok(self
            .payloads(ctx)
            .await?
            .and_then(|(request, _)| request)
            .map(async_graphql::Json))
    }
    /// What we made of it.
    async fn response_payload(&self, ctx: &Context<'_>) -> Result<Option<async_graphql::Json<Json>>> {
        Ok(self
            .payloads(ctx)
            .await?
            .and_then(|(_, response)| response)
            .map(async_graphql::Json))
    }
    /// The payment's status after this entry.
    async fn status(&self) -> PaymentStatus {
        self.status
    }
    /// When it was written (the log's order).
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}
