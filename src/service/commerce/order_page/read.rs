//! Rows decoded by position into the entity models: each reader takes
//! the columns of its set, in list order, from a starting column, and
//! leaves the others blank.

use chrono::{DateTime, FixedOffset};
use entity::{invoices, order_items, orders, payments};
use sea_orm::sqlx::postgres::PgRow;
use uuid::Uuid;

use super::{get, Cols, TransactionEntry};
use crate::error::AppResult;

/// An instant for columns not read.
fn blank_time() -> DateTime<FixedOffset> {
    DateTime::<FixedOffset>::default()
}

/// The order from column `start` of `r` (its columns `c`, in list order).
pub(super) fn read_order(r: &PgRow, start: usize, c: Cols) -> AppResult<orders::Model> {
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
pub(super) fn read_invoice(r: &PgRow, start: usize, c: Cols) -> AppResult<invoices::Model> {
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
pub(super) fn read_item(r: &PgRow, start: usize, c: Cols) -> AppResult<order_items::Model> {
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
pub(super) fn read_payment(r: &PgRow, start: usize, c: Cols) -> AppResult<payments::Model> {
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
pub(super) fn read_transaction(r: &PgRow, start: usize, c: Cols) -> AppResult<TransactionEntry> {
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
