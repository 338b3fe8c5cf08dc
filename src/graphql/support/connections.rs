//! The support desk's connections: pages of messages, tickets and clients
//! in both directions, each with an opt-in `totalCount`.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Object, Result, SimpleObject};

use super::loaders::MessageCountKey;
use super::types::{loaders, Client, SupportTicket, SupportTicketMessage, TicketTag};
use crate::graphql::context::app;
use crate::graphql::pagination::encode_cursor;
use crate::service::identity::Viewer;
use crate::service::page::Paged;
use crate::service::support::{clients as client_service, tickets};

/// Edges of a service page with opaque cursors, and its page info.
pub fn paged_edges<T, K: serde::Serialize, E>(
    paged: Paged<T>,
    key: impl Fn(&T) -> K,
    edge: impl Fn(String, T) -> E,
) -> (Vec<E>, PageInfo) {
    let mut start = None;
    let mut end = None;
    let edges: Vec<E> = paged
        .rows
        .into_iter()
        .map(|row| {
            let cursor = encode_cursor(&key(&row));
            if start.is_none() {
                start = Some(cursor.clone());
            }
            end = Some(cursor.clone());
            edge(cursor, row)
        })
        .collect();
    let info = PageInfo {
        has_previous_page: paged.has_previous,
        has_next_page: paged.has_next,
        start_cursor: start,
        end_cursor: end,
    };
    (edges, info)
}

/// One message in a page, with its cursor.
#[derive(SimpleObject)]
pub struct SupportTicketMessageEdge {
    /// Opaque position of this message: pass it as `after` or `before`.
    pub cursor: String,
    /// The message.
    pub node: SupportTicketMessage,
}

/// A page of a ticket's conversation, oldest first, walkable in both
/// directions.
pub struct SupportTicketMessageConnection {
    pub edges: Vec<SupportTicketMessageEdge>,
    pub info: PageInfo,
    pub count: MessageCountKey,
}

/// A page of a ticket's conversation, oldest first, walkable in both
/// directions.
#[Object]
impl SupportTicketMessageConnection {
    /// The messages of this page with their cursors, oldest first.
    async fn edges(&self) -> &[SupportTicketMessageEdge] {
        &self.edges
    }
    /// The messages of this page, oldest first.
    async fn nodes(&self) -> Vec<&SupportTicketMessage> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// Whether older or newer messages lie beyond this page, and the
    /// cursors at its ends.
    async fn page_info(&self) -> &PageInfo {
        &self.info
    }
    /// How many messages the whole conversation has, as you may see it
    /// (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(loaders(ctx)?
            .support
            .message_counts
            .load_one(self.count)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or(0) as i64)
    }
}

/// One ticket in a page, with its cursor.
#[derive(SimpleObject)]
pub struct SupportTicketEdge {
    /// Opaque position of this ticket: pass it as `after` or `before`.
    pub cursor: String,
    /// The ticket.
    pub node: SupportTicket,
}

/// A page of the tickets you may see, walkable in both directions.
pub struct SupportTicketConnection {
    pub edges: Vec<SupportTicketEdge>,
    pub info: PageInfo,
    pub viewer: Viewer,
    pub filter: tickets::TicketFilter,
}

/// A page of the tickets you may see, walkable in both directions.
#[Object]
impl SupportTicketConnection {
    /// The tickets of this page with their cursors.
    async fn edges(&self) -> &[SupportTicketEdge] {
        &self.edges
    }
    /// The tickets of this page.
    async fn nodes(&self) -> Vec<&SupportTicket> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// Whether more tickets lie before or after this page, and the cursors
    /// at its ends.
    async fn page_info(&self) -> &PageInfo {
        &self.info
    }
    /// How many tickets match the filter (all pages; counted only when
    /// asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(tickets::count(app(ctx)?, &self.viewer, &self.filter).await? as i64)
    }
}

/// One client in a page, with its cursor.
#[derive(SimpleObject)]
pub struct ClientEdge {
    /// Opaque position of this client: pass it as `after` or `before`.
    pub cursor: String,
    /// The client.
    pub node: Client,
}

/// A page of clients, newest first, walkable in both directions.
pub struct ClientConnection {
    pub edges: Vec<ClientEdge>,
    pub info: PageInfo,
    pub viewer: Viewer,
    pub search: Option<String>,
}

/// A page of clients, newest first, walkable in both directions.
#[Object]
impl ClientConnection {
    /// The clients of this page with their cursors.
    async fn edges(&self) -> &[ClientEdge] {
        &self.edges
    }
    /// The clients of this page.
    async fn nodes(&self) -> Vec<&Client> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// Whether more clients lie before or after this page, and the cursors
    /// at its ends.
    async fn page_info(&self) -> &PageInfo {
        &self.info
    }
    /// How many clients match the search (all pages; counted only when
    /// asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(client_service::count(app(ctx)?, &self.viewer, self.search.as_deref()).await? as i64)
    }
}

/// One tag in a page, with its cursor.
#[derive(SimpleObject)]
pub struct TicketTagEdge {
    /// Opaque position of this tag: pass it as `after` or `before`.
    pub cursor: String,
    /// The tag.
    pub node: TicketTag,
}

/// A page of the tag names in use, by name, walkable in both directions.
pub struct TicketTagConnection {
    pub edges: Vec<TicketTagEdge>,
    pub info: PageInfo,
    pub viewer: Viewer,
}

/// A page of the tag names in use, by name, walkable in both directions.
#[Object]
impl TicketTagConnection {
    /// The tags of this page with their cursors.
    async fn edges(&self) -> &[TicketTagEdge] {
        &self.edges
    }
    /// The tags of this page.
    async fn nodes(&self) -> Vec<&TicketTag> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// Whether more tags lie before or after this page, and the cursors at
    /// its ends.
    async fn page_info(&self) -> &PageInfo {
        &self.info
    }
    /// How many tag names are in use (all pages; counted only when asked
    /// for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(tickets::tag_count(app(ctx)?, &self.viewer).await? as i64)
    }
}
