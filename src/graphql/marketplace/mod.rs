//! The marketplace over GraphQL (issue 15): professionals and their search
//! ([`professional`], [`profiles`]), customers and candidates ([`people`]), services and portfolios ([`catalog`],
//! [`portfolio`]), leads ([`leads`]), reviews ([`reviews`]), companies,
//! jobs and applications ([`jobs`]).

pub mod catalog;
pub mod jobs;
pub mod leads;
pub mod loaders;
pub mod people;
pub mod portfolio;
pub mod professional;
pub mod profiles;
pub mod reviews;

use async_graphql::{MergedObject, MergedSubscription};

/// Marketplace queries.
#[derive(MergedObject, Default)]
pub struct MarketplaceQuery(
    profiles::ProfileQuery,
    people::PeopleQuery,
    leads::LeadQuery,
    reviews::ReviewQuery,
    jobs::JobQuery,
);

/// Marketplace mutations.
#[derive(MergedObject, Default)]
pub struct MarketplaceMutation(
    profiles::ProfileMutation,
    people::PeopleMutation,
    portfolio::PortfolioMutation,
    leads::LeadMutation,
    reviews::ReviewMutation,
    jobs::JobMutation,
);

/// Marketplace subscriptions.
#[derive(MergedSubscription, Default)]
pub struct MarketplaceSubscription(leads::LeadSubscription, jobs::JobSubscription);
