//! Approvals and verification (schema.md section 5).
//!
//! Tables: `approval_requests`, `approval_logs` (append-only),
//! `verification_requests`, `verification_documents`, `verification_logs`
//! (append-only).
//!
//! Source tables that land here: the 001 tables of the same names; KYC
//! reviews of 004 are verification requests without a `user_role_profile_id`.
//!
//! Rules enforced here: four eyes (the reviewer is never the submitter) and
//! a rejection carries remarks. Log rows are append-only, so every foreign
//! key into them, and from them to their actors, is `RESTRICT` (a `SET NULL`
//! would be an UPDATE of a log row).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- approval_requests (001)
CREATE TABLE approval_requests (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    entity_type          TEXT NOT NULL,
    entity_id            UUID NOT NULL,
    approval_type        TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'PENDING',
    submitted_by_user_id UUID,
    reviewed_by_user_id  UUID,
    submitted_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    reviewed_at          TIMESTAMPTZ,
    remarks              TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT approval_requests_submitted_by_user_id_fkey FOREIGN KEY (submitted_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT approval_requests_reviewed_by_user_id_fkey FOREIGN KEY (reviewed_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT approval_requests_entity_type_check
        CHECK (entity_type IN ('JOB', 'LEAD', 'PROFILE', 'COMPANY', 'WITHDRAWAL', 'ROLE', 'KB_ARTICLE')),
    CONSTRAINT approval_requests_approval_type_check
        CHECK (approval_type IN ('CONTENT', 'VERIFICATION', 'FEATURE', 'FINANCIAL')),
    CONSTRAINT approval_requests_status_check
        CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED')),
    CONSTRAINT approval_requests_four_eyes_check
        CHECK (reviewed_by_user_id IS NULL OR submitted_by_user_id IS NULL
               OR reviewed_by_user_id <> submitted_by_user_id),
    CONSTRAINT approval_requests_rejection_remarks_check
        CHECK (status <> 'REJECTED' OR btrim(coalesce(remarks, '')) <> '')
);
-- At most one open request per entity and kind.
CREATE UNIQUE INDEX approval_requests_entity_type_entity_id_approval_type_key
    ON approval_requests (entity_type, entity_id, approval_type) WHERE status = 'PENDING';
CREATE INDEX approval_requests_status_submitted_at_idx ON approval_requests (status, submitted_at);
CREATE INDEX approval_requests_entity_type_entity_id_idx ON approval_requests (entity_type, entity_id);
CREATE INDEX approval_requests_submitted_by_user_id_idx ON approval_requests (submitted_by_user_id);
CREATE INDEX approval_requests_reviewed_by_user_id_idx ON approval_requests (reviewed_by_user_id);
CREATE TRIGGER approval_requests_set_updated_at BEFORE UPDATE ON approval_requests
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- approval_logs (001; append-only)
CREATE TABLE approval_logs (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    approval_request_id UUID NOT NULL,
    action              TEXT NOT NULL,
    old_status          TEXT,
    new_status          TEXT,
    acted_by_user_id    UUID,
    remarks             TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT approval_logs_approval_request_id_fkey FOREIGN KEY (approval_request_id)
        REFERENCES approval_requests (id) ON DELETE RESTRICT,
    CONSTRAINT approval_logs_acted_by_user_id_fkey FOREIGN KEY (acted_by_user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT approval_logs_action_check
        CHECK (action IN ('SUBMITTED', 'APPROVED', 'REJECTED', 'CANCELLED', 'COMMENTED')),
    CONSTRAINT approval_logs_old_status_check
        CHECK (old_status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED')),
    CONSTRAINT approval_logs_new_status_check
        CHECK (new_status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED'))
);
CREATE INDEX approval_logs_approval_request_id_idx ON approval_logs (approval_request_id, created_at);
CREATE INDEX approval_logs_acted_by_user_id_idx ON approval_logs (acted_by_user_id);
CREATE TRIGGER approval_logs_append_only BEFORE UPDATE OR DELETE ON approval_logs
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
CREATE TRIGGER approval_logs_append_only_truncate BEFORE TRUNCATE ON approval_logs
    FOR EACH STATEMENT EXECUTE FUNCTION append_only_guard();

-- verification_requests (001 + KYC of 004)
CREATE TABLE verification_requests (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              UUID NOT NULL,
    user_role_profile_id UUID,
    verification_type    TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'PENDING',
    submitted_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    reviewed_at          TIMESTAMPTZ,
    reviewed_by_user_id  UUID,
    remarks              TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT verification_requests_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT verification_requests_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE RESTRICT,
    CONSTRAINT verification_requests_reviewed_by_user_id_fkey FOREIGN KEY (reviewed_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT verification_requests_verification_type_check
        CHECK (verification_type IN ('IDENTITY', 'BUSINESS', 'DOCUMENT')),
    CONSTRAINT verification_requests_status_check
        CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'DOCUMENTS_REQUESTED')),
    CONSTRAINT verification_requests_four_eyes_check
        CHECK (reviewed_by_user_id IS NULL OR reviewed_by_user_id <> user_id),
    CONSTRAINT verification_requests_rejection_remarks_check
        CHECK (status <> 'REJECTED' OR btrim(coalesce(remarks, '')) <> '')
);
CREATE INDEX verification_requests_user_id_idx ON verification_requests (user_id);
CREATE INDEX verification_requests_user_role_profile_id_idx ON verification_requests (user_role_profile_id);
CREATE INDEX verification_requests_reviewed_by_user_id_idx ON verification_requests (reviewed_by_user_id);
CREATE INDEX verification_requests_status_submitted_at_idx ON verification_requests (status, submitted_at);
CREATE TRIGGER verification_requests_set_updated_at BEFORE UPDATE ON verification_requests
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- verification_documents (001)
CREATE TABLE verification_documents (
    id                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    verification_request_id UUID NOT NULL,
    document_type           TEXT NOT NULL,
    file_url                TEXT NOT NULL,
    file_name               TEXT,
    mime_type               TEXT,
    status                  TEXT NOT NULL DEFAULT 'PENDING',
    uploaded_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    reviewed_at             TIMESTAMPTZ,
    reviewed_by_user_id     UUID,
    remarks                 TEXT,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT verification_documents_verification_request_id_fkey FOREIGN KEY (verification_request_id)
        REFERENCES verification_requests (id) ON DELETE CASCADE,
    CONSTRAINT verification_documents_reviewed_by_user_id_fkey FOREIGN KEY (reviewed_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT verification_documents_document_type_check
        CHECK (document_type IN ('ID_FRONT', 'ID_BACK', 'SELFIE', 'PASSPORT', 'ADDRESS_PROOF',
                                 'BUSINESS_REGISTRATION', 'TAX_CERTIFICATE', 'CERTIFICATION', 'OTHER')),
    CONSTRAINT verification_documents_status_check CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED'))
);
CREATE INDEX verification_documents_verification_request_id_idx
    ON verification_documents (verification_request_id);
CREATE INDEX verification_documents_reviewed_by_user_id_idx ON verification_documents (reviewed_by_user_id);
CREATE TRIGGER verification_documents_set_updated_at BEFORE UPDATE ON verification_documents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- verification_logs (001; append-only)
CREATE TABLE verification_logs (
    id                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    verification_request_id UUID NOT NULL,
    action                  TEXT NOT NULL,
    old_status              TEXT,
    new_status              TEXT,
    acted_by_user_id        UUID,
    remarks                 TEXT,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT verification_logs_verification_request_id_fkey FOREIGN KEY (verification_request_id)
        REFERENCES verification_requests (id) ON DELETE RESTRICT,
    CONSTRAINT verification_logs_acted_by_user_id_fkey FOREIGN KEY (acted_by_user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT verification_logs_action_check
        CHECK (action IN ('SUBMITTED', 'APPROVED', 'REJECTED', 'DOCUMENTS_REQUESTED',
                          'DOCUMENT_UPLOADED', 'COMMENTED')),
    CONSTRAINT verification_logs_old_status_check
        CHECK (old_status IN ('PENDING', 'APPROVED', 'REJECTED', 'DOCUMENTS_REQUESTED')),
    CONSTRAINT verification_logs_new_status_check
        CHECK (new_status IN ('PENDING', 'APPROVED', 'REJECTED', 'DOCUMENTS_REQUESTED'))
);
CREATE INDEX verification_logs_verification_request_id_idx
    ON verification_logs (verification_request_id, created_at);
CREATE INDEX verification_logs_acted_by_user_id_idx ON verification_logs (acted_by_user_id);
CREATE TRIGGER verification_logs_append_only BEFORE UPDATE OR DELETE ON verification_logs
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
CREATE TRIGGER verification_logs_append_only_truncate BEFORE TRUNCATE ON verification_logs
    FOR EACH STATEMENT EXECUTE FUNCTION append_only_guard();
"#;

const DOWN: &str = r#"
DROP TABLE verification_logs;
DROP TABLE verification_documents;
DROP TABLE verification_requests;
DROP TABLE approval_logs;
DROP TABLE approval_requests;
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
