//! Approval queries: the queue as a connection, and one request.

use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Object, Result, ID};

use super::inputs::{ApprovalRequestFilter, ApprovalRequestOrder};
use super::types::ApprovalRequest;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::graphql::pagination::{encode_cursor, Page};
use crate::service::approval::queue::{self, QueueCursor, QueueFilter};
use crate::service::approval::requests::approval_type_of;

/// `totalCount` of the queue, counted only when asked for.
pub struct ApprovalCount(QueueFilter);

#[Object]
impl ApprovalCount {
    /// How many requests match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let a = app(ctx)?;
        Ok(queue::count(&a.db.read, viewer(ctx), &self.0).await? as i64)
    }
}

/// Approval queries.
#[derive(Default)]
pub struct ApprovalQuery;

/// Whether a connection's selection reads its nodes' logs.
fn wants_logs(ctx: &Context<'_>) -> bool {
    let l = ctx.look_ahead();
    l.field("nodes").field("logs").exists() || l.field("edges").field("node").field("logs").exists()
}

#[Object]
impl ApprovalQuery {
    /// The approval queue: your own requests, and those of the approval
    /// types you review; oldest first unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn approval_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which requests to list.")] filter: Option<ApprovalRequestFilter>,
        #[graphql(desc = "The order (by submission time; oldest first by default).")] order_by: Option<
            ApprovalRequestOrder,
        >,
        #[graphql(desc = "How many requests from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only requests after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many requests from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only requests before this cursor.")] before: Option<String>,
    ) -> Result<Connection<String, ApprovalRequest, ApprovalCount, EmptyFields>> {
        let a = app(ctx)?;
        let v = viewer(ctx);
        let filter = filter.unwrap_or_default().service()?;
        let descending = order_by.unwrap_or_default().descending();
        let page = Page::<QueueCursor>::from_args(first, after, last, before)?;
        let (paged, policies) = queue::list(&a.db.read, v, &filter, descending, &page).await?;
        let mut logs = if wants_logs(ctx) {
            let ids: Vec<_> = paged.rows.iter().map(|r| r.id).collect();
            Some(queue::logs_of_many(&a.db.read, &ids).await?)
        } else {
            None
        };
        let mut conn = Connection::with_additional_fields(paged.has_previous, paged.has_next, ApprovalCount(filter));
        for row in paged.rows {
            let kind = approval_type_of(&row)?;
            let reviewer = policies.may_review(v, kind);
            let cursor = encode_cursor(&queue::cursor(&row));
            let own_logs = logs.as_mut().map(|l| l.remove(&row.id).unwrap_or_default());
            let mut node = ApprovalRequest::new(row, policies.of(kind), reviewer);
            if let Some(l) = own_logs {
                node = node.with_logs(Arc::new(queue::mask_logs(l, reviewer)));
            }
            conn.edges.push(async_graphql::connection::Edge::new(cursor, node));
        }
        Ok(conn)
    }

    /// One request, if you submitted it or review its type (null otherwise).
    async fn approval_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's id.")] id: ID,
    ) -> Result<Option<ApprovalRequest>> {
        let id = parse_id(&id, "id")?;
        let v = viewer(ctx);
        let Some((row, policies)) = queue::one(&app(ctx)?.db.read, v, id).await? else {
            return Ok(None);
        };
        let kind = approval_type_of(&row)?;
        Ok(Some(ApprovalRequest::new(
            row,
            policies.of(kind),
            policies.may_review(v, kind),
        )))
    }
}
