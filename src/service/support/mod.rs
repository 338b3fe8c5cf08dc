//! The support desk: tickets, conversations, clients, who sees what, and
//! the live events behind the ticket subscriptions. Every public operation
//! is `op_in(tx, viewer, ..)` (composable in one transaction) with a thin
//! `op(ctx, viewer, ..)` that opens and commits its own; reads take any
//! connection. Statuses, priorities and kinds are `entity::enums` values.

pub mod clients;
pub mod events;
pub mod live;
pub mod messages;
pub mod perms;
pub(crate) mod rows;
pub mod shared;
pub mod status;
pub mod tickets;
pub mod visibility;
