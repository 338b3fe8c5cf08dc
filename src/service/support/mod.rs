//! The support desk: tickets, conversations, clients, who sees what, and
//! the live events behind the ticket subscriptions.

pub mod clients;
pub mod events;
pub mod messages;
pub mod perms;
pub mod status;
pub mod tickets;
pub mod visibility;
