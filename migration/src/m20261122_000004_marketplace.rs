//! Marketplace (schema.md section 6, columns as in source 001).
//!
//! Tables: `user_role_profiles` (the root of a professional's profile) and
//! its ten one-to-one extensions `photographer_profiles`, `tutor_profiles`,
//! `makeup_artist_profiles`, `developer_profiles`, `video_editor_profiles`,
//! `graphic_designer_profiles`, `social_media_manager_profiles`,
//! `fitness_trainer_profiles`, `catering_service_profiles`,
//! `ugc_content_creator_profiles`; `company_profiles`, `customer_profiles`,
//! `candidate_profiles`; `portfolio_items`, `portfolio_images`, `services`;
//! `jobs`, `job_applications`, `leads`, `lead_requests`, `reviews`.
//!
//! Source tables that land here: the 001 tables of the same names (001
//! applications is job_applications, requirements is leads). Money the
//! source keeps as INTEGER paise is BIGINT here; 001 services.price is
//! `price_inr` to follow the money naming convention.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- user_role_profiles (001): role_key is a role of the catalogue (photographer, tutor, ...)
CREATE TABLE user_role_profiles (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    role_key            TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    bio                 TEXT,
    location            TEXT,
    avatar_url          TEXT,
    phone               TEXT,
    email               TEXT,
    status              TEXT NOT NULL DEFAULT 'DRAFT',
    verification_status TEXT NOT NULL DEFAULT 'PENDING',
    approval_status     TEXT NOT NULL DEFAULT 'PENDING',
    rejection_reason    TEXT,
    approved_at         TIMESTAMPTZ,
    verified_at         TIMESTAMPTZ,
    is_profile_public   BOOLEAN NOT NULL DEFAULT false,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_role_profiles_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_role_profiles_role_key_fkey FOREIGN KEY (role_key)
        REFERENCES roles (key) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT user_role_profiles_user_id_role_key_key UNIQUE (user_id, role_key),
    CONSTRAINT user_role_profiles_status_check CHECK (status IN ('DRAFT', 'ACTIVE', 'SUSPENDED')),
    CONSTRAINT user_role_profiles_verification_status_check
        CHECK (verification_status IN ('PENDING', 'VERIFIED', 'REJECTED')),
    CONSTRAINT user_role_profiles_approval_status_check
        CHECK (approval_status IN ('PENDING', 'APPROVED', 'REJECTED'))
);
CREATE INDEX user_role_profiles_role_key_idx ON user_role_profiles (role_key);
CREATE INDEX user_role_profiles_status_idx ON user_role_profiles (status);
CREATE INDEX user_role_profiles_verification_status_idx ON user_role_profiles (verification_status);
CREATE INDEX user_role_profiles_approval_status_idx ON user_role_profiles (approval_status);
CREATE TRIGGER user_role_profiles_set_updated_at BEFORE UPDATE ON user_role_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- photographer_profiles (001)
CREATE TABLE photographer_profiles (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    specialties          TEXT[] NOT NULL DEFAULT '{}',
    camera_brands        TEXT[] NOT NULL DEFAULT '{}',
    studio_available     BOOLEAN NOT NULL DEFAULT false,
    outdoor_shoots       BOOLEAN NOT NULL DEFAULT false,
    travel_radius_km     INTEGER,
    starting_price_inr   BIGINT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT photographer_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT photographer_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT photographer_profiles_travel_radius_km_check CHECK (travel_radius_km >= 0),
    CONSTRAINT photographer_profiles_starting_price_inr_check CHECK (starting_price_inr >= 0)
);
CREATE INDEX photographer_profiles_specialties_idx ON photographer_profiles USING GIN (specialties);
CREATE TRIGGER photographer_profiles_set_updated_at BEFORE UPDATE ON photographer_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- tutor_profiles (001)
CREATE TABLE tutor_profiles (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    subjects             TEXT[] NOT NULL DEFAULT '{}',
    board_types          TEXT[] NOT NULL DEFAULT '{}',
    qualification        TEXT,
    teaches_online       BOOLEAN NOT NULL DEFAULT false,
    teaches_offline      BOOLEAN NOT NULL DEFAULT false,
    experience_years     INTEGER,
    hourly_rate_inr      BIGINT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT tutor_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT tutor_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT tutor_profiles_experience_years_check CHECK (experience_years >= 0),
    CONSTRAINT tutor_profiles_hourly_rate_inr_check CHECK (hourly_rate_inr >= 0)
);
CREATE INDEX tutor_profiles_subjects_idx ON tutor_profiles USING GIN (subjects);
CREATE TRIGGER tutor_profiles_set_updated_at BEFORE UPDATE ON tutor_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- makeup_artist_profiles (001)
CREATE TABLE makeup_artist_profiles (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    specializations      TEXT[] NOT NULL DEFAULT '{}',
    kit_brands           TEXT[] NOT NULL DEFAULT '{}',
    home_service         BOOLEAN NOT NULL DEFAULT false,
    studio_available     BOOLEAN NOT NULL DEFAULT false,
    starting_price_inr   BIGINT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT makeup_artist_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT makeup_artist_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT makeup_artist_profiles_starting_price_inr_check CHECK (starting_price_inr >= 0)
);
CREATE INDEX makeup_artist_profiles_specializations_idx
    ON makeup_artist_profiles USING GIN (specializations);
