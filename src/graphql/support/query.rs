//! Support queries: tickets, tags and clients. The ticket list primes the
//! request's loaders for the whole page, so a page costs the same number of
//! statements at any size.

use std::collections::HashSet;

use async_graphql::{Context, Object, Result, ID};
use entity::support_tickets;
use uuid::Uuid;

use super::connections::{
    paged_edges, ClientConnection, ClientEdge, SupportTicketConnection, SupportTicketEdge, TicketTagConnection,
    TicketTagEdge,
};
use super::inputs::{message_page, service_filter, TicketFilter, TicketOrder};
use super::loaders::{MessageCountKey, MessagesKey};
use super::types::{loaders, Client, SupportTicket, TicketTag};
use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{not_found_is_none, parse_id};
use crate::graphql::pagination::Page;
use crate::service::support::{clients, tickets};

/// One `messages(...)` selection's arguments, read from the query.
fn message_args(field: &async_graphql::SelectionField<'_>) -> Option<super::loaders::PageKey> {
    let args = field.arguments().ok()?;
    let int = |name: &str| {
        args.iter()
            .find(|(k, _)| k.as_str() == name)
            .and_then(|(_, v)| match v {
                async_graphql::Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
                _ => None,
            })
    };
    let text = |name: &str| {
        args.iter()
            .find(|(k, _)| k.as_str() == name)
            .and_then(|(_, v)| match v {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            })
    };
    let page = message_page(int("first"), text("after"), int("last"), text("before")).ok()?;
    Some((&page).into())
}

/// The sub-fields of `field` named `name` (aliases included).
fn children<'a>(
    field: &async_graphql::SelectionField<'a>,
    name: &str,
) -> std::vec::IntoIter<async_graphql::SelectionField<'a>> {
    field
        .selection_set()
        .filter(|f| f.name() == name)
        .collect::<Vec<_>>()
        .into_iter()
}

/// Loads, in one statement per relation, everything the selection asks of
/// a page of tickets, and caches it in the request's loaders. Batching then
/// does not depend on timing: a page costs the same statements at any size.
async fn prime_page(ctx: &Context<'_>, page: &[support_tickets::Model], sees_internal: bool) -> Result<()> {
    let l = loaders(ctx)?;
    let shared = |e: std::sync::Arc<AppError>| e.to_graphql();
    let look = ctx.look_ahead();
    let nodes = [look.field("edges").field("node"), look.field("nodes")];
    let wants = |f: &str| nodes.iter().any(|n| n.field(f).exists());
    let ids: Vec<Uuid> = page.iter().map(|t| t.id).collect();
    let mut users: HashSet<Uuid> = HashSet::new();
    let mut clients_wanted: HashSet<Uuid> = HashSet::new();
    // A message's `ticket` is one of these: no statement needed.
    l.support
        .tickets
        .feed_many(page.iter().map(|t| (t.id, t.clone())))
        .await;
    if wants("department") {
        let deps: HashSet<Uuid> = page.iter().filter_map(|t| t.department_id).collect();
        l.identity.departments.load_many(deps).await.map_err(shared)?;
    }
    if wants("client") {
        clients_wanted.extend(page.iter().filter_map(|t| t.client_id));
    }
    if wants("createdBy") {
        users.extend(page.iter().filter_map(|t| t.created_by_user_id));
    }
    if wants("tags") {
        l.support.ticket_tags.load_many(ids.clone()).await.map_err(shared)?;
    }
    if wants("assignees") {
        l.support
            .ticket_assignees
            .load_many(ids.clone())
            .await
            .map_err(shared)?;
    }
    // Each distinct `messages(...)` of the selection, with its senders.
    let mut pages = HashSet::new();
    let mut counted = false;
    let mut wants_senders = false;
    for n in &nodes {
        for field in n.field("messages").selection_fields() {
            if let Some(key) = message_args(&field) {
                pages.insert(key);
            }
            wants_senders |= children(&field, "edges")
                .flat_map(|e| children(&e, "node").collect::<Vec<_>>())
                .chain(children(&field, "nodes"))
                .any(|m| children(&m, "sender").next().is_some());
            counted |= children(&field, "totalCount").next().is_some();
        }
    }
    for page in pages {
        let keys = ids.iter().map(|t| MessagesKey {
            ticket: *t,
            include_internal: sees_internal,
            page,
        });
        let loaded = l.support.ticket_messages.load_many(keys).await.map_err(shared)?;
        if wants_senders {
            for m in loaded.values().flat_map(|p| p.rows.iter()) {
                if let Some(u) = m.sender_user_id {
                    users.insert(u);
                } else if let Some(c) = m.sender_client_id {
                    clients_wanted.insert(c);
                }
            }
        }
    }
    if counted {
        let keys = ids.iter().map(|t| MessageCountKey {
            ticket: *t,
            include_internal: sees_internal,
        });
        l.support.message_counts.load_many(keys).await.map_err(shared)?;
    }
    if !users.is_empty() {
        l.identity.users.load_many(users).await.map_err(shared)?;
    }
    if !clients_wanted.is_empty() {
        l.support.clients.load_many(clients_wanted).await.map_err(shared)?;
    }
    Ok(())
}

