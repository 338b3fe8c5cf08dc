//! GraphQL types of the support desk: tickets, their conversations,
//! clients, and the connections that page through them.

use std::sync::Arc;

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{TicketCategory, TicketPriority, TicketStatus};
use entity::support_tickets;

pub use super::clients::{Client, ClientExternalId};
use super::connections::SupportTicketMessageConnection;
pub(crate) use super::conversation::{conversation_nodes, wants_senders, MessageNodes, SupportTicketMessage};
use super::inputs::message_page;
use super::loaders::{MessageCountKey, MessagesKey, PageKey};
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::identity::types::{Department, User};
pub(crate) use crate::graphql::loaders::loaders;
use crate::service::support::messages;
use crate::service::support::shared::{attachments_of, SeenTicket};
use crate::service::support::status;
use crate::service::support::tickets::RelatedEntityType;

/// File metadata attached to a ticket or message (the file itself lives in
/// the file store or at its URL).
#[derive(SimpleObject, Clone)]
pub struct Attachment {
    /// The file's name as the uploader gave it.
    pub file_name: String,
    /// Where to fetch the file: an https:// URL or a path on this platform.
    pub url: String,
    /// The file's MIME type, when known.
    pub mime_type: Option<String>,
    /// The file's size in bytes, when known.
    pub size_bytes: Option<i64>,
}

pub(crate) fn attachments(v: &serde_json::Value) -> Vec<Attachment> {
    attachments_of(v)
        .into_iter()
        .map(|a| Attachment {
            file_name: a.file_name,
            url: a.url,
            mime_type: a.mime_type,
            size_bytes: a.size_bytes,
        })
        .collect()
}

/// What a ticket is about: one of the customer's own orders, payments and
/// the like.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct RelatedEntity {
    /// The kind of entity.
    pub entity_type: RelatedEntityType,
    /// The entity's id (look it up with the query for its kind).
    pub entity_id: ID,
}

#[async_graphql::ComplexObject]
impl RelatedEntity {
    /// The exchange order itself, live (status, amounts, transaction
    /// hashes), when the entity is one: whoever sees the ticket sees the
    /// order it is about, so nobody has to ask the customer for them.
    async fn exchange_order(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::exchange::ExchangeOrder>> {
        if self.entity_type != RelatedEntityType::ExchangeOrder {
            return Ok(None);
        }
        let order = crate::graphql::convert::parse_id(&self.entity_id, "entityId")?;
        Ok(crate::graphql::loaders::loaders(ctx)?
            .exchange
            .orders
            .load_one(order)
            .await
            .map_err(|e| e.to_graphql())?
            .map(|o| crate::graphql::exchange::ExchangeOrder::new(o.into())))
    }
}

/// A support ticket, seen through the viewer's eyes: internal notes appear
/// only for staff who may read them.
pub struct SupportTicket {
    pub seen: SeenTicket,
    /// What its page read with it (`None`: the loaders answer).
    primed: Option<Box<Primed>>,
    /// Read on its own (one ticket, a payload, an event): its conversation
    /// is read at once instead of waiting for a batch of siblings.
    alone: bool,
}

/// What a ticket list read with its page, carried on each node so its
/// fields answer without a loader (no batching delay, no cache look-up or
/// copy per field). A `None` field was not read with the page.
#[derive(Default)]
pub(crate) struct Primed {
    pub department: Option<Option<Arc<Department>>>,
    pub tags: Option<Vec<String>>,
    pub assignees: Option<Vec<Arc<User>>>,
    pub created_by: Option<Option<Arc<User>>>,
    pub client: Option<Option<Arc<Client>>>,
    /// Conversation pages by their arguments and whether senders came along.
    pub messages: Vec<(PageKey, bool, Arc<MessageNodes>)>,
    /// The conversation's size (when `totalCount` is selected).
    pub message_count: Option<u64>,
}

impl SupportTicket {
    /// `model` among siblings (its fields batch through the loaders), for
    /// a viewer who does (or does not) read internal notes.
    pub fn new(model: support_tickets::Model, sees_internal: bool) -> Self {
        SupportTicket {
            seen: SeenTicket { model, sees_internal },
            primed: None,
            alone: false,
        }
    }

