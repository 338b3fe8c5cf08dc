//! The support desk over GraphQL: thin resolvers over `service::support`,
//! and the live ticket subscriptions, which re-check access on every event.

pub mod loaders;
pub mod types;

use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, Subscription, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ExternalIdKind, TicketCategory, TicketPriority, TicketStatus};
use futures::{Stream, StreamExt};
use sea_orm::ActiveEnum;
use uuid::Uuid;

use crate::app::Ctx;
use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::identity::parse_id;
use crate::graphql::pagination::{connection, Page};
use crate::service::identity::Viewer;
use crate::service::support::events::Delivery;
use crate::service::support::{clients, events, messages, tickets, visibility};
use types::*;

#[derive(InputObject, Clone)]
pub struct AttachmentInput {
    pub file_name: String,
    /// https:// or a path on this platform's file store.
    pub url: String,
    pub mime_type: Option<String>,
    pub size_bytes: Option<i64>,
}

fn attachments(list: Option<Vec<AttachmentInput>>) -> Vec<tickets::Attachment> {
    list.unwrap_or_default()
        .into_iter()
        .map(|a| tickets::Attachment {
            file_name: a.file_name,
            url: a.url,
            mime_type: a.mime_type,
            size_bytes: a.size_bytes,
        })
        .collect()
}

#[derive(InputObject)]
pub struct RelatedEntityInput {
    /// EXCHANGE_ORDER, PAYMENT, ORDER, INVOICE, WALLET, WITHDRAWAL, JOB, LEAD or KYC.
    pub entity_type: String,
    pub entity_id: ID,
}

#[derive(InputObject)]
pub struct CreateTicketInput {
    /// A client-generated id (a UUID) for the new ticket, so that a retry
    /// after a timeout never opens a second one: the same id with the same
    /// content returns the first ticket (`replayed: true`); the same id
    /// with anything else is CONFLICT.
    pub id: Option<ID>,
    pub subject: String,
    pub description: String,
    pub category: Option<TicketCategory>,
    pub priority: Option<TicketPriority>,
    pub department_id: Option<ID>,
    /// Agents (`tickets.create`) open tickets for a client; customers omit it.
    pub client_id: Option<ID>,
    pub custom_fields: Option<async_graphql::Json<serde_json::Value>>,
    pub attachments: Option<Vec<AttachmentInput>>,
    pub related_entity: Option<RelatedEntityInput>,
}

#[derive(InputObject)]
pub struct AddTicketMessageInput {
    pub ticket_id: ID,
    /// A client-generated id (a UUID) for the new message, so that a retry
    /// after a timeout never posts twice: the same id with the same content
    /// on the same ticket returns the first message (`replayed: true`); the
    /// same id with anything else is CONFLICT.
    pub id: Option<ID>,
    pub body: String,
    /// An agent-only note (staff with `tickets.internal_note`).
    #[graphql(default = false)]
    pub is_internal: bool,
    pub attachments: Option<Vec<AttachmentInput>>,
}

