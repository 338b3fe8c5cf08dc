//! Foundation: the trigger functions every later migration uses.
//!
//! - `set_updated_at()`: a `BEFORE UPDATE` row trigger that stamps
//!   `updated_at = now()`, so raw SQL updates keep the column right too.
//! - `append_only_guard()`: raises on `UPDATE`, `DELETE` (row triggers) and
//!   `TRUNCATE` (statement trigger) of an append-only table, with
//!   SQLSTATE `P0001` and the message `<table> is append-only`.
//!
//! No source table lands here. `gen_random_uuid()` is built into
//! PostgreSQL 13+, so no extension is needed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION set_updated_at() IS
    'BEFORE UPDATE row trigger: keeps updated_at current for every writer.';

CREATE OR REPLACE FUNCTION append_only_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'P0001',
              DETAIL = format('%s on %s is not allowed', TG_OP, TG_TABLE_NAME),
              HINT = 'Write a new (compensating) row instead.';
END;
$$;

COMMENT ON FUNCTION append_only_guard() IS
    'Raises SQLSTATE P0001 "<table> is append-only" on UPDATE, DELETE and TRUNCATE.';
"#;

const DOWN: &str = r#"
DROP FUNCTION append_only_guard();
DROP FUNCTION set_updated_at();
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
