//! STUB until the `pool` branch lands: the rotating address pool.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::app::AppContext;
use crate::error::{AppError, AppResult};

/// Who holds an address.
#[derive(Clone, Debug)]
pub struct AddressOwner {
    pub current_order: Option<Uuid>,
    pub last_order: Option<Uuid>,
    pub released_at: Option<DateTime<Utc>>,
}

/// Gives `order_id` an address.
pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    ctx: &AppContext,
    currency: &str,
    fresh: bool,
    order_id: Uuid,
) -> AppResult<String> {
    let q = ctx.config.exchange.quarantine.as_secs() as i64;
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH pick AS (SELECT id FROM rotating_addresses WHERE currency = $1 AND order_id IS NULL AND \
             (used_at IS NULL OR (NOT $2 AND released_at <= now() - $4::bigint * interval '1 second')) \
             ORDER BY used_at NULLS LAST LIMIT 1 FOR UPDATE SKIP LOCKED) \
             UPDATE rotating_addresses r SET order_id = $3, last_order_id = $3, used_at = coalesce(used_at, now()), released_at = NULL \
             FROM pick WHERE r.id = pick.id RETURNING r.address",
            [currency.into(), fresh.into(), order_id.into(), q.into()],
        ))
        .await?;
    if let Some(r) = row {
        return Ok(r.try_get("", "address")?);
    }
    let addr = format!("stub{}", Uuid::new_v4().simple());
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO rotating_addresses (currency, address, order_id, last_order_id, used_at) VALUES ($1, $2, $3, $3, now())",
        [currency.into(), addr.clone().into(), order_id.into()],
    ))
    .await?;
    Ok(addr)
}

/// The order's address enters quarantine.
pub async fn release<C: ConnectionTrait>(conn: &C, order_id: Uuid) -> AppResult<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE rotating_addresses SET order_id = NULL, released_at = now() WHERE order_id = $1",
        [order_id.into()],
    ))
    .await?;
    Ok(())
}

/// Who holds `address`.
pub async fn owner<C: ConnectionTrait>(conn: &C, currency: &str, address: &str) -> AppResult<Option<AddressOwner>> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT order_id, last_order_id, released_at FROM rotating_addresses WHERE currency = $1 AND address = $2",
            [currency.into(), address.into()],
        ))
        .await?;
    row.map(|r| -> AppResult<AddressOwner> {
        Ok(AddressOwner {
            current_order: r.try_get("", "order_id")?,
            last_order: r.try_get("", "last_order_id")?,
            released_at: r.try_get("", "released_at")?,
        })
    })
    .transpose()
    .map_err(|e: AppError| e)
}

/// Whether `address` is ours.
pub async fn is_ours<C: ConnectionTrait>(conn: &C, address: &str) -> AppResult<bool> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM rotating_addresses WHERE lower(address) = lower($1) UNION ALL SELECT 1 FROM deposit_addresses WHERE lower(address) = lower($1) LIMIT 1",
            [address.into()],
        ))
        .await?;
    Ok(row.is_some())
}
