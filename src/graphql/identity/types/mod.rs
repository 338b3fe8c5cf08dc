//! GraphQL types of the identity domain. Secret columns (hashes, sealed
//! TOTP secrets) have no field here at all.

mod org;
mod payloads;
mod user;

pub use org::*;
pub use payloads::*;
pub use user::*;

use std::sync::Arc;

use crate::error::AppError;

/// A loader's shared error as a GraphQL error.
/// The user with `id`, through the request's loader (batched with every
/// other user a page asks for).
pub(crate) async fn user_by_id(
    ctx: &async_graphql::Context<'_>,
    id: uuid::Uuid,
) -> async_graphql::Result<Option<User>> {
    let u = crate::graphql::loaders::loaders(ctx)?
        .identity
        .users
        .load_one(id)
        .await
        .map_err(load_failed)?;
    Ok(u.map(User::new))
}

pub(crate) fn load_failed(e: Arc<AppError>) -> async_graphql::Error {
    e.to_graphql()
}
