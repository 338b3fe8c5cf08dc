//! STUB until the `market` branch lands: rates.

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::AppResult;

/// The newest rate of the pair.
pub async fn latest<C: ConnectionTrait>(conn: &C, base: &str, quote: &str) -> AppResult<Option<Decimal>> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT rate FROM exchange_rates WHERE base_currency = $1 AND quote_currency = $2 ORDER BY fetched_at DESC LIMIT 1",
            [base.into(), quote.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "rate")).transpose()?)
}
