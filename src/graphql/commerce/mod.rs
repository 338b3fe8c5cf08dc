//! Commerce over GraphQL: thin resolvers over `service::commerce`.
//! `query` and `mutation` hold the root fields, `types` and `catalog` the
//! objects, `inputs` the input objects, `loaders` the request's batched
//! look-ups.

pub mod catalog;
pub mod inputs;
pub mod loaders;
pub mod mutation;
pub mod payments;
pub mod query;
pub mod types;

pub use mutation::CommerceMutation;
pub use query::CommerceQuery;
