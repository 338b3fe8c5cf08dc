//! Credential changes announce themselves: every change that can end or
//! narrow what a signed-in user may do notifies `switchboard_credentials`
//! (payload: the user's id, or `*` when anyone may be affected) from a
//! trigger, in the changing transaction. PostgreSQL delivers it to every
//! listening instance when the transaction commits, so the per-instance
//! session cache (`src/service/identity/session_cache.rs`) and the socket
//! watch (`src/http/sockets.rs`) hear of it whichever path made the change:
//! the API, a job, or an operator in psql.
//!
//! - `user_sessions`: revoked, expiry moved, deleted (not `last_active_at`,
//!   which moves every minute of use);
//! - `users`: any change of the row (standing, profile: the cache holds it);
//! - `user_roles`: granted, changed, withdrawn;
//! - `roles`, `role_permissions`: any change, for everyone (`*`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE FUNCTION notify_credentials_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('switchboard_credentials', changed.id::text);
    ELSE
        PERFORM pg_notify('switchboard_credentials', changed.user_id::text);
        IF TG_OP = 'UPDATE' AND OLD.user_id IS DISTINCT FROM NEW.user_id THEN
            PERFORM pg_notify('switchboard_credentials', OLD.user_id::text);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION notify_credentials_of_row() IS
    'Announces on switchboard_credentials that the changed row''s user must be checked again.';

CREATE FUNCTION notify_credentials_of_everyone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_credentials', '*');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION notify_credentials_of_everyone() IS
    'Announces on switchboard_credentials that every user must be checked again.';

CREATE TRIGGER user_sessions_credentials AFTER UPDATE ON user_sessions
    FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
          OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION notify_credentials_of_row();
CREATE TRIGGER user_sessions_credentials_deleted AFTER DELETE ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION notify_credentials_of_row();
CREATE TRIGGER users_credentials AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_credentials_of_row();
CREATE TRIGGER user_roles_credentials AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION notify_credentials_of_row();
CREATE TRIGGER roles_credentials AFTER UPDATE OR DELETE OR TRUNCATE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION notify_credentials_of_everyone();
CREATE TRIGGER role_permissions_credentials AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_credentials_of_everyone();
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS role_permissions_credentials ON role_permissions;
DROP TRIGGER IF EXISTS roles_credentials ON roles;
DROP TRIGGER IF EXISTS user_roles_credentials ON user_roles;
DROP TRIGGER IF EXISTS users_credentials ON users;
DROP TRIGGER IF EXISTS user_sessions_credentials_deleted ON user_sessions;
DROP TRIGGER IF EXISTS user_sessions_credentials ON user_sessions;
DROP FUNCTION IF EXISTS notify_credentials_of_everyone();
DROP FUNCTION IF EXISTS notify_credentials_of_row();
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
