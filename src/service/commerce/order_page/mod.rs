//! A page of orders with the relations its query selects, in one
//! statement at any page size: the orders with their invoice and items
//! (one row per item), and after them the orders' payments with their
//! transaction logs (one row per entry), as the two branches of a
//! `UNION ALL` over the page's orders. The text depends only on what the
//! query selects and on the page size (part of the text, not a
//! parameter), so it is prepared and planned once per connection.
//!
//! Only the columns the query needs are read ([`Cols`]): the database
//! sends, and the server decodes, nothing else (a branch pads the other's
//! columns with NULLs, which cost next to nothing). Rows are decoded by
//! position straight into the entity models, whose unread columns keep a
//! blank value (the GraphQL types check [`Cols`] before showing a field).
//! A transaction log never carries the providers' payloads: they are read
//! apart, by entry id, only when a query asks for them
//! ([`transaction_payloads`]).

pub mod cols;
mod read;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use entity::{invoices, order_items, orders, payments};
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::{Decode, Postgres, Row, Type};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryResult, QueryTrait, Statement};
use serde_json::Value as Json;
use uuid::Uuid;

pub use cols::Cols;
use read::{read_invoice, read_item, read_order, read_payment, read_transaction};

use super::orders::{list_condition, Scope};
use super::{keyset, ListCursor, ListFilter};
use crate::app::AppContext;
use crate::error::AppResult;
use crate::service::page::PageRequest;

/// What an order page reads with each order: the columns of each table,
/// and which relations at all (their keys are always read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderParts {
    pub order: Cols,
    /// The order's invoice (its first), if read.
    pub invoice: Option<Cols>,
    /// The order's items, if read.
    pub items: Option<Cols>,
    /// The order's payments, if read.
    pub payments: Option<PaymentParts>,
}

/// The columns of the payments a page reads, and of their logs if it
/// reads those (callers check [`super::orders::require_transactions`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentParts {
    pub payment: Cols,
    pub log: Option<Cols>,
}

impl Default for OrderParts {
    fn default() -> Self {
        OrderParts {
            order: Cols(cols::order::ALL),
            invoice: None,
            items: None,
            payments: None,
        }
    }
}

/// An order of a page with the relations [`OrderParts`] asked for.
#[derive(Clone, Debug)]
pub struct OrderWith {
    pub order: orders::Model,
    /// Its first invoice (`None` also when not asked for).
    pub invoice: Option<invoices::Model>,
    /// Its items, oldest first (empty also when not asked for).
    pub items: Vec<order_items::Model>,
    /// Its payments, oldest first (empty also when not asked for).
    pub payments: Vec<PaymentWith>,
}

/// One entry of a payment's log, without the providers' payloads (see
/// [`transaction_payloads`]); columns outside the set it was read with
/// are blank.
#[derive(Clone, Debug, Default)]
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

/// An order's first invoice. A lateral subquery (rather than a plain
/// join) keeps the plan a nested loop over the page's few orders.
const INVOICE_JOIN: &str = " LEFT JOIN LATERAL (SELECT * FROM invoices WHERE invoices.order_id = o.id \
    ORDER BY invoices.created_at, invoices.id LIMIT 1) AS i ON true";
/// An order's items; `OFFSET 0` keeps the planner from turning the
/// lateral subquery into a join that scans the whole table (a generic
/// plan cannot know how few orders the page holds).
const ITEMS_JOIN: &str =
    " LEFT JOIN LATERAL (SELECT * FROM order_items WHERE order_items.order_id = o.id OFFSET 0) AS it ON true";
/// A payment's log, likewise kept a nested loop.
const LOG_JOIN: &str = " LEFT JOIN LATERAL (SELECT * FROM payment_transactions \
    WHERE payment_transactions.payment_id = p.id OFFSET 0) AS t ON true";

