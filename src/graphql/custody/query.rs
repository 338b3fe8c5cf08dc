//! Custody queries: withdrawals and deposits (yours, or everyone's for
//! finance staff) and the thresholds in force.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, Result, ID};

use super::inputs::{CryptoDepositFilter, WithdrawalFilter};
use super::types::{CryptoDeposit, Withdrawal, WithdrawalThresholds};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::graphql::pagination::{encode_cursor, Page};
use crate::service::custody::list::{self, Cursor};
use crate::service::custody::rules;

/// `totalCount` of a withdrawal list, counted only when asked for.
pub struct WithdrawalCount(list::WithdrawalFilter);

/// `totalCount` of a withdrawal list, counted only when asked for.
#[Object]
impl WithdrawalCount {
    /// How many withdrawals match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(list::count_withdrawals(&app(ctx)?.db.read, viewer(ctx), &self.0).await? as i64)
    }
}

/// `totalCount` of a deposit list, counted only when asked for.
pub struct CryptoDepositCount(list::DepositFilter);

/// `totalCount` of a deposit list, counted only when asked for.
#[Object]
impl CryptoDepositCount {
    /// How many deposits match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(list::count_deposits(&app(ctx)?.db.read, viewer(ctx), &self.0).await? as i64)
    }
}

/// Custody queries.
#[derive(Default)]
pub struct CustodyQuery;

/// Custody queries.
#[Object]
impl CustodyQuery {
    /// One withdrawal: yours, or any for finance staff; null otherwise.
    async fn withdrawal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The withdrawal's id.")] id: ID,
    ) -> Result<Option<Withdrawal>> {
        let id = parse_id(&id, "id")?;
        Ok(list::withdrawal(&app(ctx)?.db.read, viewer(ctx), id)
            .await?
            .map(Withdrawal))
    }

    /// Withdrawals, newest first: yours, or everyone's for finance staff
    /// (`exchange.withdrawals.manage`).
    #[allow(clippy::too_many_arguments)]
    async fn withdrawals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which withdrawals to list.")] filter: Option<WithdrawalFilter>,
        #[graphql(desc = "How many from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only withdrawals after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only withdrawals before this cursor.")] before: Option<String>,
    ) -> Result<Connection<String, Withdrawal, WithdrawalCount, EmptyFields>> {
        let filter = filter.unwrap_or_default().service()?;
        let page = Page::<Cursor>::from_args(first, after, last, before)?;
        let paged = list::withdrawals(&app(ctx)?.db.read, viewer(ctx), &filter, &page).await?;
        let mut conn = Connection::with_additional_fields(paged.has_previous, paged.has_next, WithdrawalCount(filter));
        for row in paged.rows {
            conn.edges.push(Edge::new(
                encode_cursor(&list::withdrawal_cursor(&row)),
                Withdrawal(row),
            ));
        }
        Ok(conn)
    }

    /// Crypto deposits, newest first: to your addresses, or, for finance
    /// staff, to every user's and to addresses that are nobody's.
    #[allow(clippy::too_many_arguments)]
    async fn crypto_deposits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which deposits to list.")] filter: Option<CryptoDepositFilter>,
        #[graphql(desc = "How many from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only deposits after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only deposits before this cursor.")] before: Option<String>,
    ) -> Result<Connection<String, CryptoDeposit, CryptoDepositCount, EmptyFields>> {
        let filter = filter.unwrap_or_default().service()?;
        let page = Page::<Cursor>::from_args(first, after, last, before)?;
        let paged = list::deposits(&app(ctx)?.db.read, viewer(ctx), &filter, &page).await?;
        let mut conn =
            Connection::with_additional_fields(paged.has_previous, paged.has_next, CryptoDepositCount(filter));
        for row in paged.rows {
            conn.edges.push(Edge::new(
                encode_cursor(&list::deposit_cursor(&row)),
                CryptoDeposit(row),
            ));
        }
        Ok(conn)
    }

    /// The USD values above which a withdrawal needs a verified KYC, and a
    /// second person's approval (signed in).
    async fn withdrawal_thresholds(&self, ctx: &Context<'_>) -> Result<WithdrawalThresholds> {
        viewer(ctx).require_user()?;
        Ok(rules::thresholds(&app(ctx)?.db.read).await?.into())
    }
}
