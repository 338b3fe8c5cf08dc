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
pub(crate) fn load_failed(e: Arc<AppError>) -> async_graphql::Error {
    e.to_graphql()
}
