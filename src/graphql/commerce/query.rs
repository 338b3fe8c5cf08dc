//! Commerce queries: the catalogue, price quotes, and orders, invoices and
//! payments (the viewer's own, or everyone's for staff) as connections.

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{Context, Object, OutputType, Result, ID};
use entity::enums::{InvoiceStatus, OrderStatus, PaymentStatus};
use entity::{invoices, payments};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::inputs::{QuotePackageInput, StatusFilter};
use super::types::*;
use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{not_found_is_none, parse_id};
use crate::graphql::loaders::loaders;
use crate::graphql::pagination::{connection, decode_cursor, encode_cursor, NodeSelection, Page};
use crate::service::commerce::order_page::{self, cols, Cols, OrderParts, OrderWith, PaymentParts, PaymentWith};
use crate::service::commerce::orders::{self as svc, ListKind, Scope};
use crate::service::commerce::{catalog, gateways, purchase, ListCursor, ListFilter};

/// `totalCount` of an order, invoice or payment list, counted only when asked for.
pub struct ListCount {
    scope: Scope,
    filter: ListFilter,
    kind: ListKind,
}

#[Object]
impl ListCount {
    /// How many records match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(svc::count(app(ctx)?, self.kind, self.scope, &self.filter).await? as i64)
    }
}

/// `totalCount` of the coupon list, counted only when asked for.
pub struct CouponCount;

#[Object]
impl CouponCount {
    /// How many coupons exist, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(catalog::count_coupons(app(ctx)?, viewer(ctx)).await? as i64)
    }
}

/// A connection of orders, invoices or payments with their `totalCount`.
pub type CountedConnection<N> = Connection<String, N, ListCount, EmptyFields>;

/// Builds a page's connection with extra fields `extra`.
fn with_count<N: OutputType, C: async_graphql::ObjectType>(
    conn: Connection<String, N, EmptyFields, EmptyFields>,
    extra: C,
) -> Connection<String, N, C, EmptyFields> {
    let mut out = Connection::with_additional_fields(conn.has_previous_page, conn.has_next_page, extra);
    out.edges = conn.edges;
    out
}

