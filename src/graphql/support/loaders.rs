//! The support desk's DataLoaders: tickets, clients, their external ids,
//! and a ticket's tags, assignees, message pages and message counts,
//! batched per request. Each calls one bulk function of
//! `service::support`; no SQL here.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{client_external_ids, clients, support_ticket_messages, support_tickets, users};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::graphql::loaders::{cached, Cached, LoadError};
use crate::service::page::Paged;
use crate::service::support::messages::{self, MessageCursor, MessagePage};
use crate::service::support::{clients as client_service, tickets};

/// The support desk's loaders of one request.
pub struct SupportLoaders {
    pub tickets: Cached<TicketLoader>,
    pub clients: Cached<ClientLoader>,
    pub external_ids: Cached<ExternalIdsLoader>,
    pub ticket_tags: Cached<TicketTagsLoader>,
    pub ticket_assignees: Cached<TicketAssigneesLoader>,
    pub ticket_messages: Cached<TicketMessagesLoader>,
    pub message_counts: Cached<MessageCountLoader>,
}

impl SupportLoaders {
    /// Fresh loaders reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        SupportLoaders {
            tickets: cached(TicketLoader(db.clone())),
            clients: cached(ClientLoader(db.clone())),
            external_ids: cached(ExternalIdsLoader(db.clone())),
            ticket_tags: cached(TicketTagsLoader(db.clone())),
            ticket_assignees: cached(TicketAssigneesLoader(db.clone())),
            ticket_messages: cached(TicketMessagesLoader(db.clone())),
            message_counts: cached(MessageCountLoader(db)),
        }
    }

    /// Turns every cache off (subscriptions read current rows per event).
    pub fn disable_caches(&self) {
        self.tickets.enable_all_cache(false);
        self.clients.enable_all_cache(false);
        self.external_ids.enable_all_cache(false);
        self.ticket_tags.enable_all_cache(false);
        self.ticket_assignees.enable_all_cache(false);
        self.ticket_messages.enable_all_cache(false);
        self.message_counts.enable_all_cache(false);
    }
}

/// Tickets by id (for a message's `ticket`: the message was visible, so
/// its ticket is).
pub struct TicketLoader(DatabaseConnection);

impl Loader<Uuid> for TicketLoader {
    type Value = support_tickets::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = tickets::of_many(&self.0, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|t| (t.id, t)).collect())
    }
}

/// Clients by id.
pub struct ClientLoader(DatabaseConnection);

impl Loader<Uuid> for ClientLoader {
    type Value = clients::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = client_service::of_many(&self.0, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

/// External identities by client id.
pub struct ExternalIdsLoader(DatabaseConnection);

impl Loader<Uuid> for ExternalIdsLoader {
    type Value = Vec<client_external_ids::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = client_service::external_ids_of(&self.0, keys).await.map_err(Arc::new)?;
        let mut out: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(r.client_id).or_default().push(r);
        }
        Ok(out)
    }
}

/// Tag names by ticket id, sorted.
pub struct TicketTagsLoader(DatabaseConnection);

impl Loader<Uuid> for TicketTagsLoader {
    type Value = Vec<String>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        tickets::tags_of_many(&self.0, keys).await.map_err(Arc::new)
    }
}

/// Assigned users by ticket id.
pub struct TicketAssigneesLoader(DatabaseConnection);

impl Loader<Uuid> for TicketAssigneesLoader {
    type Value = Vec<users::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        tickets::assignees_of_many(&self.0, keys).await.map_err(Arc::new)
    }
}

/// A page request over a conversation, as a cache key (the same arguments
/// on many tickets share one statement).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub limit: u64,
    pub after: Option<MessageCursor>,
    pub before: Option<MessageCursor>,
    pub backward: bool,
}

impl From<&MessagePage> for PageKey {
    fn from(p: &MessagePage) -> Self {
        PageKey {
            limit: p.limit,
            after: p.after,
            before: p.before,
            backward: p.backward,
        }
    }
}

impl From<PageKey> for MessagePage {
    fn from(k: PageKey) -> Self {
        MessagePage {
            limit: k.limit,
            after: k.after,
            before: k.before,
            backward: k.backward,
        }
    }
}

/// One page of one ticket's conversation, as the viewer may see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessagesKey {
    pub ticket: Uuid,
    pub include_internal: bool,
    pub page: PageKey,
}

/// Message pages by ticket, one statement per (internal, page) group.
pub struct TicketMessagesLoader(DatabaseConnection);

impl TicketMessagesLoader {
    /// The connection the loaders read from, for a read that needs no
    /// batching (one ticket's conversation).
    pub fn db(&self) -> &DatabaseConnection {
        &self.0
    }
}

impl Loader<MessagesKey> for TicketMessagesLoader {
    type Value = Paged<support_ticket_messages::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[MessagesKey]) -> Result<HashMap<MessagesKey, Self::Value>, Self::Error> {
        let mut groups: HashMap<(bool, PageKey), Vec<Uuid>> = HashMap::new();
        for k in keys {
            groups.entry((k.include_internal, k.page)).or_default().push(k.ticket);
        }
        let mut out = HashMap::new();
        for ((include_internal, page), tickets) in groups {
            let read = messages::pages_of_many(&self.0, &tickets, include_internal, &page.into(), None)
                .await
                .map_err(Arc::new)?;
            for (ticket, paged) in read.pages {
                out.insert(
                    MessagesKey {
                        ticket,
                        include_internal,
                        page,
                    },
                    paged,
                );
            }
        }
        Ok(out)
    }
}

/// How many messages a ticket has, as the viewer may see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageCountKey {
    pub ticket: Uuid,
    pub include_internal: bool,
}

/// Message counts by ticket, one statement per visibility group.
pub struct MessageCountLoader(DatabaseConnection);

impl Loader<MessageCountKey> for MessageCountLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[MessageCountKey]) -> Result<HashMap<MessageCountKey, u64>, Self::Error> {
        let mut groups: HashMap<bool, Vec<Uuid>> = HashMap::new();
        for k in keys {
            groups.entry(k.include_internal).or_default().push(k.ticket);
        }
        let mut out = HashMap::new();
        for (include_internal, tickets) in groups {
            for (ticket, n) in messages::counts_of_many(&self.0, &tickets, include_internal)
                .await
                .map_err(Arc::new)?
            {
                out.insert(
                    MessageCountKey {
                        ticket,
                        include_internal,
                    },
                    n,
                );
            }
        }
        Ok(out)
    }
}
