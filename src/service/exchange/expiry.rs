//! Orders that waited too long for their deposit expire. The pass runs as
//! a recurring job (one instance at a time) and, should two passes ever
//! overlap, each order is still expired once: rows are claimed with
//! `FOR UPDATE SKIP LOCKED` and the move is conditional on PENDING.
//! Unused FIXED quotes are deleted a day after they expired.

use entity::enums::ExchangeOrderStatus as S;
use entity::exchange_orders;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, FromQueryResult, Statement};

use super::lifecycle::{self, Move};
use crate::app::AppContext;
use crate::error::AppResult;
use crate::infra::events::Tx;

/// The recurring job's kind.
pub const EXPIRY_JOB: &str = "exchange.orders.expire";

/// Orders expired per transaction.
const BATCH: i64 = 100;

/// Expires every PENDING order past its `expires_at` and deletes FIXED
/// quotes no order took that expired a day ago; returns how many orders.
pub async fn expire_due(ctx: &AppContext) -> AppResult<u64> {
    ctx.background_db
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "DELETE FROM exchange_quotes WHERE order_id IS NULL AND expires_at < now() - interval '1 day'",
        ))
        .await?;
    let mut total = 0;
    loop {
        let tx = Tx::begin(&ctx.background_db).await?;
        let rows = tx
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT * FROM exchange_orders WHERE status = $2 AND expires_at <= now() \
                 ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED",
                [BATCH.into(), S::Pending.to_value().into()],
            ))
            .await?;
        let n = rows.len() as i64;
        for r in rows {
            let o = exchange_orders::Model::from_query_result(&r, "")?;
            lifecycle::apply(
                &tx,
                &o,
                Move::system(S::Expired, "no deposit arrived before the order expired"),
            )
            .await?;
            total += 1;
        }
        tx.commit(&ctx.bus).await?;
        if n < BATCH {
            return Ok(total);
        }
    }
}
