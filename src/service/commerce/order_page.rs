//! A page of orders with the relations its query selects, in two
//! statements at any page size: the orders with their invoice and items
//! (one row per item, the order's columns repeated), then the orders'
//! payments with their transaction logs. Both statements keep their text
//! whatever the page (ids travel as one `= ANY($1)` array, the page size is
//! part of the text), so each is prepared and planned once per connection.
//!
//! Rows are decoded by position straight into the entity models (no
//! per-cell column-name lookup), and a transaction log leaves the
//! providers' payloads in the database: they are read apart, by id, only
//! when a query asks for them ([`transaction_payloads`]).

use chrono::{DateTime, FixedOffset};
use entity::{invoices, order_items, orders, payments};
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::{Decode, Postgres, Row, Type};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryResult, QueryTrait, Statement};
use serde_json::Value as Json;
use uuid::Uuid;

use super::orders::{list_condition, Scope};
use super::{keyset, ListCursor, ListFilter};
use crate::app::AppContext;
use crate::error::AppResult;
use crate::service::page::PageRequest;

/// Which relations an order page brings along with each order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderParts {
    /// The order's invoice (its first).
    pub invoice: bool,
    /// The order's items.
    pub items: bool,
}

/// An order of a page with the relations [`OrderParts`] asked for.
#[derive(Clone, Debug)]
pub struct OrderWith {
    pub order: orders::Model,
    /// Its first invoice (`None` also when not asked for).
    pub invoice: Option<invoices::Model>,
    /// Its items, oldest first (empty also when not asked for).
    pub items: Vec<order_items::Model>,
}

/// One entry of a payment's log, without the providers' payloads (see
/// [`transaction_payloads`]).
#[derive(Clone, Debug)]
pub struct TransactionEntry {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub transaction_type: String,
    pub provider_reference: Option<String>,
    pub status: String,
    pub created_at: DateTime<FixedOffset>,
}

/// A payment with its log (`None` when the log was not asked for).
#[derive(Clone, Debug)]
pub struct PaymentWith {
    pub payment: payments::Model,
    pub transactions: Option<Vec<TransactionEntry>>,
}

const ORDER_COLUMNS: &str = "o.id, o.user_id, o.order_type, o.subtotal_inr, o.discount_inr, o.tax_inr, o.total_inr, \
    o.coupon_id, o.status, o.created_at, o.updated_at";
const ORDER_WIDTH: usize = 11;
const INVOICE_COLUMNS: &str = "i.id, i.order_id, i.user_id, i.invoice_number, i.subtotal_inr, i.discount_inr, \
    i.tax_inr, i.total_inr, i.status, i.issued_at, i.due_at, i.paid_at, i.created_at, i.updated_at";
const INVOICE_WIDTH: usize = 14;
const ITEM_COLUMNS: &str = "it.id, it.order_id, it.item_type, it.item_id, it.item_name, it.quantity, \
    it.unit_price_inr, it.total_price_inr, it.created_at";
/// An order's first invoice. A lateral subquery (rather than a plain
/// join) keeps the plan a nested loop over the page's few orders.
const INVOICE_JOIN: &str = " LEFT JOIN LATERAL (SELECT * FROM invoices WHERE invoices.order_id = o.id \
    ORDER BY invoices.created_at, invoices.id LIMIT 1) AS i ON true";
/// An order's items; `OFFSET 0` keeps the planner from turning the
/// lateral subquery into a join that scans the whole table (a generic
/// plan cannot know how few orders the page holds).
const ITEMS_JOIN: &str =
    " LEFT JOIN LATERAL (SELECT * FROM order_items WHERE order_items.order_id = o.id OFFSET 0) AS it ON true";

const PAYMENT_WIDTH: usize = 14;
const PAYMENTS_OF_ORDERS: &str = "SELECT p.id, p.order_id, p.invoice_id, p.user_id, p.payment_gateway_config_id, \
    p.payment_method, p.provider_payment_ref, p.amount_inr, p.currency_code, p.status, p.initiated_at, \
    p.completed_at, p.created_at, p.updated_at FROM payments p WHERE p.order_id = ANY($1) ORDER BY p.created_at, p.id";
/// Payments with their logs: one row per entry (a payment without any
/// once, with NULLs), the payment's columns repeated.
const PAYMENTS_WITH_LOG_OF_ORDERS: &str = "SELECT p.id, p.order_id, p.invoice_id, p.user_id, \
    p.payment_gateway_config_id, p.payment_method, p.provider_payment_ref, p.amount_inr, p.currency_code, p.status, \
    p.initiated_at, p.completed_at, p.created_at, p.updated_at, \
    t.id, t.transaction_type, t.provider_reference, t.status, t.created_at \
    FROM payments p LEFT JOIN LATERAL (SELECT id, transaction_type, provider_reference, status, created_at \
    FROM payment_transactions WHERE payment_transactions.payment_id = p.id OFFSET 0) AS t ON true \
    WHERE p.order_id = ANY($1) ORDER BY p.created_at, p.id";