#[derive(InputObject)]
pub struct AssignTicketInput {
    pub ticket_id: ID,
    /// The full set of assignees (empty: unassign everyone).
    pub user_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct SetTicketStatusInput {
    pub ticket_id: ID,
    pub status: TicketStatus,
}

#[derive(InputObject)]
pub struct UpdateTicketInput {
    pub ticket_id: ID,
    pub subject: Option<String>,
    pub priority: Option<TicketPriority>,
    pub category: Option<TicketCategory>,
    pub custom_fields: Option<async_graphql::Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct TagTicketInput {
    pub ticket_id: ID,
    #[graphql(default)]
    pub add: Vec<String>,
    #[graphql(default)]
    pub remove: Vec<String>,
}

#[derive(InputObject)]
pub struct TransferTicketInput {
    pub ticket_id: ID,
    pub department_id: ID,
}

#[derive(InputObject)]
pub struct InboundMessageInput {
    pub channel: ExternalIdKind,
    /// The sender's address on that channel (email, phone, Slack id...).
    pub external_id: String,
    pub display_name: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub attachments: Option<Vec<AttachmentInput>>,
    /// Continue this ticket of the same client instead of opening one.
    pub ticket_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ExternalIdInput {
    pub kind: ExternalIdKind,
    pub value: String,
}

#[derive(InputObject)]
pub struct CreateClientInput {
    pub display_name: String,
    pub data: Option<async_graphql::Json<serde_json::Value>>,
    pub external_ids: Option<Vec<ExternalIdInput>>,
}

#[derive(InputObject)]
pub struct UpdateClientInput {
    pub client_id: ID,
    pub display_name: Option<String>,
    pub data: Option<async_graphql::Json<serde_json::Value>>,
}

#[derive(InputObject)]
pub struct ClientExternalIdInput {
    pub client_id: ID,
    pub kind: ExternalIdKind,
    pub value: String,
}

#[derive(InputObject)]
pub struct MergeClientsInput {
    /// Moves into the target and is deleted.
    pub source_id: ID,
    pub target_id: ID,
}

/// api.md's ticket filter.
#[derive(InputObject, Default, Clone)]
pub struct TicketFilter {
    pub status: Option<Vec<TicketStatus>>,
    pub priority: Option<TicketPriority>,
    pub department_id: Option<ID>,
    pub assignee_id: Option<ID>,
    pub tag: Option<String>,
    /// Full-text search over subject, description and messages.
    pub search: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum TicketOrderField {
    #[default]
    CreatedAt,
    UpdatedAt,
    Priority,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum OrderDirection {
    Asc,
    #[default]
    Desc,
}

#[derive(InputObject, Default)]
pub struct TicketOrder {
    #[graphql(default)]
    pub field: TicketOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

#[derive(SimpleObject)]
pub struct CreateTicketPayload {
    pub ticket: SupportTicket,
    /// True when `id` had been used: this is the ticket of the first call.
    pub replayed: bool,
}
#[derive(SimpleObject)]
pub struct AddTicketMessagePayload {
    pub message: SupportTicketMessage,
    /// True when `id` had been used: this is the message of the first call.
    pub replayed: bool,
}
#[derive(SimpleObject)]
pub struct AssignTicketPayload {
    pub ticket: SupportTicket,
}
#[derive(SimpleObject)]
pub struct SetTicketStatusPayload {
    pub ticket: SupportTicket,
}
#[derive(SimpleObject)]
pub struct UpdateTicketPayload {
    pub ticket: SupportTicket,
}
#[derive(SimpleObject)]
pub struct IngestInboundMessagePayload {
    pub ticket: SupportTicket,
    pub message: SupportTicketMessage,
}
#[derive(SimpleObject)]
pub struct ClientPayload {
    pub client: Client,
}

/// `totalCount` of the ticket list, counted only when asked for.
pub struct TicketCount {
    viewer: Viewer,
    filter: tickets::TicketFilter,
}

#[Object]
impl TicketCount {
    /// Tickets matching the filter (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(tickets::count(app(ctx)?, &self.viewer, &self.filter).await? as i64)
    }
}

fn to_db<E: ActiveEnum<Value = String>>(e: E) -> String {
    e.to_value()
}

fn opt_uuid(id: &Option<ID>, field: &str) -> Result<Option<Uuid>, AppError> {
    id.as_ref().map(|i| parse_id(i, field)).transpose()
}

fn service_filter(f: TicketFilter) -> Result<tickets::TicketFilter, AppError> {
    Ok(tickets::TicketFilter {
        status: f.status.unwrap_or_default().into_iter().map(to_db).collect(),
        priority: f.priority.map(to_db),
        department_id: opt_uuid(&f.department_id, "filter.departmentId")?,
        assignee_id: opt_uuid(&f.assignee_id, "filter.assigneeId")?,
        tag: f.tag,
        search: f.search,
        created_after: f.created_after,
        created_before: f.created_before,
    })
}

/// Wraps a ticket with what the viewer may see of it.
async fn present(ctx: &Context<'_>, model: entity::support_tickets::Model) -> Result<SupportTicket> {
    let scope = visibility::scope(&app(ctx)?.db.read, viewer(ctx)).await?;
    Ok(SupportTicket {
        model,
        sees_internal: scope.sees_internal(),
    })
}

/// Loads, in one statement per relation, everything the selection asks of
/// a page of tickets, and caches it in the request's loaders. Batching then
/// does not depend on timing: a page costs the same statements at any size.
async fn prime_page(ctx: &Context<'_>, page: &[entity::support_tickets::Model], sees_internal: bool) -> Result<()> {
    use std::collections::HashSet;
    let l = loaders(ctx)?;
    let shared = |e: std::sync::Arc<AppError>| e.to_graphql();
    let look = ctx.look_ahead();
    let nodes = [look.field("edges").field("node"), look.field("nodes")];
    let wants = |f: &str| nodes.iter().any(|n| n.field(f).exists());
    let ids: Vec<Uuid> = page.iter().map(|t| t.id).collect();
    let mut users: HashSet<Uuid> = HashSet::new();
    let mut clients_wanted: HashSet<Uuid> = HashSet::new();
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
    // Each distinct `messages(last:)` of the selection, with its senders.
    let mut lasts: HashSet<i64> = HashSet::new();
    for n in &nodes {
        for field in n.field("messages").selection_fields() {
            let last = field
                .arguments()
                .ok()
                .and_then(|args| args.into_iter().find(|(k, _)| k.as_str() == "last"))
                .and_then(|(_, v)| match v {
                    async_graphql::Value::Number(n) => n.as_i64(),
                    _ => None,
                })
                .unwrap_or(20);
            lasts.insert(last);
        }
    }
    let wants_senders = nodes.iter().any(|n| n.field("messages").field("sender").exists());
    for last in lasts {
        let keys = ids.iter().map(|t| crate::graphql::support::loaders::MessagesKey {
            ticket: *t,
            include_internal: sees_internal,
            last,
        });
        let loaded = l.support.ticket_messages.load_many(keys).await.map_err(shared)?;
        if wants_senders {
            for m in loaded.values().flatten() {
                if let Some(u) = m.sender_user_id {
                    users.insert(u);
                } else if let Some(c) = m.sender_client_id {
                    clients_wanted.insert(c);
                }
            }
        }
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
    async fn ticket(&self, ctx: &Context<'_>, id: ID) -> Result<Option<SupportTicket>> {
        let id = parse_id(&id, "id")?;
        match tickets::get(app(ctx)?, viewer(ctx), id).await {
            Ok((model, scope)) => Ok(Some(SupportTicket {
                model,
                sees_internal: scope.sees_internal(),
            })),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Tickets you may see: customers their own, agents their departments'
    /// and assigned ones, `tickets.read_all` everything.
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        filter: Option<TicketFilter>,
        order_by: Option<TicketOrder>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, SupportTicket, TicketCount, EmptyFields>> {
        let app = app(ctx)?;
        let v = viewer(ctx);
        let page = Page::<tickets::TicketCursor>::forward(first, after)?;
        let filter = service_filter(filter.unwrap_or_default())?;
        let order = order_by.unwrap_or_default();
        let sort = match order.field {
            TicketOrderField::CreatedAt => tickets::TicketSort::CreatedAt,
            TicketOrderField::UpdatedAt => tickets::TicketSort::UpdatedAt,
            TicketOrderField::Priority => tickets::TicketSort::Priority,
        };
        let descending = order.direction == OrderDirection::Desc;
        let scope = visibility::scope(&app.db.read, v).await?;
        let rows = tickets::list(app, v, &filter, sort, descending, page.after.clone(), page.fetch()).await?;
        let sees_internal = scope.sees_internal();
        let shown = rows.len().min(page.limit as usize);
        prime_page(ctx, &rows[..shown], sees_internal).await?;
        let conn = connection(
            &page,
            rows,
            |t| tickets::cursor_of(t, sort),
            |model| SupportTicket { model, sees_internal },
        );
        let mut out = Connection::with_additional_fields(
            conn.has_previous_page,
            conn.has_next_page,
            TicketCount {
                viewer: v.clone(),
                filter,
            },
        );
        out.edges = conn.edges;
        Ok(out)
    }

    /// Tag names in use.
    async fn ticket_tags(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(tickets::all_tags(app(ctx)?, viewer(ctx))
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect())
    }

    /// A client you may see (staff with `clients.manage`, or your own).
    async fn client(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Client>> {
        let id = parse_id(&id, "id")?;
        match clients::get(app(ctx)?, viewer(ctx), id).await {
            Ok(c) => Ok(Some(Client(c))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Clients by name or external id, newest first (`clients.manage`).
    async fn clients(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        #[graphql(validator(maximum = 100))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Client, EmptyFields, EmptyFields>> {
        let page = Page::<Uuid>::forward(first, after)?;
        let rows = clients::search(app(ctx)?, viewer(ctx), search.as_deref(), page.after, page.fetch()).await?;
        Ok(connection(&page, rows, |c| c.id, Client))
    }
}

/// Support mutations.
#[derive(Default)]
pub struct SupportMutation;

#[Object]
impl SupportMutation {
    /// Opens a ticket (your own, or for a client with `tickets.create`).
    async fn create_ticket(&self, ctx: &Context<'_>, input: CreateTicketInput) -> Result<CreateTicketPayload> {
        let related = match input.related_entity {
            Some(r) => Some((r.entity_type, parse_id(&r.entity_id, "relatedEntity.entityId")?)),
            None => None,
        };
        let (t, replayed) = tickets::create(
            app(ctx)?,
            viewer(ctx),
            tickets::CreateTicket {
                id: opt_uuid(&input.id, "id")?,
                subject: input.subject,
                description: input.description,
                category: input.category.map(to_db),
                priority: input.priority.map(to_db),
                department_id: opt_uuid(&input.department_id, "departmentId")?,
                client_id: opt_uuid(&input.client_id, "clientId")?,
                custom_fields: input.custom_fields.map(|j| j.0),
                attachments: attachments(input.attachments),
                related_entity: related,
            },
        )
        .await?;
        Ok(CreateTicketPayload {
            ticket: present(ctx, t).await?,
            replayed,
        })
    }

    /// Posts a reply or an internal note.
    async fn add_ticket_message(
        &self,
        ctx: &Context<'_>,
        input: AddTicketMessageInput,
    ) -> Result<AddTicketMessagePayload> {
        let (m, replayed) = messages::add(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            messages::NewMessage {
                id: opt_uuid(&input.id, "id")?,
                body: input.body,
                is_internal: input.is_internal,
                attachments: attachments(input.attachments),
            },
        )
        .await?;
        Ok(AddTicketMessagePayload {
            message: SupportTicketMessage(m),
            replayed,
        })
    }

    /// Sets the agents working on a ticket (`tickets.assign`).
    async fn assign_ticket(&self, ctx: &Context<'_>, input: AssignTicketInput) -> Result<AssignTicketPayload> {
        let ids = input
            .user_ids
            .iter()
            .map(|i| parse_id(i, "userIds"))
            .collect::<Result<Vec<_>, _>>()?;
        let t = tickets::assign(app(ctx)?, viewer(ctx), parse_id(&input.ticket_id, "ticketId")?, ids).await?;
        Ok(AssignTicketPayload {
            ticket: present(ctx, t).await?,
        })
    }

    /// Moves a ticket through its workflow.
    async fn set_ticket_status(
        &self,
        ctx: &Context<'_>,
        input: SetTicketStatusInput,
    ) -> Result<SetTicketStatusPayload> {
        let t = tickets::set_status(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            &to_db(input.status),
        )
        .await?;
        Ok(SetTicketStatusPayload {
            ticket: present(ctx, t).await?,
        })
    }

    /// Edits subject, priority, category or custom fields (staff).
    async fn update_ticket(&self, ctx: &Context<'_>, input: UpdateTicketInput) -> Result<UpdateTicketPayload> {
        let t = tickets::update(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            tickets::UpdateTicket {
                subject: input.subject,
                priority: input.priority.map(to_db),
                category: input.category.map(to_db),
                custom_fields: input.custom_fields.map(|j| j.0),
            },
        )
        .await?;
        Ok(UpdateTicketPayload {
            ticket: present(ctx, t).await?,
        })
    }

    /// Adds and removes tags (staff).
    async fn tag_ticket(&self, ctx: &Context<'_>, input: TagTicketInput) -> Result<UpdateTicketPayload> {
        let t = tickets::tag(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            input.add,
            input.remove,
        )
        .await?;
        Ok(UpdateTicketPayload {
            ticket: present(ctx, t).await?,
        })
    }

    /// Moves a ticket to another department (`tickets.assign`).
    async fn transfer_ticket(&self, ctx: &Context<'_>, input: TransferTicketInput) -> Result<UpdateTicketPayload> {
        let t = tickets::transfer(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            parse_id(&input.department_id, "departmentId")?,
        )
        .await?;
        Ok(UpdateTicketPayload {
            ticket: present(ctx, t).await?,
        })
    }

    /// Records a message from email, phone, WhatsApp or Slack: the client
    /// is found or created by that identity (integrations, `tickets.create`).
    async fn ingest_inbound_message(
        &self,
        ctx: &Context<'_>,
        input: InboundMessageInput,
    ) -> Result<IngestInboundMessagePayload> {
        let (t, m) = tickets::ingest(
            app(ctx)?,
            viewer(ctx),
            tickets::Inbound {
                channel: to_db(input.channel),
                external_id: input.external_id,
                display_name: input.display_name,
                subject: input.subject,
                body: input.body,
                attachments: attachments(input.attachments),
                ticket_id: opt_uuid(&input.ticket_id, "ticketId")?,
            },
        )
        .await?;
        Ok(IngestInboundMessagePayload {
            ticket: present(ctx, t).await?,
            message: SupportTicketMessage(m),
        })
    }

    /// Creates a client (`clients.manage`).
    async fn create_client(&self, ctx: &Context<'_>, input: CreateClientInput) -> Result<ClientPayload> {
        let ids = input
            .external_ids
            .unwrap_or_default()
            .into_iter()
            .map(|e| (to_db(e.kind), e.value))
            .collect();
        let c = clients::create(
            app(ctx)?,
            viewer(ctx),
            &input.display_name,
            input.data.map(|j| j.0),
            ids,
        )
        .await?;
        Ok(ClientPayload { client: Client(c) })
    }

    /// Renames a client or replaces its data (`clients.manage`).
    async fn update_client(&self, ctx: &Context<'_>, input: UpdateClientInput) -> Result<ClientPayload> {
        let c = clients::update(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.client_id, "clientId")?,
            input.display_name,
            input.data.map(|j| j.0),
        )
        .await?;
        Ok(ClientPayload { client: Client(c) })
    }

    /// Adds a channel identity to a client (`clients.manage`).
    async fn add_client_external_id(&self, ctx: &Context<'_>, input: ClientExternalIdInput) -> Result<ClientPayload> {
        let c = clients::add_external_id(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.client_id, "clientId")?,
            &to_db(input.kind),
            &input.value,
        )
        .await?;
        Ok(ClientPayload { client: Client(c) })
    }

    /// Removes a channel identity from a client (`clients.manage`).
    async fn remove_client_external_id(
        &self,
        ctx: &Context<'_>,
        input: ClientExternalIdInput,
    ) -> Result<ClientPayload> {
        let c = clients::remove_external_id(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.client_id, "clientId")?,
            &to_db(input.kind),
            &input.value,
        )
        .await?;
        Ok(ClientPayload { client: Client(c) })
    }

    /// Merges two clients: tickets and identities move to the target.
    async fn merge_clients(&self, ctx: &Context<'_>, input: MergeClientsInput) -> Result<ClientPayload> {
        let c = clients::merge(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.source_id, "sourceId")?,
            parse_id(&input.target_id, "targetId")?,
        )
        .await?;
        Ok(ClientPayload { client: Client(c) })
    }
}

/// Runs `check` on each event of `topic`; ends after the first `End`.
fn guarded_stream<T, F, Fut>(app: Ctx, topic: &str, check: F) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(Ctx, Arc<crate::infra::events::Event>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Delivery<T>> + Send,
{
    let events = Box::pin(app.bus.subscribe(topic));
    let check = Arc::new(check);
    futures::stream::unfold((events, false), move |(mut events, ended)| {
        let app = app.clone();
        let check = check.clone();
        async move {
            if ended {
                return None;
            }
            loop {
                let event = events.next().await?;
                match check(app.clone(), event).await {
                    Delivery::Deliver(item) => return Some((Ok(item), (events, false))),
                    Delivery::Skip => continue,
                    Delivery::End(e) => return Some((Err(e.into()), (events, true))),
                }
            }
        }
    })
}

/// Live ticket events. Every event is re-checked for this subscriber in the
/// service layer (`events::ticket_update_for`, `events::message_for`) by
/// the rule of the queries: an internal note (or the change it makes)
/// never reaches a customer, and a subscriber who loses access (signed
/// out, moved out of the department, role revoked) is told and dropped.
#[derive(Default)]
pub struct SupportSubscription;

#[Subscription]
impl SupportSubscription {
    /// New messages of a ticket you may see (internal notes for staff only).
    async fn ticket_message_added(
        &self,
        ctx: &Context<'_>,
        ticket_id: ID,
    ) -> Result<impl Stream<Item = Result<SupportTicketMessage>> + use<>> {
        let app: Ctx = ctx
            .data::<Ctx>()
            .cloned()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))?;
        let v = viewer(ctx).clone();
        let id = parse_id(&ticket_id, "ticketId")?;
        let (_, scope) = tickets::get(&app, &v, id).await?;
        Ok(guarded_stream(app, &events::ticket_topic(id), move |app, event| {
            let v = v.clone();
            let scope = scope.clone();
            async move {
                match events::message_for(&app.db.primary, &v, &scope, &event, id).await {
                    Delivery::Deliver(m) => Delivery::Deliver(SupportTicketMessage(m)),
                    Delivery::Skip => Delivery::Skip,
                    Delivery::End(e) => Delivery::End(e),
                }
            }
        }))
    }

    /// Changes to one ticket, or (without an id) to every ticket you may
    /// see: only changes you could read by query (an internal note reaches
    /// staff only).
    async fn ticket_updated(
        &self,
        ctx: &Context<'_>,
        ticket_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<SupportTicket>> + use<>> {
        let app: Ctx = ctx
            .data::<Ctx>()
            .cloned()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))?;
        let v = viewer(ctx).clone();
        let id = ticket_id.as_ref().map(|i| parse_id(i, "ticketId")).transpose()?;
        let (topic, scope) = match id {
            Some(id) => (events::ticket_topic(id), tickets::get(&app, &v, id).await?.1),
            None => (
                events::ALL_TICKETS.to_string(),
                visibility::scope(&app.db.primary, &v).await?,
            ),
        };
        Ok(guarded_stream(app, &topic, move |app, event| {
            let v = v.clone();
            let scope = scope.clone();
            async move {
                match events::ticket_update_for(&app.db.primary, &v, &scope, &event, id).await {
                    Delivery::Deliver(model) => Delivery::Deliver(SupportTicket {
                        model,
                        sees_internal: scope.sees_internal(),
                    }),
                    Delivery::Skip => Delivery::Skip,
                    Delivery::End(e) => Delivery::End(e),
                }
            }
        }))
    }
}
