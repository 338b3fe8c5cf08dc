//! Placing and reading exchange orders. An order works anonymously or
//! signed in; an anonymous order is read back with its id plus the secret
//! token returned once at creation (only its SHA-256 is stored), so an id
//! alone never reveals an order. Staff with `exchange.orders.read_all`
//! read every order; a customer reads their own.

use chrono::{DateTime, Utc};
use entity::enums::{ExchangeOrderStatus as S, RateType, RotationPolicy, TransitionActor};
use entity::exchange_orders;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::pairs::{self, CurrencyInfo};
use super::quotes::{self, QuoteAsk};
use super::view::OrderView;
use super::{address, lifecycle, perms, pool};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::crypto::{constant_time_eq, random_token};
use crate::infra::events::Tx;
use crate::service::identity::Viewer;
use crate::service::money::CurrencyCode;
use crate::service::page::{PageRequest, Paged};

/// A new order as the client asks it.
#[derive(Clone, Debug)]
pub struct NewOrder {
    pub ask: QuoteAsk,
    pub quote_id: Option<Uuid>,
    pub receiving_address: String,
    pub refund_address: Option<String>,
}

/// A placed order, with the anonymous reader's token (shown this once).
#[derive(Clone, Debug)]
pub struct Placed {
    pub order: OrderView,
    pub access_token: Option<String>,
}

/// Whether an order of `amount` in `currency` gets a never-used deposit
/// address: the currency's policy is per-order, or the amount is at or
/// above its rotation threshold (source 000's `needs_rotating_address`).
pub fn needs_rotating(currency: &CurrencyInfo, amount: Decimal) -> bool {
    currency.row.rotation_policy == RotationPolicy::PerOrder.to_value()
        || currency.row.rotation_threshold.is_some_and(|t| amount >= t)
}

/// [`needs_rotating`] for a currency code.
pub async fn needs_rotating_address<C: ConnectionTrait>(
    conn: &C,
    code: CurrencyCode,
    amount: Decimal,
) -> AppResult<bool> {
    if amount < Decimal::ZERO {
        return Err(AppError::invalid("amount", "must not be negative"));
    }
    let c = pairs::currency(conn, code, "currency").await?;
    Ok(needs_rotating(&c, amount))
}

fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether `viewer` (with `token`, for an anonymous order) may read `o`.
pub fn may_read(viewer: &Viewer, o: &exchange_orders::Model, token: Option<&str>) -> bool {
    if viewer.can(perms::EXCHANGE_ORDERS_READ_ALL) {
        return true;
    }
    if o.user_id.is_some() && o.user_id == viewer.user_id && viewer.scope_allows(perms::EXCHANGE_ORDERS_CREATE) {
        return true;
    }
    match (token, &o.access_token_hash) {
        (Some(t), Some(h)) => constant_time_eq(&hash_token(t), h),
        _ => false,
    }
}

/// Counts one `what` by the viewer (the user, else the client's address)
/// and refuses it past `max` in `window`: anonymous callers must not drain
/// the address pool or fill the quote table.
pub(super) async fn limit(
    ctx: &AppContext,
    viewer: &Viewer,
    what: &str,
    max: u64,
    window: std::time::Duration,
    reason: &'static str,
) -> AppResult<()> {
    let who = match viewer.user_id {
        Some(u) => format!("user:{u}"),
        None => format!("addr:{}", viewer.ip_address.as_deref().unwrap_or_default()),
    };
    ctx.limiter
        .hit(&format!("exchange:{what}:{who}"), max, window)
        .await
        .map_err(|l| AppError::RateLimited {
            retry_after_secs: l.retry_after_secs,
            reason,
        })
}

