//! A ticket's conversation over GraphQL: its messages, who wrote each,
//! and a page of them built once and shared by every selection of it.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, Object, Result, Union, ID};
use chrono::{DateTime, Utc};
use entity::support_ticket_messages;
use uuid::Uuid;

use super::types::{attachments, loaders, Attachment, Client, SupportTicket};
use crate::graphql::convert::{id, ts};
use crate::graphql::identity::types::User;
use crate::service::support::messages;

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
    /// A person with an account (staff, or a customer signed in).
    User(User),
    /// A client who wrote through a channel without an account.
    Client(Client),
}

/// One message of a ticket's conversation.
pub struct SupportTicketMessage {
    pub model: support_ticket_messages::Model,
    /// The viewer reads internal notes (carried to the message's ticket).
    pub sees_internal: bool,
    /// The sender, when it was read with the message (`None`: the loaders
    /// answer; `Some(None)`: it has none).
    sender: Option<Option<Arc<MessageSender>>>,
}

impl SupportTicketMessage {
    /// `model` for a viewer who does (or does not) read internal notes.
    pub fn new(model: support_ticket_messages::Model, sees_internal: bool) -> Self {
        SupportTicketMessage {
            model,
            sees_internal,
            sender: None,
        }
    }
}

/// Whether a `messages` selection asks for its messages' senders (through
/// `nodes` or `edges { node }`).
pub(crate) fn wants_senders(messages: &async_graphql::Lookahead<'_>) -> bool {
    messages.field("nodes").field("sender").exists() || messages.field("edges").field("node").field("sender").exists()
}

/// One page of a conversation, built once and shared by every selection
/// of it (edges, nodes and page info read the same rows).
pub struct MessageNodes {
    pub rows: Vec<SupportTicketMessage>,
    pub has_previous: bool,
    pub has_next: bool,
}

impl MessageNodes {
    /// A page with no messages.
    pub fn empty() -> Self {
        MessageNodes {
            rows: Vec::new(),
            has_previous: false,
            has_next: false,
        }
    }
}

/// The pages of `read` as nodes, each sender made once and shared by its
/// messages (when `senders` were read).
pub(crate) fn conversation_nodes(
    read: &mut messages::Conversations,
    sees_internal: bool,
    senders: bool,
) -> HashMap<Uuid, Arc<MessageNodes>> {
    let users: HashMap<Uuid, Arc<MessageSender>> = read
        .users
        .drain()
        .map(|(id, u)| (id, Arc::new(MessageSender::User(User::new(u)))))
        .collect();
    let clients: HashMap<Uuid, Arc<MessageSender>> = read
        .clients
        .drain()
        .map(|(id, c)| (id, Arc::new(MessageSender::Client(Client(c)))))
        .collect();
    read.pages
        .drain()
        .map(|(ticket, paged)| {
            let rows = paged
                .rows
                .into_iter()
                .map(|model| {
                    // The same rule as the loader path: a user sender
                    // wins, a client only when there is no user.
                    let sender = senders.then(|| match (model.sender_user_id, model.sender_client_id) {
                        (Some(u), _) => users.get(&u).cloned(),
                        (None, Some(c)) => clients.get(&c).cloned(),
                        (None, None) => None,
                    });
                    SupportTicketMessage {
                        model,
                        sees_internal,
                        sender,
                    }
                })
                .collect();
            let nodes = MessageNodes {
                rows,
                has_previous: paged.has_previous,
                has_next: paged.has_next,
            };
            (ticket, Arc::new(nodes))
        })
        .collect()
}

/// One message of a ticket's conversation.
#[Object]
impl SupportTicketMessage {
    /// The message's id.
    async fn id(&self) -> ID {
        id(self.model.id)
    }
    /// The id of the ticket the message belongs to.
    async fn ticket_id(&self) -> ID {
        id(self.model.ticket_id)
    }
    /// The ticket the message belongs to.
    async fn ticket(&self, ctx: &Context<'_>) -> Result<Option<SupportTicket>> {
        Ok(loaders(ctx)?
            .support
            .tickets
            .load_one(self.model.ticket_id)
            .await
            .map_err(|e| e.to_graphql())?
            .map(|t| SupportTicket::new(t, self.sees_internal)))
    }
    /// The text of the message.
    async fn body(&self) -> &str {
        &self.model.body
    }
    /// An agent-only note; never shown to customers.
    async fn is_internal(&self) -> bool {
        self.model.is_internal
    }
    /// Written by the desk itself (a status, assignment or transfer change).
    async fn is_system(&self) -> bool {
        self.model.is_system
    }
    /// Who wrote the message: customer, agent or the desk.
    async fn sender_kind(&self) -> SenderKind {
        if self.model.is_system {
            SenderKind::System
        } else if self.model.sender_client_id.is_some() {
            SenderKind::Customer
        } else {
            SenderKind::Agent
        }
    }
    /// The author: an account or a client. Null for system messages.
    async fn sender(&self, ctx: &Context<'_>) -> Result<Option<Arc<MessageSender>>> {
        if let Some(known) = &self.sender {
            return Ok(known.clone());
        }
        let l = loaders(ctx)?;
        if let Some(u) = self.model.sender_user_id {
            return Ok(l
                .identity
                .users
                .load_one(u)
                .await
                .map_err(|e| e.to_graphql())?
                .map(|u| Arc::new(MessageSender::User(User::new(u)))));
        }
        if let Some(c) = self.model.sender_client_id {
            return Ok(l
                .support
                .clients
                .load_one(c)
                .await
                .map_err(|e| e.to_graphql())?
                .map(|c| Arc::new(MessageSender::Client(Client(c)))));
        }
        Ok(None)
    }
    /// Files attached to the message.
    async fn attachments(&self) -> Vec<Attachment> {
        attachments(&self.model.attachments)
    }
    /// When the message was written.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.model.created_at)
    }
}
