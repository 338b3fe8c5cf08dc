//! Notifications and e-mail (schema.md section 7).
//!
//! Tables: `notification_templates`, `notifications`, `email_logs`,
//! `smtp_configs` (password in `password_encrypted`).
//!
//! Source tables that land here: 001 notification_templates,
//! notifications, email_logs, smtp_configs; 004 notifications (type becomes
//! kind, is_read becomes status READ plus read_at).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- notification_templates (001; IN_APP added to match notifications.channel)
CREATE TABLE notification_templates (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    template_key   TEXT NOT NULL,
    channel        TEXT NOT NULL,
    title_template TEXT NOT NULL,
    body_template  TEXT NOT NULL,
    is_active      BOOLEAN NOT NULL DEFAULT true,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notification_templates_template_key_key UNIQUE (template_key),
    CONSTRAINT notification_templates_channel_check CHECK (channel IN ('EMAIL', 'SMS', 'PUSH', 'IN_APP'))
);
CREATE TRIGGER notification_templates_set_updated_at BEFORE UPDATE ON notification_templates
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- notifications (001 + 004 merged)
CREATE TABLE notifications (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    channel             TEXT NOT NULL DEFAULT 'IN_APP',
    kind                TEXT NOT NULL DEFAULT 'SYSTEM',
    title               TEXT NOT NULL,
    body                TEXT,
    data                JSONB NOT NULL DEFAULT '{}'::jsonb,
    action_url          TEXT,
    status              TEXT NOT NULL DEFAULT 'PENDING',
    related_entity_type TEXT,
    related_entity_id   UUID,
    sent_at             TIMESTAMPTZ,
    read_at             TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT notifications_channel_check CHECK (channel IN ('EMAIL', 'SMS', 'PUSH', 'IN_APP')),
    CONSTRAINT notifications_kind_check
        CHECK (kind IN ('TRANSACTION', 'WITHDRAWAL', 'DEPOSIT', 'TRADE', 'ALERT', 'SYSTEM',
                        'PROMOTION', 'TICKET', 'APPROVAL')),
    CONSTRAINT notifications_status_check CHECK (status IN ('PENDING', 'SENT', 'READ')),
    CONSTRAINT notifications_related_entity_check
        CHECK ((related_entity_type IS NULL) = (related_entity_id IS NULL))
);
CREATE INDEX notifications_user_id_created_at_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_user_id_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
CREATE TRIGGER notifications_set_updated_at BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- email_logs (001)
CREATE TABLE email_logs (
    id                       UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                  UUID,
    notification_template_id UUID,
    to_email                 TEXT NOT NULL,
    subject                  TEXT,
    body_snapshot            TEXT,
    status                   TEXT NOT NULL DEFAULT 'PENDING',
    provider_reference       TEXT,
    error_message            TEXT,
    sent_at                  TIMESTAMPTZ,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT email_logs_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT email_logs_notification_template_id_fkey FOREIGN KEY (notification_template_id)
        REFERENCES notification_templates (id) ON DELETE SET NULL,
    CONSTRAINT email_logs_status_check CHECK (status IN ('PENDING', 'SENT', 'FAILED'))
);
CREATE INDEX email_logs_user_id_idx ON email_logs (user_id);
CREATE INDEX email_logs_notification_template_id_idx ON email_logs (notification_template_id);
CREATE INDEX email_logs_status_created_at_idx ON email_logs (status, created_at);
CREATE TRIGGER email_logs_set_updated_at BEFORE UPDATE ON email_logs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- smtp_configs (001; password_encrypted added; at most one default)
CREATE TABLE smtp_configs (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    provider_name      TEXT NOT NULL,
    host               TEXT NOT NULL,
    port               INTEGER NOT NULL DEFAULT 587,
    username           TEXT,
    password_encrypted BYTEA,
    encryption_mode    TEXT NOT NULL DEFAULT 'TLS',
    from_name          TEXT,
    from_email         TEXT NOT NULL,
    is_default         BOOLEAN NOT NULL DEFAULT false,
    is_active          BOOLEAN NOT NULL DEFAULT true,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT smtp_configs_port_check CHECK (port BETWEEN 1 AND 65535),
    CONSTRAINT smtp_configs_encryption_mode_check
        CHECK (encryption_mode IN ('SSL', 'TLS', 'STARTTLS', 'NONE'))
);
CREATE UNIQUE INDEX smtp_configs_is_default_key ON smtp_configs (is_default) WHERE is_default;
CREATE TRIGGER smtp_configs_set_updated_at BEFORE UPDATE ON smtp_configs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
"#;

const DOWN: &str = r#"
DROP TABLE smtp_configs;
DROP TABLE email_logs;
DROP TABLE notifications;
DROP TABLE notification_templates;
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
