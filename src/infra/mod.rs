//! Infrastructure: database, embedded PostgreSQL, event bus with its
//! outbox, the job runner, fail-fast Redis, crypto, telemetry.

pub mod crypto;
pub mod db;
pub mod embedded_pg;
pub mod events;
pub mod jobs;
pub mod outbox;
pub mod ratelimit;
pub mod redis;
pub mod storage;
pub mod telemetry;
pub mod tx;
