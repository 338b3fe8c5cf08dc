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

use std::collections::HashMap;

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

/// A set of columns of one table: bit `i` is column `i` of the table's
/// list ([`cols`]). A model read with a set holds blank values in the
/// columns outside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cols(pub u32);

impl Cols {
    /// Whether every column of `bits` is in the set.
    pub const fn has(self, bits: u32) -> bool {
        self.0 & bits == bits
    }

    /// The set with `bits` added.
    pub const fn with(self, bits: u32) -> Cols {
        Cols(self.0 | bits)
    }

    /// How many columns the set holds (its width in a result row).
    const fn width(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Appends `alias.column` for each column of the set, comma-led.
    fn push_sql(self, alias: &str, names: &[&str], sql: &mut String) {
        for (i, name) in names.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                sql.push_str(", ");
                sql.push_str(alias);
                sql.push('.');
                sql.push_str(name);
            }
        }
    }

    /// Appends `NULL::type` for each column of the set, comma-led (the
    /// other branch's columns).
    fn push_nulls(self, types: &[&str], sql: &mut String) {
        for (i, ty) in types.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                sql.push_str(", NULL::");
                sql.push_str(ty);
            }
        }
    }

    /// The indexes of the set's columns, in list (and result) order.
    fn indexes(self) -> impl Iterator<Item = u32> {
        (0..32).filter(move |i| self.0 & (1 << i) != 0)
    }
}

/// The column lists and bits of the tables an order page reads.
pub mod cols {
    /// `orders`.
    pub mod order {
        pub const NAMES: &[&str] = &[
            "id",
            "user_id",
            "order_type",
            "subtotal_inr",
            "discount_inr",
            "tax_inr",
            "total_inr",
            "coupon_id",
            "status",
            "created_at",
            "updated_at",
        ];
        pub const TYPES: &[&str] = &[
            "uuid",
            "uuid",
            "text",
            "bigint",
            "bigint",
            "bigint",
            "bigint",
            "uuid",
            "text",
            "timestamptz",
            "timestamptz",
        ];
        pub const ID: u32 = 1;
        pub const USER_ID: u32 = 1 << 1;
        pub const ORDER_TYPE: u32 = 1 << 2;
        pub const SUBTOTAL: u32 = 1 << 3;
        pub const DISCOUNT: u32 = 1 << 4;
        pub const TAX: u32 = 1 << 5;
        pub const TOTAL: u32 = 1 << 6;
        pub const COUPON_ID: u32 = 1 << 7;
        pub const STATUS: u32 = 1 << 8;
        pub const CREATED_AT: u32 = 1 << 9;
        pub const UPDATED_AT: u32 = 1 << 10;
        pub const ALL: u32 = (1 << 11) - 1;
        /// What every page reads: the key and the sort key.
        pub const KEYS: u32 = ID | CREATED_AT;
    }
    /// `invoices`.
    pub mod invoice {
        pub const NAMES: &[&str] = &[
            "id",
            "order_id",
            "user_id",
            "invoice_number",
            "subtotal_inr",
            "discount_inr",
            "tax_inr",
            "total_inr",
            "status",
            "issued_at",
            "due_at",
            "paid_at",
            "created_at",
            "updated_at",
        ];
        pub const TYPES: &[&str] = &[
            "uuid",
            "uuid",
            "uuid",
            "text",
            "bigint",
            "bigint",
            "bigint",
            "bigint",
            "text",
            "timestamptz",
            "timestamptz",
            "timestamptz",
            "timestamptz",
            "timestamptz",
        ];
        pub const ID: u32 = 1;
        pub const ORDER_ID: u32 = 1 << 1;
        pub const USER_ID: u32 = 1 << 2;
        pub const NUMBER: u32 = 1 << 3;
        pub const SUBTOTAL: u32 = 1 << 4;
        pub const DISCOUNT: u32 = 1 << 5;
        pub const TAX: u32 = 1 << 6;
        pub const TOTAL: u32 = 1 << 7;
        pub const STATUS: u32 = 1 << 8;
        pub const ISSUED_AT: u32 = 1 << 9;
        pub const DUE_AT: u32 = 1 << 10;
        pub const PAID_AT: u32 = 1 << 11;
        pub const CREATED_AT: u32 = 1 << 12;
        pub const UPDATED_AT: u32 = 1 << 13;
        pub const ALL: u32 = (1 << 14) - 1;
        /// The key (NULL when the order has no invoice).
        pub const KEYS: u32 = ID;
    }
    /// `order_items`.
    pub mod item {
        pub const NAMES: &[&str] = &[
            "id",
            "order_id",
            "item_type",
            "item_id",
            "item_name",
            "quantity",
            "unit_price_inr",
            "total_price_inr",
            "created_at",
        ];
        pub const TYPES: &[&str] = &[
            "uuid",
            "uuid",
            "text",
            "uuid",
            "text",
            "integer",
            "bigint",
            "bigint",
            "timestamptz",
        ];
        pub const ID: u32 = 1;
        pub const ORDER_ID: u32 = 1 << 1;
        pub const ITEM_TYPE: u32 = 1 << 2;
        pub const ITEM_ID: u32 = 1 << 3;
        pub const ITEM_NAME: u32 = 1 << 4;
        pub const QUANTITY: u32 = 1 << 5;
        pub const UNIT_PRICE: u32 = 1 << 6;
        pub const TOTAL_PRICE: u32 = 1 << 7;
        pub const CREATED_AT: u32 = 1 << 8;
        pub const ALL: u32 = (1 << 9) - 1;
        /// The key and the sort key.
        pub const KEYS: u32 = ID | CREATED_AT;
    }
    /// `payments`.
    pub mod payment {
        pub const NAMES: &[&str] = &[
            "id",
            "order_id",
            "invoice_id",
            "user_id",
            "payment_gateway_config_id",
            "payment_method",
            "provider_payment_ref",
            "amount_inr",
            "currency_code",
            "status",
            "initiated_at",
            "completed_at",
            "created_at",
            "updated_at",
        ];
        pub const TYPES: &[&str] = &[
            "uuid",
            "uuid",
            "uuid",
            "uuid",
            "uuid",
            "text",
            "text",
            "bigint",
            "text",
            "text",
            "timestamptz",
            "timestamptz",
            "timestamptz",
            "timestamptz",
        ];
        pub const ID: u32 = 1;
        pub const ORDER_ID: u32 = 1 << 1;
        pub const INVOICE_ID: u32 = 1 << 2;
        pub const USER_ID: u32 = 1 << 3;
        pub const GATEWAY_CONFIG_ID: u32 = 1 << 4;
        pub const METHOD: u32 = 1 << 5;
        pub const PROVIDER_REF: u32 = 1 << 6;
        pub const AMOUNT: u32 = 1 << 7;
        pub const CURRENCY: u32 = 1 << 8;
        pub const STATUS: u32 = 1 << 9;
        pub const INITIATED_AT: u32 = 1 << 10;
        pub const COMPLETED_AT: u32 = 1 << 11;
        pub const CREATED_AT: u32 = 1 << 12;
        pub const UPDATED_AT: u32 = 1 << 13;
        pub const ALL: u32 = (1 << 14) - 1;
        /// The key and the sort key.
        pub const KEYS: u32 = ID | CREATED_AT;
    }
    /// `payment_transactions`, without the payloads.
    pub mod transaction {
        pub const NAMES: &[&str] = &[
            "id",
            "payment_id",
            "transaction_type",
            "provider_reference",
            "status",
            "created_at",
        ];
        pub const TYPES: &[&str] = &["uuid", "uuid", "text", "text", "text", "timestamptz"];
        pub const ID: u32 = 1;
        pub const PAYMENT_ID: u32 = 1 << 1;
        pub const TYPE: u32 = 1 << 2;
        pub const PROVIDER_REF: u32 = 1 << 3;
        pub const STATUS: u32 = 1 << 4;
        pub const CREATED_AT: u32 = 1 << 5;
        pub const ALL: u32 = (1 << 6) - 1;
        /// The key and the sort key.
        pub const KEYS: u32 = ID | CREATED_AT;
    }
}

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

