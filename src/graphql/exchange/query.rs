//! Exchange queries: pairs, quotes, one order (by owner, staff or token),
//! the order list, and whether an amount gets its own deposit address.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, Result, ID};
use entity::enums::RateType;

use super::inputs::ExchangeOrderFilter;
use super::types::{ExchangeOrder, ExchangePair, ExchangeQuote};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::graphql::pagination::{encode_cursor, Page};
use crate::graphql::scalars::Money;
use crate::service::exchange::orders::{self, OrderCursor, OrderFilter};
use crate::service::exchange::{pairs, quotes};
use crate::service::money::CurrencyCode;

/// `totalCount` of an order list, counted only when asked for.
pub struct ExchangeOrderCount(OrderFilter);

#[Object]
impl ExchangeOrderCount {
    /// How many orders match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let a = app(ctx)?;
        Ok(orders::count(&a.db.read, viewer(ctx), &self.0).await? as i64)
    }
}

/// Exchange order queries.
#[derive(Default)]
pub struct OrderQuery;

fn wants_transitions(ctx: &Context<'_>) -> bool {
    let l = ctx.look_ahead();
    l.field("nodes").field("transitions").exists() || l.field("edges").field("node").field("transitions").exists()
}

#[Object]
impl OrderQuery {
    /// Every pair the exchange trades, with its limits and rate types.
    async fn exchange_pairs(&self, ctx: &Context<'_>) -> Result<Vec<ExchangePair>> {
        let a = app(ctx)?;
        Ok(pairs::list(&a.db.read)
            .await?
            .into_iter()
            .map(ExchangePair::from)
            .collect())
    }

    /// What `fromAmount` of `fromCurrency` buys now. A FIXED quote carries
    /// a `quoteId` that locks the rate until `expiresAt`.
    async fn exchange_quote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The currency sent.")] from_currency: String,
        #[graphql(desc = "The currency received.")] to_currency: String,
        #[graphql(desc = "How much is sent.")] from_amount: Money,
        #[graphql(desc = "FLOAT (an estimate) or FIXED (locked).", default_with = "RateType::Float")]
        rate_type: RateType,
    ) -> Result<ExchangeQuote> {
        let ask = quotes::QuoteAsk {
            from: CurrencyCode::parse_field(&from_currency, "fromCurrency")?,
            to: CurrencyCode::parse_field(&to_currency, "toCurrency")?,
            from_amount: from_amount.0,
            rate_type,
        };
        Ok(ExchangeQuote(quotes::quote(app(ctx)?, viewer(ctx), ask).await?))
    }

    /// One order: yours, any for staff, or an anonymous one with its
    /// `accessToken`. Null otherwise: an id alone reveals nothing.
    async fn exchange_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
        #[graphql(desc = "An anonymous order's secret, returned when it was placed.")] access_token: Option<String>,
    ) -> Result<Option<ExchangeOrder>> {
        let id = parse_id(&id, "id")?;
        let a = app(ctx)?;
        Ok(orders::get(&a.db.read, viewer(ctx), id, access_token.as_deref())
            .await?
            .map(|o| ExchangeOrder::new(o.into())))
    }

    /// Orders, newest first: every order for staff with
    /// `exchange.orders.read_all`, your own otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn exchange_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which orders to list.")] filter: Option<ExchangeOrderFilter>,
        #[graphql(desc = "How many orders from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only orders after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many orders from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only orders before this cursor.")] before: Option<String>,
    ) -> Result<Connection<String, ExchangeOrder, ExchangeOrderCount, EmptyFields>> {
        let a = app(ctx)?;
        let v = viewer(ctx);
        let filter = filter.unwrap_or_default().service()?;
        let page = Page::<OrderCursor>::from_args(first, after, last, before)?;
        let paged = orders::list(&a.db.read, v, &filter, &page).await?;
        let mut transitions = if wants_transitions(ctx) {
            let ids: Vec<_> = paged.rows.iter().map(|r| r.id).collect();
            Some(orders::transitions_of_many(&a.db.read, &ids).await?)
        } else {
            None
        };
        let mut conn =
            Connection::with_additional_fields(paged.has_previous, paged.has_next, ExchangeOrderCount(filter));
        for row in paged.rows {
            let cursor = encode_cursor(&orders::cursor(&row));
            let own = transitions.as_mut().map(|t| t.remove(&row.id).unwrap_or_default());
            let mut node = ExchangeOrder::new(row.into());
            if let Some(t) = own {
                node = node.with_transitions(t);
            }
            conn.edges.push(Edge::new(cursor, node));
        }
        Ok(conn)
    }

    /// Whether an order of `amount` gets a fresh, never-used deposit
    /// address (the currency's policy is per-order, or the amount is at or
    /// above its rotation threshold).
    async fn needs_rotating_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The deposit currency.")] currency: String,
        #[graphql(desc = "The deposit amount.")] amount: Money,
    ) -> Result<bool> {
        let code = CurrencyCode::parse_field(&currency, "currency")?;
        Ok(orders::needs_rotating_address(&app(ctx)?.db.read, code, amount.0).await?)
    }
}