CREATE TRIGGER makeup_artist_profiles_set_updated_at BEFORE UPDATE ON makeup_artist_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- developer_profiles (001; no external links)
CREATE TABLE developer_profiles (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    tech_stack           TEXT[] NOT NULL DEFAULT '{}',
    experience_years     INTEGER,
    availability         TEXT,
    hourly_rate_inr      BIGINT,
    remote_ok            BOOLEAN NOT NULL DEFAULT false,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT developer_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT developer_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT developer_profiles_availability_check
        CHECK (availability IN ('FULL_TIME', 'PART_TIME', 'FREELANCE')),
    CONSTRAINT developer_profiles_experience_years_check CHECK (experience_years >= 0),
    CONSTRAINT developer_profiles_hourly_rate_inr_check CHECK (hourly_rate_inr >= 0)
);
CREATE INDEX developer_profiles_tech_stack_idx ON developer_profiles USING GIN (tech_stack);
CREATE TRIGGER developer_profiles_set_updated_at BEFORE UPDATE ON developer_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- video_editor_profiles (001; no reel_url)
CREATE TABLE video_editor_profiles (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    software_skills      TEXT[] NOT NULL DEFAULT '{}',
    style_tags           TEXT[] NOT NULL DEFAULT '{}',
    turnaround_days      INTEGER,
    starting_price_inr   BIGINT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT video_editor_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT video_editor_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT video_editor_profiles_turnaround_days_check CHECK (turnaround_days >= 0),
    CONSTRAINT video_editor_profiles_starting_price_inr_check CHECK (starting_price_inr >= 0)
);
CREATE INDEX video_editor_profiles_software_skills_idx
    ON video_editor_profiles USING GIN (software_skills);
CREATE TRIGGER video_editor_profiles_set_updated_at BEFORE UPDATE ON video_editor_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- graphic_designer_profiles (001; no portfolio_url)
CREATE TABLE graphic_designer_profiles (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    design_tools         TEXT[] NOT NULL DEFAULT '{}',
    style_tags           TEXT[] NOT NULL DEFAULT '{}',
    brand_experience     BOOLEAN NOT NULL DEFAULT false,
    starting_price_inr   BIGINT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT graphic_designer_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT graphic_designer_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT graphic_designer_profiles_starting_price_inr_check CHECK (starting_price_inr >= 0)
);
CREATE INDEX graphic_designer_profiles_design_tools_idx
    ON graphic_designer_profiles USING GIN (design_tools);