/// Support queries.
#[derive(Default)]
pub struct SupportQuery;

#[Object]
impl SupportQuery {
    /// A ticket you may see; null otherwise.
    async fn ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket's id.")] id: ID,
    ) -> Result<Option<SupportTicket>> {
        let id = parse_id(&id, "id")?;
        Ok(not_found_is_none(tickets::get(app(ctx)?, viewer(ctx), id).await)?.map(SupportTicket))
    }

    /// Tickets you may see: customers their own, agents their departments'
    /// and assigned ones, `tickets.read_all` everything. Walk forward with
    /// `first`/`after` or backward with `last`/`before`.
    #[allow(clippy::too_many_arguments)] // the filter, the order and the four Relay arguments
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only tickets matching all of these conditions.")] filter: Option<TicketFilter>,
        #[graphql(desc = "The sort order (newest first when omitted).")] order_by: Option<TicketOrder>,
        #[graphql(desc = "How many tickets from the start (after `after`); at most 100, 20 when no size is given.")]
        first: Option<i32>,
        #[graphql(desc = "Only tickets after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many tickets from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only tickets before this cursor.")] before: Option<String>,
    ) -> Result<SupportTicketConnection> {
        let app = app(ctx)?;
        let v = viewer(ctx);
        let page = Page::<tickets::TicketCursor>::from_args(first, after, last, before)?;
        let filter = service_filter(filter.unwrap_or_default())?;
        let (sort, descending) = order_by.unwrap_or_default().service();
        let listed = tickets::list(app, v, &filter, sort, descending, &page).await?;
        let sees_internal = listed.sees_internal;
        prime_page(ctx, &listed.page.rows, sees_internal).await?;
        let (edges, info) = paged_edges(
            listed.page,
            |t| tickets::cursor_of(t, sort),
            |cursor, model| SupportTicketEdge {
                cursor,
                node: SupportTicket::new(model, sees_internal),
            },
        );
        Ok(SupportTicketConnection {
            edges,
            info,
            viewer: v.clone(),
            filter,
        })
    }

    /// Tags in use, by name (anyone who may see tickets). Walk forward
    /// with `first`/`after` or backward with `last`/`before`.
    async fn ticket_tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many tags from the start (after `after`); at most 100, 20 when no size is given.")]
        first: Option<i32>,
        #[graphql(desc = "Only tags after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many tags from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only tags before this cursor.")] before: Option<String>,
    ) -> Result<TicketTagConnection> {
        let v = viewer(ctx);
        let page = Page::<String>::from_args(first, after, last, before)?;
        let paged = tickets::tags_page(app(ctx)?, v, &page).await?;
        let (edges, info) = paged_edges(
            paged,
            |t| t.name.clone(),
            |cursor, t| TicketTagEdge {
                cursor,
                node: TicketTag(t),
            },
        );
        Ok(TicketTagConnection {
            edges,
            info,
            viewer: v.clone(),
        })
    }

    /// A client you may see (staff with `clients.manage`, or your own).
    async fn client(&self, ctx: &Context<'_>, #[graphql(desc = "The client's id.")] id: ID) -> Result<Option<Client>> {
        let id = parse_id(&id, "id")?;
        Ok(not_found_is_none(clients::get(app(ctx)?, viewer(ctx), id).await)?.map(Client))
    }

    /// Clients by name or external id, newest first (`clients.manage`).
    /// Walk forward with `first`/`after` or backward with `last`/`before`.
    #[allow(clippy::too_many_arguments)] // the search and the four Relay arguments
    async fn clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only clients whose name or any channel address contains this text.")] search: Option<String>,
        #[graphql(desc = "How many clients from the start (after `after`); at most 100, 20 when no size is given.")]
        first: Option<i32>,
        #[graphql(desc = "Only clients after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many clients from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only clients before this cursor.")] before: Option<String>,
    ) -> Result<ClientConnection> {
        let v = viewer(ctx);
        let page = Page::<Uuid>::from_args(first, after, last, before)?;
        let paged = clients::search(app(ctx)?, v, search.as_deref(), &page).await?;
        let (edges, info) = paged_edges(
            paged,
            |c| c.id,
            |cursor, c| ClientEdge {
                cursor,
                node: Client(c),
            },
        );
        Ok(ClientConnection {
            edges,
            info,
            viewer: v.clone(),
            search,
        })
    }
}
