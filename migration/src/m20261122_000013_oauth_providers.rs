//! Linked sign-in identities of any configured OpenID Connect provider.
//!
//! `user_oauth_accounts.provider` was limited to six fixed names (source
//! 003). Providers are now configured by the operator
//! (`SWITCHBOARD_OIDC_PROVIDERS`) under names of their choosing, so the
//! fixed list becomes a format check: an upper-case name of 1 to 32
//! letters, digits or `_`, starting with a letter. `down` restores the
//! original list exactly (and fails if rows of other providers exist).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE user_oauth_accounts DROP CONSTRAINT user_oauth_accounts_provider_check;
ALTER TABLE user_oauth_accounts ADD CONSTRAINT user_oauth_accounts_provider_check
    CHECK (provider ~ '^[A-Z][A-Z0-9_]{0,31}$');
"#;

const DOWN: &str = r#"
ALTER TABLE user_oauth_accounts DROP CONSTRAINT user_oauth_accounts_provider_check;
ALTER TABLE user_oauth_accounts ADD CONSTRAINT user_oauth_accounts_provider_check
    CHECK (provider IN ('GOOGLE', 'GITHUB', 'SLACK', 'MICROSOFT', 'APPLE', 'FACEBOOK'));
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
