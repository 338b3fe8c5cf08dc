//! Business rules, one module per domain. No async-graphql here: services
//! take a [`crate::service::identity::Viewer`] and a connection, decide
//! authorization, write audit rows and queue events.

pub mod approval;
pub mod audit;
pub mod commerce;
pub mod custody;
pub mod exchange;
pub mod identity;
pub mod marketplace;
pub mod money;
pub mod notification;
pub mod page;
pub mod support;
pub mod verification;
pub mod wallet;
