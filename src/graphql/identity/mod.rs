//! Identity and access over GraphQL: thin resolvers over
//! `service::identity`.

pub mod inputs;
pub mod loaders;
pub mod mutation;
pub mod oauth;
pub mod query;
pub mod types;

pub use mutation::IdentityMutation;
pub use query::IdentityQuery;

/// Kept for the domains that still import it from here; the one copy lives
/// in `graphql::convert`.
pub use crate::graphql::convert::parse_id;