CREATE TRIGGER graphic_designer_profiles_set_updated_at BEFORE UPDATE ON graphic_designer_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- social_media_manager_profiles (001)
CREATE TABLE social_media_manager_profiles (
    id                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id    UUID NOT NULL,
    platforms               TEXT[] NOT NULL DEFAULT '{}',
    industries              TEXT[] NOT NULL DEFAULT '{}',
    content_types           TEXT[] NOT NULL DEFAULT '{}',
    avg_follower_growth_pct INTEGER,
    starting_price_inr      BIGINT,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT social_media_manager_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT social_media_manager_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT social_media_manager_profiles_starting_price_inr_check CHECK (starting_price_inr >= 0)
);
CREATE INDEX social_media_manager_profiles_platforms_idx
    ON social_media_manager_profiles USING GIN (platforms);
CREATE TRIGGER social_media_manager_profiles_set_updated_at BEFORE UPDATE ON social_media_manager_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- fitness_trainer_profiles (001)
CREATE TABLE fitness_trainer_profiles (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    disciplines          TEXT[] NOT NULL DEFAULT '{}',
    certifications       TEXT[] NOT NULL DEFAULT '{}',
    online_sessions      BOOLEAN NOT NULL DEFAULT false,
    home_visits          BOOLEAN NOT NULL DEFAULT false,
    gym_based            BOOLEAN NOT NULL DEFAULT false,
    per_session_rate_inr BIGINT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fitness_trainer_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT fitness_trainer_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT fitness_trainer_profiles_per_session_rate_inr_check CHECK (per_session_rate_inr >= 0)
);
CREATE INDEX fitness_trainer_profiles_disciplines_idx
    ON fitness_trainer_profiles USING GIN (disciplines);
CREATE TRIGGER fitness_trainer_profiles_set_updated_at BEFORE UPDATE ON fitness_trainer_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- catering_service_profiles (001)
CREATE TABLE catering_service_profiles (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    business_name        TEXT,
    cuisine_types        TEXT[] NOT NULL DEFAULT '{}',
    event_types          TEXT[] NOT NULL DEFAULT '{}',
    min_guests           INTEGER,
    max_guests           INTEGER,
    has_setup_team       BOOLEAN NOT NULL DEFAULT false,
    has_serving_staff    BOOLEAN NOT NULL DEFAULT false,
    price_per_head_inr   BIGINT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT catering_service_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT catering_service_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT catering_service_profiles_guests_check
        CHECK ((min_guests IS NULL OR min_guests >= 0)
               AND (max_guests IS NULL OR max_guests >= coalesce(min_guests, 0))),
    CONSTRAINT catering_service_profiles_price_per_head_inr_check CHECK (price_per_head_inr >= 0)
);
CREATE INDEX catering_service_profiles_cuisine_types_idx
    ON catering_service_profiles USING GIN (cuisine_types);
CREATE TRIGGER catering_service_profiles_set_updated_at BEFORE UPDATE ON catering_service_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ugc_content_creator_profiles (001)
CREATE TABLE ugc_content_creator_profiles (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    niche_tags           TEXT[] NOT NULL DEFAULT '{}',
    content_formats      TEXT[] NOT NULL DEFAULT '{}',
    platforms            TEXT[] NOT NULL DEFAULT '{}',
    turnaround_days      INTEGER,
    starting_price_inr   BIGINT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ugc_content_creator_profiles_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT ugc_content_creator_profiles_user_role_profile_id_key UNIQUE (user_role_profile_id),
    CONSTRAINT ugc_content_creator_profiles_turnaround_days_check CHECK (turnaround_days >= 0),
    CONSTRAINT ugc_content_creator_profiles_starting_price_inr_check CHECK (starting_price_inr >= 0)
);
CREATE INDEX ugc_content_creator_profiles_niche_tags_idx
    ON ugc_content_creator_profiles USING GIN (niche_tags);