    /// A ticket read on its own (a lookup, a payload, an event).
    pub fn one(seen: SeenTicket) -> Self {
        SupportTicket {
            seen,
            primed: None,
            alone: true,
        }
    }

    /// A ticket of a list page, with what the page read for it.
    pub(crate) fn listed(model: support_tickets::Model, sees_internal: bool, primed: Primed) -> Self {
        SupportTicket {
            seen: SeenTicket { model, sees_internal },
            primed: Some(Box::new(primed)),
            alone: false,
        }
    }

    fn model(&self) -> &support_tickets::Model {
        &self.seen.model
    }

    fn primed(&self) -> Option<&Primed> {
        self.primed.as_deref()
    }
}

/// A support ticket, seen through your eyes: internal notes appear only
/// for staff who may read them.
#[Object]
impl SupportTicket {
    /// The ticket's id.
    async fn id(&self) -> ID {
        id(self.model().id)
    }
    /// Human-readable number (#1042), for conversations with the customer.
    async fn number(&self) -> i64 {
        self.model().number
    }
    /// One line saying what the ticket is about.
    async fn subject(&self) -> &str {
        &self.model().subject
    }
    /// The customer's first description of the problem.
    async fn description(&self) -> &str {
        &self.model().description
    }
    /// Where the ticket is in its life cycle.
    async fn status(&self) -> Result<TicketStatus> {
        Ok(status::of(self.model())?)
    }
    /// How urgent the ticket is.
    async fn priority(&self) -> Result<TicketPriority> {
        Ok(status::priority_of(self.model())?)
    }
    /// The ticket's topic.
    async fn category(&self) -> Result<TicketCategory> {
        Ok(db_enum(&self.model().category)?)
    }
    /// Statuses this ticket may move to next (`setTicketStatus`).
    async fn next_statuses(&self) -> Result<Vec<TicketStatus>> {
        Ok(status::next_statuses(status::of(self.model())?).to_vec())
    }
    /// The id of the department handling the ticket.
    async fn department_id(&self) -> Option<ID> {
        self.model().department_id.map(id)
    }
    /// The department handling the ticket.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Arc<Department>>> {
        if let Some(d) = self.primed().and_then(|p| p.department.as_ref()) {
            return Ok(d.clone());
        }
        let Some(id) = self.model().department_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .identity
            .departments
            .load_one(id)
            .await
            .map_err(|e| e.to_graphql())?
            .map(|d| Arc::new(Department(d))))
    }
    /// The id of the client the ticket is for.
    async fn client_id(&self) -> Option<ID> {
        self.model().client_id.map(id)
    }
    /// The person the ticket is for.
    async fn client(&self, ctx: &Context<'_>) -> Result<Option<Arc<Client>>> {
        if let Some(c) = self.primed().and_then(|p| p.client.as_ref()) {
            return Ok(c.clone());
        }
        let Some(id) = self.model().client_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .support
            .clients
            .load_one(id)
            .await
            .map_err(|e| e.to_graphql())?
            .map(|c| Arc::new(Client(c))))
    }
    /// The id of the user who opened the ticket.
    async fn created_by_id(&self) -> Option<ID> {
        self.model().created_by_user_id.map(id)
    }
    /// Who opened it (the customer, or the agent who opened it for them).
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<Arc<User>>> {
        if let Some(u) = self.primed().and_then(|p| p.created_by.as_ref()) {
            return Ok(u.clone());
        }
        let Some(id) = self.model().created_by_user_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .identity
            .users
            .load_one(id)
            .await
            .map_err(|e| e.to_graphql())?
            .map(|u| Arc::new(User::new(u))))
    }
    /// Agents working on it (at most 20).
    async fn assignees(&self, ctx: &Context<'_>) -> Result<Vec<Arc<User>>> {
        if let Some(a) = self.primed().and_then(|p| p.assignees.as_ref()) {
            return Ok(a.clone());
        }
        Ok(loaders(ctx)?
            .support
            .ticket_assignees
            .load_one(self.model().id)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or_default()
            .into_iter()
            .map(|u| Arc::new(User::new(u)))
            .collect())
    }
    /// Tag names on the ticket, sorted.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        if let Some(t) = self.primed().and_then(|p| p.tags.as_ref()) {
            return Ok(t.clone());
        }
        Ok(loaders(ctx)?
            .support
            .ticket_tags
            .load_one(self.model().id)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or_default())
    }
    /// The conversation, oldest message first. A chat view opens on the
    /// newest page with `last: 20` and scrolls back with `last: 20,
    /// before: <startCursor>` through any number of older messages;
    /// `first`/`after` walks forward from the oldest. Internal notes appear
    /// only for staff who may read them.
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many messages to return from the start (after `after`); at most 100.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Only messages after this cursor (an edge's `cursor` or `pageInfo.endCursor`).")]
        after: Option<String>,
        #[graphql(desc = "How many messages to return from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only messages before this cursor (an edge's `cursor` or `pageInfo.startCursor`).")]
        before: Option<String>,
    ) -> Result<SupportTicketMessageConnection> {
        let page = message_page(first, after, last, before)?;
        let sees_internal = self.seen.sees_internal;
        let count = MessageCountKey {
            ticket: self.model().id,
            include_internal: sees_internal,
        };
        let page_key: PageKey = (&page).into();
        let senders = wants_senders(&ctx.look_ahead());
        let known_count = self.primed().and_then(|p| p.message_count);
        if let Some(p) = self.primed() {
            if let Some((_, _, nodes)) = p.messages.iter().find(|(k, s, _)| *k == page_key && (*s || !senders)) {
                return Ok(SupportTicketMessageConnection::new(nodes.clone(), count, known_count));
            }
        }
        let l = loaders(ctx)?;
        if self.alone {
            // No siblings to batch with: one statement now, senders and all.
            let mut read = messages::pages_of_many(
                l.support.ticket_messages.loader().db(),
                &[self.model().id],
                sees_internal,
                &page,
                senders.then_some(&[]),
            )
            .await?;
            let nodes = conversation_nodes(&mut read, sees_internal, senders)
                .remove(&self.model().id)
                .unwrap_or_else(|| Arc::new(MessageNodes::empty()));
            return Ok(SupportTicketMessageConnection::new(nodes, count, known_count));
        }
        let key = MessagesKey {
            ticket: self.model().id,
            include_internal: sees_internal,
            page: page_key,
        };
        let paged = l
            .support
            .ticket_messages
            .load_one(key)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or_else(|| page.finish(Vec::new()));
        let nodes = MessageNodes {
            rows: paged
                .rows
                .into_iter()
                .map(|m| SupportTicketMessage::new(m, sees_internal))
                .collect(),
            has_previous: paged.has_previous,
            has_next: paged.has_next,
        };
        Ok(SupportTicketMessageConnection::new(Arc::new(nodes), count, known_count))
    }
    /// Free-form fields the desk records on the ticket (a JSON object).
    async fn custom_fields(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.model().custom_fields.clone())
    }
    /// Files attached when the ticket was opened.
    async fn attachments(&self) -> Vec<Attachment> {
        attachments(&self.model().attachments)
    }
    /// What the ticket is about, when it is about one of the customer's
    /// entities.
    async fn related_entity(&self) -> Result<Option<RelatedEntity>> {
        Ok(
            match (&self.model().related_entity_type, self.model().related_entity_id) {
                (Some(t), Some(entity)) => Some(RelatedEntity {
                    entity_type: db_enum(t)?,
                    entity_id: id(entity),
                }),
                _ => None,
            },
        )
    }
    /// When staff first replied publicly.
    async fn first_response_at(&self) -> Option<DateTime<Utc>> {
        self.model().first_response_at.map(ts)
    }
    /// When the ticket was last resolved (cleared when it reopens).
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.model().resolved_at.map(ts)
    }
    /// When the ticket was closed (cleared when it reopens).
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.model().closed_at.map(ts)
    }
    /// When the ticket was opened.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.model().created_at)
    }
    /// The last change everyone who sees the ticket can read (an internal
    /// note does not move it).
    async fn updated_at(&self) -> DateTime<Utc> {
        ts(self.model().updated_at)
    }
}

/// A tag staff put on tickets to group them.
pub struct TicketTag(pub entity::tags::Model);

/// A tag staff put on tickets to group them.
#[Object]
impl TicketTag {
    /// The tag's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The tag's name (lower case; what `tagTicket` and the `tag` filter take).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// When the tag was first used.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}
