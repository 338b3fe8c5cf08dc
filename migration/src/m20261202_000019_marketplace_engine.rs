//! The marketplace engine (issue 15) on top of the source-001 tables:
//!
//! - `user_role_profiles` gains `tags` (GIN), a generated `search_vector`
//!   (name and tags weigh A, location B, bio C), `rating` and `review_count`
//!   kept by a trigger on `reviews` (PUBLISHED ones only), and
//!   `price_from_inr`, the lowest active service price, kept by a trigger
//!   on `services`. Search reads these columns, never aggregates per row.
//! - `company_profiles` gains `rating` and `review_count` the same way.
//! - `leads` gains the contact details (`contact_name`, `contact_email`,
//!   `contact_phone`), a snapshot of the poster's at creation, shown only to
//!   the owner, moderators and professionals who unlocked the lead.
//! - `lead_unlocks`: one row per (lead, professional profile) that paid,
//!   with the tracecoins and ledger entry; the unique key makes concurrent
//!   unlocks pay once.
//! - `jobs.posting_order_id` (unique): the paid JOB_POSTING order a job
//!   used, or `posting_ledger_entry_id`, the tracecoin debit it paid.
//! - `portfolio_images` gains the stored image's facts and its thumbnail.
//! - `notifications.kind` gains MARKETPLACE; permission `marketplace.use`
//!   (self-service scope); runtime config `marketplace/pricing`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE user_role_profiles
    ADD COLUMN tags           TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN rating         NUMERIC(3, 2) NOT NULL DEFAULT 0,
    ADD COLUMN review_count   INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN price_from_inr BIGINT,
    ADD CONSTRAINT user_role_profiles_rating_check CHECK (rating BETWEEN 0 AND 5),
    ADD CONSTRAINT user_role_profiles_review_count_check CHECK (review_count >= 0);
CREATE INDEX user_role_profiles_tags_idx ON user_role_profiles USING GIN (tags);
CREATE INDEX user_role_profiles_public_idx ON user_role_profiles (role_key, created_at DESC)
    WHERE status = 'ACTIVE' AND approval_status = 'APPROVED' AND is_profile_public;

-- The search document: name and tags weigh A, location B, bio C. Declared
-- IMMUTABLE (array_to_string over text[] is) so it can feed a generated column.
CREATE FUNCTION marketplace_profile_document(name TEXT, tags TEXT[], location TEXT, bio TEXT)
RETURNS TSVECTOR LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(array_to_string(tags, ' '), '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(location, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(bio, '')), 'C')
$$;
ALTER TABLE user_role_profiles ADD COLUMN search_vector TSVECTOR GENERATED ALWAYS AS (
    marketplace_profile_document(display_name, tags, location, bio)) STORED;
CREATE INDEX user_role_profiles_search_vector_idx ON user_role_profiles USING GIN (search_vector);

ALTER TABLE company_profiles
    ADD COLUMN rating       NUMERIC(3, 2) NOT NULL DEFAULT 0,
    ADD COLUMN review_count INTEGER NOT NULL DEFAULT 0;

CREATE FUNCTION reviews_refresh_rating() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    FOR r IN
        SELECT DISTINCT t.entity_type, t.entity_id FROM (
            SELECT NEW.entity_type AS entity_type, NEW.entity_id AS entity_id WHERE TG_OP <> 'DELETE'
            UNION ALL
            SELECT OLD.entity_type, OLD.entity_id WHERE TG_OP <> 'INSERT'
        ) t
    LOOP
        IF r.entity_type = 'PROFESSIONAL' THEN
            UPDATE user_role_profiles p SET
                rating = coalesce((SELECT round(avg(v.rating), 2) FROM reviews v
                    WHERE v.entity_type = 'PROFESSIONAL' AND v.entity_id = p.id AND v.status = 'PUBLISHED'), 0),
                review_count = (SELECT count(*) FROM reviews v
                    WHERE v.entity_type = 'PROFESSIONAL' AND v.entity_id = p.id AND v.status = 'PUBLISHED')
            WHERE p.id = r.entity_id;
        ELSIF r.entity_type = 'COMPANY' THEN
            UPDATE company_profiles p SET
                rating = coalesce((SELECT round(avg(v.rating), 2) FROM reviews v
                    WHERE v.entity_type = 'COMPANY' AND v.entity_id = p.id AND v.status = 'PUBLISHED'), 0),
                review_count = (SELECT count(*) FROM reviews v
                    WHERE v.entity_type = 'COMPANY' AND v.entity_id = p.id AND v.status = 'PUBLISHED')
            WHERE p.id = r.entity_id;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER reviews_refresh_rating_trg
    AFTER INSERT OR UPDATE OF status, rating, entity_id OR DELETE ON reviews
    FOR EACH ROW EXECUTE FUNCTION reviews_refresh_rating();
UPDATE reviews SET status = status;

CREATE FUNCTION services_refresh_price_from() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_role_profiles p SET price_from_inr =
        (SELECT min(s.price_inr) FROM services s WHERE s.user_role_profile_id = p.id AND s.is_active)
    WHERE p.id IN (
        SELECT NEW.user_role_profile_id WHERE TG_OP <> 'DELETE'
        UNION SELECT OLD.user_role_profile_id WHERE TG_OP <> 'INSERT');
    RETURN NULL;
END $$;
CREATE TRIGGER services_refresh_price_from_trg
    AFTER INSERT OR UPDATE OF price_inr, is_active, user_role_profile_id OR DELETE ON services
    FOR EACH ROW EXECUTE FUNCTION services_refresh_price_from();
UPDATE services SET price_inr = price_inr;
CREATE INDEX user_role_profiles_price_from_inr_idx ON user_role_profiles (price_from_inr);
CREATE INDEX services_active_idx ON services (user_role_profile_id, price_inr) WHERE is_active;

ALTER TABLE leads
    ADD COLUMN contact_name  TEXT,
    ADD COLUMN contact_email TEXT,
    ADD COLUMN contact_phone TEXT;
UPDATE leads l SET contact_name = u.display_name, contact_email = u.email, contact_phone = u.phone
FROM users u WHERE u.id = l.created_by_user_id;

CREATE TABLE lead_unlocks (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    lead_id              UUID NOT NULL,
    user_role_profile_id UUID NOT NULL,
    user_id              UUID NOT NULL,
    tracecoins           BIGINT NOT NULL,
    ledger_entry_id      UUID,
    idempotency_key      TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT lead_unlocks_lead_id_fkey FOREIGN KEY (lead_id)
        REFERENCES leads (id) ON DELETE CASCADE,
    CONSTRAINT lead_unlocks_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT lead_unlocks_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT lead_unlocks_ledger_entry_id_fkey FOREIGN KEY (ledger_entry_id)
        REFERENCES wallet_ledger (id) ON DELETE RESTRICT,
    CONSTRAINT lead_unlocks_lead_id_user_role_profile_id_key UNIQUE (lead_id, user_role_profile_id),
    CONSTRAINT lead_unlocks_user_id_idempotency_key_key UNIQUE (user_id, idempotency_key),
    CONSTRAINT lead_unlocks_tracecoins_check CHECK (tracecoins >= 0),
    CONSTRAINT lead_unlocks_idempotency_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 200)
);
CREATE INDEX lead_unlocks_user_role_profile_id_idx ON lead_unlocks (user_role_profile_id);

