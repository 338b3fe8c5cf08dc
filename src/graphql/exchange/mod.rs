//! The exchange over GraphQL. Each part keeps its roots in its own file
//! (market data in [`market`], reserves in [`reserves`]) and they merge
//! here into the domain's roots. Resolvers parse, call one service
//! function (`service::exchange`) and map the result.

pub mod market;
pub mod reserves;

use async_graphql::MergedObject;

/// The exchange's queries.
#[derive(MergedObject, Default)]
pub struct ExchangeQuery(market::MarketQuery, reserves::ReserveQuery);

/// The exchange's mutations.
#[derive(MergedObject, Default)]
pub struct ExchangeMutation(market::MarketMutation, reserves::ReserveMutation);
