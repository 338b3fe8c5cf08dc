//! Infrastructure: database, embedded PostgreSQL, event bus, crypto, telemetry.

pub mod crypto;
pub mod db;
pub mod embedded_pg;
pub mod events;
pub mod ratelimit;
pub mod telemetry;
