//! Schema assembly: one merged root per operation type, the limits of the
//! API, and the extensions every request runs through.

pub mod commerce;
pub mod context;
pub mod convert;
pub mod extensions;
pub mod guard;
pub mod identity;
pub mod loaders;
pub mod notification;
pub mod pagination;
pub mod persisted;
pub mod scalars;
pub mod support;
pub mod system;
pub mod wallet;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::config::Limits;

/// Every domain's queries.
#[derive(MergedObject, Default)]
pub struct Query(
    system::SystemQuery,
    identity::IdentityQuery,
    identity::oauth::OAuthQuery,
    support::SupportQuery,
    notification::NotificationQuery,
    wallet::WalletQuery,
    commerce::CommerceQuery,
);

/// Every domain's subscriptions.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    system::SystemSubscription,
    support::SupportSubscription,
    wallet::WalletSubscription,
);

/// Every domain's mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    identity::oauth::OAuthMutation,
    support::SupportMutation,
    notification::NotificationMutation,
    wallet::WalletMutation,
    commerce::CommerceMutation,
);

/// The executable schema.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its limits, before runtime data is attached. Exporting
/// the SDL needs nothing more; serving adds the context.
pub fn builder(limits: &Limits) -> SchemaBuilder<Query, Mutation, Subscription> {
    // `max_depth` and `max_complexity` are the guard's: it measures
    // introspection apart (see `guard::limits`), which async-graphql's
    // `limit_depth`/`limit_complexity` cannot.
    let mut b = Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .limit_recursive_depth(guard::MAX_RECURSIVE_DEPTH)
        .limit_directives(16)
        // First, so it runs before anything else parses or expands the
        // document (persisted queries are registered after this).
        .extension(guard::Guard(guard::GuardLimits::from_limits(limits)))
        .extension(extensions::Observe {
            introspection: limits.introspection,
        });
    if !limits.introspection {
        b = b.disable_introspection();
    }
    b
}

/// The SDL as written to `schema.graphql`.
pub fn sdl() -> String {
    let limits = crate::config::Config::from_map(Default::default())
        .map(|c| c.limits)
        .unwrap_or_else(|e| unreachable!("default configuration is valid: {e}"));
    builder(&limits).finish().sdl()
}
