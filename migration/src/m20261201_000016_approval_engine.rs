//! The approval engine, verification uploads and KYC reviews (issue 12).
//!
//! - `approval_requests` gains the proposed change (`payload`: for an edit
//!   the old and new values), a deadline (`expires_at`, from the approval
//!   type's policy), whether its remarks are internal to reviewers, and
//!   the status EXPIRED; KYC and VERIFICATION join the entity types.
//! - A trigger refuses any move out of a closed status and any review by
//!   the submitter (the CHECK covers the columns; the trigger also covers a
//!   submitter re-set afterwards), so no code path skips the checker.
//! - `approval_logs` gains EXPIRED and `is_internal` (remarks for reviewers
//!   only).
//! - `verification_documents` gains the stored object's key, size and
//!   SHA-256; `file_url` keeps the key for the source column's sake.
//! - `user_kyc` gains the approval request that reviews it.
//! - Policies per approval type live in `runtime_configs` (group
//!   `approval_policy`): the permission that reviews it, when a pending
//!   request expires, when it is overdue. KYC validity in group `kyc`.
//! - Permissions per approval type: `approvals.review.content` (moderators)
//!   and `approvals.review.financial` (finance); `verification.review`
//!   reviews VERIFICATION; `approvals.review` reviews every type. A
//!   `moderator` role holds the content reviews.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE approval_requests
    ADD COLUMN payload          JSONB NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN expires_at       TIMESTAMPTZ,
    ADD COLUMN remarks_internal BOOLEAN NOT NULL DEFAULT false,
    DROP CONSTRAINT approval_requests_status_check,
    ADD CONSTRAINT approval_requests_status_check
        CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'EXPIRED')),
    DROP CONSTRAINT approval_requests_entity_type_check,
    ADD CONSTRAINT approval_requests_entity_type_check
        CHECK (entity_type IN ('JOB', 'LEAD', 'PROFILE', 'COMPANY', 'WITHDRAWAL', 'ROLE', 'KB_ARTICLE',
                               'VERIFICATION', 'KYC')),
    ADD CONSTRAINT approval_requests_payload_check CHECK (jsonb_typeof(payload) = 'object');
CREATE INDEX approval_requests_pending_expires_at_idx ON approval_requests (expires_at) WHERE status = 'PENDING';
CREATE INDEX approval_requests_approval_type_status_submitted_at_idx
    ON approval_requests (approval_type, status, submitted_at, id);

-- Closed requests stay closed; the submitter never reviews.
CREATE FUNCTION approval_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'PENDING' AND NEW.status IS DISTINCT FROM OLD.status THEN
        RAISE EXCEPTION 'approval request % is already %', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'approval_requests_closed_check';
    END IF;
    IF NEW.reviewed_by_user_id IS NOT NULL
       AND NEW.reviewed_by_user_id = coalesce(NEW.submitted_by_user_id, OLD.submitted_by_user_id) THEN
        RAISE EXCEPTION 'nobody reviews their own request'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'approval_requests_four_eyes_check';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER approval_requests_guard BEFORE UPDATE ON approval_requests
    FOR EACH ROW EXECUTE FUNCTION approval_requests_guard();

ALTER TABLE approval_logs
    ADD COLUMN is_internal BOOLEAN NOT NULL DEFAULT false,
    DROP CONSTRAINT approval_logs_action_check,
    ADD CONSTRAINT approval_logs_action_check
        CHECK (action IN ('SUBMITTED', 'APPROVED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'COMMENTED')),
    DROP CONSTRAINT approval_logs_old_status_check,
    ADD CONSTRAINT approval_logs_old_status_check
        CHECK (old_status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'EXPIRED')),
    DROP CONSTRAINT approval_logs_new_status_check,
    ADD CONSTRAINT approval_logs_new_status_check
        CHECK (new_status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'EXPIRED'));

ALTER TABLE verification_documents
    ADD COLUMN storage_key TEXT,
    ADD COLUMN size_bytes  BIGINT,
    ADD COLUMN sha256      TEXT,
    ADD CONSTRAINT verification_documents_size_bytes_check CHECK (size_bytes >= 0),
    ADD CONSTRAINT verification_documents_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$');

ALTER TABLE user_kyc
    ADD COLUMN approval_request_id UUID,
    ADD CONSTRAINT user_kyc_approval_request_id_fkey FOREIGN KEY (approval_request_id)
        REFERENCES approval_requests (id) ON DELETE RESTRICT;
CREATE INDEX user_kyc_approval_request_id_idx ON user_kyc (approval_request_id);
CREATE INDEX user_kyc_verified_expires_at_idx ON user_kyc (expires_at) WHERE status = 'VERIFIED';