CREATE TRIGGER ugc_content_creator_profiles_set_updated_at BEFORE UPDATE ON ugc_content_creator_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- company_profiles (001)
CREATE TABLE company_profiles (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    company_name        TEXT NOT NULL,
    business_type       TEXT,
    industry            TEXT,
    contact_person_name TEXT,
    email               TEXT,
    phone               TEXT,
    location            TEXT,
    bio                 TEXT,
    status              TEXT NOT NULL DEFAULT 'DRAFT',
    verification_status TEXT NOT NULL DEFAULT 'PENDING',
    approval_status     TEXT NOT NULL DEFAULT 'PENDING',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT company_profiles_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT company_profiles_user_id_key UNIQUE (user_id),
    CONSTRAINT company_profiles_status_check CHECK (status IN ('DRAFT', 'ACTIVE', 'SUSPENDED')),
    CONSTRAINT company_profiles_verification_status_check
        CHECK (verification_status IN ('PENDING', 'VERIFIED', 'REJECTED')),
    CONSTRAINT company_profiles_approval_status_check
        CHECK (approval_status IN ('PENDING', 'APPROVED', 'REJECTED'))
);
CREATE INDEX company_profiles_approval_status_idx ON company_profiles (approval_status);
CREATE TRIGGER company_profiles_set_updated_at BEFORE UPDATE ON company_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- customer_profiles (001)
CREATE TABLE customer_profiles (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      UUID NOT NULL,
    display_name TEXT NOT NULL,
    phone        TEXT,
    email        TEXT,
    location     TEXT,
    status       TEXT NOT NULL DEFAULT 'ACTIVE',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT customer_profiles_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT customer_profiles_user_id_key UNIQUE (user_id),
    CONSTRAINT customer_profiles_status_check CHECK (status IN ('ACTIVE', 'INACTIVE', 'SUSPENDED'))
);
CREATE TRIGGER customer_profiles_set_updated_at BEFORE UPDATE ON customer_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- candidate_profiles (001)
CREATE TABLE candidate_profiles (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    display_name        TEXT NOT NULL,
    bio                 TEXT,
    location            TEXT,
    experience_years    INTEGER,
    preferred_roles     TEXT[] NOT NULL DEFAULT '{}',
    expected_salary_inr BIGINT,
    resume_file_url     TEXT,
    status              TEXT NOT NULL DEFAULT 'DRAFT',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT candidate_profiles_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT candidate_profiles_user_id_key UNIQUE (user_id),
    CONSTRAINT candidate_profiles_status_check CHECK (status IN ('DRAFT', 'ACTIVE', 'SUSPENDED')),
    CONSTRAINT candidate_profiles_experience_years_check CHECK (experience_years >= 0),
    CONSTRAINT candidate_profiles_expected_salary_inr_check CHECK (expected_salary_inr >= 0)
);
CREATE INDEX candidate_profiles_preferred_roles_idx ON candidate_profiles USING GIN (preferred_roles);
CREATE TRIGGER candidate_profiles_set_updated_at BEFORE UPDATE ON candidate_profiles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- portfolio_items (001; no external links)
CREATE TABLE portfolio_items (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    title                TEXT NOT NULL,
    description          TEXT,
    tags                 TEXT[] NOT NULL DEFAULT '{}',
    display_order        INTEGER NOT NULL DEFAULT 0,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT portfolio_items_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE
);
CREATE INDEX portfolio_items_user_role_profile_id_idx
    ON portfolio_items (user_role_profile_id, display_order);