/// Places an order: validates the pair, the amount and the addresses,
/// takes the FIXED quote, gives the order a deposit address from the pool
/// and logs its first transition, all in one transaction.
pub async fn place(ctx: &AppContext, viewer: &Viewer, input: NewOrder) -> AppResult<Placed> {
    if viewer.user_id.is_some() {
        viewer.require_self_service(perms::EXCHANGE_ORDERS_CREATE)?;
    }
    limit(
        ctx,
        viewer,
        "order",
        60,
        std::time::Duration::from_secs(3600),
        "too many exchange orders",
    )
    .await?;
    let ask = input.ask;
    let pair = pairs::get(&ctx.db.primary, ask.from, ask.to).await?;
    pair.check_rate_type(ask.rate_type, "rateType")?;
    if ask.from_amount <= Decimal::ZERO {
        return Err(AppError::invalid("fromAmount", "must be greater than zero"));
    }
    pair.check_amount(ask.from_amount, "fromAmount")?;
    let btc = ctx.config.exchange.bitcoin_network;
    let on_chain = |c: &CurrencyInfo, field: &str| {
        c.network
            .ok_or_else(|| AppError::invalid(field, format!("{} is not sent on a chain", c.code)))
    };
    let receiving = address::validate(on_chain(&pair.to, "receivingAddress")?, btc, &input.receiving_address)
        .map_err(|e| AppError::invalid("receivingAddress", e.to_string()))?;
    let refund = match input.refund_address.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            address::validate(on_chain(&pair.from, "refundAddress")?, btc, raw)
                .map_err(|e| AppError::invalid("refundAddress", e.to_string()))?,
        ),
        None if ask.rate_type == RateType::Fixed => {
            return Err(AppError::invalid(
                "refundAddress",
                "a FIXED order needs a refund address",
            ))
        }
        None => None,
    };
    if ask.rate_type == RateType::Float && input.quote_id.is_some() {
        return Err(AppError::invalid("quoteId", "only FIXED orders take a quote"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    if pool::is_ours(&*tx, &receiving).await? {
        return Err(AppError::invalid(
            "receivingAddress",
            "that address belongs to this exchange",
        ));
    }
    if let Some(r) = &refund {
        if pool::is_ours(&*tx, r).await? {
            return Err(AppError::invalid(
                "refundAddress",
                "that address belongs to this exchange",
            ));
        }
    }
    let figures = match (ask.rate_type, input.quote_id) {
        (RateType::Fixed, Some(q)) => quotes::take(&*tx, q, &ask).await?,
        (RateType::Fixed, None) => return Err(AppError::invalid("quoteId", "a FIXED order needs a quote id")),
        (RateType::Float, _) => quotes::price_pair(&*tx, &pair, ask.from_amount).await?,
    };
    let token = viewer.user_id.is_none().then(|| format!("xo_{}", random_token(32)));
    let id = Uuid::now_v7();
    let ttl = ctx.config.exchange.order_ttl.as_secs() as i64;
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO exchange_orders (id, user_id, from_currency, to_currency, from_amount, to_amount, rate, \
             fee_amount, network_fee, rate_type, status, receiving_address, refund_address, expires_at, \
             access_token_hash, quote_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $16, $11, $12, now() + $13::bigint * interval '1 second', $14, $15) \
             RETURNING *",
            [
                id.into(),
                viewer.user_id.into(),
                pair.from.code.clone().into(),
                pair.to.code.clone().into(),
                figures.from_amount.into(),
                figures.to_amount.into(),
                figures.rate.into(),
                figures.fee.into(),
                figures.network_fee.into(),
                ask.rate_type.to_value().into(),
                receiving.clone().into(),
                refund.clone().into(),
                ttl.into(),
                token.as_deref().map(hash_token).into(),
                input.quote_id.into(),
                S::Pending.to_value().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the order insert returned nothing")))?;
    let order = exchange_orders::Model::from_query_result(&row, "")?;
    if let Some(q) = input.quote_id {
        quotes::mark_used(&*tx, q, id).await?;
    }
    let fresh = needs_rotating(&pair.from, figures.from_amount);
    let deposit = pool::claim(&*tx, ctx, &pair.from.code, fresh, id).await?;
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE exchange_orders SET deposit_address = $2 WHERE id = $1 RETURNING *",
            [id.into(), deposit.into()],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the new order vanished")))?;
    let order = exchange_orders::Model::from_query_result(&row, "").unwrap_or(order);
    lifecycle::created(&tx, &order, TransitionActor::Customer, viewer.user_id).await?;
    tx.commit(&ctx.bus).await?;
    Ok(Placed {
        order: order.into(),
        access_token: token,
    })
}

/// One order, if `viewer` (or `token`) may read it; `None` otherwise, the
/// same as for an id that does not exist.
pub async fn get<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    id: Uuid,
    token: Option<&str>,
) -> AppResult<Option<exchange_orders::Model>> {
    let o = exchange_orders::Entity::find_by_id(id).one(conn).await?;
    Ok(o.filter(|o| may_read(viewer, o, token)))
}

/// Which orders a list shows.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub statuses: Vec<S>,
    /// Either side of the pair.
    pub currency: Option<String>,
    pub user_id: Option<Uuid>,
    /// true: only anonymous orders; false: only signed-in ones.
    pub anonymous: Option<bool>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// The keyset of the list: newest first.
pub type OrderCursor = (DateTime<Utc>, Uuid);

/// The cursor of `o`.
pub fn cursor(o: &exchange_orders::Model) -> OrderCursor {
    (o.created_at.with_timezone(&Utc), o.id)
}

fn condition(viewer: &Viewer, f: &OrderFilter) -> AppResult<Condition> {
    let mut c = Condition::all();
    if !viewer.can(perms::EXCHANGE_ORDERS_READ_ALL) {
        let me = viewer.require_self_service(perms::EXCHANGE_ORDERS_CREATE)?;
        c = c.add(exchange_orders::Column::UserId.eq(me));
    }
    if !f.statuses.is_empty() {
        c = c.add(exchange_orders::Column::Status.is_in(f.statuses.iter().map(|s| s.to_value())));
    }
    if let Some(cur) = &f.currency {
        c = c.add(
            Condition::any()
                .add(exchange_orders::Column::FromCurrency.eq(cur.clone()))
                .add(exchange_orders::Column::ToCurrency.eq(cur.clone())),
        );
    }
    if let Some(u) = f.user_id {
        c = c.add(exchange_orders::Column::UserId.eq(u));
    }
    match f.anonymous {
        Some(true) => c = c.add(exchange_orders::Column::UserId.is_null()),
        Some(false) => c = c.add(exchange_orders::Column::UserId.is_not_null()),
        None => {}
    }
    if let Some(t) = f.created_after {
        c = c.add(exchange_orders::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.created_before {
        c = c.add(exchange_orders::Column::CreatedAt.lt(t));
    }
    Ok(c)
}

/// A page of orders, newest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    filter: &OrderFilter,
    page: &PageRequest<OrderCursor>,
) -> AppResult<Paged<exchange_orders::Model>> {
    let mut cond = condition(viewer, filter)?;
    for (op, (at, id)) in page.bounds(true) {
        cond = cond.add(SimpleExpr::from(Expr::cust_with_values(
            format!("(exchange_orders.created_at, exchange_orders.id) {op} ($1, $2)"),
            [sea_orm::Value::from(*at), sea_orm::Value::from(*id)],
        )));
    }
    let q = exchange_orders::Entity::find().filter(cond);
    let q = if page.sql_descending(true) {
        q.order_by_desc(exchange_orders::Column::CreatedAt)
            .order_by_desc(exchange_orders::Column::Id)
    } else {
        q.order_by_asc(exchange_orders::Column::CreatedAt)
            .order_by_asc(exchange_orders::Column::Id)
    };
    let rows = q.limit(page.fetch()).all(conn).await?;
    Ok(page.finish(rows))
}

/// How many orders match `filter`.
pub async fn count<C: ConnectionTrait>(conn: &C, viewer: &Viewer, filter: &OrderFilter) -> AppResult<u64> {
    Ok(exchange_orders::Entity::find()
        .filter(condition(viewer, filter)?)
        .count(conn)
        .await?)
}

/// One logged transition.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Transition {
    pub order_id: Uuid,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// The transitions of `orders`, oldest first, in one statement.
pub async fn transitions_of_many<C: ConnectionTrait>(
    conn: &C,
    orders: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<Transition>>> {
    let rows = Transition::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT order_id, from_status, to_status, actor, reason, created_at FROM exchange_order_transitions \
         WHERE order_id = ANY($1) ORDER BY order_id, created_at, id",
        [orders.to_vec().into()],
    ))
    .all(conn)
    .await?;
    let mut out: std::collections::HashMap<Uuid, Vec<Transition>> = std::collections::HashMap::new();
    for r in rows {
        out.entry(r.order_id).or_default().push(r);
    }
    Ok(out)
}
