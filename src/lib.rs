//! Switchboard: one GraphQL backend for the support desk, the instant
//! exchange, wallets and commerce, and marketplace approvals.

// Proving the merged GraphQL roots' resolver futures `Send` walks deep
// (Redis connection futures inside the sign-in paths); the default 128
// is just short of it.
#![recursion_limit = "256"]

pub mod app;
pub mod config;
pub mod error;
pub mod graphql;
pub mod http;
pub mod infra;
pub mod seed;
pub mod service;
