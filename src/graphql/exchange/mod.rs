//! The exchange over GraphQL (issue 13). Each part of the domain has its
//! module and root; they merge into [`ExchangeQuery`] here.

pub mod pool;

use async_graphql::MergedObject;

/// Exchange queries.
#[derive(MergedObject, Default)]
pub struct ExchangeQuery(pool::PoolQuery);
