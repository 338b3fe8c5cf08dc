//! Schema assembly: one merged root per operation type, the limits of the
//! API, and the extensions every request runs through.
//!
//! Layout (every domain the same way):
//! - `<domain>/mod.rs`: the domain's `<D>Query`, `<D>Mutation` and
//!   `<D>Subscription` roots, merged below; `query.rs`, `mutation.rs`,
//!   `subscription.rs` hold their resolvers, `types.rs` the output objects,
//!   `inputs.rs` the input objects, `loaders.rs` the DataLoaders (composed
//!   in [`loaders`]). Resolvers parse input, call one service function and
//!   map its result: no SQL, no pool chosen here.
//! - Shared pieces: [`convert`] (ids, timestamps, enum mapping),
//!   [`pagination`] (Relay connections over keyset pages), [`scalars`]
//!   (`Money` and what every custom scalar tells clients), [`docs`]
//!   (descriptions async-graphql has no attribute for), [`context`]
//!   (the viewer and request data resolvers read).
//! - The edge: [`guard`] (linear checks and limits before validation,
//!   introspection measured apart), [`persisted`] (APQ), [`extensions`]
//!   (per-request bookkeeping, introspection switch).
//!
//! A new domain adds its roots to [`Query`], [`Mutation`] and
//! [`Subscription`] here, and nothing else in this file.

pub mod approval;
pub mod commerce;
pub mod context;
pub mod convert;
pub mod custody;
pub mod docs;
pub mod exchange;
pub mod extensions;
pub mod guard;
pub mod identity;
pub mod live;
pub mod loaders;
pub mod marketplace;
pub mod notification;
pub mod pagination;
pub mod persisted;
pub mod scalars;
pub mod support;
pub mod system;
pub mod verification;
pub mod wallet;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::config::Limits;
use crate::graphql::persisted::QueryStore;

/// Everything a client can read. Lists that can grow are Relay
/// connections (`first`/`after`, `last`/`before`, at most 100 a page).
#[derive(MergedObject, Default)]
pub struct Query(
    system::SystemQuery,
    identity::IdentityQuery,
    identity::oauth::OAuthQuery,
    support::SupportQuery,
    notification::NotificationQuery,
    wallet::WalletQuery,
    commerce::CommerceQuery,
    approval::ApprovalQuery,
    verification::VerificationQuery,
    exchange::ExchangeQuery,
    custody::CustodyQuery,
    marketplace::MarketplaceQuery,
);

/// Live updates over a WebSocket to `/graphql` (the graphql-transport-ws
/// protocol, or the legacy graphql-ws one).
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    system::SystemSubscription,
    support::SupportSubscription,
    wallet::WalletSubscription,
    approval::ApprovalSubscription,
    exchange::ExchangeSubscription,
    custody::CustodySubscription,
    marketplace::MarketplaceSubscription,
);

/// Everything a client can change. Each mutation takes one `input` and
/// returns a payload holding what changed.
#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    identity::oauth::OAuthMutation,
    support::SupportMutation,
    notification::NotificationMutation,
    wallet::WalletMutation,
    commerce::CommerceMutation,
    approval::ApprovalMutation,
    verification::VerificationMutation,
    exchange::ExchangeMutation,
    custody::CustodyMutation,
    marketplace::MarketplaceMutation,
);

/// The executable schema.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its limits, before runtime data is attached. Exporting
/// the SDL needs nothing more; serving adds the context.
/// `persisted` serves automatic persisted queries (none: SDL export and
/// tools that need no runtime).
pub fn builder(limits: &Limits, persisted: Option<QueryStore>) -> SchemaBuilder<Query, Mutation, Subscription> {
    // `max_depth` and `max_complexity` are the guard's: it measures
    // introspection apart (see `guard::limits`), which async-graphql's
    // `limit_depth`/`limit_complexity` cannot. The guard is the schema's
    // only extension (see `guard::Guard`).
    let mut b = Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .limit_recursive_depth(guard::MAX_RECURSIVE_DEPTH)
        .limit_directives(16)
        .extension(guard::Guard::new(
            guard::GuardLimits::from_limits(limits),
            limits.introspection,
            persisted,
        ));
    if !limits.introspection {
        b = b.disable_introspection();
    }
    // Last: every scalar it documents has been registered by now.
    b.register_output_type::<docs::SchemaDocs>()
}

/// The SDL as written to `schema.graphql`.
pub fn sdl() -> String {
    let limits = crate::config::Config::from_map(Default::default())
        .map(|c| c.limits)
        .unwrap_or_else(|e| unreachable!("default configuration is valid: {e}"));
    builder(&limits, None)
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}
