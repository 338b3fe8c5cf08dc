//! Support queries: tickets, tags and clients. The ticket list reads what
//! its selection asks of the whole page up front (in the page's own
//! statement where it can) and hands each node its share, so a page costs
//! the same number of statements at any size and its fields need no
//! loader.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Lookahead, Object, Result, ID};
use futures::future::try_join_all;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::connections::{
    paged_edges, ClientConnection, ClientEdge, SupportTicketConnection, TicketTagConnection, TicketTagEdge,
};
use super::inputs::{message_page, service_filter, TicketFilter, TicketOrder};
use super::loaders::PageKey;
use super::types::{
    conversation_nodes, loaders, wants_senders, Client, MessageNodes, Primed, SupportTicket, TicketTag,
};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{not_found_is_none, parse_id};
use crate::graphql::identity::types::{Department, User};
use crate::graphql::pagination::{NodeSelection, Page};
use crate::service::support::messages::{self, MessagePage};
use crate::service::support::tickets::{ListRelations, ListedTicket};
use crate::service::support::{clients, tickets};

/// One `messages(...)` selection's arguments, read from the query.
fn message_args(field: &async_graphql::SelectionField<'_>) -> Option<PageKey> {
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

/// Reads, in one statement per relation and all at once, everything the
/// selection asks of a page of tickets beyond what the page's own
/// statement brought (conversations with their senders, assignees and
/// authors, clients, counts), and returns the page's nodes carrying it.
/// Nothing waits on a loader's batching delay, and a page costs the same
/// statements at any size.
async fn listed_nodes(
    ctx: &Context<'_>,
    db: &DatabaseConnection,
    page: Vec<ListedTicket>,
    sees_internal: bool,
) -> Result<Vec<SupportTicket>> {
    let l = loaders(ctx)?;
    let nodes = NodeSelection::of(ctx);
    let ids: Vec<Uuid> = page.iter().map(|t| t.model.id).collect();
    // Each distinct `messages(...)` of the selection; one with senders
    // serves the same page without them too.
    let mut pages: Vec<(PageKey, bool)> = Vec::new();
    let mut counted = false;
    let mut message_tickets = false;
    let look = ctx.look_ahead();
    let spellings = [look.field("edges").field("node"), look.field("nodes")];
    for field in spellings.iter().flat_map(|n| n.field("messages").selection_fields()) {
        let Some(key) = message_args(&field) else {
            continue;
        };
        let look = Lookahead::from(field);
        let senders = wants_senders(&look);
        if !pages.contains(&(key, senders)) {
            pages.push((key, senders));
        }
        counted |= look.field("totalCount").exists();
        message_tickets |=
            look.field("nodes").field("ticket").exists() || look.field("edges").field("node").field("ticket").exists();
    }
    let with_senders: Vec<PageKey> = pages.iter().filter(|(_, s)| *s).map(|(k, _)| *k).collect();
    pages.retain(|(k, s)| *s || !with_senders.contains(k));
    let mut users: Vec<Uuid> = Vec::new();
    if nodes.field("assignees").exists() {
        users.extend(page.iter().flat_map(|t| t.assignee_ids.iter().flatten().copied()));
    }
    let created_by = nodes.field("createdBy").exists();
    if created_by {
        users.extend(page.iter().filter_map(|t| t.model.created_by_user_id));
    }
    users.sort_unstable();
    users.dedup();
    let wants_client = nodes.field("client").exists();
    let client_ids: Vec<Uuid> = if wants_client {
        let mut c: Vec<Uuid> = page.iter().filter_map(|t| t.model.client_id).collect();
        c.sort_unstable();
        c.dedup();
        c
    } else {
        Vec::new()
    };
    // The users travel with the first conversation read with senders, if
    // any; else in a statement of their own.
    let carrier = pages.iter().position(|(_, senders)| *senders);
    let conversations = try_join_all(pages.iter().enumerate().map(|(i, (key, senders))| {
        let page = MessagePage::from(*key);
        let ids = &ids;
        let also: &[Uuid] = if carrier == Some(i) { &users } else { &[] };
        async move { messages::pages_of_many(db, ids, sees_internal, &page, senders.then_some(also)).await }
    }));
    let counts = async {
        if counted {
            messages::counts_of_many(db, &ids, sees_internal).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let found_users = async {
        if users.is_empty() || carrier.is_some() {
            Ok(HashMap::new())
        } else {
            tickets::users_for_display(db, &users).await
        }
    };
    let found_clients = async {
        if client_ids.is_empty() {
            Ok(Vec::new())
        } else {
            clients::of_many(db, &client_ids).await
        }
    };
    let (mut conversations, counts, mut found_users, found_clients) =
        futures::try_join!(conversations, counts, found_users, found_clients)?;
    if let Some(i) = carrier {
        // Copied before the senders take the rows (a few users at most).
        let read = &conversations[i];
        found_users.extend(users.iter().filter_map(|u| read.users.get(u).map(|m| (*u, m.clone()))));
    }
    if message_tickets {
        // A message's `ticket` is one of these: no statement needed.
        l.support
            .tickets
            .feed_many(page.iter().map(|t| (t.model.id, t.model.clone())))
            .await;
    }
    let mut conversations: Vec<HashMap<Uuid, Arc<MessageNodes>>> = pages
        .iter()
        .zip(conversations.iter_mut())
        .map(|((_, senders), read)| conversation_nodes(read, sees_internal, *senders))
        .collect();
    let users: HashMap<Uuid, Arc<User>> = found_users
        .into_iter()
        .map(|(id, u)| (id, Arc::new(User::new(u))))
        .collect();
    let found_clients: HashMap<Uuid, Arc<Client>> =
        found_clients.into_iter().map(|c| (c.id, Arc::new(Client(c)))).collect();
    let mut departments: HashMap<Uuid, Arc<Department>> = HashMap::new();
    let mut out = Vec::with_capacity(page.len());
    for t in page {
        let department = t.department.map(|d| {
            departments
                .entry(d.id)
                .or_insert_with(|| Arc::new(Department(d)))
                .clone()
        });
        let primed = Primed {
            department: nodes.field("department").exists().then_some(department),
            tags: t.tags,
            assignees: t
                .assignee_ids
                .map(|a| a.iter().filter_map(|u| users.get(u).cloned()).collect()),
            created_by: created_by.then(|| t.model.created_by_user_id.and_then(|u| users.get(&u).cloned())),
            client: wants_client.then(|| t.model.client_id.and_then(|c| found_clients.get(&c).cloned())),
            messages: pages
                .iter()
                .zip(conversations.iter_mut())
                .map(|((key, senders), read)| {
                    let nodes = read
                        .remove(&t.model.id)
                        .unwrap_or_else(|| Arc::new(MessageNodes::empty()));
                    (*key, *senders, nodes)
                })
                .collect(),
            message_count: counts.as_ref().map(|c| c.get(&t.model.id).copied().unwrap_or(0)),
        };
        out.push(SupportTicket::listed(t.model, sees_internal, primed));
    }
    Ok(out)
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
        Ok(not_found_is_none(tickets::get(app(ctx)?, viewer(ctx), id).await)?.map(SupportTicket::one))
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
        let nodes = NodeSelection::of(ctx);
        let with = ListRelations {
            department: nodes.field("department").exists(),
            tags: nodes.field("tags").exists(),
            assignee_ids: nodes.field("assignees").exists(),
        };
        let listed = tickets::list(app, v, &filter, sort, descending, &page, with).await?;
        let sees_internal = listed.sees_internal;
        let has_previous = listed.page.has_previous;
        let has_next = listed.page.has_next;
        let nodes = listed_nodes(ctx, &app.db.read, listed.page.rows, sees_internal).await?;
        Ok(SupportTicketConnection {
            nodes,
            has_previous,
            has_next,
            sort,
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
