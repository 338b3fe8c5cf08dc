//! The support desk's DataLoaders: clients, their external ids, and a
//! ticket's tags, assignees and messages, batched per request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{client_external_ids, clients, support_ticket_messages, users};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;

use crate::graphql::loaders::{cached, shared, Cached, LoadError};

/// The support desk's loaders of one request.
pub struct SupportLoaders {
    pub clients: Cached<ClientLoader>,
    pub external_ids: Cached<ExternalIdsLoader>,
    pub ticket_tags: Cached<TicketTagsLoader>,
    pub ticket_assignees: Cached<TicketAssigneesLoader>,
    pub ticket_messages: Cached<TicketMessagesLoader>,
}

impl SupportLoaders {
    /// Fresh loaders reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        SupportLoaders {
            clients: cached(ClientLoader(db.clone())),
            external_ids: cached(ExternalIdsLoader(db.clone())),
            ticket_tags: cached(TicketTagsLoader(db.clone())),
            ticket_assignees: cached(TicketAssigneesLoader(db.clone())),
            ticket_messages: cached(TicketMessagesLoader(db)),
        }
    }

    /// Turns every cache off (subscriptions read current rows per event).
    pub fn disable_caches(&self) {
        self.clients.enable_all_cache(false);
        self.external_ids.enable_all_cache(false);
        self.ticket_tags.enable_all_cache(false);
        self.ticket_assignees.enable_all_cache(false);
        self.ticket_messages.enable_all_cache(false);
    }
}

/// Clients by id.
pub struct ClientLoader(DatabaseConnection);

impl Loader<Uuid> for ClientLoader {
    type Value = clients::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = clients::Entity::find()
            .filter(clients::Column::Id.is_in(keys.to_vec()))
            .all(&self.0)
            .await
            .map_err(shared)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

/// External identities by client id.
pub struct ExternalIdsLoader(DatabaseConnection);

impl Loader<Uuid> for ExternalIdsLoader {
    type Value = Vec<client_external_ids::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::service::support::clients::external_ids_of(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(r.client_id).or_default().push(r);
        }
        Ok(out)
    }
}

async fn pairs(db: &DatabaseConnection, sql: &str, keys: &[Uuid]) -> Result<Vec<(Uuid, String)>, LoadError> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [keys.to_vec().into()],
        ))
        .await
        .map_err(shared)?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r.try_get_by_index::<Uuid>(0).ok()?,
                r.try_get_by_index::<String>(1).ok()?,
            ))
        })
        .collect())
}

/// Tag names by ticket id, sorted.
pub struct TicketTagsLoader(DatabaseConnection);

impl Loader<Uuid> for TicketTagsLoader {
    type Value = Vec<String>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = pairs(
            &self.0,
            "SELECT tt.ticket_id, t.name FROM ticket_tags tt JOIN tags t ON t.id = tt.tag_id \
             WHERE tt.ticket_id = ANY($1) ORDER BY t.name",
            keys,
        )
        .await?;
        // Every key gets an answer, empty or not, so the cache holds it.
        let mut out: HashMap<Uuid, Vec<String>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (ticket, name) in rows {
            out.entry(ticket).or_default().push(name);
        }
        Ok(out)
    }
}

/// Assigned users by ticket id (the users themselves, in one statement).
pub struct TicketAssigneesLoader(DatabaseConnection);

impl Loader<Uuid> for TicketAssigneesLoader {
    type Value = Vec<users::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        use sea_orm::FromQueryResult;
        let rows = self
            .0
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT ta.ticket_id AS assigned_ticket_id, u.* FROM ticket_assignments ta \
                 JOIN users u ON u.id = ta.user_id WHERE ta.ticket_id = ANY($1) ORDER BY ta.assigned_at, u.id",
                [keys.to_vec().into()],
            ))
            .await
            .map_err(shared)?;
        let mut out: HashMap<Uuid, Vec<users::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            let ticket: Uuid = r.try_get("", "assigned_ticket_id").map_err(shared)?;
            let user = users::Model::from_query_result(&r, "").map_err(shared)?;
            out.entry(ticket).or_default().push(user);
        }
        Ok(out)
    }
}

/// The newest messages of a ticket: key (ticket, include internal notes,
/// how many).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessagesKey {
    pub ticket: Uuid,
    pub include_internal: bool,
    pub last: i64,
}

/// Messages by ticket, batched per (internal, count) group.
pub struct TicketMessagesLoader(DatabaseConnection);

impl Loader<MessagesKey> for TicketMessagesLoader {
    type Value = Vec<support_ticket_messages::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[MessagesKey]) -> Result<HashMap<MessagesKey, Self::Value>, Self::Error> {
        let mut groups: HashMap<(bool, i64), Vec<Uuid>> = HashMap::new();
        for k in keys {
            groups.entry((k.include_internal, k.last)).or_default().push(k.ticket);
        }
        let mut out: HashMap<MessagesKey, Self::Value> = HashMap::new();
        for ((include_internal, last), tickets) in groups {
            let rows = crate::service::support::messages::for_tickets(&self.0, &tickets, include_internal, last)
                .await
                .map_err(Arc::new)?;
            for t in &tickets {
                out.insert(
                    MessagesKey {
                        ticket: *t,
                        include_internal,
                        last,
                    },
                    Vec::new(),
                );
            }
            for m in rows {
                if let Some(v) = out.get_mut(&MessagesKey {
                    ticket: m.ticket_id,
                    include_internal,
                    last,
                }) {
                    v.push(m);
                }
            }
        }
        Ok(out)
    }
}
