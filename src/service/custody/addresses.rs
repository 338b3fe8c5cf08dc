//! Each user's own deposit address per currency (source 004's
//! `deposit_addresses`): created on the first ask from a never-used
//! address of the exchange's pool, which is then the user's for good (the
//! pool row is marked `dedicated_user_id`, so no order ever claims it and
//! its sealed key stays where the pool keeps keys). Never shared: the pool
//! claim skips rows other transactions hold, and `deposit_addresses` is
//! unique per address and per (user, currency).

use entity::deposit_addresses;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::audit::{self, Action, AuditEntity, Entry, Module};
use crate::service::exchange::{pairs, pool};
use crate::service::identity::Viewer;
use crate::service::money::CurrencyCode;
use crate::service::wallet::perms::WALLET_READ;

fn stmt(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

async fn existing<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    currency: &str,
) -> AppResult<Option<deposit_addresses::Model>> {
    Ok(deposit_addresses::Model::find_by_statement(stmt(
        "SELECT * FROM deposit_addresses WHERE user_id = $1 AND currency = $2",
        vec![user.into(), currency.into()],
    ))
    .one(conn)
    .await?)
}

/// The viewer's deposit address in `currency`, created on the first ask.
/// A currency that is not on a chain is `BAD_USER_INPUT`.
pub async fn of_viewer(ctx: &AppContext, viewer: &Viewer, currency: &str) -> AppResult<deposit_addresses::Model> {
    let user = viewer.require_self_service(WALLET_READ)?;
    let code = CurrencyCode::parse_field(currency, "currency")?;
    let info = pairs::currency(&ctx.db.primary, code, "currency").await?;
    if info.network.is_none() {
        return Err(AppError::invalid(
            "currency",
            format!("{} is not on a chain, so it has no deposit address", info.code),
        ));
    }
    if let Some(found) = existing(&ctx.db.primary, user, &info.code).await? {
        return Ok(found);
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let (pool_row, address) = pool::dedicate(&*tx, ctx, &info.code, user).await?;
    // A concurrent first ask of the same user waits here for the other and
    // then inserts nothing: its pool address goes back with the rollback.
    let created = deposit_addresses::Model::find_by_statement(stmt(
        "INSERT INTO deposit_addresses (id, user_id, currency, address, rotating_address_id) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, currency) DO NOTHING RETURNING *",
        vec![
            Uuid::now_v7().into(),
            user.into(),
            info.code.clone().into(),
            address.into(),
            pool_row.into(),
        ],
    ))
    .one(&*tx)
    .await?;
    let Some(created) = created else {
        tx.rollback().await?;
        return existing(&ctx.db.primary, user, &info.code)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("a deposit address vanished")));
    };
    audit::record(
        &*tx,
        Some(viewer),
        Entry::new(
            Action::Create,
            Module::Exchange,
            AuditEntity::DepositAddress,
            Some(created.id),
            format!("deposit address for {} created", info.code),
        )
        .after(json!({"currency": info.code, "address": created.address})),
    )
    .await?;
    tx.commit(&ctx.bus).await?;
    Ok(created)
}

/// The deposit address `address` of `currency`, if it is a user's (hex
/// addresses compared without case).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    currency: &str,
    address: &str,
) -> AppResult<Option<deposit_addresses::Model>> {
    let hex = address.len() == 42 && address.starts_with("0x");
    let sql = if hex {
        "SELECT * FROM deposit_addresses WHERE currency = $1 AND lower(address) = lower($2)"
    } else {
        "SELECT * FROM deposit_addresses WHERE currency = $1 AND address = $2"
    };
    Ok(
        deposit_addresses::Model::find_by_statement(stmt(sql, vec![currency.into(), address.into()]))
            .one(conn)
            .await?,
    )
}
