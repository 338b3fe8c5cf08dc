//! GraphQL types of the support desk.

use async_graphql::{Context, Enum, Object, Result, SimpleObject, Union, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ExternalIdKind, TicketCategory, TicketPriority, TicketStatus};
use entity::{client_external_ids, clients, support_ticket_messages, support_tickets};
use sea_orm::ActiveEnum;

use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::identity::types::{Department, User};
pub(crate) use crate::graphql::loaders::loaders;
use crate::graphql::support::loaders::MessagesKey;
use crate::service::support::{status, tickets::Attachment as AttachmentModel};

fn ts(t: sea_orm::prelude::DateTimeWithTimeZone) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

fn db_enum<E: ActiveEnum<Value = String>>(value: &str) -> Result<E, AppError> {
    E::try_from_value(&value.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad enum value in database: {e}")))
}

/// File metadata attached to a ticket or message.
#[derive(SimpleObject, Clone)]
pub struct Attachment {
    pub file_name: String,
    pub url: String,
    pub mime_type: Option<String>,
    pub size_bytes: Option<i64>,
}

fn attachments(v: &serde_json::Value) -> Vec<Attachment> {
    serde_json::from_value::<Vec<AttachmentModel>>(v.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|a| Attachment {
            file_name: a.file_name,
            url: a.url,
            mime_type: a.mime_type,
            size_bytes: a.size_bytes,
        })
        .collect()
}

/// What a ticket is about (an exchange order, a payment...).
#[derive(SimpleObject, Clone)]
pub struct RelatedEntity {
    /// EXCHANGE_ORDER, PAYMENT, ORDER, INVOICE, WALLET, WITHDRAWAL, JOB, LEAD or KYC.
    pub entity_type: String,
    pub entity_id: ID,
}

/// A support ticket, seen through the viewer's eyes.
pub struct SupportTicket {
    pub model: support_tickets::Model,
    /// The viewer may read internal notes of this ticket (staff).
    pub sees_internal: bool,
}

#[Object]
impl SupportTicket {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// Human-readable number (#1042).
    async fn number(&self) -> i64 {
        self.model.number
    }
    async fn subject(&self) -> &str {
        &self.model.subject
    }
    async fn description(&self) -> &str {
        &self.model.description
    }
    async fn status(&self) -> Result<TicketStatus> {
        Ok(db_enum(&self.model.status)?)
    }
    async fn priority(&self) -> Result<TicketPriority> {
        Ok(db_enum(&self.model.priority)?)
    }
    async fn category(&self) -> Result<TicketCategory> {
        Ok(db_enum(&self.model.category)?)
    }
    /// Statuses this ticket may move to next.
    async fn next_statuses(&self) -> Result<Vec<TicketStatus>> {
        status::next_statuses(&self.model.status)
            .iter()
            .map(|s| db_enum(s).map_err(Into::into))
            .collect()
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        let Some(id) = self.model.department_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .identity
            .departments
            .load_one(id)
            .await
            .map_err(|e| e.to_graphql())?
            .map(Department))
    }
    /// The person the ticket is for.
    async fn client(&self, ctx: &Context<'_>) -> Result<Option<Client>> {
        let Some(id) = self.model.client_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .support
            .clients
            .load_one(id)
            .await
            .map_err(|e| e.to_graphql())?
            .map(Client))
    }
    /// Who opened it (the customer, or the agent who opened it for them).
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.model.created_by_user_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .identity
            .users
            .load_one(id)
            .await
            .map_err(|e| e.to_graphql())?
            .map(User::new))
    }
    /// Agents working on it.
    async fn assignees(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        Ok(loaders(ctx)?
            .support
            .ticket_assignees
            .load_one(self.model.id)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or_default()
            .into_iter()
            .map(User::new)
            .collect())
    }
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(loaders(ctx)?
            .support
            .ticket_tags
            .load_one(self.model.id)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or_default())
    }
    /// The newest `last` messages (at most 100), oldest first. Internal
    /// notes appear only for staff.
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] last: i32,
    ) -> Result<Vec<SupportTicketMessage>> {
        let key = MessagesKey {
            ticket: self.model.id,
            include_internal: self.sees_internal,
            last: i64::from(last),
        };
        Ok(loaders(ctx)?
            .support
            .ticket_messages
            .load_one(key)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or_default()
            .into_iter()
            .map(SupportTicketMessage)
            .collect())
    }
    async fn custom_fields(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.model.custom_fields.clone())
    }
    async fn attachments(&self) -> Vec<Attachment> {
        attachments(&self.model.attachments)
    }
    async fn related_entity(&self) -> Option<RelatedEntity> {
        match (&self.model.related_entity_type, self.model.related_entity_id) {
            (Some(t), Some(id)) => Some(RelatedEntity {
                entity_type: t.clone(),
                entity_id: ID(id.to_string()),
            }),
            _ => None,
        }
    }
    async fn first_response_at(&self) -> Option<DateTime<Utc>> {
        self.model.first_response_at.map(ts)
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.model.resolved_at.map(ts)
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.model.closed_at.map(ts)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.model.created_at)
    }
    /// The last change everyone who sees the ticket can read (an internal
    /// note does not move it).
    async fn updated_at(&self) -> DateTime<Utc> {
        ts(self.model.updated_at)
    }
}

