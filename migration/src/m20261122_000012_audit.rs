//! Audit trail (schema.md section 7).
//!
//! Tables: `audit_logs` (append-only), `audit_log_changes` (append-only).
//!
//! Source tables that land here: 001 audit_logs (all columns) and
//! audit_log_changes; 000 admin_audit_logs (admin_id becomes
//! actor_user_id, details becomes metadata_json); 004 audit_logs (before /
//! after values become before_json / after_json, its error tracking
//! becomes error_message).
//!
//! `entity_id` is a UUID as in 001; an entity keyed otherwise (a reserve is
//! keyed by its currency code) is named in `entity_label`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- audit_logs (000 admin_audit_logs, 001 audit_logs, 004 audit_logs; append-only)
CREATE TABLE audit_logs (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    actor_user_id     UUID,
    actor_employee_id UUID,
    actor_type        TEXT NOT NULL DEFAULT 'USER',
    action            TEXT NOT NULL,
    entity_type       TEXT,
    entity_id         UUID,
    entity_label      TEXT,
    module_key        TEXT,
    source_type       TEXT NOT NULL DEFAULT 'API',
    source_id         UUID,
    request_id        UUID,
    correlation_id    UUID,
    ip_address        TEXT,
    user_agent        TEXT,
    status            TEXT NOT NULL DEFAULT 'SUCCESS',
    summary           TEXT,
    metadata_json     JSONB NOT NULL DEFAULT '{}'::jsonb,
    before_json       JSONB,
    after_json        JSONB,
    error_message     TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT audit_logs_actor_user_id_fkey FOREIGN KEY (actor_user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT audit_logs_actor_employee_id_fkey FOREIGN KEY (actor_employee_id)
        REFERENCES employees (id) ON DELETE RESTRICT,
    CONSTRAINT audit_logs_actor_type_check CHECK (actor_type IN ('USER', 'EMPLOYEE', 'SYSTEM', 'CRON')),
    CONSTRAINT audit_logs_action_check
        CHECK (action IN ('CREATE', 'UPDATE', 'DELETE', 'APPROVE', 'REJECT', 'CANCEL',
                          'ASSIGN', 'UNASSIGN', 'GRANT', 'REVOKE', 'CREDIT', 'DEBIT', 'ADJUST',
                          'REFUND', 'LOGIN', 'LOGIN_FAILED', 'LOGOUT', 'EXPORT')),
    CONSTRAINT audit_logs_module_key_check
        CHECK (module_key IN ('IDENTITY', 'SUPPORT', 'EXCHANGE', 'WALLET', 'COMMERCE', 'APPROVAL',
                              'VERIFICATION', 'MARKETPLACE', 'KNOWLEDGE', 'NOTIFICATION', 'CONFIG',
                              'AUDIT')),
    CONSTRAINT audit_logs_source_type_check CHECK (source_type IN ('UI', 'API', 'WORKER', 'CRON')),
    CONSTRAINT audit_logs_status_check CHECK (status IN ('SUCCESS', 'FAILED'))
);
CREATE INDEX audit_logs_entity_type_entity_id_idx ON audit_logs (entity_type, entity_id);
CREATE INDEX audit_logs_actor_user_id_created_at_idx ON audit_logs (actor_user_id, created_at DESC);
CREATE INDEX audit_logs_actor_employee_id_idx ON audit_logs (actor_employee_id);
CREATE INDEX audit_logs_created_at_id_idx ON audit_logs (created_at DESC, id DESC);
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
CREATE TRIGGER audit_logs_append_only_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION append_only_guard();

-- audit_log_changes (001; append-only)
CREATE TABLE audit_log_changes (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    audit_log_id   UUID NOT NULL,
    field_name     TEXT NOT NULL,
    old_value_text TEXT,
    new_value_text TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT audit_log_changes_audit_log_id_fkey FOREIGN KEY (audit_log_id)
        REFERENCES audit_logs (id) ON DELETE RESTRICT
);
CREATE INDEX audit_log_changes_audit_log_id_idx ON audit_log_changes (audit_log_id);
CREATE TRIGGER audit_log_changes_append_only BEFORE UPDATE OR DELETE ON audit_log_changes
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
CREATE TRIGGER audit_log_changes_append_only_truncate BEFORE TRUNCATE ON audit_log_changes
    FOR EACH STATEMENT EXECUTE FUNCTION append_only_guard();
"#;

const DOWN: &str = r#"
DROP TABLE audit_log_changes;
DROP TABLE audit_logs;
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
