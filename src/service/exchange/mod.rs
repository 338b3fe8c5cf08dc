//! The instant exchange.

pub mod perms;
