//! The support desk's connections: pages of messages, tickets and clients
//! in both directions, each with an opt-in `totalCount`.

use std::sync::Arc;

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Object, Result, SimpleObject};

use super::loaders::MessageCountKey;
use super::types::{loaders, Client, MessageNodes, SupportTicket, SupportTicketMessage, TicketTag};
use crate::graphql::context::app;
use crate::graphql::pagination::encode_cursor;
use crate::service::identity::Viewer;
use crate::service::page::Paged;
use crate::service::support::messages::MessageCursor;
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
pub struct SupportTicketMessageEdge<'a> {
    node: &'a SupportTicketMessage,
}

/// One message in a page, with its cursor.
#[Object]
impl SupportTicketMessageEdge<'_> {
    /// Opaque position of this message: pass it as `after` or `before`.
    async fn cursor(&self) -> String {
        message_cursor(self.node)
    }
    /// The message.
    async fn node(&self) -> &SupportTicketMessage {
        self.node
    }
}

fn message_cursor(m: &SupportTicketMessage) -> String {
    encode_cursor(&MessageCursor::of(&m.model))
}

/// A page of a ticket's conversation, oldest first, walkable in both
/// directions.
pub struct SupportTicketMessageConnection {
    page: Arc<MessageNodes>,
    count: MessageCountKey,
    /// The count, when it was read with the page.
    known_count: Option<u64>,
}

impl SupportTicketMessageConnection {
    /// The connection over `page`; `count` keys its `totalCount`.
    pub fn new(page: Arc<MessageNodes>, count: MessageCountKey, known_count: Option<u64>) -> Self {
        SupportTicketMessageConnection {
            page,
            count,
            known_count,
        }
    }
}

/// A page of a ticket's conversation, oldest first, walkable in both
/// directions.
#[Object]
impl SupportTicketMessageConnection {
    /// The messages of this page with their cursors, oldest first.
    async fn edges(&self) -> Vec<SupportTicketMessageEdge<'_>> {
        self.page
            .rows
            .iter()
            .map(|node| SupportTicketMessageEdge { node })
            .collect()
    }
    /// The messages of this page, oldest first.
    async fn nodes(&self) -> &[SupportTicketMessage] {
        &self.page.rows
    }
    /// Whether older or newer messages lie beyond this page, and the
    /// cursors at its ends.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.page.has_previous,
            has_next_page: self.page.has_next,
            start_cursor: self.page.rows.first().map(message_cursor),
            end_cursor: self.page.rows.last().map(message_cursor),
        }
    }
    /// How many messages the whole conversation has, as you may see it
    /// (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        if let Some(n) = self.known_count {
            return Ok(n as i64);
        }
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
pub struct SupportTicketEdge<'a> {
    node: &'a SupportTicket,
    sort: tickets::TicketSort,
}

/// One ticket in a page, with its cursor.
#[Object]
impl SupportTicketEdge<'_> {
    /// Opaque position of this ticket: pass it as `after` or `before`.
    async fn cursor(&self) -> String {
        encode_cursor(&tickets::cursor_of(&self.node.seen.model, self.sort))
    }
    /// The ticket.
    async fn node(&self) -> &SupportTicket {
        self.node
    }
}

/// A page of the tickets you may see, walkable in both directions.
pub struct SupportTicketConnection {
    pub nodes: Vec<SupportTicket>,
    pub has_previous: bool,
    pub has_next: bool,
    /// The order the page is in (its cursors are keys of it).
    pub sort: tickets::TicketSort,
    pub viewer: Viewer,
    pub filter: tickets::TicketFilter,
}

impl SupportTicketConnection {
    fn cursor(&self, t: &SupportTicket) -> String {
        encode_cursor(&tickets::cursor_of(&t.seen.model, self.sort))
    }
}

/// A page of the tickets you may see, walkable in both directions.
#[Object]
impl SupportTicketConnection {
    /// The tickets of this page with their cursors.
    async fn edges(&self) -> Vec<SupportTicketEdge<'_>> {
        self.nodes
            .iter()
            .map(|node| SupportTicketEdge { node, sort: self.sort })
            .collect()
    }
    /// The tickets of this page.
    async fn nodes(&self) -> &[SupportTicket] {
        &self.nodes
    }
    /// Whether more tickets lie before or after this page, and the cursors
    /// at its ends.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous,
            has_next_page: self.has_next,
            start_cursor: self.nodes.first().map(|t| self.cursor(t)),
            end_cursor: self.nodes.last().map(|t| self.cursor(t)),
        }
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