const TRANSACTIONS_OF_PAYMENTS: &str = "SELECT id, payment_id, transaction_type, provider_reference, status, \
    created_at FROM payment_transactions WHERE payment_id = ANY($1) ORDER BY payment_id, created_at, id";
const PAYLOADS: &str =
    "SELECT id, request_payload_json, response_payload_json FROM payment_transactions WHERE id = ANY($1)";

/// A page of orders in `scope`, newest first, as fetched for
/// `page.finish` (one extra), each with the relations `parts` asks for:
/// one statement.
pub async fn order_page(
    ctx: &AppContext,
    scope: Scope,
    filter: &ListFilter,
    page: &PageRequest<ListCursor>,
    parts: OrderParts,
) -> AppResult<Vec<OrderWith>> {
    let cond = keyset("orders", list_condition("orders", scope, filter), page)?;
    let inner = orders::Entity::find().filter(cond).build(DbBackend::Postgres);
    let dir = if page.sql_descending(true) { "DESC" } else { "ASC" };
    let mut sql = String::with_capacity(inner.sql.len() + 1024);
    sql.push_str("SELECT ");
    sql.push_str(ORDER_COLUMNS);
    if parts.invoice {
        sql.push_str(", ");
        sql.push_str(INVOICE_COLUMNS);
    }
    if parts.items {
        sql.push_str(", ");
        sql.push_str(ITEM_COLUMNS);
    }
    sql.push_str(" FROM (");
    sql.push_str(&inner.sql);
    // The size is part of the text, not a parameter: a generic plan would
    // guess a parameter's size and a custom plan is planned every time.
    let fetch = page.fetch();
    sql.push_str(&format!(
        " ORDER BY orders.created_at {dir}, orders.id {dir} LIMIT {fetch}) AS o"
    ));
    if parts.invoice {
        sql.push_str(INVOICE_JOIN);
    }
    if parts.items {
        sql.push_str(ITEMS_JOIN);
    }
    sql.push_str(&format!(" ORDER BY o.created_at {dir}, o.id {dir}"));
    let stmt = Statement {
        sql,
        values: inner.values,
        db_backend: DbBackend::Postgres,
    };
    let rows = ctx.db.read.query_all_raw(stmt).await?;
    let mut out: Vec<OrderWith> = Vec::with_capacity(rows.len().min(fetch as usize));
    let item_at = ORDER_WIDTH + if parts.invoice { INVOICE_WIDTH } else { 0 };
    for row in &rows {
        let r = pg(row)?;
        let id: Uuid = get(r, 0)?;
        // An order's rows are adjacent (the SQL orders by a unique key).
        let same = out.last().is_some_and(|o| o.order.id == id);
        if !same {
            let invoice = if parts.invoice {
                get::<Option<Uuid>>(r, ORDER_WIDTH)?
                    .map(|_| invoice_at(r, ORDER_WIDTH))
                    .transpose()?
            } else {
                None
            };
            out.push(OrderWith {
                order: order_at(r, 0, id)?,
                invoice,
                items: Vec::new(),
            });
        }
        if parts.items && get::<Option<Uuid>>(r, item_at)?.is_some() {
            if let Some(o) = out.last_mut() {
                o.items.push(order_item_at(r, item_at)?);
            }
        }
    }
    for o in &mut out {
        o.items.sort_by_key(|a| (a.created_at, a.id));
    }
    Ok(out)
}

/// The payments of several orders, each order's oldest first, with their
/// logs (oldest first) when `with_log` (callers check
/// [`super::orders::require_transactions`]): one statement.
pub async fn payments_of_orders<C: ConnectionTrait>(
    conn: &C,
    orders: &[Uuid],
    with_log: bool,
) -> AppResult<Vec<PaymentWith>> {
    let sql = if with_log {
        PAYMENTS_WITH_LOG_OF_ORDERS
    } else {
        PAYMENTS_OF_ORDERS
    };
    let rows = conn.query_all_raw(any_of(sql, orders)).await?;
    let mut out: Vec<PaymentWith> = Vec::with_capacity(rows.len());
    for row in &rows {
        let r = pg(row)?;
        let id: Uuid = get(r, 0)?;
        if out.last().is_none_or(|p| p.payment.id != id) {
            out.push(PaymentWith {
                payment: payment_at(r, 0, id)?,
                transactions: with_log.then(Vec::new),
            });
        }
        if with_log {
            if let Some(tid) = get::<Option<Uuid>>(r, PAYMENT_WIDTH)? {
                let entry = TransactionEntry {
                    id: tid,
                    payment_id: id,
                    transaction_type: get(r, PAYMENT_WIDTH + 1)?,
                    provider_reference: get(r, PAYMENT_WIDTH + 2)?,
                    status: get(r, PAYMENT_WIDTH + 3)?,
                    created_at: get(r, PAYMENT_WIDTH + 4)?,
                };
                if let Some(log) = out.last_mut().and_then(|p| p.transactions.as_mut()) {
                    log.push(entry);
                }
            }
        }
    }
    for p in &mut out {
        if let Some(log) = &mut p.transactions {
            log.sort_by_key(|a| (a.created_at, a.id));
        }
    }
    Ok(out)
}

