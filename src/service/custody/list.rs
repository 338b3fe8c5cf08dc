//! The lists: withdrawals and deposits, newest first, keyset pages both
//! ways. Customers see their own; finance staff (`exchange.withdrawals.manage`)
//! see everyone's, filter by user, and see deposits to addresses that are
//! nobody's (flagged UNKNOWN). Each page is one statement, whatever its size.

use chrono::{DateTime, Utc};
use entity::enums::{ChainTxKind, ChainTxMatch, WithdrawalStatus};
use entity::withdrawals;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};
use uuid::Uuid;

use super::perms::{WALLET_WITHDRAW, WITHDRAWALS_MANAGE};
use super::view::WithdrawalView;
use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;
use crate::service::page::{self, PageRequest, Paged};
use crate::service::wallet::perms::WALLET_READ;

/// The keyset of both lists: newest first.
pub type Cursor = (DateTime<Utc>, Uuid);

/// Which withdrawals to list.
#[derive(Clone, Debug, Default)]
pub struct WithdrawalFilter {
    pub statuses: Vec<WithdrawalStatus>,
    pub currency: Option<String>,
    /// Staff only.
    pub user_id: Option<Uuid>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

/// The cursor of a withdrawal.
pub fn withdrawal_cursor(w: &WithdrawalView) -> Cursor {
    (w.created_at.with_timezone(&Utc), w.id)
}

/// Staff see every user's rows; anyone else only their own, and naming
/// another user is `FORBIDDEN`.
fn scope(viewer: &Viewer, scope: crate::service::identity::Permission, user: Option<Uuid>) -> AppResult<Option<Uuid>> {
    if viewer.can(WITHDRAWALS_MANAGE) {
        return Ok(user);
    }
    let me = viewer.require_self_service(scope)?;
    match user {
        Some(u) if u != me => Err(AppError::Forbidden("you can list only your own".into())),
        _ => Ok(Some(me)),
    }
}

fn withdrawal_condition(viewer: &Viewer, f: &WithdrawalFilter) -> AppResult<Condition> {
    let mut c = Condition::all();
    if let Some(u) = scope(viewer, WALLET_WITHDRAW, f.user_id)? {
        c = c.add(withdrawals::Column::UserId.eq(u));
    }
    if !f.statuses.is_empty() {
        c = c.add(withdrawals::Column::Status.is_in(f.statuses.iter().map(|s| s.to_value())));
    }
    if let Some(cur) = &f.currency {
        c = c.add(withdrawals::Column::Currency.eq(cur.trim().to_ascii_uppercase()));
    }
    if let Some(t) = f.created_from {
        c = c.add(withdrawals::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.created_to {
        c = c.add(withdrawals::Column::CreatedAt.lt(t));
    }
    Ok(c)
}

/// A page of withdrawals.
pub async fn withdrawals<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &WithdrawalFilter,
    page: &PageRequest<Cursor>,
) -> AppResult<Paged<WithdrawalView>> {
    let mut cond = withdrawal_condition(viewer, filter)?;
    for (op, (at, id)) in page.bounds(true) {
        cond = cond.add(SimpleExpr::from(Expr::cust_with_values(
            format!("(withdrawals.created_at, withdrawals.id) {op} ($1, $2)"),
            [Value::from(*at), Value::from(*id)],
        )));
    }
    let q = withdrawals::Entity::find().filter(cond);
    let q = if page.sql_descending(true) {
        q.order_by_desc(withdrawals::Column::CreatedAt)
            .order_by_desc(withdrawals::Column::Id)
    } else {
        q.order_by_asc(withdrawals::Column::CreatedAt)
            .order_by_asc(withdrawals::Column::Id)
    };
    let rows = q.limit(page.fetch()).all(conn).await?;
    Ok(page.finish(rows.into_iter().map(WithdrawalView::from).collect()))
}

/// How many withdrawals match `filter`.
pub async fn count_withdrawals<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &WithdrawalFilter,
) -> AppResult<u64> {
    Ok(withdrawals::Entity::find()
        .filter(withdrawal_condition(viewer, filter)?)
        .count(conn)
        .await?)
}

/// One withdrawal, if the viewer may read it (its owner or staff).
pub async fn withdrawal<C: ConnectionTrait>(conn: &C, viewer: &Viewer, id: Uuid) -> AppResult<Option<WithdrawalView>> {
    let staff = viewer.can(WITHDRAWALS_MANAGE);
    let me = if staff {
        None
    } else {
        Some(viewer.require_self_service(WALLET_WITHDRAW)?)
    };
    let row = withdrawals::Entity::find_by_id(id).one(conn).await?;
    Ok(row.filter(|w| staff || Some(w.user_id) == me).map(WithdrawalView::from))
}

/// Which deposits to list.
#[derive(Clone, Debug, Default)]
pub struct DepositFilter {
    pub currency: Option<String>,
    /// Staff only.
    pub user_id: Option<Uuid>,
    /// true: only deposits to addresses that are nobody's (staff).
    pub flagged: Option<bool>,
    pub credited: Option<bool>,
}

/// A deposit as listed.
#[derive(Clone, Debug, FromQueryResult)]
pub struct DepositRow {
    pub id: Uuid,
    pub currency: String,
    pub tx_hash: String,
    pub address: Option<String>,
    pub amount: Option<Decimal>,
    pub confirmations: i32,
    pub confirmations_required: i32,
    pub credited_at: Option<DateTime<Utc>>,
    pub matched: String,
    pub user_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// The cursor of a deposit.
pub fn deposit_cursor(d: &DepositRow) -> Cursor {
    (d.created_at, d.id)
}

const DEPOSIT_FROM: &str = " FROM chain_transactions t \
    JOIN currencies c ON c.code = t.currency \
    LEFT JOIN deposit_addresses a ON a.id = t.deposit_address_id \
    WHERE t.kind = ?";

fn deposit_where(viewer: &Viewer, f: &DepositFilter) -> AppResult<(String, Vec<Value>)> {
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    // Appends `clause`, binding `vs` to its `?` placeholders in order.
    let mut arg = |sql: &mut String, clause: &str, vs: Vec<Value>| {
        let mut vs = vs.into_iter();
        for (i, part) in clause.split('?').enumerate() {
            if i > 0 {
                values.extend(vs.next());
                sql.push_str(&format!("${}", values.len()));
            }
            sql.push_str(part);
        }
    };
    let wallet = || Value::from(ChainTxMatch::Wallet.to_value());
    let unknown = || Value::from(ChainTxMatch::Unknown.to_value());
    arg(&mut sql, DEPOSIT_FROM, vec![ChainTxKind::Deposit.to_value().into()]);
    let staff = viewer.can(WITHDRAWALS_MANAGE);
    match scope(viewer, WALLET_READ, f.user_id)? {
        Some(u) => arg(
            &mut sql,
            " AND t.matched = ? AND a.user_id = ?",
            vec![wallet(), u.into()],
        ),
        None => arg(&mut sql, " AND t.matched IN (?, ?)", vec![wallet(), unknown()]),
    }
    match f.flagged {
        Some(true) if staff => arg(&mut sql, " AND t.matched = ?", vec![unknown()]),
        Some(true) => sql.push_str(" AND false"),
        Some(false) => arg(&mut sql, " AND t.matched = ?", vec![wallet()]),
        None => {}
    }
    match f.credited {
        Some(true) => sql.push_str(" AND t.credited_at IS NOT NULL"),
        Some(false) => sql.push_str(" AND t.credited_at IS NULL"),
        None => {}
    }
    if let Some(c) = &f.currency {
        arg(
            &mut sql,
            " AND t.currency = ?",
            vec![c.trim().to_ascii_uppercase().into()],
        );
    }
    Ok((sql, values))
}

/// A page of deposits.
pub async fn deposits<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &DepositFilter,
    page: &PageRequest<Cursor>,
) -> AppResult<Paged<DepositRow>> {
    let (mut sql, mut values) = deposit_where(viewer, filter)?;
    let mut bounds = Vec::new();
    let tail = page.sql(&["t.created_at", "t.id"], true, &mut bounds, &mut values);
    for b in bounds {
        sql.push_str(" AND ");
        sql.push_str(&b);
    }
    let full = format!(
        "SELECT t.id, t.currency, t.tx_hash, t.address, t.amount, t.confirmations, \
         c.confirmations_required, t.credited_at, t.matched, a.user_id, t.created_at{sql} {tail}"
    );
    let rows = DepositRow::find_by_statement(Statement::from_sql_and_values(DbBackend::Postgres, full, values))
        .all(conn)
        .await?;
    Ok(page.finish(rows))
}

/// How many deposits match `filter`.
pub async fn count_deposits<C: ConnectionTrait>(conn: &C, viewer: &Viewer, filter: &DepositFilter) -> AppResult<u64> {
    let (sql, values) = deposit_where(viewer, filter)?;
    page::count(conn, format!("SELECT count(*) AS n{sql}"), values).await
}
