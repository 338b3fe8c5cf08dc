//! STUB until the `market` branch lands: reserves.

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::AppResult;

/// Moves an order's reserves; false when short.
pub async fn move_for_order<C: ConnectionTrait>(
    conn: &C,
    from: &str,
    deposit: Decimal,
    to: &str,
    payout: Decimal,
) -> AppResult<bool> {
    let r = conn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE reserves SET amount = amount - $2 WHERE id = $1 AND amount >= $2",
            [to.into(), payout.into()],
        ))
        .await?;
    if r.rows_affected() == 0 {
        return Ok(false);
    }
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE reserves SET amount = amount + $2 WHERE id = $1",
        [from.into(), deposit.into()],
    ))
    .await?;
    Ok(true)
}
