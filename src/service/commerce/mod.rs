//! Commerce: pricing packages, coupons, discount and tax rules
//! ([`catalog`]), purchases with their orders, invoices and payments
//! ([`orders`]), payment gateways and their encrypted secrets
//! ([`gateways`], [`gateway`]) and the webhook that completes payments
//! exactly once ([`webhooks`]).
//!
//! Statuses and kinds are the enums of `entity::enums`, with each
//! workflow's allowed transitions in [`workflow`]; events are
//! [`events::CommerceEvent`]. Money is paise in `i64` (typed as
//! [`money::Paise`] where a mix-up is costly); prices follow [`pricing`]. Every
//! money movement (a purchase, a completed or failed payment, a refund, a
//! tracecoin credit or debit) writes its audit row in the same transaction.

pub mod catalog;
pub mod events;
pub mod gateway;
pub mod gateways;
pub mod money;
pub mod order_page;
pub mod orders;
pub mod payments;
pub mod perms;
pub mod pricing;
pub mod purchase;
pub mod webhooks;
pub mod workflow;

use chrono::{DateTime, Utc};
use entity::enums::OrderStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult, FieldError};
use crate::infra::events::{Event, Tx};
use crate::service::page::PageRequest;

/// Upper bound of any price or amount (₹1,000 crore in paise), far below
/// `i64::MAX` so sums never overflow.
pub const MAX_AMOUNT_INR: i64 = 1_000_000_000_000;

/// The audit entity types commerce records (one place, so a typo cannot
/// split an entity's history in two).
pub mod audited {
    use crate::service::audit::AuditEntity;

    /// An order.
    pub const ORDER: AuditEntity = AuditEntity::Order;
    /// A payment.
    pub const PAYMENT: AuditEntity = AuditEntity::Payment;
    /// A payment gateway configuration.
    pub const GATEWAY_CONFIG: AuditEntity = AuditEntity::PaymentGatewayConfig;
    /// A pricing package.
    pub const PACKAGE: AuditEntity = AuditEntity::PricingPackage;
    /// A coupon.
    pub const COUPON: AuditEntity = AuditEntity::Coupon;
    /// A discount rule.
    pub const DISCOUNT_RULE: AuditEntity = AuditEntity::DiscountRule;
    /// A tax rule.
    pub const TAX_RULE: AuditEntity = AuditEntity::TaxRule;
}

/// Namespace of the deterministic ids derived from idempotency keys.
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f1e_8d2a_4c3b_4f5e_9a7d_2b1c_0e3f_4a5b);

/// A deterministic id for `name` (used to make purchases idempotent).
pub(crate) fn derived_id(name: &str) -> Uuid {
    Uuid::new_v5(&ID_NAMESPACE, name.as_bytes())
}

/// The event topic of a user's commerce records (orders and payments).
pub fn topic(user: Uuid) -> String {
    format!("commerce:user:{user}")
}

/// Queues the "order changed" event for after the commit.
pub(crate) fn order_changed(tx: &Tx, user: Uuid, order: Uuid, status: OrderStatus) {
    tx.publish_after_commit(Event::typed(
        topic(user),
        &events::CommerceEvent::order_changed(order, status),
    ));
}

/// Collected validation problems of one input.
#[derive(Default)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Text of 1..=`max` characters (after trimming).
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        let n = value.trim().chars().count();
        if n == 0 || n > max {
            self.add(field, format!("must be 1 to {max} characters"));
        }
    }

    /// An amount of paise in `0..=MAX_AMOUNT_INR`.
    pub fn amount(&mut self, field: &str, value: i64) {
        if !(0..=MAX_AMOUNT_INR).contains(&value) {
            self.add(field, format!("must be between 0 and {MAX_AMOUNT_INR} paise"));
        }
    }

    /// Fails with every problem collected, if any.
    pub fn check(self) -> crate::error::AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::error::AppError::invalid_fields(self.0))
        }
    }
}

/// Filters of the order, invoice and payment lists.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Any of these statuses, as stored (empty: all); callers fill it from
    /// the status enum of the list.
    pub status: Vec<String>,
    /// Only this user's (staff lists).
    pub user_id: Option<Uuid>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Keyset of a listed row, newest first: creation time (µs) and id.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ListCursor {
    pub t: i64,
    pub id: Uuid,
}

impl ListCursor {
    /// The cursor of a row created at `t` with `id`.
    pub fn of(t: sea_orm::prelude::DateTimeWithTimeZone, id: Uuid) -> Self {
        ListCursor {
            t: t.timestamp_micros(),
            id,
        }
    }

    /// The creation time the cursor points at; `field` names the argument.
    pub fn time(&self, field: &str) -> AppResult<DateTime<Utc>> {
        DateTime::<Utc>::from_timestamp_micros(self.t)
            .ok_or_else(|| AppError::invalid(field, "is not a cursor this API issued"))
    }
}

/// `column = ANY($1)` over `ids`: one array parameter, so the statement's
/// text (and the plan prepared for it) is the same at any number of ids,
/// unlike an `IN ($1, …, $n)` list.
pub(crate) fn any_of(column: &str, ids: &[Uuid]) -> Expr {
    Expr::cust_with_values(format!("{column} = ANY($1)"), [sea_orm::Value::from(ids.to_vec())])
}

/// `cond` with the keyset bounds of `page` over `(table.created_at,
/// table.id)`, for a list shown newest first.
pub(crate) fn keyset(table: &str, mut cond: Condition, page: &PageRequest<ListCursor>) -> AppResult<Condition> {
    for (op, key) in page.bounds(true) {
        let field = if page.after.as_ref() == Some(key) {
            "after"
        } else {
            "before"
        };
        cond = cond.add(Expr::cust_with_values(
            format!("({table}.created_at, {table}.id) {op} ($1, $2)"),
            [sea_orm::Value::from(key.time(field)?), key.id.into()],
        ));
    }
    Ok(cond)
}

/// The rows of a newest-first page (one extra, in the SQL order
/// `page.finish` expects), sorted by `created` then `id`.
pub(crate) async fn newest_first<E, C>(
    conn: &C,
    q: Select<E>,
    page: &PageRequest<ListCursor>,
    created: E::Column,
    id: E::Column,
) -> AppResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Column: ColumnTrait,
    C: ConnectionTrait,
{
    let q = if page.sql_descending(true) {
        q.order_by_desc(created).order_by_desc(id)
    } else {
        q.order_by_asc(created).order_by_asc(id)
    };
    Ok(q.limit(page.fetch()).all(conn).await?)
}
