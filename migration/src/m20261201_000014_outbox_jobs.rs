//! The transactional outbox and the durable job runner.
//!
//! - `event_outbox`: events written by the transaction that causes them
//!   and relayed to the bus after it commits (`src/infra/outbox.rs`). The
//!   key is a sequence rather than a UUID because it is the delivery order:
//!   rows are numbered at the very end of their transaction, and the relay
//!   deletes them once they are on the bus, so the table stays small.
//! - `background_jobs`: one queue for all background work (the relay
//!   itself, later expiry, pool refill, email), claimed with `FOR UPDATE
//!   SKIP LOCKED` under a lease (`src/infra/jobs.rs`). Named so because
//!   `jobs` is the marketplace's job postings. `singleton_key` makes a job
//!   exist once (recurring work such as the relay); `repeat_every_ms`
//!   re-queues it after each run instead of deleting it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE event_outbox (
    id BIGSERIAL PRIMARY KEY,
    topic TEXT NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE event_outbox IS
    'Committed events not yet relayed to the bus, in delivery order (id).';

CREATE TABLE background_jobs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    kind TEXT NOT NULL,
    payload JSONB NOT NULL DEFAULT '{}'::jsonb,
    status TEXT NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'FAILED')),
    run_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts INTEGER NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
    last_error TEXT,
    locked_by TEXT,
    locked_until TIMESTAMPTZ,
    singleton_key TEXT UNIQUE,
    repeat_every_ms BIGINT CHECK (repeat_every_ms > 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'RUNNING') = (locked_until IS NOT NULL))
);
CREATE INDEX background_jobs_due_idx ON background_jobs (run_at) WHERE status = 'QUEUED';
CREATE INDEX background_jobs_lease_idx ON background_jobs (locked_until) WHERE status = 'RUNNING';
CREATE TRIGGER background_jobs_updated_at BEFORE UPDATE ON background_jobs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
COMMENT ON TABLE background_jobs IS
    'Durable background work, claimed with FOR UPDATE SKIP LOCKED under a lease.';
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS background_jobs;
DROP TABLE IF EXISTS event_outbox;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
