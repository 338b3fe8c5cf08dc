//! The exchange over GraphQL. Each part keeps its roots in its own file
//! (pairs, quotes and orders in [`query`] and [`mutation`], market data in
//! [`market`], reserves in [`reserves`], the address pools in [`pool`])
//! and they merge here into the domain's roots; the live
//! `exchangeOrderUpdated` is in [`subscription`].
//! Resolvers parse, call one service function (`service::exchange`) and
//! map the result.

mod inputs;
pub mod loaders;
pub mod market;
mod mutation;
pub mod pool;
mod query;
pub mod reserves;
mod subscription;
mod types;

use async_graphql::MergedObject;

pub use subscription::ExchangeSubscription;
pub use types::ExchangeOrder;

/// The exchange's queries.
#[derive(MergedObject, Default)]
pub struct ExchangeQuery(
    query::OrderQuery,
    market::MarketQuery,
    reserves::ReserveQuery,
    pool::PoolQuery,
);

/// The exchange's mutations.
#[derive(MergedObject, Default)]
pub struct ExchangeMutation(
    mutation::OrderMutation,
    market::MarketMutation,
    reserves::ReserveMutation,
);
