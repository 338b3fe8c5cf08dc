//! Integration tests: the real server, over HTTP and WebSocket, against
//! real PostgreSQL (and Redis for fan-out). One binary, one module per area.

mod support;

mod abuse;
mod approvals;
mod authz_matrix;
mod cli;
mod commerce;
mod commerce_loaders;
mod custody;
mod custody_withdrawals;
mod entities;
mod enums;
mod events;
mod exchange;
mod exchange_market;
mod exchange_pool;
mod graphiql;
mod hardening;
mod http_conformance;
mod identity;
mod identity_typed;
mod introspection;
mod kyc;
mod layout;
mod oauth;
mod operations;
mod operations_outage;
mod outbox;
mod schema_file;
mod schema_model;
mod seed_demo;
mod seed_scale;
mod session_cache;
mod storage;
mod support_authz;
mod support_desk;
mod support_fanout;
mod support_messages;
mod verification;
mod wallet;
mod websocket;
mod ws_sessions;
