//! Reading a wallet's ledger: keyset pages newest first, walkable from
//! either end (`first`/`after` and `last`/`before`), and the count of a
//! filtered ledger for an opt-in `totalCount`.

use chrono::{DateTime, Utc};
use entity::wallet_ledger;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EntryType, LedgerEntry, ReferenceType, Wallet};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::service::page::PageRequest;

/// Ledger filters.
#[derive(Clone, Debug, Default)]
pub struct LedgerFilter {
    pub entry_type: Option<EntryType>,
    pub reference_type: Option<ReferenceType>,
    /// Entries at or after this instant.
    pub after: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub before: Option<DateTime<Utc>>,
}

/// Keyset of a ledger row: its time (microseconds) and id.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LedgerCursor {
    pub t: i64,
    pub id: Uuid,
}

impl LedgerCursor {
    /// The cursor of a ledger entry.
    pub fn of(e: &LedgerEntry) -> Self {
        LedgerCursor {
            t: e.model.created_at.timestamp_micros(),
            id: e.model.id,
        }
    }
}

fn condition(wallet_id: Uuid, filter: &LedgerFilter) -> Condition {
    let mut cond = Condition::all().add(wallet_ledger::Column::WalletId.eq(wallet_id));
    if let Some(t) = filter.entry_type {
        cond = cond.add(wallet_ledger::Column::EntryType.eq(t.to_value()));
    }
    if let Some(t) = filter.reference_type {
        cond = cond.add(wallet_ledger::Column::ReferenceType.eq(t.to_value()));
    }
    if let Some(t) = filter.after {
        cond = cond.add(wallet_ledger::Column::CreatedAt.gte(t));
    }
    if let Some(t) = filter.before {
        cond = cond.add(wallet_ledger::Column::CreatedAt.lt(t));
    }
    cond
}

/// One page of `wallet`'s ledger on `conn`, as fetched for `page`
/// (`page.fetch()` rows in `page.sql_descending(true)` order: hand them to
/// `page.finish` or the GraphQL `connection`). The list is newest first.
pub async fn page_in<C: ConnectionTrait>(
    conn: &C,
    wallet: &Wallet,
    filter: &LedgerFilter,
    page: &PageRequest<LedgerCursor>,
) -> AppResult<Vec<LedgerEntry>> {
    let mut cond = condition(wallet.model.id, filter);
    for (op, key) in page.bounds(true) {
        let t = DateTime::<Utc>::from_timestamp_micros(key.t)
            .ok_or_else(|| AppError::invalid("after", "is not a cursor this API issued"))?;
        cond = cond.add(Expr::cust_with_values(
            format!("(wallet_ledger.created_at, wallet_ledger.id) {op} ($1, $2)"),
            [sea_orm::Value::from(t), key.id.into()],
        ));
    }
    let order = if page.sql_descending(true) {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let rows = wallet_ledger::Entity::find()
        .filter(cond)
        .order_by(wallet_ledger::Column::CreatedAt, order.clone())
        .order_by(wallet_ledger::Column::Id, order)
        .limit(page.fetch())
        .all(conn)
        .await?;
    let currency = wallet.currency;
    Ok(rows.into_iter().map(|model| LedgerEntry { model, currency }).collect())
}

/// [`page_in`] on the read pool. The wallet was reached through an
/// authorized look-up, so its ledger is the same reader's.
pub async fn page(
    ctx: &AppContext,
    wallet: &Wallet,
    filter: &LedgerFilter,
    page: &PageRequest<LedgerCursor>,
) -> AppResult<Vec<LedgerEntry>> {
    page_in(&ctx.db.read, wallet, filter, page).await
}

/// Entries of `wallet` matching `filter` (all pages).
pub async fn count(ctx: &AppContext, wallet: &Wallet, filter: &LedgerFilter) -> AppResult<u64> {
    Ok(wallet_ledger::Entity::find()
        .filter(condition(wallet.model.id, filter))
        .count(&ctx.db.read)
        .await?)
}
