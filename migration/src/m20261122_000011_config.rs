//! Dashboards and runtime configuration (schema.md section 7).
//!
//! Tables: `dashboard_configs`, `dashboard_widgets`, `runtime_configs`
//! (unique (config_group, config_key)).
//!
//! Source tables that land here: the 001 tables of the same names.
//! Rotating-address thresholds are not here: they live on `currencies`
//! (exchange migration), typed and next to the currency they govern.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- dashboard_configs (001); owner_id is a role id or a user id, after owner_type
CREATE TABLE dashboard_configs (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    dashboard_type TEXT NOT NULL,
    owner_type     TEXT NOT NULL,
    owner_id       UUID,
    name           TEXT NOT NULL,
    layout_json    JSONB NOT NULL DEFAULT '{}'::jsonb,
    is_default     BOOLEAN NOT NULL DEFAULT false,
    is_active      BOOLEAN NOT NULL DEFAULT true,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT dashboard_configs_dashboard_type_check CHECK (dashboard_type IN ('INTERNAL', 'EXTERNAL')),
    CONSTRAINT dashboard_configs_owner_type_check CHECK (owner_type IN ('ROLE', 'USER'))
);
CREATE INDEX dashboard_configs_owner_idx ON dashboard_configs (owner_type, owner_id);
CREATE TRIGGER dashboard_configs_set_updated_at BEFORE UPDATE ON dashboard_configs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- dashboard_widgets (001)
CREATE TABLE dashboard_widgets (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    dashboard_config_id UUID NOT NULL,
    widget_key          TEXT NOT NULL,
    widget_title        TEXT,
    config_json         JSONB NOT NULL DEFAULT '{}'::jsonb,
    display_order       INTEGER NOT NULL DEFAULT 0,
    width_units         INTEGER NOT NULL DEFAULT 1,
    height_units        INTEGER NOT NULL DEFAULT 1,
    is_visible          BOOLEAN NOT NULL DEFAULT true,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT dashboard_widgets_dashboard_config_id_fkey FOREIGN KEY (dashboard_config_id)
        REFERENCES dashboard_configs (id) ON DELETE CASCADE,
    CONSTRAINT dashboard_widgets_width_units_check CHECK (width_units > 0),
    CONSTRAINT dashboard_widgets_height_units_check CHECK (height_units > 0)
);
CREATE INDEX dashboard_widgets_dashboard_config_id_idx ON dashboard_widgets (dashboard_config_id, display_order);
CREATE TRIGGER dashboard_widgets_set_updated_at BEFORE UPDATE ON dashboard_widgets
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- runtime_configs (001)
CREATE TABLE runtime_configs (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    config_group      TEXT NOT NULL,
    config_key        TEXT NOT NULL,
    config_value_json JSONB NOT NULL,
    is_active         BOOLEAN NOT NULL DEFAULT true,
    description       TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT runtime_configs_config_group_config_key_key UNIQUE (config_group, config_key)
);
CREATE TRIGGER runtime_configs_set_updated_at BEFORE UPDATE ON runtime_configs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
"#;

const DOWN: &str = r#"
DROP TABLE runtime_configs;
DROP TABLE dashboard_widgets;
DROP TABLE dashboard_configs;
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
