//! Candidate profiles go through the approval engine (issue 15) like role
//! and company profiles: DRAFT, submitted as a CANDIDATE/CONTENT request,
//! ACTIVE and APPROVED once a moderator approves it.
//!
//! - `approval_requests.entity_type` gains CANDIDATE.
//! - `candidate_profiles` gains `approval_status` (PENDING, APPROVED,
//!   REJECTED: the values and meaning of `user_role_profiles`),
//!   `rejection_reason` (the reviewer's remarks) and `approved_at`.
//!
//! `down` restores the previous entity types; it fails while CANDIDATE
//! requests exist (approval logs are append-only, so they are not deleted
//! here).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE approval_requests
    DROP CONSTRAINT approval_requests_entity_type_check,
    ADD CONSTRAINT approval_requests_entity_type_check
        CHECK (entity_type IN ('JOB', 'LEAD', 'PROFILE', 'COMPANY', 'WITHDRAWAL', 'ROLE', 'KB_ARTICLE',
                               'VERIFICATION', 'KYC', 'CANDIDATE'));
ALTER TABLE candidate_profiles
    ADD COLUMN approval_status  TEXT NOT NULL DEFAULT 'PENDING',
    ADD COLUMN rejection_reason TEXT,
    ADD COLUMN approved_at      TIMESTAMPTZ,
    ADD CONSTRAINT candidate_profiles_approval_status_check
        CHECK (approval_status IN ('PENDING', 'APPROVED', 'REJECTED'));
"#;

const DOWN: &str = r#"
ALTER TABLE candidate_profiles
    DROP CONSTRAINT candidate_profiles_approval_status_check,
    DROP COLUMN approved_at,
    DROP COLUMN rejection_reason,
    DROP COLUMN approval_status;
ALTER TABLE approval_requests
    DROP CONSTRAINT approval_requests_entity_type_check,
    ADD CONSTRAINT approval_requests_entity_type_check
        CHECK (entity_type IN ('JOB', 'LEAD', 'PROFILE', 'COMPANY', 'WITHDRAWAL', 'ROLE', 'KB_ARTICLE',
                               'VERIFICATION', 'KYC'));
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
