//! The support desk over GraphQL: thin resolvers over `service::support`.
//! Queries, mutations and subscriptions each have a file; types, a
//! ticket's conversation, connections, inputs and loaders theirs.

pub mod clients;
pub mod connections;
pub mod conversation;
pub mod inputs;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod subscription;
pub mod types;

pub use mutation::SupportMutation;
pub use query::SupportQuery;
pub use subscription::SupportSubscription;