/// The four Relay arguments of a list, checked.
fn page(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<Page<ListCursor>, AppError> {
    Page::<ListCursor>::from_args(first, after, last, before)
}

/// A page's rows that can load their relations ahead, in one batch each.
trait Prime {
    /// Loads, for every row at once, the relations the query selects.
    async fn prime(ctx: &Context<'_>, rows: &[Self]) -> Result<()>
    where
        Self: Sized;
}

async fn prime<T: Prime>(ctx: &Context<'_>, rows: &[T]) -> Result<()> {
    T::prime(ctx, rows).await
}

fn ids<T>(rows: &[T], f: impl Fn(&T) -> Option<Uuid>) -> Vec<Uuid> {
    let mut v: Vec<Uuid> = rows.iter().filter_map(f).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Which columns of a row a selection shows: `always`, plus the columns of
/// each field of `fields` it selects.
fn cols_of(sel: &NodeSelection<'_>, always: u32, fields: &[(&str, u32)]) -> Cols {
    Cols(
        fields
            .iter()
            .filter(|(name, _)| sel.field(name).exists())
            .fold(always, |c, (_, bits)| c | bits),
    )
}

/// Fields of `Order` and the columns each shows (`id` and `createdAt` are
/// always read).
const ORDER_FIELDS: &[(&str, u32)] = {
    use cols::order::*;
    &[
        ("userId", USER_ID),
        ("orderType", ORDER_TYPE),
        ("status", STATUS),
        ("subtotalInr", SUBTOTAL),
        ("discountInr", DISCOUNT),
        ("taxInr", TAX),
        ("totalInr", TOTAL),
        ("updatedAt", UPDATED_AT),
        ("user", USER_ID),
        ("couponCode", COUPON_ID),
        ("coupon", COUPON_ID),
    ]
};
const INVOICE_FIELDS: &[(&str, u32)] = {
    use cols::invoice::*;
    &[
        ("invoiceNumber", NUMBER),
        ("orderId", ORDER_ID),
        ("userId", USER_ID),
        ("subtotalInr", SUBTOTAL),
        ("discountInr", DISCOUNT),
        ("taxInr", TAX),
        ("totalInr", TOTAL),
        ("status", STATUS),
        ("issuedAt", ISSUED_AT),
        ("dueAt", DUE_AT),
        ("paidAt", PAID_AT),
        ("createdAt", CREATED_AT),
        ("order", ORDER_ID),
        ("user", USER_ID),
    ]
};
const ITEM_FIELDS: &[(&str, u32)] = {
    use cols::item::*;
    &[
        ("itemType", ITEM_TYPE),
        ("itemId", ITEM_ID),
        ("itemName", ITEM_NAME),
        ("quantity", QUANTITY),
        ("unitPriceInr", UNIT_PRICE),
        ("totalPriceInr", TOTAL_PRICE),
        ("package", ITEM_TYPE | ITEM_ID),
    ]
};
const PAYMENT_FIELDS: &[(&str, u32)] = {
    use cols::payment::*;
    &[
        ("orderId", ORDER_ID),
        ("invoiceId", INVOICE_ID),
        ("userId", USER_ID),
        ("gatewayConfigId", GATEWAY_CONFIG_ID),
        ("paymentMethod", METHOD),
        ("providerPaymentRef", PROVIDER_REF),
        ("amountInr", AMOUNT),
        ("currencyCode", CURRENCY),
        ("status", STATUS),
        ("initiatedAt", INITIATED_AT),
        ("completedAt", COMPLETED_AT),
        ("createdAt", CREATED_AT),
        ("gateway", GATEWAY_CONFIG_ID),
        ("order", ORDER_ID),
        ("invoice", INVOICE_ID),
        ("user", USER_ID),
    ]
};
const TRANSACTION_FIELDS: &[(&str, u32)] = {
    use cols::transaction::*;
    &[
        ("transactionType", TYPE),
        ("providerReference", PROVIDER_REF),
        ("status", STATUS),
        ("createdAt", CREATED_AT),
    ]
};

/// An order list's cursor, encoded only when a query asks for it (a page
/// read through `nodes` never does).
impl CursorType for ListCursor {
    type Error = AppError;

    fn decode_cursor(s: &str) -> Result<Self, AppError> {
        decode_cursor(s, "after")
    }

    fn encode_cursor(&self) -> String {
        encode_cursor(self)
    }
}

/// A page of orders with their `totalCount`.
pub type OrderConnection = Connection<ListCursor, Order, ListCount, EmptyFields>;

/// A page of orders (the viewer's own, or everyone's): the orders with
/// the invoice, items and payments (with logs) the query selects in one
/// statement, reading only the columns the query shows, and the rest
/// primed in one batch per relation, whatever the page size.
async fn order_list(
    ctx: &Context<'_>,
    everyone: bool,
    filter: Option<StatusFilter<OrderStatus>>,
    page: Result<Page<ListCursor>, AppError>,
) -> Result<OrderConnection> {
    let scope = Scope::of(viewer(ctx), everyone)?;
    let page = page?;
    let filter = filter.map(StatusFilter::into_filter).transpose()?.unwrap_or_default();
    let node = NodeSelection::of(ctx);
    let (invoice, items, pays) = (node.field("invoice"), node.field("items"), node.field("payments"));
    let log = pays.field("transactions");
    let parts = OrderParts {
        // Orders that invoices or payments point back at are fed whole to
        // the loaders.
        order: if invoice.field("order").exists() || pays.field("order").exists() {
            Cols(cols::order::ALL)
        } else {
            cols_of(&node, cols::order::KEYS, ORDER_FIELDS)
        },
        invoice: invoice
            .exists()
            .then(|| cols_of(&invoice, cols::invoice::KEYS, INVOICE_FIELDS)),
        items: items.exists().then(|| cols_of(&items, cols::item::KEYS, ITEM_FIELDS)),
        payments: pays.exists().then(|| PaymentParts {
            payment: cols_of(&pays, cols::payment::KEYS, PAYMENT_FIELDS),
            log: (log.exists() && svc::require_transactions(viewer(ctx)).is_ok())
                .then(|| cols_of(&log, cols::transaction::KEYS, TRANSACTION_FIELDS)),
        }),
    };
    let rows = order_page::order_page(app(ctx)?, scope, &filter, &page, parts).await?;
    let paged = page.finish(rows);
    prime_order_relations(ctx, &node, &paged.rows).await?;
    let mut conn = Connection::with_additional_fields(
        paged.has_previous,
        paged.has_next,
        ListCount {
            scope,
            filter,
            kind: ListKind::Orders,
        },
    );
    conn.edges.reserve(paged.rows.len());
    for o in paged.rows {
        let cursor = ListCursor::of(o.order.created_at, o.order.id);
        let mut order = Order::read(o.order, parts.order);
        if let Some(c) = parts.items {
            let items = o.items.into_iter().map(|i| OrderItem::read(i, c)).collect();
            order.with.items = OnceCell::new_with(Some(items));
        }
        if let Some(c) = parts.invoice {
            order.with.invoice = OnceCell::new_with(Some(o.invoice.map(|i| Invoice::read(i, c))));
        }
        if let Some(p) = parts.payments {
            let log = p.log.unwrap_or(Cols(0));
            let list = o
                .payments
                .into_iter()
                .map(|x| Payment::with_log(x, p.payment, log))
                .collect();
            order.with.payments = OnceCell::new_with(Some(list));
        }
        conn.edges.push(Edge::new(cursor, order));
    }
    Ok(conn)
}

/// Primes, in one batch each, the loaders of what an order page selects
/// beyond the relations it loaded itself: buyers, coupons, packages,
/// gateways, the payments' invoices and the orders that invoices and
/// payments point back at.
async fn prime_order_relations(ctx: &Context<'_>, node: &NodeSelection<'_>, rows: &[OrderWith]) -> Result<()> {
    let all = loaders(ctx)?;
    let l = &all.commerce;
    let e = |e: std::sync::Arc<AppError>| e.to_graphql();
    let pays = node.field("payments");
    if node.field("invoice").field("order").exists() || pays.field("order").exists() {
        l.orders
            .feed_many(rows.iter().map(|o| (o.order.id, o.order.clone())))
            .await;
    }
    if node.field("user").exists() {
        all.identity
            .users
            .load_many(ids(rows, |o| Some(o.order.user_id)))
            .await
            .map_err(e)?;
    }
    if node.field("couponCode").exists() || node.field("coupon").exists() {
        l.coupons.load_many(ids(rows, |o| o.order.coupon_id)).await.map_err(e)?;
    }
    if node.field("items").field("package").exists() {
        let items: Vec<_> = rows.iter().flat_map(|o| o.items.iter()).collect();
        l.packages
            .load_many(ids(&items, |i| Some(i.item_id)))
            .await
            .map_err(e)?;
    }
    let payments: Vec<&PaymentWith> = rows.iter().flat_map(|o| o.payments.iter()).collect();
    if payments.is_empty() {
        return Ok(());
    }
    if pays.field("gateway").exists() {
        l.gateway_kinds
            .load_many(ids(&payments, |p| Some(p.payment.payment_gateway_config_id)))
            .await
            .map_err(e)?;
    }
    if pays.field("invoice").exists() {
        l.invoices
            .load_many(ids(&payments, |p| p.payment.invoice_id))
            .await
            .map_err(e)?;
    }
    Ok(())
}

impl Prime for invoices::Model {
    async fn prime(ctx: &Context<'_>, rows: &[Self]) -> Result<()> {
        let l = &loaders(ctx)?.commerce;
        l.invoices.feed_many(rows.iter().map(|i| (i.id, i.clone()))).await;
        Ok(())
    }
}

impl Prime for payments::Model {
    async fn prime(ctx: &Context<'_>, rows: &[Self]) -> Result<()> {
        let node = NodeSelection::of(ctx);
        let l = &loaders(ctx)?.commerce;
        let e = |e: std::sync::Arc<AppError>| e.to_graphql();
        if node.field("transactions").exists() && svc::require_transactions(viewer(ctx)).is_ok() {
            l.transactions.load_many(ids(rows, |p| Some(p.id))).await.map_err(e)?;
        }
        if node.field("gateway").exists() {
            l.gateway_kinds
                .load_many(ids(rows, |p| Some(p.payment_gateway_config_id)))
                .await
                .map_err(e)?;
        }
        Ok(())
    }
}

/// Which list, whose, and how it is fetched and shown.
macro_rules! list {
    ($ctx:expr, $everyone:expr, $kind:expr, $filter:expr, $page:expr, $fetch:path, $node:path) => {{
        let ctx = $ctx;
        let scope = Scope::of(viewer(ctx), $everyone)?;
        let page = $page?;
        let filter = $filter.map(StatusFilter::into_filter).transpose()?.unwrap_or_default();
        let rows = $fetch(app(ctx)?, scope, &filter, &page).await?;
        prime(ctx, &rows).await?;
        let rows = rows
            .into_iter()
            .map(|r| Ok(($crate::service::commerce::ListCursor::of(r.created_at, r.id), $node(r)?)))
            .collect::<Result<Vec<_>, AppError>>()?;
        let conn = connection(&page, rows, |(k, _)| k.clone(), |(_, n)| n);
        Ok(with_count(
            conn,
            ListCount {
                scope,
                filter,
                kind: $kind,
            },
        ))
    }};
}

/// Commerce queries.
#[derive(Default)]
pub struct CommerceQuery;

#[Object]
impl CommerceQuery {
    /// Packages on sale, cheapest first (anyone); `includeInactive` needs
    /// `commerce.packages.manage`.
    async fn pricing_packages(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false, desc = "Also packages no longer on sale (managers only).")] include_inactive: bool,
    ) -> Result<Vec<PricingPackage>> {
        let rows = catalog::packages(app(ctx)?, viewer(ctx), include_inactive).await?;
        Ok(rows.into_iter().map(PricingPackage::of).collect::<Result<_, _>>()?)
    }

    /// A package on sale (inactive ones for managers); null otherwise.
    async fn pricing_package(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The package's id.")] id: ID,
    ) -> Result<Option<PricingPackage>> {
        let id = parse_id(&id, "id")?;
        let m = not_found_is_none(catalog::package(app(ctx)?, viewer(ctx), id).await)?;
        Ok(m.map(PricingPackage::of).transpose()?)
    }

    /// What a package would cost you, with a coupon if given (the coupon
    /// is checked, not used).
    async fn quote_package(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The package and coupon to price.")] input: QuotePackageInput,
    ) -> Result<PriceQuote> {
        let id = parse_id(&input.package_id, "packageId")?;
        let q = purchase::quote(app(ctx)?, viewer(ctx), id, input.coupon_code.as_deref()).await?;
        Ok(PriceQuote::of(q)?)
    }

    /// An order of yours (any, with `commerce.orders.read_all`); null otherwise.
    async fn order(&self, ctx: &Context<'_>, #[graphql(desc = "The order's id.")] id: ID) -> Result<Option<Order>> {
        let id = parse_id(&id, "id")?;
        Ok(not_found_is_none(svc::order(app(ctx)?, viewer(ctx), id).await)?
            .map(Order::of)
            .transpose()?)
    }

    /// Your orders, newest first.
    async fn viewer_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which of your orders.")] filter: Option<StatusFilter<OrderStatus>>,
        #[graphql(desc = "At most this many after `after` (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "At most this many before `before` (at most 100).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<OrderConnection> {
        order_list(ctx, false, filter, page(first, after, last, before)).await
    }

    /// Every order, newest first (`commerce.orders.read_all`).
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which orders.")] filter: Option<StatusFilter<OrderStatus>>,
        #[graphql(desc = "At most this many after `after` (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "At most this many before `before` (at most 100).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<OrderConnection> {
        order_list(ctx, true, filter, page(first, after, last, before)).await
    }

    /// An invoice of yours (any, with `commerce.orders.read_all`); null otherwise.
    async fn invoice(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invoice's id.")] id: ID,
    ) -> Result<Option<Invoice>> {
        let id = parse_id(&id, "id")?;
        Ok(not_found_is_none(svc::invoice(app(ctx)?, viewer(ctx), id).await)?
            .map(Invoice::of)
            .transpose()?)
    }

    /// Your invoices, newest first.
    async fn viewer_invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which of your invoices.")] filter: Option<StatusFilter<InvoiceStatus>>,
        #[graphql(desc = "At most this many after `after` (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "At most this many before `before` (at most 100).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<CountedConnection<Invoice>> {
        list!(
            ctx,
            false,
            ListKind::Invoices,
            filter,
            page(first, after, last, before),
            svc::list_invoices,
            Invoice::of
        )
    }

    /// Every invoice, newest first (`commerce.orders.read_all`).
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which invoices.")] filter: Option<StatusFilter<InvoiceStatus>>,
        #[graphql(desc = "At most this many after `after` (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "At most this many before `before` (at most 100).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<CountedConnection<Invoice>> {
        list!(
            ctx,
            true,
            ListKind::Invoices,
            filter,
            page(first, after, last, before),
            svc::list_invoices,
            Invoice::of
        )
    }

    /// A payment of yours (any, with `commerce.orders.read_all`); null otherwise.
    async fn payment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The payment's id.")] id: ID,
    ) -> Result<Option<Payment>> {
        let id = parse_id(&id, "id")?;
        Ok(not_found_is_none(svc::payment(app(ctx)?, viewer(ctx), id).await)?
            .map(Payment::of)
            .transpose()?)
    }

    /// Every payment, newest first (`commerce.orders.read_all`).
    async fn payments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which payments.")] filter: Option<StatusFilter<PaymentStatus>>,
        #[graphql(desc = "At most this many after `after` (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "At most this many before `before` (at most 100).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<CountedConnection<Payment>> {
        list!(
            ctx,
            true,
            ListKind::Payments,
            filter,
            page(first, after, last, before),
            svc::list_payments,
            Payment::of
        )
    }

    /// Coupons, newest first (`commerce.coupons.manage`).
    async fn coupons(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many after `after` (at most 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "At most this many before `before` (at most 100).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<Connection<String, Coupon, CouponCount, EmptyFields>> {
        let page = page(first, after, last, before)?;
        let rows = catalog::coupons(app(ctx)?, viewer(ctx), &page).await?;
        let rows = rows
            .into_iter()
            .map(|c| Ok((ListCursor::of(c.created_at, c.id), Coupon::of(c)?)))
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(with_count(
            connection(&page, rows, |(k, _)| k.clone(), |(_, n)| n),
            CouponCount,
        ))
    }

    /// Discount rules, newest first (`commerce.coupons.manage`).
    async fn discount_rules(&self, ctx: &Context<'_>) -> Result<Vec<DiscountRule>> {
        let rows = catalog::discount_rules(app(ctx)?, viewer(ctx)).await?;
        Ok(rows.into_iter().map(DiscountRule::of).collect::<Result<_, _>>()?)
    }

    /// Tax rules (`commerce.tax.manage`).
    async fn tax_rules(&self, ctx: &Context<'_>) -> Result<Vec<TaxRule>> {
        let rows = catalog::tax_rules(app(ctx)?, viewer(ctx)).await?;
        Ok(rows.into_iter().map(TaxRule::of).collect::<Result<_, _>>()?)
    }

    /// Payment gateway configurations, without their secrets
    /// (`payments.gateways.manage`).
    async fn payment_gateway_configs(&self, ctx: &Context<'_>) -> Result<Vec<PaymentGatewayConfig>> {
        let rows = gateways::list(app(ctx)?, viewer(ctx)).await?;
        Ok(rows
            .into_iter()
            .map(PaymentGatewayConfig::of)
            .collect::<Result<_, _>>()?)
    }
}