/// The transaction logs of several payments, each oldest first, without
/// the payloads (callers check [`super::orders::require_transactions`]).
pub async fn transactions_of_many<C: ConnectionTrait>(conn: &C, payments: &[Uuid]) -> AppResult<Vec<TransactionEntry>> {
    let rows = conn.query_all_raw(any_of(TRANSACTIONS_OF_PAYMENTS, payments)).await?;
    rows.iter()
        .map(|row| {
            let r = pg(row)?;
            Ok(TransactionEntry {
                id: get(r, 0)?,
                payment_id: get(r, 1)?,
                transaction_type: get(r, 2)?,
                provider_reference: get(r, 3)?,
                status: get(r, 4)?,
                created_at: get(r, 5)?,
            })
        })
        .collect()
}

/// The request and response payloads of several log entries, by entry id.
pub async fn transaction_payloads<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<Vec<(Uuid, Option<Json>, Option<Json>)>> {
    let rows = conn.query_all_raw(any_of(PAYLOADS, ids)).await?;
    rows.iter()
        .map(|row| {
            let r = pg(row)?;
            Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?))
        })
        .collect()
}

/// `sql` with `ids` as its one array parameter `$1`.
fn any_of(sql: &str, ids: &[Uuid]) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, [sea_orm::Value::from(ids.to_vec())])
}

fn pg(row: &QueryResult) -> AppResult<&PgRow> {
    row.try_as_pg_row()
        .ok_or_else(|| DbErr::Type("not a PostgreSQL row".into()).into())
}

/// Column `i` of `row`, by position.
fn get<'r, T: Decode<'r, Postgres> + Type<Postgres>>(row: &'r PgRow, i: usize) -> AppResult<T> {
    row.try_get(i)
        .map_err(|e| DbErr::Type(format!("column {i}: {e}")).into())
}

fn order_at(r: &PgRow, at: usize, id: Uuid) -> AppResult<orders::Model> {
    Ok(orders::Model {
        id,
        user_id: get(r, at + 1)?,
        order_type: get(r, at + 2)?,
        subtotal_inr: get(r, at + 3)?,
        discount_inr: get(r, at + 4)?,
        tax_inr: get(r, at + 5)?,
        total_inr: get(r, at + 6)?,
        coupon_id: get(r, at + 7)?,
        status: get(r, at + 8)?,
        created_at: get(r, at + 9)?,
        updated_at: get(r, at + 10)?,
    })
}

fn invoice_at(r: &PgRow, at: usize) -> AppResult<invoices::Model> {
    Ok(invoices::Model {
        id: get(r, at)?,
        order_id: get(r, at + 1)?,
        user_id: get(r, at + 2)?,
        invoice_number: get(r, at + 3)?,
        subtotal_inr: get(r, at + 4)?,
        discount_inr: get(r, at + 5)?,
        tax_inr: get(r, at + 6)?,
        total_inr: get(r, at + 7)?,
        status: get(r, at + 8)?,
        issued_at: get(r, at + 9)?,
        due_at: get(r, at + 10)?,
        paid_at: get(r, at + 11)?,
        created_at: get(r, at + 12)?,
        updated_at: get(r, at + 13)?,
    })
}

fn order_item_at(r: &PgRow, at: usize) -> AppResult<order_items::Model> {
    Ok(order_items::Model {
        id: get(r, at)?,
        order_id: get(r, at + 1)?,
        item_type: get(r, at + 2)?,
        item_id: get(r, at + 3)?,
        item_name: get(r, at + 4)?,
        quantity: get(r, at + 5)?,
        unit_price_inr: get(r, at + 6)?,
        total_price_inr: get(r, at + 7)?,
        created_at: get(r, at + 8)?,
    })
}

fn payment_at(r: &PgRow, at: usize, id: Uuid) -> AppResult<payments::Model> {
    Ok(payments::Model {
        id,
        order_id: get(r, at + 1)?,
        invoice_id: get(r, at + 2)?,
        user_id: get(r, at + 3)?,
        payment_gateway_config_id: get(r, at + 4)?,
        payment_method: get(r, at + 5)?,
        provider_payment_ref: get(r, at + 6)?,
        amount_inr: get(r, at + 7)?,
        currency_code: get(r, at + 8)?,
        status: get(r, at + 9)?,
        initiated_at: get(r, at + 10)?,
        completed_at: get(r, at + 11)?,
        created_at: get(r, at + 12)?,
        updated_at: get(r, at + 13)?,
    })
}
