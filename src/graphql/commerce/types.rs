//! GraphQL types of commerce. Amounts of rupees are `Int` paise in fields
//! named `...Inr`. A gateway configuration has no field for its secrets.
//! An order, its items, invoice and payments and a payment's log show the
//! columns of their row: a page of orders reads only the columns its query
//! shows (see [`crate::service::commerce::order_page`]), so each keeps the
//! set it was read with and converts a column only when its field is
//! resolved. Relations resolve from what the page loaded along with its
//! rows, or else through the request's loaders.

use async_graphql::{Context, Enum, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::{InvoiceStatus, OrderStatus, ProductType};
use entity::{invoices, order_items, orders};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::identity::types::User;
use crate::graphql::loaders::loaders;
use crate::service::commerce::gateway::GatewayKind;
use crate::service::commerce::order_page::{cols, Cols};

pub use super::catalog::*;
pub use super::payments::{Payment, PaymentTransaction};

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

/// Fails with an internal error unless `cols` holds `bits`: the page that
/// read the row left out a column its query shows (a bug, never a
/// silently blank value).
pub(super) fn need(have: Cols, bits: u32) -> Result<(), AppError> {
    if have.has(bits) {
        Ok(())
    } else {
        Err(AppError::internal(anyhow::anyhow!(
            "a commerce field was resolved without its column being read"
        )))
    }
}

/// A purchase.
#[derive(Clone)]
pub struct Order {
    /// The row, with the columns of `cols` read.
    pub row: orders::Model,
    pub cols: Cols,
    /// What its page loaded along with it; the rest resolves through the
    /// request's loaders.
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
    /// The order as the API shows it (every column read).
    pub fn of(m: orders::Model) -> Result<Self, AppError> {
        Ok(Order::read(m, Cols(cols::order::ALL)))
    }

    /// An order read with the columns `cols`.
    pub fn read(row: orders::Model, cols: Cols) -> Self {
        Order {
            row,
            cols,
            with: OrderRelations::default(),
        }
    }

    fn col(&self, bits: u32) -> Result<(), AppError> {
        need(self.cols, bits)
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

pub(super) use follow;

pub(super) async fn user(ctx: &Context<'_>, user: Uuid) -> Result<Option<User>> {
    Ok(loaders(ctx)?
        .identity
        .users
        .load_one(user)
        .await
        .map_err(|e| e.to_graphql())?
        .map(User::new))
}

/// A purchase.
#[Object]
impl Order {
    /// The order's id.
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    /// The buyer's id (see `user`).
    async fn user_id(&self) -> Result<ID> {
        self.col(cols::order::USER_ID)?;
        Ok(id(self.row.user_id))
    }
    /// What it buys.
    async fn order_type(&self) -> Result<ProductType> {
        self.col(cols::order::ORDER_TYPE)?;
        Ok(db_enum(&self.row.order_type)?)
    }
    /// PENDING until paid; CANCELLED after a failed payment or a refund.
    async fn status(&self) -> Result<OrderStatus> {
        self.col(cols::order::STATUS)?;
        Ok(db_enum(&self.row.status)?)
    }
    /// Before discounts and taxes: an integer amount in paise.
    async fn subtotal_inr(&self) -> Result<i64> {
        self.col(cols::order::SUBTOTAL)?;
        Ok(self.row.subtotal_inr)
    }
    /// The discount rule's and the coupon's together: an integer amount in paise.
    async fn discount_inr(&self) -> Result<i64> {
        self.col(cols::order::DISCOUNT)?;
        Ok(self.row.discount_inr)
    }
    /// Every tax together: an integer amount in paise.
    async fn tax_inr(&self) -> Result<i64> {
        self.col(cols::order::TAX)?;
        Ok(self.row.tax_inr)
    }
    /// What the buyer pays (subtotal - discount + tax): an integer amount in paise.
    async fn total_inr(&self) -> Result<i64> {
        self.col(cols::order::TOTAL)?;
        Ok(self.row.total_inr)
    }
    /// When it was made.
    async fn created_at(&self) -> Result<DateTime<Utc>> {
        self.col(cols::order::CREATED_AT)?;
        Ok(ts(self.row.created_at))
    }
    /// When it last changed.
    async fn updated_at(&self) -> Result<DateTime<Utc>> {
        self.col(cols::order::UPDATED_AT)?;
        Ok(ts(self.row.updated_at))
    }
    /// The buyer.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        self.col(cols::order::USER_ID)?;
        user(ctx, self.row.user_id).await
    }
    /// The code of the coupon used, if any (for everyone who may see the order).
    async fn coupon_code(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.col(cols::order::COUPON_ID)?;
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
        self.col(cols::order::COUPON_ID)?;
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
#[derive(Clone)]
pub struct OrderItem {
    /// The row, with the columns of `cols` read.
    pub row: order_items::Model,
    pub cols: Cols,
}

impl OrderItem {
    /// The line as the API shows it (every column read).
    pub fn of(m: order_items::Model) -> Result<Self, AppError> {
        Ok(OrderItem::read(m, Cols(cols::item::ALL)))
    }

    /// A line read with the columns `cols`.
    pub fn read(row: order_items::Model, cols: Cols) -> Self {
        OrderItem { row, cols }
    }

    fn col(&self, bits: u32) -> Result<(), AppError> {
        need(self.cols, bits)
    }
}

/// One line of an order.
#[Object]
impl OrderItem {
    /// The line's id.
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    /// What was bought: a package or a service.
    async fn item_type(&self) -> Result<ProductType> {
        self.col(cols::item::ITEM_TYPE)?;
        Ok(db_enum(&self.row.item_type)?)
    }
    /// The id of the package (or service) bought (see `package`).
    async fn item_id(&self) -> Result<ID> {
        self.col(cols::item::ITEM_ID)?;
        Ok(id(self.row.item_id))
    }
    /// Its name when it was bought.
    async fn item_name(&self) -> Result<&str> {
        self.col(cols::item::ITEM_NAME)?;
        Ok(&self.row.item_name)
    }
    /// How many.
    async fn quantity(&self) -> Result<i32> {
        self.col(cols::item::QUANTITY)?;
        Ok(self.row.quantity)
    }
    /// Price of one when it was bought: an integer amount in paise.
    async fn unit_price_inr(&self) -> Result<i64> {
        self.col(cols::item::UNIT_PRICE)?;
        Ok(self.row.unit_price_inr)
    }
    /// Unit price × quantity: an integer amount in paise.
    async fn total_price_inr(&self) -> Result<i64> {
        self.col(cols::item::TOTAL_PRICE)?;
        Ok(self.row.total_price_inr)
    }
    /// The package bought (null for a service), as it is now.
    async fn package(&self, ctx: &Context<'_>) -> Result<Option<PricingPackage>> {
        self.col(cols::item::ITEM_TYPE | cols::item::ITEM_ID)?;
        if db_enum::<ProductType>(&self.row.item_type)? != ProductType::Package {
            return Ok(None);
        }
        Ok(follow!(ctx, packages, self.row.item_id, PricingPackage::of))
    }
}

/// The invoice of an order; numbers run gap-free per year (INV-2026-000042).
#[derive(Clone)]
pub struct Invoice {
    /// The row, with the columns of `cols` read.
    pub row: invoices::Model,
    pub cols: Cols,
}

impl Invoice {
    /// The invoice as the API shows it (every column read).
    pub fn of(m: invoices::Model) -> Result<Self, AppError> {
        Ok(Invoice::read(m, Cols(cols::invoice::ALL)))
    }

    /// An invoice read with the columns `cols`.
    pub fn read(row: invoices::Model, cols: Cols) -> Self {
        Invoice { row, cols }
    }

    fn col(&self, bits: u32) -> Result<(), AppError> {
        need(self.cols, bits)
    }
}

/// The invoice of an order; numbers run gap-free per year (INV-2026-000042).
#[Object]
impl Invoice {
    /// The invoice's id.
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    /// Its number, unique and gap-free per year.
    async fn invoice_number(&self) -> Result<&str> {
        self.col(cols::invoice::NUMBER)?;
        Ok(&self.row.invoice_number)
    }
    /// The id of its order (see `order`).
    async fn order_id(&self) -> Result<ID> {
        self.col(cols::invoice::ORDER_ID)?;
        Ok(id(self.row.order_id))
    }
    /// The buyer's id (see `user`).
    async fn user_id(&self) -> Result<ID> {
        self.col(cols::invoice::USER_ID)?;
        Ok(id(self.row.user_id))
    }
    /// Before discounts and taxes: an integer amount in paise.
    async fn subtotal_inr(&self) -> Result<i64> {
        self.col(cols::invoice::SUBTOTAL)?;
        Ok(self.row.subtotal_inr)
    }
    /// The discount rule's and the coupon's together: an integer amount in paise.
    async fn discount_inr(&self) -> Result<i64> {
        self.col(cols::invoice::DISCOUNT)?;
        Ok(self.row.discount_inr)
    }
    /// Every tax together: an integer amount in paise.
    async fn tax_inr(&self) -> Result<i64> {
        self.col(cols::invoice::TAX)?;
        Ok(self.row.tax_inr)
    }
    /// What the buyer pays (subtotal - discount + tax): an integer amount in paise.
    async fn total_inr(&self) -> Result<i64> {
        self.col(cols::invoice::TOTAL)?;
        Ok(self.row.total_inr)
    }
    /// ISSUED, PAID, or VOID (a failed payment or a refund).
    async fn status(&self) -> Result<InvoiceStatus> {
        self.col(cols::invoice::STATUS)?;
        Ok(db_enum(&self.row.status)?)
    }
    /// When it was issued.
    async fn issued_at(&self) -> Result<DateTime<Utc>> {
        self.col(cols::invoice::ISSUED_AT)?;
        Ok(ts(self.row.issued_at))
    }
    /// When it is due, if it has a due date.
    async fn due_at(&self) -> Result<Option<DateTime<Utc>>> {
        self.col(cols::invoice::DUE_AT)?;
        Ok(self.row.due_at.map(ts))
    }
    /// When it was paid.
    async fn paid_at(&self) -> Result<Option<DateTime<Utc>>> {
        self.col(cols::invoice::PAID_AT)?;
        Ok(self.row.paid_at.map(ts))
    }
    /// When it was made.
    async fn created_at(&self) -> Result<DateTime<Utc>> {
        self.col(cols::invoice::CREATED_AT)?;
        Ok(ts(self.row.created_at))
    }
    /// The order it bills.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        self.col(cols::invoice::ORDER_ID)?;
        Ok(follow!(ctx, orders, self.row.order_id, Order::of))
    }
    /// The buyer.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        self.col(cols::invoice::USER_ID)?;
        user(ctx, self.row.user_id).await
    }
}