/// An instant for columns not read.
fn blank_time() -> DateTime<FixedOffset> {
    DateTime::<FixedOffset>::default()
}

/// The order from column `start` of `r` (its columns `c`, in list order).
fn read_order(r: &PgRow, start: usize, c: Cols) -> AppResult<orders::Model> {
    let mut m = orders::Model {
        id: Uuid::nil(),
        user_id: Uuid::nil(),
        order_type: String::new(),
        subtotal_inr: 0,
        discount_inr: 0,
        tax_inr: 0,
        total_inr: 0,
        coupon_id: None,
        status: String::new(),
        created_at: blank_time(),
        updated_at: blank_time(),
    };
    for (n, col) in c.indexes().enumerate() {
        let at = start + n;
        match col {
            0 => m.id = get(r, at)?,
            1 => m.user_id = get(r, at)?,
            2 => m.order_type = get(r, at)?,
            3 => m.subtotal_inr = get(r, at)?,
            4 => m.discount_inr = get(r, at)?,
            5 => m.tax_inr = get(r, at)?,
            6 => m.total_inr = get(r, at)?,
            7 => m.coupon_id = get(r, at)?,
            8 => m.status = get(r, at)?,
            9 => m.created_at = get(r, at)?,
            10 => m.updated_at = get(r, at)?,
            _ => {}
        }
    }
    Ok(m)
}

