//! Reading what purchases left behind: orders with their items, invoices,
//! payments and payment transactions, one at a time (as the viewer may see
//! them) or in pages, and in bulk by id for the request's loaders (so a
//! page of orders costs the same few statements at any size).
//!
//! Making them is [`super::purchase`]; completing, failing and refunding
//! them are [`super::webhooks`] and [`super::payments`].

use entity::{invoices, order_items, orders, payments};
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{any_of, keyset, newest_first, perms, ListCursor, ListFilter};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::service::identity::Viewer;
use crate::service::page::PageRequest;

/// Whose records a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The viewer's own (API keys need `commerce.purchase`).
    Own(Uuid),
    /// Everyone's (`commerce.orders.read_all`).
    All,
}

impl Scope {
    /// The viewer's own records, or everyone's for staff.
    pub fn of(viewer: &Viewer, everyone: bool) -> AppResult<Scope> {
        if everyone {
            viewer.require(perms::COMMERCE_ORDERS_READ_ALL)?;
            Ok(Scope::All)
        } else {
            Ok(Scope::Own(viewer.require_self_service(perms::COMMERCE_PURCHASE)?))
        }
    }
}

/// Which list: orders, invoices or payments (they filter and page alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    Orders,
    Invoices,
    Payments,
}

/// May the viewer see a record of `owner`?
fn visible(viewer: &Viewer, owner: Uuid) -> bool {
    viewer.can(perms::COMMERCE_ORDERS_READ_ALL)
        || (viewer.user_id == Some(owner) && viewer.scope_allows(perms::COMMERCE_PURCHASE))
}

pub(crate) fn list_condition(table: &str, scope: Scope, filter: &ListFilter) -> Condition {
    let mut cond = Condition::all();
    let user = match scope {
        Scope::Own(u) => Some(u),
        Scope::All => filter.user_id,
    };
    if let Some(u) = user {
        cond = cond.add(Expr::cust_with_values(format!("{table}.user_id = $1"), [u]));
    }
    if !filter.status.is_empty() {
        cond = cond.add(Expr::cust_with_values(
            format!("{table}.status = ANY($1)"),
            [sea_orm::Value::from(filter.status.clone())],
        ));
    }
    if let Some(t) = filter.created_after {
        cond = cond.add(Expr::cust_with_values(format!("{table}.created_at >= $1"), [t]));
    }
    if let Some(t) = filter.created_before {
        cond = cond.add(Expr::cust_with_values(format!("{table}.created_at < $1"), [t]));
    }
    cond
}

/// A page of invoices in `scope`, newest first.
pub async fn list_invoices(
    ctx: &AppContext,
    scope: Scope,
    filter: &ListFilter,
    page: &PageRequest<ListCursor>,
) -> AppResult<Vec<invoices::Model>> {
    let cond = keyset("invoices", list_condition("invoices", scope, filter), page)?;
    let q = invoices::Entity::find().filter(cond);
    newest_first(&ctx.db.read, q, page, invoices::Column::CreatedAt, invoices::Column::Id).await
}

/// A page of payments in `scope`, newest first.
pub async fn list_payments(
    ctx: &AppContext,
    scope: Scope,
    filter: &ListFilter,
    page: &PageRequest<ListCursor>,
) -> AppResult<Vec<payments::Model>> {
    let cond = keyset("payments", list_condition("payments", scope, filter), page)?;
    let q = payments::Entity::find().filter(cond);
    newest_first(&ctx.db.read, q, page, payments::Column::CreatedAt, payments::Column::Id).await
}

/// How many rows of a list match (for `totalCount`).
pub async fn count(ctx: &AppContext, kind: ListKind, scope: Scope, filter: &ListFilter) -> AppResult<u64> {
    let conn = &ctx.db.read;
    Ok(match kind {
        ListKind::Orders => {
            let cond = list_condition("orders", scope, filter);
            orders::Entity::find().filter(cond).count(conn).await?
        }
        ListKind::Invoices => {
            let cond = list_condition("invoices", scope, filter);
            invoices::Entity::find().filter(cond).count(conn).await?
        }
        ListKind::Payments => {
            let cond = list_condition("payments", scope, filter);
            payments::Entity::find().filter(cond).count(conn).await?
        }
    })
}

/// An order the viewer may see (their own, or any with `commerce.orders.read_all`).
pub async fn order(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<orders::Model> {
    viewer.require_user()?;
    orders::Entity::find_by_id(id)
        .one(&ctx.db.read)
        .await?
        .filter(|o| visible(viewer, o.user_id))
        .ok_or_else(|| AppError::NotFound("order".into()))
}

/// An invoice the viewer may see.
pub async fn invoice(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<invoices::Model> {
    viewer.require_user()?;
    invoices::Entity::find_by_id(id)
        .one(&ctx.db.read)
        .await?
        .filter(|i| visible(viewer, i.user_id))
        .ok_or_else(|| AppError::NotFound("invoice".into()))
}

/// A payment the viewer may see.
pub async fn payment(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<payments::Model> {
    viewer.require_user()?;
    payments::Entity::find_by_id(id)
        .one(&ctx.db.read)
        .await?
        .filter(|p| visible(viewer, p.user_id))
        .ok_or_else(|| AppError::NotFound("payment".into()))
}

/// Whether the viewer may read payments' transaction logs
/// (`commerce.orders.read_all`: they hold the providers' raw payloads).
pub fn require_transactions(viewer: &Viewer) -> AppResult<()> {
    viewer.require(perms::COMMERCE_ORDERS_READ_ALL).map(|_| ())
}

// -------------------------------------------------------------------- bulk

/// An order's items, oldest first.
pub async fn items_of<C: ConnectionTrait>(conn: &C, order: Uuid) -> AppResult<Vec<order_items::Model>> {
    items_of_many(conn, &[order]).await
}

/// The items of several orders, each order's oldest first.
pub async fn items_of_many<C: ConnectionTrait>(conn: &C, orders: &[Uuid]) -> AppResult<Vec<order_items::Model>> {
    Ok(order_items::Entity::find()
        .filter(any_of("order_items.order_id", orders))
        .order_by_asc(order_items::Column::CreatedAt)
        .order_by_asc(order_items::Column::Id)
        .all(conn)
        .await?)
}

/// The invoices of several orders, oldest first (an order's invoice is
/// its first).
pub async fn invoices_of_many<C: ConnectionTrait>(conn: &C, orders: &[Uuid]) -> AppResult<Vec<invoices::Model>> {
    Ok(invoices::Entity::find()
        .filter(any_of("invoices.order_id", orders))
        .order_by_asc(invoices::Column::CreatedAt)
        .order_by_asc(invoices::Column::Id)
        .all(conn)
        .await?)
}

/// The payments of several orders, oldest first.
pub async fn payments_of_many<C: ConnectionTrait>(conn: &C, orders: &[Uuid]) -> AppResult<Vec<payments::Model>> {
    Ok(payments::Entity::find()
        .filter(any_of("payments.order_id", orders))
        .order_by_asc(payments::Column::CreatedAt)
        .order_by_asc(payments::Column::Id)
        .all(conn)
        .await?)
}

/// Orders by id (the orders of invoices and payments already shown).
pub async fn orders_by_id<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<orders::Model>> {
    Ok(orders::Entity::find()
        .filter(any_of("orders.id", ids))
        .all(conn)
        .await?)
}

/// Invoices by id (the invoices of payments already shown).
pub async fn invoices_by_id<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<invoices::Model>> {
    Ok(invoices::Entity::find()
        .filter(any_of("invoices.id", ids))
        .all(conn)
        .await?)
}