/// Who wrote a message.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SenderKind {
    /// The ticket's client (with or without an account).
    Customer,
    /// Staff.
    Agent,
    /// The desk itself (status and assignment changes).
    System,
}

/// The author of a message: an account, or a client without one.
#[derive(Union)]
pub enum MessageSender {
    User(User),
    Client(Client),
}

/// One message of a ticket's conversation.
pub struct SupportTicketMessage(pub support_ticket_messages::Model);

#[Object]
impl SupportTicketMessage {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn ticket_id(&self) -> ID {
        ID(self.0.ticket_id.to_string())
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Agent-only note; never shown to customers.
    async fn is_internal(&self) -> bool {
        self.0.is_internal
    }
    async fn is_system(&self) -> bool {
        self.0.is_system
    }
    async fn sender_kind(&self) -> SenderKind {
        if self.0.is_system {
            SenderKind::System
        } else if self.0.sender_client_id.is_some() {
            SenderKind::Customer
        } else {
            SenderKind::Agent
        }
    }
    /// Null for system messages.
    async fn sender(&self, ctx: &Context<'_>) -> Result<Option<MessageSender>> {
        let l = loaders(ctx)?;
        if let Some(u) = self.0.sender_user_id {
            return Ok(l
                .identity
                .users
                .load_one(u)
                .await
                .map_err(|e| e.to_graphql())?
                .map(|u| MessageSender::User(User::new(u))));
        }
        if let Some(c) = self.0.sender_client_id {
            return Ok(l
                .support
                .clients
                .load_one(c)
                .await
                .map_err(|e| e.to_graphql())?
                .map(|c| MessageSender::Client(Client(c))));
        }
        Ok(None)
    }
    async fn attachments(&self) -> Vec<Attachment> {
        attachments(&self.0.attachments)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// Someone tickets are for, reachable on one or more channels.
pub struct Client(pub clients::Model);

#[Object]
impl Client {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// The client's account, when they have one.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.user_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .identity
            .users
            .load_one(id)
            .await
            .map_err(|e| e.to_graphql())?
            .map(User::new))
    }
    /// Channels to reach the client (shown to staff and to the client).
    async fn external_ids(&self, ctx: &Context<'_>) -> Result<Vec<ClientExternalId>> {
        let v = viewer(ctx);
        let own = v.user_id.is_some() && v.user_id == self.0.user_id;
        if !own && !v.is_staff {
            return Ok(Vec::new());
        }
        Ok(loaders(ctx)?
            .support
            .external_ids
            .load_one(self.0.id)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or_default()
            .into_iter()
            .map(ClientExternalId)
            .collect())
    }
    /// Free-form data about the client (staff only).
    async fn data(&self, ctx: &Context<'_>) -> Option<async_graphql::Json<serde_json::Value>> {
        viewer(ctx).is_staff.then(|| async_graphql::Json(self.0.data.clone()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// One channel identity of a client.
pub struct ClientExternalId(pub client_external_ids::Model);

#[Object]
impl ClientExternalId {
    async fn kind(&self) -> Result<ExternalIdKind> {
        Ok(db_enum(&self.0.kind)?)
    }
    async fn value(&self) -> &str {
        &self.0.value
    }
}
