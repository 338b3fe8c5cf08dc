//! Switchboard: one GraphQL backend for the support desk, the instant
//! exchange, wallets and commerce, and marketplace approvals.

pub mod app;
pub mod config;
pub mod error;
pub mod graphql;
pub mod http;
pub mod infra;
pub mod seed;
pub mod service;
