//! Reserves (source 000 `update_reserves`): how much of each currency the
//! exchange holds to pay out. An adjustment is one atomic conditional
//! statement, so concurrent adjustments never take a reserve below zero,
//! and it is audited with the amounts before and after and the reason.
//! Completing an order moves two reserves through [`move_for_order`].
//!
//! Amounts read back carry their currency's decimal places ("20.00000000"
//! for BTC) when they fit them, else every stored digit.

use entity::reserves;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde_json::json;

use crate::app::AppContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::infra::tx::Tx;
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::exchange::perms;
use crate::service::identity::Viewer;
use crate::service::money::{self, CurrencyCode, Money, Rounding};

/// Longest reason an adjustment may give.
pub const MAX_REASON: usize = 500;

/// The columns of a reserve as read back, with its currency's places
/// (`c` is its `currencies` row).
const COLUMNS: &str = "r.id, r.amount, r.created_at, r.updated_at, c.decimals";

/// `amount` on exactly `decimals` places when it fits them, else every
/// stored digit (trailing zeros dropped).
fn shown(amount: Decimal, decimals: u32) -> Decimal {
    let mut on_places = amount.round_dp(decimals);
    if on_places == amount {
        on_places.rescale(decimals);
        on_places
    } else {
        amount.normalize()
    }
}

/// A reserve row read with `COLUMNS`, its amount shown on its places.
fn reserve(row: &sea_orm::QueryResult) -> AppResult<reserves::Model> {
    let mut model = reserves::Model::from_query_result(row, "")?;
    let decimals: i16 = row.try_get("", "decimals")?;
    model.amount = shown(model.amount, u32::try_from(decimals).unwrap_or(18));
    Ok(model)
}

/// Every reserve, by currency code (staff: `exchange.reserves.manage` or
/// `exchange.orders.read_all`).
pub async fn list<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<Vec<reserves::Model>> {
    viewer.require_user()?;
    if !(viewer.can(perms::EXCHANGE_RESERVES_MANAGE) || viewer.can(perms::EXCHANGE_ORDERS_READ_ALL)) {
        return Err(AppError::forbidden());
    }
    let rows = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT {COLUMNS} FROM reserves r JOIN currencies c ON c.code = r.id ORDER BY r.id"),
        ))
        .await?;
    rows.iter().map(reserve).collect()
}

/// Checks an adjustment's delta and reason; returns the trimmed reason.
fn check(delta: Decimal, reason: &str) -> AppResult<String> {
    let mut problems = Vec::new();
    if delta.is_zero() {
        problems.push(FieldError {
            field: "delta".into(),
            message: "must not be zero".into(),
        });
    }
    let reason = reason.trim();
    if reason.is_empty() {
        problems.push(FieldError {
            field: "reason".into(),
            message: "is required".into(),
        });
    } else if reason.chars().count() > MAX_REASON {
        problems.push(FieldError {
            field: "reason".into(),
            message: format!("must be at most {MAX_REASON} characters"),
        });
    }
    if problems.is_empty() {
        Ok(reason.to_string())
    } else {
        Err(AppError::invalid_fields(problems))
    }
}