/// An order's payments (see [`ITEMS_JOIN`] for why lateral).
const PAYMENTS_JOIN: &str = " CROSS JOIN LATERAL (SELECT * FROM payments WHERE payments.order_id = o.id OFFSET 0) AS p";

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
    use cols::{invoice, item, order, payment, transaction};
    let order_cols = parts.order.with(order::KEYS);
    let invoice_cols = parts.invoice.map(|c| c.with(invoice::KEYS));
    let item_cols = parts.items.map(|c| c.with(item::KEYS));
    let payment_cols = parts.payments.map(|p| p.payment.with(payment::KEYS));
    let log_cols = parts.payments.and_then(|p| p.log).map(|c| c.with(transaction::KEYS));
    let cond = keyset("orders", list_condition("orders", scope, filter), page)?;
    let inner = orders::Entity::find().filter(cond).build(DbBackend::Postgres);
    let descending = page.sql_descending(true);
    let dir = if descending { "DESC" } else { "ASC" };
    let fetch = page.fetch();
    let mut sql = String::with_capacity(inner.sql.len() + 2048);
    // The size is part of the text, not a parameter: a generic plan would
    // guess a parameter's size and a custom plan is planned every time.
    sql.push_str("WITH o AS MATERIALIZED (");
    sql.push_str(&inner.sql);
    sql.push_str(&format!(
        " ORDER BY orders.created_at {dir}, orders.id {dir} LIMIT {fetch}) SELECT 0"
    ));
    // Branch 0: an order with its invoice, once per item.
    order_cols.push_sql("o", order::NAMES, &mut sql);
    if let Some(c) = invoice_cols {
        c.push_sql("i", invoice::NAMES, &mut sql);
    }
    if let Some(c) = item_cols {
        c.push_sql("it", item::NAMES, &mut sql);
    }
    if let Some(c) = payment_cols {
        c.push_nulls(payment::TYPES, &mut sql);
    }
    if let Some(c) = log_cols {
        c.push_nulls(transaction::TYPES, &mut sql);
    }
    sql.push_str(" FROM o");
    if invoice_cols.is_some() {
        sql.push_str(INVOICE_JOIN);
    }
    if item_cols.is_some() {
        sql.push_str(ITEMS_JOIN);
    }
    // Branch 1: a payment of an order, once per log entry.
    if let Some(c) = payment_cols {
        sql.push_str(" UNION ALL SELECT 1, o.id");
        Cols(order_cols.0 & !order::ID).push_nulls(order::TYPES, &mut sql);
        if let Some(c) = invoice_cols {
            c.push_nulls(invoice::TYPES, &mut sql);
        }
        if let Some(c) = item_cols {
            c.push_nulls(item::TYPES, &mut sql);
        }
        c.push_sql("p", payment::NAMES, &mut sql);
        if let Some(c) = log_cols {
            c.push_sql("t", transaction::NAMES, &mut sql);
        }
        sql.push_str(" FROM o");
        sql.push_str(PAYMENTS_JOIN);
        if log_cols.is_some() {
            sql.push_str(LOG_JOIN);
        }
    }
    let stmt = Statement {
        sql,
        values: inner.values,
        db_backend: DbBackend::Postgres,
    };
    let rows = ctx.db.read.query_all_raw(stmt).await?;

    // Where each block starts in a row (after the branch number).
    let invoice_at = 1 + order_cols.width();
    let item_at = invoice_at + invoice_cols.map_or(0, Cols::width);
    let payment_at = item_at + item_cols.map_or(0, Cols::width);
    let log_at = payment_at + payment_cols.map_or(0, Cols::width);
    let mut out: Vec<OrderWith> = Vec::with_capacity(fetch as usize);
    let mut index: HashMap<Uuid, usize> = HashMap::with_capacity(fetch as usize);
    let mut payments = Vec::new();
    for row in &rows {
        let r = pg(row)?;
        if get::<i32>(r, 0)? != 0 {
            payments.push(r);
            continue;
        }
        let id: Uuid = get(r, 1)?;
        let at = match index.get(&id) {
            Some(&at) => at,
            None => {
                let invoice = match invoice_cols {
                    Some(c) if get::<Option<Uuid>>(r, invoice_at)?.is_some() => Some(read_invoice(r, invoice_at, c)?),
                    _ => None,
                };
                out.push(OrderWith {
                    order: read_order(r, 1, order_cols)?,
                    invoice,
                    items: Vec::new(),
                    payments: Vec::new(),
                });
                index.insert(id, out.len() - 1);
                out.len() - 1
            }
        };
        if let Some(c) = item_cols {
            if get::<Option<Uuid>>(r, item_at)?.is_some() {
                out[at].items.push(read_item(r, item_at, c)?);
            }
        }
    }
    if let Some(c) = payment_cols {
        for r in payments {
            let Some(&at) = index.get(&get::<Uuid>(r, 1)?) else {
                continue;
            };
            let id: Uuid = get(r, payment_at)?;
            let list = &mut out[at].payments;
            let p = match list.iter().position(|p| p.payment.id == id) {
                Some(p) => p,
                None => {
                    list.push(PaymentWith {
                        payment: read_payment(r, payment_at, c)?,
                        transactions: log_cols.map(|_| Vec::new()),
                    });
                    list.len() - 1
                }
            };
            if let Some(c) = log_cols {
                if get::<Option<Uuid>>(r, log_at)?.is_some() {
                    let mut entry = read_transaction(r, log_at, c)?;
                    entry.payment_id = id;
                    if let Some(log) = list[p].transactions.as_mut() {
                        log.push(entry);
                    }
                }
            }
        }
    }
    // The page's order (as the SQL read it), each relation oldest first.
    out.sort_by(|a, b| {
        let ord = (a.order.created_at, a.order.id).cmp(&(b.order.created_at, b.order.id));
        if descending {
            ord.reverse()
        } else {
            ord
        }
    });
    for o in &mut out {
        o.items.sort_by_key(|i| (i.created_at, i.id));
        o.payments.sort_by_key(|p| (p.payment.created_at, p.payment.id));
        for p in &mut o.payments {
            if let Some(log) = &mut p.transactions {
                log.sort_by_key(|t| (t.created_at, t.id));
            }
        }
    }
    Ok(out)
}

/// The transaction logs of several payments, each oldest first, without
/// the payloads (callers check [`super::orders::require_transactions`]).
pub async fn transactions_of_many<C: ConnectionTrait>(conn: &C, payments: &[Uuid]) -> AppResult<Vec<TransactionEntry>> {
    const SQL: &str = "SELECT t.id, t.payment_id, t.transaction_type, t.provider_reference, t.status, \
        t.created_at FROM payment_transactions t WHERE t.payment_id = ANY($1) ORDER BY t.payment_id, t.created_at, t.id";
    let rows = conn.query_all_raw(any_of(SQL, payments)).await?;
    rows.iter()
        .map(|row| read_transaction(pg(row)?, 0, Cols(cols::transaction::ALL)))
        .collect()
}

/// The request and response payloads of several log entries, by entry id.
pub async fn transaction_payloads<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<Vec<(Uuid, Option<Json>, Option<Json>)>> {
    const SQL: &str =
        "SELECT id, request_payload_json, response_payload_json FROM payment_transactions WHERE id = ANY($1)";
    let rows = conn.query_all_raw(any_of(SQL, ids)).await?;
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
