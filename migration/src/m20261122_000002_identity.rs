//! Identity and access (schema.md section 1).
//!
//! Tables: `departments`, `users`, `user_recovery_codes` (addition: hashed
//! 2FA recovery codes), `user_oauth_accounts`, `user_sessions`,
//! `refresh_tokens`, `user_settings`, `api_keys`, `roles`, `permissions`,
//! `role_permissions`, `user_roles`, `designations`, `employees`,
//! `user_departments`.
//!
//! Source tables that land here: 001 users, refresh_tokens, user_sessions,
//! user_settings, roles, permissions, role_permissions, user_roles,
//! departments, designations, employees; 003 users (type becomes a role),
//! user_oauth_accounts, departments, user_departments; 000 admin_users
//! (users + an INTERNAL role); 004 sessions, user_settings, api_keys.
//!
//! Reference rows: the permission catalogue, the built-in roles and their
//! grants, and four departments.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- departments (001 + 003 merged); created first because roles and
-- designations reference it.
CREATE TABLE departments (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name              TEXT NOT NULL,
    code              TEXT NOT NULL,
    description       TEXT,
    department_head   TEXT,
    department_email  TEXT,
    is_active         BOOLEAN NOT NULL DEFAULT true,
    visibility        TEXT NOT NULL DEFAULT 'INTERNAL',
    transfers_enabled BOOLEAN NOT NULL DEFAULT true,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT departments_name_key UNIQUE (name),
    CONSTRAINT departments_code_key UNIQUE (code),
    CONSTRAINT departments_visibility_check CHECK (visibility IN ('INTERNAL', 'EXTERNAL'))
);
CREATE TRIGGER departments_set_updated_at BEFORE UPDATE ON departments
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- users (001 users, 003 users, 000 admin_users, 004 users)
CREATE TABLE users (
    id                    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email                 TEXT NOT NULL,
    phone                 TEXT,
    display_name          TEXT NOT NULL,
    password_hash         TEXT,
    account_type          TEXT NOT NULL DEFAULT 'INDIVIDUAL',
    status                TEXT NOT NULL DEFAULT 'ACTIVE',
    two_factor_enabled    BOOLEAN NOT NULL DEFAULT false,
    totp_secret_encrypted BYTEA,
    failed_login_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until          TIMESTAMPTZ,
    last_login_at         TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_phone_key UNIQUE (phone),
    CONSTRAINT users_account_type_check CHECK (account_type IN ('INDIVIDUAL', 'COMPANY')),
    CONSTRAINT users_status_check CHECK (status IN ('ACTIVE', 'PENDING', 'SUSPENDED')),
    CONSTRAINT users_failed_login_attempts_check CHECK (failed_login_attempts >= 0),
    CONSTRAINT users_two_factor_check CHECK (NOT two_factor_enabled OR totp_secret_encrypted IS NOT NULL)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- user_recovery_codes (addition: one-time 2FA recovery codes, hashed)
CREATE TABLE user_recovery_codes (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID NOT NULL,
    code_hash  TEXT NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_recovery_codes_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_recovery_codes_user_id_code_hash_key UNIQUE (user_id, code_hash)
);
CREATE TRIGGER user_recovery_codes_set_updated_at BEFORE UPDATE ON user_recovery_codes
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- user_oauth_accounts (003)
CREATE TABLE user_oauth_accounts (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          UUID NOT NULL,
    provider         TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_oauth_accounts_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_oauth_accounts_provider_provider_user_id_key UNIQUE (provider, provider_user_id),
    CONSTRAINT user_oauth_accounts_provider_check
        CHECK (provider IN ('GOOGLE', 'GITHUB', 'SLACK', 'MICROSOFT', 'APPLE', 'FACEBOOK'))
);
CREATE INDEX user_oauth_accounts_user_id_idx ON user_oauth_accounts (user_id);
CREATE TRIGGER user_oauth_accounts_set_updated_at BEFORE UPDATE ON user_oauth_accounts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- user_sessions (001 user_sessions, 004 sessions)
CREATE TABLE user_sessions (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            UUID NOT NULL,
    session_token_hash TEXT NOT NULL,
    ip_address         TEXT,
    user_agent         TEXT,
    device_type        TEXT NOT NULL DEFAULT 'UNKNOWN',
    last_active_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at         TIMESTAMPTZ NOT NULL,
    revoked_at         TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_sessions_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_sessions_session_token_hash_key UNIQUE (session_token_hash),
    CONSTRAINT user_sessions_device_type_check
        CHECK (device_type IN ('DESKTOP', 'MOBILE', 'TABLET', 'UNKNOWN'))
);
CREATE INDEX user_sessions_user_id_idx ON user_sessions (user_id);
CREATE INDEX user_sessions_expires_at_idx ON user_sessions (expires_at);
CREATE TRIGGER user_sessions_set_updated_at BEFORE UPDATE ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- refresh_tokens (001; revoked BOOLEAN becomes revoked_at, plus the rotation chain)
CREATE TABLE refresh_tokens (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        UUID NOT NULL,
    session_id     UUID NOT NULL,
    token_hash     TEXT NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    replaced_by_id UUID,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_session_id_fkey FOREIGN KEY (session_id)
        REFERENCES user_sessions (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_replaced_by_id_fkey FOREIGN KEY (replaced_by_id)
        REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT refresh_tokens_replaced_by_id_key UNIQUE (replaced_by_id)
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);
CREATE TRIGGER refresh_tokens_set_updated_at BEFORE UPDATE ON refresh_tokens
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- user_settings (001 + 004)
CREATE TABLE user_settings (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    theme               TEXT NOT NULL DEFAULT 'DARK',
    language            TEXT NOT NULL DEFAULT 'en',
    notify_email        BOOLEAN NOT NULL DEFAULT true,
    notify_push         BOOLEAN NOT NULL DEFAULT true,
    notify_sms          BOOLEAN NOT NULL DEFAULT false,
    notify_in_app       BOOLEAN NOT NULL DEFAULT true,
    display_currency    TEXT NOT NULL DEFAULT 'INR',
    auto_logout_minutes INTEGER NOT NULL DEFAULT 30,
    settings_json       JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_settings_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_settings_user_id_key UNIQUE (user_id),
    CONSTRAINT user_settings_theme_check CHECK (theme IN ('DARK', 'LIGHT', 'AUTO')),
    CONSTRAINT user_settings_auto_logout_minutes_check CHECK (auto_logout_minutes > 0)
);
CREATE TRIGGER user_settings_set_updated_at BEFORE UPDATE ON user_settings
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- api_keys (004)
CREATE TABLE api_keys (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      UUID NOT NULL,
    name         TEXT NOT NULL,
    key_prefix   TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    scopes       TEXT[] NOT NULL DEFAULT '{}',
    is_active    BOOLEAN NOT NULL DEFAULT true,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);
CREATE TRIGGER api_keys_set_updated_at BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- roles (001; 003 users.type and 000 admin_users.role become roles)
CREATE TABLE roles (
    id                         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    key                        TEXT NOT NULL,
    name                       TEXT NOT NULL,
    audience                   TEXT NOT NULL,
    description                TEXT,
    department_id              UUID,
    can_approve_requests       BOOLEAN NOT NULL DEFAULT false,
    can_manage_system_settings BOOLEAN NOT NULL DEFAULT false,
    is_active                  BOOLEAN NOT NULL DEFAULT true,
    created_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT roles_department_id_fkey FOREIGN KEY (department_id)
        REFERENCES departments (id) ON DELETE SET NULL,
    CONSTRAINT roles_key_key UNIQUE (key),
    CONSTRAINT roles_audience_check CHECK (audience IN ('INTERNAL', 'EXTERNAL'))
);
CREATE INDEX roles_department_id_idx ON roles (department_id);
CREATE TRIGGER roles_set_updated_at BEFORE UPDATE ON roles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- permissions (001)
CREATE TABLE permissions (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT permissions_key_key UNIQUE (key)
);
CREATE TRIGGER permissions_set_updated_at BEFORE UPDATE ON permissions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- role_permissions (001)
CREATE TABLE role_permissions (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    role_id        UUID NOT NULL,
    permission_key TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT role_permissions_role_id_fkey FOREIGN KEY (role_id)
        REFERENCES roles (id) ON DELETE CASCADE,
    CONSTRAINT role_permissions_permission_key_fkey FOREIGN KEY (permission_key)
        REFERENCES permissions (key) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT role_permissions_role_id_permission_key_key UNIQUE (role_id, permission_key)
);
CREATE INDEX role_permissions_permission_key_idx ON role_permissions (permission_key);

-- user_roles (001)
CREATE TABLE user_roles (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    role_id             UUID NOT NULL,
    status              TEXT NOT NULL DEFAULT 'PENDING',
    approved_at         TIMESTAMPTZ,
    approved_by_user_id UUID,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_roles_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_roles_role_id_fkey FOREIGN KEY (role_id)
        REFERENCES roles (id) ON DELETE RESTRICT,
    CONSTRAINT user_roles_approved_by_user_id_fkey FOREIGN KEY (approved_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT user_roles_user_id_role_id_key UNIQUE (user_id, role_id),
    CONSTRAINT user_roles_status_check CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED'))
);
CREATE INDEX user_roles_role_id_idx ON user_roles (role_id);
CREATE INDEX user_roles_approved_by_user_id_idx ON user_roles (approved_by_user_id);
CREATE TRIGGER user_roles_set_updated_at BEFORE UPDATE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- designations (001)
CREATE TABLE designations (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name            TEXT NOT NULL,
    code            TEXT NOT NULL,
    department_id   UUID,
    description     TEXT,
    level           TEXT,
    can_manage_team BOOLEAN NOT NULL DEFAULT false,
    can_approve     BOOLEAN NOT NULL DEFAULT false,
    is_active       BOOLEAN NOT NULL DEFAULT true,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT designations_department_id_fkey FOREIGN KEY (department_id)
        REFERENCES departments (id) ON DELETE SET NULL,
    CONSTRAINT designations_code_key UNIQUE (code)
);
CREATE INDEX designations_department_id_idx ON designations (department_id);
CREATE TRIGGER designations_set_updated_at BEFORE UPDATE ON designations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- employees (001)
CREATE TABLE employees (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    employee_code       TEXT NOT NULL,
    department_id       UUID,
    designation_id      UUID,
    joining_date        DATE,
    employment_status   TEXT NOT NULL DEFAULT 'ACTIVE',
    manager_employee_id UUID,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT employees_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT employees_department_id_fkey FOREIGN KEY (department_id)
        REFERENCES departments (id) ON DELETE SET NULL,
    CONSTRAINT employees_designation_id_fkey FOREIGN KEY (designation_id)
        REFERENCES designations (id) ON DELETE SET NULL,
    CONSTRAINT employees_manager_employee_id_fkey FOREIGN KEY (manager_employee_id)
        REFERENCES employees (id) ON DELETE SET NULL,
    CONSTRAINT employees_user_id_key UNIQUE (user_id),
    CONSTRAINT employees_employee_code_key UNIQUE (employee_code),
    CONSTRAINT employees_employment_status_check
        CHECK (employment_status IN ('ACTIVE', 'INACTIVE', 'TERMINATED')),
    CONSTRAINT employees_manager_check CHECK (manager_employee_id <> id)
);
CREATE INDEX employees_department_id_idx ON employees (department_id);
CREATE INDEX employees_designation_id_idx ON employees (designation_id);
CREATE INDEX employees_manager_employee_id_idx ON employees (manager_employee_id);
CREATE TRIGGER employees_set_updated_at BEFORE UPDATE ON employees
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- user_departments (003: agents' departments, used for ticket routing)
CREATE TABLE user_departments (
    user_id       UUID NOT NULL,
    department_id UUID NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_departments_pkey PRIMARY KEY (user_id, department_id),
    CONSTRAINT user_departments_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_departments_department_id_fkey FOREIGN KEY (department_id)
        REFERENCES departments (id) ON DELETE CASCADE
);
CREATE INDEX user_departments_department_id_idx ON user_departments (department_id);

-- Reference rows -------------------------------------------------------

INSERT INTO departments (name, code, description, visibility) VALUES
    ('General Support', 'GENERAL', 'Questions that fit no other department', 'EXTERNAL'),
    ('Billing', 'BILLING', 'Payments, invoices, refunds, wallets', 'EXTERNAL'),
    ('Technical', 'TECHNICAL', 'Bugs, errors and integrations', 'EXTERNAL'),
    ('Compliance', 'COMPLIANCE', 'KYC, verification and account reviews', 'INTERNAL');

INSERT INTO permissions (key, name, description) VALUES
    ('users.read', 'Read users', 'See any user account, its roles and sessions'),
    ('users.manage', 'Manage users', 'Create, edit, suspend and unlock any user; reset their 2FA'),
    ('roles.manage', 'Manage roles', 'Edit roles and their permissions; assign and revoke roles'),
    ('departments.manage', 'Manage departments', 'Edit departments, designations and agent department membership'),
    ('employees.manage', 'Manage employees', 'Edit employee records'),
    ('api_keys.manage', 'Manage API keys', 'List and revoke any user''s API keys'),
    ('tickets.read_all', 'Read all tickets', 'Read every ticket, including internal notes'),
    ('tickets.read_department', 'Read department tickets', 'Read tickets of the departments the agent belongs to, including internal notes'),
    ('tickets.create', 'Create tickets for clients', 'Open a ticket on behalf of any client'),
    ('tickets.reply', 'Reply to tickets', 'Post agent replies on tickets the agent can read'),
    ('tickets.internal_note', 'Write internal notes', 'Post agent-only notes on tickets the agent can read'),
    ('tickets.assign', 'Assign tickets', 'Assign tickets to agents and move them between departments'),
    ('tickets.manage', 'Manage tickets', 'Change any ticket and the tag catalogue'),
    ('clients.manage', 'Manage clients', 'Create and edit clients and their external identifiers'),
    ('exchange.orders.read_all', 'Read all exchange orders', 'Read every exchange order'),
    ('exchange.orders.manage', 'Manage exchange orders', 'Change the status of any exchange order (hold, refund, fail)'),
    ('exchange.reserves.manage', 'Manage reserves', 'Adjust currency reserves'),
    ('exchange.rates.manage', 'Manage rates and currencies', 'Record exchange rates and prices; edit currencies'),
    ('exchange.fees.manage', 'Manage fees', 'Edit the fee configuration'),
    ('exchange.addresses.manage', 'Manage addresses', 'Import, assign and release rotating and deposit addresses'),
    ('exchange.withdrawals.manage', 'Manage withdrawals', 'Send, fail and inspect withdrawals'),
    ('kyc.review', 'Review KYC', 'Read KYC submissions and verify or reject them'),
    ('wallet.read_all', 'Read all wallets', 'Read every wallet and its ledger'),
    ('wallet.credit', 'Credit wallets', 'Credit or adjust any user''s wallet'),
    ('commerce.packages.manage', 'Manage pricing packages', 'Edit pricing packages'),
    ('commerce.orders.read_all', 'Read all orders', 'Read every order, invoice and payment'),
    ('commerce.refund', 'Refund', 'Refund payments and cancel orders'),
    ('commerce.coupons.manage', 'Manage coupons and discounts', 'Edit coupons and discount rules'),
    ('commerce.tax.manage', 'Manage tax rules', 'Edit tax rules'),
    ('payments.gateways.manage', 'Manage payment gateways', 'Edit payment gateway configurations and their secrets'),
    ('approvals.review', 'Review approvals', 'Approve or reject approval requests'),
    ('verification.review', 'Review verifications', 'Review verification requests and documents'),
    ('marketplace.profiles.manage', 'Moderate profiles', 'Edit, suspend and publish professional, company, customer and candidate profiles'),
    ('marketplace.jobs.manage', 'Moderate jobs', 'Edit and close any job and its applications'),
    ('marketplace.leads.manage', 'Moderate leads', 'Edit and close any lead and its requests'),
    ('marketplace.reviews.moderate', 'Moderate reviews', 'Publish and hide reviews'),
    ('kb.read_internal', 'Read internal articles', 'Read knowledge-base articles meant for staff'),
    ('kb.manage', 'Manage knowledge base', 'Edit categories, sections and articles; publish'),
    ('notifications.manage', 'Manage notifications', 'Edit notification templates and SMTP settings; send system notifications'),
    ('config.manage', 'Manage configuration', 'Edit runtime configuration and dashboards'),
    ('audit.read', 'Read audit logs', 'Read the audit trail');

INSERT INTO roles (key, name, audience, description, department_id, can_approve_requests, can_manage_system_settings) VALUES
    ('super_admin', 'Super Admin', 'INTERNAL', 'Everything, including other administrators', NULL, true, true),
    ('admin', 'Administrator', 'INTERNAL', 'Everything', NULL, true, true),
    ('support_agent', 'Support Agent', 'INTERNAL', 'Answers tickets of their departments',
        (SELECT id FROM departments WHERE code = 'GENERAL'), false, false),
    ('finance', 'Finance', 'INTERNAL', 'Wallets, orders, payments and refunds',
        (SELECT id FROM departments WHERE code = 'BILLING'), false, false),
    ('compliance', 'Compliance Officer', 'INTERNAL', 'KYC, verification, approvals and the audit trail',
        (SELECT id FROM departments WHERE code = 'COMPLIANCE'), true, false),
    ('customer', 'Customer', 'EXTERNAL', 'A customer of the marketplace or the exchange', NULL, false, false),
    ('photographer', 'Photographer', 'EXTERNAL', 'Professional: photographer', NULL, false, false),
    ('tutor', 'Tutor', 'EXTERNAL', 'Professional: tutor', NULL, false, false),
    ('makeup_artist', 'Makeup Artist', 'EXTERNAL', 'Professional: makeup artist', NULL, false, false),
    ('developer', 'Developer', 'EXTERNAL', 'Professional: software developer', NULL, false, false),
    ('video_editor', 'Video Editor', 'EXTERNAL', 'Professional: video editor', NULL, false, false),
    ('graphic_designer', 'Graphic Designer', 'EXTERNAL', 'Professional: graphic designer', NULL, false, false),
    ('social_media_manager', 'Social Media Manager', 'EXTERNAL', 'Professional: social media manager', NULL, false, false),
    ('fitness_trainer', 'Fitness Trainer', 'EXTERNAL', 'Professional: fitness trainer', NULL, false, false),
    ('catering_service', 'Catering Service', 'EXTERNAL', 'Professional: catering service', NULL, false, false),
    ('ugc_content_creator', 'UGC Content Creator', 'EXTERNAL', 'Professional: user-generated-content creator', NULL, false, false),
    ('company', 'Company', 'EXTERNAL', 'A company posting jobs', NULL, false, false),
    ('candidate', 'Candidate', 'EXTERNAL', 'A job seeker', NULL, false, false);

INSERT INTO role_permissions (role_id, permission_key)
SELECT r.id, p.key
FROM roles r CROSS JOIN permissions p
WHERE r.key IN ('super_admin', 'admin');

INSERT INTO role_permissions (role_id, permission_key)
SELECT r.id, g.permission_key
FROM roles r
JOIN (VALUES
    ('support_agent', 'tickets.read_department'),
    ('support_agent', 'tickets.create'),
    ('support_agent', 'tickets.reply'),
    ('support_agent', 'tickets.internal_note'),
    ('support_agent', 'tickets.assign'),
    ('support_agent', 'clients.manage'),
    ('support_agent', 'kb.read_internal'),
    ('finance', 'wallet.read_all'),
    ('finance', 'wallet.credit'),
    ('finance', 'commerce.packages.manage'),
    ('finance', 'commerce.orders.read_all'),
    ('finance', 'commerce.refund'),
    ('finance', 'commerce.coupons.manage'),
    ('finance', 'commerce.tax.manage'),
    ('finance', 'kb.read_internal'),
    ('compliance', 'kyc.review'),
    ('compliance', 'approvals.review'),
    ('compliance', 'verification.review'),
    ('compliance', 'audit.read'),
    ('compliance', 'kb.read_internal')
) AS g (role_key, permission_key) ON g.role_key = r.key;
"#;

const DOWN: &str = r#"
DROP TABLE user_departments;
DROP TABLE employees;
DROP TABLE designations;
DROP TABLE user_roles;
DROP TABLE role_permissions;
DROP TABLE permissions;
DROP TABLE roles;
DROP TABLE api_keys;
DROP TABLE user_settings;
DROP TABLE refresh_tokens;
DROP TABLE user_sessions;
DROP TABLE user_oauth_accounts;
DROP TABLE user_recovery_codes;
DROP TABLE users;
DROP TABLE departments;
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