/// Adds `delta` (negative to take out) to the reserve of `currency` inside
/// `tx` (`exchange.reserves.manage`), in one conditional statement that
/// never leaves it below zero: a delta the reserve cannot cover is
/// `INSUFFICIENT_FUNDS` and changes nothing. The delta must be non-zero
/// and within the currency's decimal places; the reason is required
/// (at most 500 characters). Audited with the amounts and the reason.
pub async fn adjust(
    tx: &Tx,
    viewer: &Viewer,
    currency: CurrencyCode,
    delta: Decimal,
    reason: String,
) -> AppResult<reserves::Model> {
    viewer.require(perms::EXCHANGE_RESERVES_MANAGE)?;
    let reason = check(delta, &reason)?;
    let conn: &sea_orm::DatabaseTransaction = tx;
    let cur = money::currency(conn, currency, "currency").await?;
    let exact = Money::from_decimal(delta, cur, Rounding::Exact).map_err(|e| e.on("delta"))?;
    let delta = exact
        .to_decimal()
        .ok_or_else(|| AppError::invalid("delta", "is out of range"))?;
    let sql = format!(
        "WITH r AS (UPDATE reserves SET amount = amount + $1 WHERE id = $2 AND amount + $1 >= 0 RETURNING *) \
         SELECT {COLUMNS} FROM r JOIN currencies c ON c.code = r.id"
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [delta.into(), currency.into()],
        ))
        .await?;
    let Some(row) = row else {
        let current = conn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("SELECT {COLUMNS} FROM reserves r JOIN currencies c ON c.code = r.id WHERE r.id = $1"),
                [currency.into()],
            ))
            .await?;
        return Err(match current {
            Some(r) => {
                let amount = reserve(&r)?.amount;
                AppError::InsufficientFundsDetail(format!(
                    "the {currency} reserve holds {amount}, too little to take out {}",
                    exact.checked_neg().map(|m| m.to_string()).unwrap_or_default()
                ))
            }
            None => AppError::invalid("currency", format!("{currency} has no reserve")),
        });
    };
    let model = reserve(&row)?;
    let text = |d: Decimal| {
        Money::from_decimal(d, cur, Rounding::Exact)
            .map(|m| m.to_string())
            .unwrap_or_else(|_| d.normalize().to_string())
    };
    audit::record(
        conn,
        Some(viewer),
        Entry::new(
            Action::Adjust,
            Module::Exchange,
            AuditEntity::Reserve,
            None,
            format!("reserve {currency} adjusted by {exact}: {reason}"),
        )
        .label(currency.as_str())
        .before(json!({"amount": text(model.amount - delta)}))
        .after(json!({"amount": text(model.amount)}))
        .metadata(json!({"currency": currency, "delta": exact.to_string(), "reason": reason})),
    )
    .await?;
    Ok(model)
}

/// [`adjust`] in its own transaction.
pub async fn adjust_once(
    ctx: &AppContext,
    viewer: &Viewer,
    currency: CurrencyCode,
    delta: Decimal,
    reason: String,
) -> AppResult<reserves::Model> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let model = adjust(&tx, viewer, currency, delta, reason).await?;
    tx.commit(&ctx.bus).await?;
    Ok(model)
}

/// Moves the reserves for a completed order, inside the caller's
/// transaction: takes `payout` out of `to_currency`'s reserve only if it
/// covers it (one conditional statement), then adds `deposit` to
/// `from_currency`'s reserve (made when the currency has none yet).
/// Returns false, having changed nothing, when the reserve is short. No
/// audit row: the order's transition is the record.
pub async fn move_for_order<C: ConnectionTrait>(
    conn: &C,
    from_currency: &str,
    deposit: Decimal,
    to_currency: &str,
    payout: Decimal,
) -> AppResult<bool> {
    if deposit < Decimal::ZERO || payout < Decimal::ZERO {
        return Err(AppError::internal(anyhow::anyhow!(
            "reserve movement with a negative amount: deposit {deposit}, payout {payout}"
        )));
    }
    let taken = conn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE reserves SET amount = amount - $1 WHERE id = $2 AND amount >= $1",
            [payout.into(), to_currency.into()],
        ))
        .await?;
    if taken.rows_affected() == 0 {
        return Ok(false);
    }
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO reserves (id, amount) VALUES ($1, $2) \
         ON CONFLICT (id) DO UPDATE SET amount = reserves.amount + EXCLUDED.amount",
        [from_currency.into(), deposit.into()],
    ))
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: AppError) -> Vec<String> {
        match e {
            AppError::BadUserInput { fields, .. } => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn amounts_show_their_currency_places() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(shown(Decimal::ZERO, 8).to_string(), "0.00000000");
        assert_eq!(shown(d("20.000000000000000000"), 8).to_string(), "20.00000000");
        assert_eq!(shown(d("1.5"), 18).to_string(), "1.500000000000000000");
        assert_eq!(shown(d("0.123456789000"), 8).to_string(), "0.123456789");
        assert_eq!(shown(d("7"), 0).to_string(), "7");
    }

    #[test]
    fn an_adjustment_needs_a_delta_and_a_reason() {
        assert_eq!(check(Decimal::ONE, "  top up  ").unwrap(), "top up");
        assert_eq!(fields(check(Decimal::ZERO, "x").unwrap_err()), ["delta"]);
        assert_eq!(fields(check(Decimal::ONE, "   ").unwrap_err()), ["reason"]);
        assert_eq!(fields(check(Decimal::ONE, &"x".repeat(501)).unwrap_err()), ["reason"]);
        assert!(check(Decimal::NEGATIVE_ONE, &"é".repeat(500)).is_ok());
        assert_eq!(fields(check(Decimal::ZERO, "").unwrap_err()), ["delta", "reason"]);
    }
}