/// The invoice from column `start` of `r` (its columns `c`).
fn read_invoice(r: &PgRow, start: usize, c: Cols) -> AppResult<invoices::Model> {
    let mut m = invoices::Model {
        id: Uuid::nil(),
        order_id: Uuid::nil(),
        user_id: Uuid::nil(),
        invoice_number: String::new(),
        subtotal_inr: 0,
        discount_inr: 0,
        tax_inr: 0,
        total_inr: 0,
        status: String::new(),
        issued_at: blank_time(),
        due_at: None,
        paid_at: None,
        created_at: blank_time(),
        updated_at: blank_time(),
    };
    for (n, col) in c.indexes().enumerate() {
        let at = start + n;
        match col {
            0 => m.id = get(r, at)?,
            1 => m.order_id = get(r, at)?,
            2 => m.user_id = get(r, at)?,
            3 => m.invoice_number = get(r, at)?,
            4 => m.subtotal_inr = get(r, at)?,
            5 => m.discount_inr = get(r, at)?,
            6 => m.tax_inr = get(r, at)?,
            7 => m.total_inr = get(r, at)?,
            8 => m.status = get(r, at)?,
            9 => m.issued_at = get(r, at)?,
            10 => m.due_at = get(r, at)?,
            11 => m.paid_at = get(r, at)?,
            12 => m.created_at = get(r, at)?,
            13 => m.updated_at = get(r, at)?,
            _ => {}
        }
    }
    Ok(m)
}

/// The item from column `start` of `r` (its columns `c`).
fn read_item(r: &PgRow, start: usize, c: Cols) -> AppResult<order_items::Model> {
    let mut m = order_items::Model {
        id: Uuid::nil(),
        order_id: Uuid::nil(),
        item_type: String::new(),
        item_id: Uuid::nil(),
        item_name: String::new(),
        quantity: 0,
        unit_price_inr: 0,
        total_price_inr: 0,
        created_at: blank_time(),
    };
    for (n, col) in c.indexes().enumerate() {
        let at = start + n;
        match col {
            0 => m.id = get(r, at)?,
            1 => m.order_id = get(r, at)?,
            2 => m.item_type = get(r, at)?,
            3 => m.item_id = get(r, at)?,
            4 => m.item_name = get(r, at)?,
            5 => m.quantity = get(r, at)?,
            6 => m.unit_price_inr = get(r, at)?,
            7 => m.total_price_inr = get(r, at)?,
            8 => m.created_at = get(r, at)?,
            _ => {}
        }
    }
    Ok(m)
}

/// The payment from column `start` of `r` (its columns `c`).
fn read_payment(r: &PgRow, start: usize, c: Cols) -> AppResult<payments::Model> {
    let mut m = payments::Model {
        id: Uuid::nil(),
        order_id: Uuid::nil(),
        invoice_id: None,
        user_id: Uuid::nil(),
        payment_gateway_config_id: Uuid::nil(),
        payment_method: None,
        provider_payment_ref: None,
        amount_inr: 0,
        currency_code: String::new(),
        status: String::new(),
        initiated_at: blank_time(),
        completed_at: None,
        created_at: blank_time(),
        updated_at: blank_time(),
    };
    for (n, col) in c.indexes().enumerate() {
        let at = start + n;
        match col {
            0 => m.id = get(r, at)?,
            1 => m.order_id = get(r, at)?,
            2 => m.invoice_id = get(r, at)?,
            3 => m.user_id = get(r, at)?,
            4 => m.payment_gateway_config_id = get(r, at)?,
            5 => m.payment_method = get(r, at)?,
            6 => m.provider_payment_ref = get(r, at)?,
            7 => m.amount_inr = get(r, at)?,
            8 => m.currency_code = get(r, at)?,
            9 => m.status = get(r, at)?,
            10 => m.initiated_at = get(r, at)?,
            11 => m.completed_at = get(r, at)?,
            12 => m.created_at = get(r, at)?,
            13 => m.updated_at = get(r, at)?,
            _ => {}
        }
    }
    Ok(m)
}

/// The log entry from column `start` of `r` (its columns `c`).
fn read_transaction(r: &PgRow, start: usize, c: Cols) -> AppResult<TransactionEntry> {
    let mut m = TransactionEntry::default();
    for (n, col) in c.indexes().enumerate() {
        let at = start + n;
        match col {
            0 => m.id = get(r, at)?,
            1 => m.payment_id = get(r, at)?,
            2 => m.transaction_type = get(r, at)?,
            3 => m.provider_reference = get(r, at)?,
            4 => m.status = get(r, at)?,
            5 => m.created_at = get(r, at)?,
            _ => {}
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_set_lists_its_columns_in_order() {
        let c = Cols(cols::order::ID | cols::order::STATUS | cols::order::TOTAL);
        let mut sql = String::new();
        c.push_sql("o", cols::order::NAMES, &mut sql);
        assert_eq!(sql, ", o.id, o.total_inr, o.status");
        assert_eq!(c.width(), 3);
        assert_eq!(c.indexes().collect::<Vec<_>>(), [0, 6, 8]);
        assert!(c.has(cols::order::ID | cols::order::STATUS));
        assert!(!c.has(cols::order::USER_ID));
        assert_eq!(cols::order::NAMES.len(), cols::order::ALL.count_ones() as usize);
        assert_eq!(cols::invoice::NAMES.len(), cols::invoice::ALL.count_ones() as usize);
        assert_eq!(cols::item::NAMES.len(), cols::item::ALL.count_ones() as usize);
        assert_eq!(cols::payment::NAMES.len(), cols::payment::ALL.count_ones() as usize);
        assert_eq!(
            cols::transaction::NAMES.len(),
            cols::transaction::ALL.count_ones() as usize
        );
    }
}