ALTER TABLE jobs
    ADD COLUMN posting_order_id        UUID,
    ADD COLUMN posting_ledger_entry_id UUID,
    ADD CONSTRAINT jobs_posting_order_id_fkey FOREIGN KEY (posting_order_id)
        REFERENCES orders (id) ON DELETE RESTRICT,
    ADD CONSTRAINT jobs_posting_ledger_entry_id_fkey FOREIGN KEY (posting_ledger_entry_id)
        REFERENCES wallet_ledger (id) ON DELETE RESTRICT,
    ADD CONSTRAINT jobs_posting_order_id_key UNIQUE (posting_order_id);
CREATE INDEX job_applications_job_id_created_at_idx ON job_applications (job_id, created_at DESC);

ALTER TABLE portfolio_images
    ADD COLUMN thumbnail_url TEXT,
    ADD COLUMN mime_type     TEXT,
    ADD COLUMN byte_size     BIGINT,
    ADD COLUMN width         INTEGER,
    ADD COLUMN height        INTEGER,
    ADD COLUMN sha256        TEXT;

ALTER TABLE notifications
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check
        CHECK (kind IN ('TRANSACTION', 'WITHDRAWAL', 'DEPOSIT', 'TRADE', 'ALERT', 'SYSTEM',
                        'PROMOTION', 'TICKET', 'APPROVAL', 'MARKETPLACE'));

INSERT INTO runtime_configs (config_group, config_key, config_value_json, description) VALUES
    ('marketplace', 'pricing',
     '{"leadUnlockTracecoins": 20, "jobPostingTracecoins": 50}',
     'Tracecoins a professional pays to unlock a lead''s contact, and a company pays to post a job without a JOB_POSTING package');

INSERT INTO permissions (key, name, description) VALUES
    ('marketplace.use', 'Use the marketplace',
     'Keep one''s own professional, company, customer and candidate profiles, leads, jobs, applications and reviews');
"#;

const DOWN: &str = r#"
DELETE FROM role_permissions WHERE permission_key = 'marketplace.use';
DELETE FROM permissions WHERE key = 'marketplace.use';
DELETE FROM runtime_configs WHERE config_group = 'marketplace' AND config_key = 'pricing';
DELETE FROM notifications WHERE kind = 'MARKETPLACE';
ALTER TABLE notifications
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check
        CHECK (kind IN ('TRANSACTION', 'WITHDRAWAL', 'DEPOSIT', 'TRADE', 'ALERT', 'SYSTEM',
                        'PROMOTION', 'TICKET', 'APPROVAL'));
ALTER TABLE portfolio_images
    DROP COLUMN sha256, DROP COLUMN height, DROP COLUMN width,
    DROP COLUMN byte_size, DROP COLUMN mime_type, DROP COLUMN thumbnail_url;
DROP INDEX job_applications_job_id_created_at_idx;
ALTER TABLE jobs DROP COLUMN posting_ledger_entry_id, DROP COLUMN posting_order_id;
DROP TABLE lead_unlocks;
ALTER TABLE leads DROP COLUMN contact_phone, DROP COLUMN contact_email, DROP COLUMN contact_name;
DROP INDEX services_active_idx;
DROP TRIGGER services_refresh_price_from_trg ON services;
DROP FUNCTION services_refresh_price_from();
DROP TRIGGER reviews_refresh_rating_trg ON reviews;
DROP FUNCTION reviews_refresh_rating();
ALTER TABLE company_profiles DROP COLUMN review_count, DROP COLUMN rating;
DROP INDEX user_role_profiles_price_from_inr_idx;
DROP INDEX user_role_profiles_public_idx;
ALTER TABLE user_role_profiles
    DROP COLUMN search_vector, DROP COLUMN price_from_inr, DROP COLUMN review_count,
    DROP COLUMN rating, DROP COLUMN tags;
DROP FUNCTION marketplace_profile_document(TEXT, TEXT[], TEXT, TEXT);
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
