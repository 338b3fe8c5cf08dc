//! The exchange over GraphQL: pairs, quotes, orders (placing, reading,
//! the staff list, operators' decisions) and the live
//! `exchangeOrderUpdated`. Resolvers parse, call `service::exchange` and
//! map the rows.

mod inputs;
pub mod loaders;
mod mutation;
mod query;
mod subscription;
mod types;

use async_graphql::MergedObject;

pub use subscription::ExchangeSubscription;
pub use types::ExchangeOrder;

/// Exchange queries.
#[derive(MergedObject, Default)]
pub struct ExchangeQuery(query::OrderQuery);

/// Exchange mutations.
#[derive(MergedObject, Default)]
pub struct ExchangeMutation(mutation::OrderMutation);