CREATE INDEX portfolio_items_tags_idx ON portfolio_items USING GIN (tags);
CREATE TRIGGER portfolio_items_set_updated_at BEFORE UPDATE ON portfolio_items
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- portfolio_images (001)
CREATE TABLE portfolio_images (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    portfolio_item_id UUID NOT NULL,
    file_url          TEXT NOT NULL,
    display_order     INTEGER NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT portfolio_images_portfolio_item_id_fkey FOREIGN KEY (portfolio_item_id)
        REFERENCES portfolio_items (id) ON DELETE CASCADE
);
CREATE INDEX portfolio_images_portfolio_item_id_idx ON portfolio_images (portfolio_item_id, display_order);
CREATE TRIGGER portfolio_images_set_updated_at BEFORE UPDATE ON portfolio_images
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- services (001; price in paise is price_inr)
CREATE TABLE services (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_role_profile_id UUID NOT NULL,
    name                 TEXT NOT NULL,
    description          TEXT,
    price_inr            BIGINT NOT NULL,
    duration_minutes     INTEGER,
    is_active            BOOLEAN NOT NULL DEFAULT true,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT services_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT services_price_inr_check CHECK (price_inr >= 0),
    CONSTRAINT services_duration_minutes_check CHECK (duration_minutes > 0)
);
CREATE INDEX services_user_role_profile_id_idx ON services (user_role_profile_id);
CREATE TRIGGER services_set_updated_at BEFORE UPDATE ON services
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- jobs (001; REJECTED added for a rejected approval)
CREATE TABLE jobs (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    company_profile_id UUID NOT NULL,
    posted_by_user_id  UUID,
    title              TEXT NOT NULL,
    description        TEXT,
    location           TEXT,
    employment_type    TEXT NOT NULL DEFAULT 'FULL_TIME',
    mode_of_work       TEXT NOT NULL DEFAULT 'ONSITE',
    budget_inr         BIGINT,
    salary_range_json  JSONB,
    status             TEXT NOT NULL DEFAULT 'DRAFT',
    approved_at        TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT jobs_company_profile_id_fkey FOREIGN KEY (company_profile_id)
        REFERENCES company_profiles (id) ON DELETE CASCADE,
    CONSTRAINT jobs_posted_by_user_id_fkey FOREIGN KEY (posted_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT jobs_employment_type_check CHECK (employment_type IN ('FULL_TIME', 'PART_TIME', 'CONTRACT')),
    CONSTRAINT jobs_mode_of_work_check CHECK (mode_of_work IN ('ONSITE', 'REMOTE', 'HYBRID')),
    CONSTRAINT jobs_status_check CHECK (status IN ('DRAFT', 'PENDING', 'LIVE', 'CLOSED', 'REJECTED')),
    CONSTRAINT jobs_budget_inr_check CHECK (budget_inr >= 0)
);
CREATE INDEX jobs_company_profile_id_idx ON jobs (company_profile_id);
CREATE INDEX jobs_posted_by_user_id_idx ON jobs (posted_by_user_id);
CREATE INDEX jobs_status_created_at_idx ON jobs (status, created_at DESC);
CREATE TRIGGER jobs_set_updated_at BEFORE UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- job_applications (001 applications)
CREATE TABLE job_applications (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id            UUID NOT NULL,
    applicant_user_id UUID NOT NULL,
    status            TEXT NOT NULL DEFAULT 'APPLIED',
    cover_note        TEXT,
    applied_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT job_applications_job_id_fkey FOREIGN KEY (job_id)
        REFERENCES jobs (id) ON DELETE CASCADE,
    CONSTRAINT job_applications_applicant_user_id_fkey FOREIGN KEY (applicant_user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT job_applications_job_id_applicant_user_id_key UNIQUE (job_id, applicant_user_id),
    CONSTRAINT job_applications_status_check
        CHECK (status IN ('APPLIED', 'SHORTLISTED', 'INTERVIEW', 'OFFERED', 'REJECTED'))
);
CREATE INDEX job_applications_applicant_user_id_idx ON job_applications (applicant_user_id);
CREATE TRIGGER job_applications_set_updated_at BEFORE UPDATE ON job_applications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- leads (001 requirements; REJECTED added for a rejected approval)
CREATE TABLE leads (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    created_by_user_id UUID NOT NULL,
    profession_key     TEXT NOT NULL,
    title              TEXT NOT NULL,
    description        TEXT,
    location           TEXT,
    budget_inr         BIGINT,
    required_date      DATE,
    status             TEXT NOT NULL DEFAULT 'DRAFT',
    approved_at        TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT leads_created_by_user_id_fkey FOREIGN KEY (created_by_user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT leads_profession_key_fkey FOREIGN KEY (profession_key)
        REFERENCES roles (key) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT leads_status_check CHECK (status IN ('DRAFT', 'PENDING', 'OPEN', 'CLOSED', 'REJECTED')),
    CONSTRAINT leads_budget_inr_check CHECK (budget_inr >= 0)
);
CREATE INDEX leads_created_by_user_id_idx ON leads (created_by_user_id);
CREATE INDEX leads_profession_key_idx ON leads (profession_key);
CREATE INDEX leads_status_created_at_idx ON leads (status, created_at DESC);
CREATE TRIGGER leads_set_updated_at BEFORE UPDATE ON leads
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- lead_requests (001)
CREATE TABLE lead_requests (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    lead_id              UUID NOT NULL,
    user_role_profile_id UUID NOT NULL,
    status               TEXT NOT NULL DEFAULT 'PENDING',
    remarks              TEXT,
    requested_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT lead_requests_lead_id_fkey FOREIGN KEY (lead_id)
        REFERENCES leads (id) ON DELETE CASCADE,
    CONSTRAINT lead_requests_user_role_profile_id_fkey FOREIGN KEY (user_role_profile_id)
        REFERENCES user_role_profiles (id) ON DELETE CASCADE,
    CONSTRAINT lead_requests_lead_id_user_role_profile_id_key UNIQUE (lead_id, user_role_profile_id),
    CONSTRAINT lead_requests_status_check CHECK (status IN ('PENDING', 'ACCEPTED', 'REJECTED'))
);
CREATE INDEX lead_requests_user_role_profile_id_idx ON lead_requests (user_role_profile_id);
CREATE TRIGGER lead_requests_set_updated_at BEFORE UPDATE ON lead_requests
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- reviews (001)
CREATE TABLE reviews (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    reviewer_user_id UUID NOT NULL,
    entity_type      TEXT NOT NULL,
    entity_id        UUID NOT NULL,
    rating           SMALLINT NOT NULL,
    review_text      TEXT,
    status           TEXT NOT NULL DEFAULT 'PENDING',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT reviews_reviewer_user_id_fkey FOREIGN KEY (reviewer_user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT reviews_reviewer_user_id_entity_type_entity_id_key
        UNIQUE (reviewer_user_id, entity_type, entity_id),
    CONSTRAINT reviews_entity_type_check CHECK (entity_type IN ('PROFESSIONAL', 'COMPANY')),
    CONSTRAINT reviews_rating_check CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT reviews_status_check CHECK (status IN ('PENDING', 'PUBLISHED', 'HIDDEN'))
);
CREATE INDEX reviews_entity_type_entity_id_idx ON reviews (entity_type, entity_id);
CREATE TRIGGER reviews_set_updated_at BEFORE UPDATE ON reviews
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
"#;

const DOWN: &str = r#"
DROP TABLE reviews;
DROP TABLE lead_requests;
DROP TABLE leads;
DROP TABLE job_applications;
DROP TABLE jobs;
DROP TABLE services;
DROP TABLE portfolio_images;
DROP TABLE portfolio_items;
DROP TABLE candidate_profiles;
DROP TABLE customer_profiles;
DROP TABLE company_profiles;
DROP TABLE ugc_content_creator_profiles;
DROP TABLE catering_service_profiles;
DROP TABLE fitness_trainer_profiles;
DROP TABLE social_media_manager_profiles;
DROP TABLE graphic_designer_profiles;
DROP TABLE video_editor_profiles;
DROP TABLE developer_profiles;
DROP TABLE makeup_artist_profiles;
DROP TABLE tutor_profiles;
DROP TABLE photographer_profiles;
DROP TABLE user_role_profiles;
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