INSERT INTO runtime_configs (config_group, config_key, config_value_json, description) VALUES
    ('approval_policy', 'CONTENT',
     '{"reviewPermission": "approvals.review.content", "expiresAfterHours": 336, "slaHours": 24}',
     'Content approvals (jobs, leads, profiles, articles): reviewed by moderators'),
    ('approval_policy', 'FEATURE',
     '{"reviewPermission": "approvals.review.content", "expiresAfterHours": 336, "slaHours": 48}',
     'Feature requests (featured listings): reviewed by moderators'),
    ('approval_policy', 'VERIFICATION',
     '{"reviewPermission": "verification.review", "expiresAfterHours": 720, "slaHours": 48}',
     'Verification, KYC and role requests: reviewed by compliance'),
    ('approval_policy', 'FINANCIAL',
     '{"reviewPermission": "approvals.review.financial", "expiresAfterHours": 72, "slaHours": 4}',
     'Financial approvals (withdrawals): reviewed by finance'),
    ('kyc', 'validity',
     '{"validDays": 365}',
     'How long a verified KYC stays VERIFIED before it expires');

UPDATE permissions SET description = 'Review approval requests of every approval type'
    WHERE key = 'approvals.review';
INSERT INTO permissions (key, name, description) VALUES
    ('approvals.review.content', 'Review content approvals', 'Approve or reject CONTENT and FEATURE requests'),
    ('approvals.review.financial', 'Review financial approvals', 'Approve or reject FINANCIAL requests');

INSERT INTO roles (key, name, audience, description, department_id, can_approve_requests, can_manage_system_settings)
VALUES ('moderator', 'Moderator', 'INTERNAL', 'Reviews content: jobs, leads, profiles, reviews and articles',
        NULL, true, false);

INSERT INTO role_permissions (role_id, permission_key)
SELECT r.id, g.permission_key
FROM roles r
JOIN (VALUES
    ('super_admin', 'approvals.review.content'),
    ('super_admin', 'approvals.review.financial'),
    ('admin', 'approvals.review.content'),
    ('admin', 'approvals.review.financial'),
    ('finance', 'approvals.review.financial'),
    ('moderator', 'approvals.review.content'),
    ('moderator', 'marketplace.profiles.manage'),
    ('moderator', 'marketplace.reviews.moderate'),
    ('moderator', 'kb.read_internal')
) AS g (role_key, permission_key) ON g.role_key = r.key;
-- Compliance reviews verification (and KYC, and role requests) only.
DELETE FROM role_permissions
WHERE permission_key = 'approvals.review' AND role_id = (SELECT id FROM roles WHERE key = 'compliance');
"#;

const DOWN: &str = r#"
INSERT INTO role_permissions (role_id, permission_key)
SELECT id, 'approvals.review' FROM roles WHERE key = 'compliance';
DELETE FROM role_permissions WHERE permission_key IN ('approvals.review.content', 'approvals.review.financial');
DELETE FROM role_permissions WHERE role_id = (SELECT id FROM roles WHERE key = 'moderator');
DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE key = 'moderator');
DELETE FROM roles WHERE key = 'moderator';
DELETE FROM permissions WHERE key IN ('approvals.review.content', 'approvals.review.financial');
UPDATE permissions SET description = 'Approve or reject approval requests' WHERE key = 'approvals.review';
DELETE FROM runtime_configs WHERE config_group IN ('approval_policy', 'kyc');
DROP INDEX user_kyc_verified_expires_at_idx;
DROP INDEX user_kyc_approval_request_id_idx;
ALTER TABLE user_kyc DROP COLUMN approval_request_id;
ALTER TABLE verification_documents
    DROP COLUMN storage_key, DROP COLUMN size_bytes, DROP COLUMN sha256;
ALTER TABLE approval_logs
    DROP COLUMN is_internal,
    DROP CONSTRAINT approval_logs_action_check,
    ADD CONSTRAINT approval_logs_action_check
        CHECK (action IN ('SUBMITTED', 'APPROVED', 'REJECTED', 'CANCELLED', 'COMMENTED')),
    DROP CONSTRAINT approval_logs_old_status_check,
    ADD CONSTRAINT approval_logs_old_status_check
        CHECK (old_status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED')),
    DROP CONSTRAINT approval_logs_new_status_check,
    ADD CONSTRAINT approval_logs_new_status_check
        CHECK (new_status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED'));
DROP TRIGGER approval_requests_guard ON approval_requests;
DROP FUNCTION approval_requests_guard();
DROP INDEX approval_requests_approval_type_status_submitted_at_idx;
DROP INDEX approval_requests_pending_expires_at_idx;
ALTER TABLE approval_requests
    DROP CONSTRAINT approval_requests_payload_check,
    DROP COLUMN payload, DROP COLUMN expires_at, DROP COLUMN remarks_internal,
    DROP CONSTRAINT approval_requests_status_check,
    ADD CONSTRAINT approval_requests_status_check
        CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED')),
    DROP CONSTRAINT approval_requests_entity_type_check,
    ADD CONSTRAINT approval_requests_entity_type_check
        CHECK (entity_type IN ('JOB', 'LEAD', 'PROFILE', 'COMPANY', 'WITHDRAWAL', 'ROLE', 'KB_ARTICLE'));
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
