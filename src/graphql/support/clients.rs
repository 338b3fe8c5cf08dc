//! GraphQL types of the support desk's clients: the people tickets are
//! for, and their channel identities.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::ExternalIdKind;
use entity::{client_external_ids, clients};

use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::identity::types::User;
use crate::graphql::loaders::loaders;

/// Someone tickets are for, reachable on one or more channels, with or
/// without an account.
pub struct Client(pub clients::Model);

/// Someone tickets are for, reachable on one or more channels, with or
/// without an account.
#[Object]
impl Client {
    /// The client's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The client's name as the desk shows it.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// The id of the client's account, when they have one.
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.map(id)
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
        let v = crate::graphql::context::viewer(ctx);
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
    /// Free-form data about the client (a JSON object; staff only).
    async fn data(&self, ctx: &Context<'_>) -> Option<async_graphql::Json<serde_json::Value>> {
        crate::graphql::context::viewer(ctx)
            .is_staff
            .then(|| async_graphql::Json(self.0.data.clone()))
    }
    /// When the desk first recorded the client.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// One channel identity of a client (an email address, a phone number...).
pub struct ClientExternalId(pub client_external_ids::Model);

/// One channel identity of a client (an email address, a phone number...).
#[Object]
impl ClientExternalId {
    /// The channel.
    async fn kind(&self) -> Result<ExternalIdKind> {
        Ok(db_enum(&self.0.kind)?)
    }
    /// The address on that channel, normalised (emails lower-cased, phone
    /// numbers as + and digits).
    async fn value(&self) -> &str {
        &self.0.value
    }
}
