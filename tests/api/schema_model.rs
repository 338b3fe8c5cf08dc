//! The data model of `shared/design/schema.md` (and the four sources it
//! merges) against a migrated database: every table and column the
//! documents give, each kind of constraint biting (and valid rows passing),
//! and migrations that go all the way down and up again to the same schema.
//!
//! The expected tables and columns below are written from the documents,
//! not from the migrations: a column the documents require and the
//! migrations lack shows up as a miss.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr, Statement};
use switchboard::infra::db::{self, MigrateCommand};
use switchboard::infra::embedded_pg::find_bindir;

use crate::support::{fresh_database, pg_admin_url, with_database};

/// Every table of schema.md sections 1-7 with the columns the model gives
/// it. Sections 1-5: schema.md's own lists. Sections 6-7 ("as in source
/// 001"): source 001's columns, with schema.md's renames and additions.
///
/// Common columns: `id` on every table with a surrogate key (the junction
/// tables `user_departments`, `ticket_tags`, `ticket_assignments` have a
/// primary key of both references instead, as in 003); `created_at` on
/// every table ("Conventions (all tables)"); `updated_at` where schema.md or
/// the table's source lists it.
const EXPECTED: &[(&str, &[&str])] = &[
    // 1. Identity and access
    (
        "users",
        &[
            "id",
            "email",
            "phone",
            "display_name",
            "password_hash",
            "account_type",
            "status",
            "two_factor_enabled",
            "totp_secret_encrypted",
            "failed_login_attempts",
            "locked_until",
            "last_login_at",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "user_oauth_accounts",
        &["id", "user_id", "provider", "provider_user_id", "created_at"],
    ),
    (
        "refresh_tokens",
        &[
            "id",
            "user_id",
            "session_id",
            "token_hash",
            "expires_at",
            "revoked_at",
            "replaced_by_id",
            "created_at",
        ],
    ),
    (
        "user_sessions",
        &[
            "id",
            "user_id",
            "session_token_hash",
            "ip_address",
            "user_agent",
            "device_type",
            "last_active_at",
            "expires_at",
            "revoked_at",
            "created_at",
        ],
    ),
    (
        "user_settings",
        &[
            "id",
            "user_id",
            "theme",
            "language",
            "notify_email",
            "notify_push",
            "notify_sms",
            "notify_in_app",
            "display_currency",
            "auto_logout_minutes",
            "settings_json",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "api_keys",
        &[
            "id",
            "user_id",
            "name",
            "key_prefix",
            "key_hash",
            "scopes",
            "is_active",
            "expires_at",
            "last_used_at",
            "created_at",
        ],
    ),
    (
        "roles",
        &[
            "id",
            "key",
            "name",
            "audience",
            "description",
            "department_id",
            "can_approve_requests",
            "can_manage_system_settings",
            "is_active",
            "created_at",
        ],
    ),
    ("permissions", &["id", "key", "name", "description", "created_at"]),
    ("role_permissions", &["id", "role_id", "permission_key", "created_at"]),
    (
        "user_roles",
        &[
            "id",
            "user_id",
            "role_id",
            "status",
            "approved_at",
            "approved_by_user_id",
            "created_at",
        ],
    ),
    (
        "departments",
        &[
            "id",
            "name",
            "code",
            "description",
            "department_head",
            "department_email",
            "is_active",
            "visibility",
            "transfers_enabled",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "designations",
        &[
            "id",
            "name",
            "code",
            "department_id",
            "description",
            "level",
            "can_manage_team",
            "can_approve",
            "is_active",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "employees",
        &[
            "id",
            "user_id",
            "employee_code",
            "department_id",
            "designation_id",
            "joining_date",
            "employment_status",
            "manager_employee_id",
            "created_at",
            "updated_at",
        ],
    ),
    ("user_departments", &["user_id", "department_id", "created_at"]),
    // 2. Support desk
    (
        "clients",
        &["id", "display_name", "user_id", "data", "created_at", "updated_at"],
    ),
    (
        "client_external_ids",
        &["id", "client_id", "kind", "value", "created_at"],
    ),
    (
        "support_tickets",
        &[
            "id",
            "number",
            "subject",
            "description",
            "client_id",
            "created_by_user_id",
            "department_id",
            "category",
            "priority",
            "status",
            "custom_fields",
            "attachments",
            "related_entity_type",
            "related_entity_id",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "support_ticket_messages",
        &[
            "id",
            "ticket_id",
            "sender_user_id",
            "sender_client_id",
            "body",
            "attachments",
            "is_internal",
            "is_system",
            "created_at",
        ],
    ),
    ("tags", &["id", "name", "created_at"]),
    ("ticket_tags", &["ticket_id", "tag_id", "created_at"]),
    (
        "ticket_assignments",
        &[
            "ticket_id",
            "user_id",
            "assigned_by_user_id",
            "assigned_at",
            "created_at",
        ],
    ),
    // 3. Exchange
    (
        "exchange_orders",
        &[
            "id",
            "user_id",
            "from_currency",
            "to_currency",
            "from_amount",
            "to_amount",
            "rate",
            "fee_amount",
            "rate_type",
            "status",
            "deposit_address",
            "receiving_address",
            "refund_address",
            "deposit_tx_hash",
            "transaction_hash",
            "expires_at",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "rotating_addresses",
        &[
            "id",
            "currency",
            "address",
            "private_key_encrypted",
            "order_id",
            "created_at",
            "used_at",
            "released_at",
        ],
    ),
    ("reserves", &["id", "amount", "created_at", "updated_at"]),
    (
        "exchange_rates",
        &[
            "id",
            "base_currency",
            "quote_currency",
            "rate",
            "source",
            "fetched_at",
            "created_at",
        ],
    ),
    (
        "price_history",
        &[
            "id",
            "currency",
            "price_usd",
            "market_cap_usd",
            "volume_24h_usd",
            "change_24h_pct",
            "recorded_at",
            "created_at",
        ],
    ),
    (
        "fee_config",
        &[
            "id",
            "fee_type",
            "currency",
            "percentage_fee",
            "flat_fee",
            "min_amount",
            "max_amount",
            "is_active",
            "description",
            "created_at",
        ],
    ),
    (
        "deposit_addresses",
        &[
            "id",
            "user_id",
            "currency",
            "address",
            "balance",
            "total_received",
            "last_activity_at",
            "created_at",
        ],
    ),
    (
        "withdrawals",
        &[
            "id",
            "user_id",
            "currency",
            "amount",
            "fee_amount",
            "destination_address",
            "status",
            "tx_hash",
            "approval_request_id",
            "created_at",
        ],
    ),
    (
        "user_kyc",
        &[
            "id",
            "user_id",
            "status",
            "full_name",
            "date_of_birth",
            "country",
            "address_line",
            "id_document_type",
            "id_number_encrypted",
            "id_front_file",
            "id_back_file",
            "selfie_file",
            "submitted_at",
            "verified_at",
            "expires_at",
            "reviewed_by_user_id",
            "rejection_reason",
            "created_at",
        ],
    ),
    // 4. Wallets and commerce
    (
        "wallets",
        &["id", "user_id", "currency", "balance", "created_at", "updated_at"],
    ),
    (
        "wallet_ledger",
        &[
            "id",
            "wallet_id",
            "entry_type",
            "amount",
            "balance_after",
            "reference_type",
            "reference_id",
            "idempotency_key",
            "remarks",
            "created_by_user_id",
            "created_at",
        ],
    ),
    (
        "pricing_packages",
        &[
            "id",
            "name",
            "description",
            "package_type",
            "price_inr",
            "tracecoins_included",
            "validity_days",
            "is_active",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "orders",
        &[
            "id",
            "user_id",
            "order_type",
            "subtotal_inr",
            "discount_inr",
            "tax_inr",
            "total_inr",
            "coupon_id",
            "status",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "order_items",
        &[
            "id",
            "order_id",
            "item_type",
            "item_id",
            "item_name",
            "quantity",
            "unit_price_inr",
            "total_price_inr",
            "created_at",
        ],
    ),
    (
        "invoices",
        &[
            "id",
            "order_id",
            "user_id",
            "invoice_number",
            "subtotal_inr",
            "discount_inr",
            "tax_inr",
            "total_inr",
            "status",
            "issued_at",
            "due_at",
            "paid_at",
            "created_at",
        ],
    ),
    (
        "payments",
        &[
            "id",
            "order_id",
            "invoice_id",
            "user_id",
            "payment_gateway_config_id",
            "payment_method",
            "provider_payment_ref",
            "amount_inr",
            "currency_code",
            "status",
            "initiated_at",
            "completed_at",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "payment_gateway_configs",
        &[
            "id",
            "gateway_key",
            "display_name",
            "config_json",
            "secret_config_encrypted",
            "is_active",
            "created_at",
        ],
    ),
    (
        "payment_transactions",
        &[
            "id",
            "payment_id",
            "transaction_type",
            "provider_reference",
            "request_payload_json",
            "response_payload_json",
            "status",
            "created_at",
        ],
    ),
    (
        "coupons",
        &[
            "id",
            "code",
            "description",
            "discount_type",
            "discount_value",
            "max_discount_inr",
            "min_order_value_inr",
            "valid_from",
            "valid_to",
            "usage_limit",
            "is_active",
            "created_at",
        ],
    ),
    (
        "coupon_redemptions",
        &[
            "id",
            "coupon_id",
            "user_id",
            "order_id",
            "redeemed_at",
            "discount_amount_inr",
            "created_at",
        ],
    ),
    (
        "discount_rules",
        &[
            "id",
            "name",
            "scope_type",
            "scope_id",
            "discount_type",
            "discount_value",
            "starts_at",
            "ends_at",
            "is_active",
            "created_at",
        ],
    ),
    (
        "tax_rules",
        &[
            "id",
            "name",
            "tax_type",
            "tax_rate",
            "applies_to",
            "is_active",
            "created_at",
        ],
    ),
    // 5. Approvals and verification
    (
        "approval_requests",
        &[
            "id",
            "entity_type",
            "entity_id",
            "approval_type",
            "status",
            "submitted_by_user_id",
            "reviewed_by_user_id",
            "submitted_at",
            "reviewed_at",
            "remarks",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "approval_logs",
        &[
            "id",
            "approval_request_id",
            "action",
            "old_status",
            "new_status",
            "acted_by_user_id",
            "remarks",
            "created_at",
        ],
    ),
    (
        "verification_requests",
        &[
            "id",
            "user_id",
            "user_role_profile_id",
            "verification_type",
            "status",
            "submitted_at",
            "reviewed_at",
            "reviewed_by_user_id",
            "remarks",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "verification_documents",
        &[
            "id",
            "verification_request_id",
            "document_type",
            "file_url",
            "file_name",
            "mime_type",
            "status",
            "uploaded_at",
            "reviewed_at",
            "reviewed_by_user_id",
            "remarks",
            "created_at",
        ],
    ),
    (
        "verification_logs",
        &[
            "id",
            "verification_request_id",
            "action",
            "old_status",
            "new_status",
            "acted_by_user_id",
            "remarks",
            "created_at",
        ],
    ),
    // 6. Marketplace (as in source 001)
    (
        "user_role_profiles",
        &[
            "id",
            "user_id",
            "role_key",
            "display_name",
            "bio",
            "location",
            "avatar_url",
            "phone",
            "email",
            "status",
            "verification_status",
            "approval_status",
            "rejection_reason",
            "approved_at",
            "verified_at",
            "is_profile_public",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "photographer_profiles",
        &[
            "id",
            "user_role_profile_id",
            "specialties",
            "camera_brands",
            "studio_available",
            "outdoor_shoots",
            "travel_radius_km",
            "starting_price_inr",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "tutor_profiles",
        &[
            "id",
            "user_role_profile_id",
            "subjects",
            "board_types",
            "qualification",
            "teaches_online",
            "teaches_offline",
            "experience_years",
            "hourly_rate_inr",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "makeup_artist_profiles",
        &[
            "id",
            "user_role_profile_id",
            "specializations",
            "kit_brands",
            "home_service",
            "studio_available",
            "starting_price_inr",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "developer_profiles",
        &[
            "id",
            "user_role_profile_id",
            "tech_stack",
            "experience_years",
            "availability",
            "hourly_rate_inr",
            "remote_ok",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "video_editor_profiles",
        &[
            "id",
            "user_role_profile_id",
            "software_skills",
            "style_tags",
            "turnaround_days",
            "starting_price_inr",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "graphic_designer_profiles",
        &[
            "id",
            "user_role_profile_id",
            "design_tools",
            "style_tags",
            "brand_experience",
            "starting_price_inr",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "social_media_manager_profiles",
        &[
            "id",
            "user_role_profile_id",
            "platforms",
            "industries",
            "content_types",
            "avg_follower_growth_pct",
            "starting_price_inr",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "fitness_trainer_profiles",
        &[
            "id",
            "user_role_profile_id",
            "disciplines",
            "certifications",
            "online_sessions",
            "home_visits",
            "gym_based",
            "per_session_rate_inr",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "catering_service_profiles",
        &[
            "id",
            "user_role_profile_id",
            "business_name",
            "cuisine_types",
            "event_types",
            "min_guests",
            "max_guests",
            "has_setup_team",
            "has_serving_staff",
            "price_per_head_inr",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "ugc_content_creator_profiles",
        &[
            "id",
            "user_role_profile_id",
            "niche_tags",
            "content_formats",
            "platforms",
            "turnaround_days",
            "starting_price_inr",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "company_profiles",
        &[
            "id",
            "user_id",
            "company_name",
            "business_type",
            "industry",
            "contact_person_name",
            "email",
            "phone",
            "location",
            "bio",
            "status",
            "verification_status",
            "approval_status",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "customer_profiles",
        &[
            "id",
            "user_id",
            "display_name",
            "phone",
            "email",
            "location",
            "status",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "candidate_profiles",
        &[
            "id",
            "user_id",
            "display_name",
            "bio",
            "location",
            "experience_years",
            "preferred_roles",
            "expected_salary_inr",
            "resume_file_url",
            "status",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "portfolio_items",
        &[
            "id",
            "user_role_profile_id",
            "title",
            "description",
            "tags",
            "display_order",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "portfolio_images",
        &["id", "portfolio_item_id", "file_url", "display_order", "created_at"],
    ),
    (
        "services",
        &[
            "id",
            "user_role_profile_id",
            "name",
            "description",
            // 001 `price` (paise); money in paise lives in `*_inr` columns (Conventions).
            "price_inr",
            "duration_minutes",
            "is_active",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "jobs",
        &[
            "id",
            "company_profile_id",
            "posted_by_user_id",
            "title",
            "description",
            "location",
            "employment_type",
            "mode_of_work",
            "budget_inr",
            "salary_range_json",
            "status",
            "approved_at",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "job_applications",
        &[
            "id",
            "job_id",
            "applicant_user_id",
            "status",
            "cover_note",
            "applied_at",
            "created_at",
        ],
    ),
    (
        "leads",
        &[
            "id",
            "created_by_user_id",
            "profession_key",
            "title",
            "description",
            "location",
            "budget_inr",
            "required_date",
            "status",
            "approved_at",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "lead_requests",
        &[
            "id",
            "lead_id",
            "user_role_profile_id",
            "status",
            "remarks",
            "requested_at",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "reviews",
        &[
            "id",
            "reviewer_user_id",
            "entity_type",
            "entity_id",
            "rating",
            "review_text",
            "status",
            "created_at",
            "updated_at",
        ],
    ),
    // 7. Knowledge base, notifications, dashboards, configuration, audit
    (
        "kb_categories",
        &[
            "id",
            "name",
            "slug",
            "description",
            "display_order",
            "is_active",
            "created_at",
        ],
    ),
    (
        "kb_sections",
        &[
            "id",
            "category_id",
            "name",
            "slug",
            "description",
            "display_order",
            "is_active",
            "created_at",
        ],
    ),
    (
        "kb_articles",
        &[
            "id",
            "category_id",
            "section_id",
            "title",
            "slug",
            "summary",
            "content_markdown",
            "article_type",
            "status",
            "audience_type",
            "tags",
            "author_user_id",
            "reviewed_by_user_id",
            "published_at",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "kb_article_feedback",
        &[
            "id",
            "article_id",
            "user_id",
            "is_helpful",
            "feedback_text",
            "created_at",
        ],
    ),
    (
        "notification_templates",
        &[
            "id",
            "template_key",
            "channel",
            "title_template",
            "body_template",
            "is_active",
            "created_at",
        ],
    ),
    (
        "notifications",
        &[
            "id",
            "user_id",
            "channel",
            "kind",
            "title",
            "body",
            "data",
            "action_url",
            "status",
            "related_entity_type",
            "related_entity_id",
            "sent_at",
            "read_at",
            "created_at",
        ],
    ),
    (
        "email_logs",
        &[
            "id",
            "user_id",
            "notification_template_id",
            "to_email",
            "subject",
            "body_snapshot",
            "status",
            "provider_reference",
            "error_message",
            "sent_at",
            "created_at",
        ],
    ),
    (
        "smtp_configs",
        &[
            "id",
            "provider_name",
            "host",
            "port",
            "username",
            "password_encrypted",
            "encryption_mode",
            "from_name",
            "from_email",
            "is_default",
            "is_active",
            "created_at",
        ],
    ),
    (
        "dashboard_configs",
        &[
            "id",
            "dashboard_type",
            "owner_type",
            "owner_id",
            "name",
            "layout_json",
            "is_default",
            "is_active",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "dashboard_widgets",
        &[
            "id",
            "dashboard_config_id",
            "widget_key",
            "widget_title",
            "config_json",
            "display_order",
            "width_units",
            "height_units",
            "is_visible",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "runtime_configs",
        &[
            "id",
            "config_group",
            "config_key",
            "config_value_json",
            "is_active",
            "description",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "audit_logs",
        &[
            "id",
            "actor_user_id",
            "actor_employee_id",
            "actor_type",
            "action",
            "entity_type",
            "entity_id",
            "entity_label",
            "module_key",
            "source_type",
            "source_id",
            "request_id",
            "correlation_id",
            "ip_address",
            "user_agent",
            "status",
            "summary",
            "metadata_json",
            "before_json",
            "after_json",
            "created_at",
        ],
    ),
    (
        "audit_log_changes",
        &[
            "id",
            "audit_log_id",
            "field_name",
            "old_value_text",
            "new_value_text",
            "created_at",
        ],
    ),
    // The transactional outbox and the job runner (architecture.md, "Events").
    ("event_outbox", &["id", "topic", "payload", "created_at"]),
    (
        "background_jobs",
        &[
            "id",
            "kind",
            "payload",
            "status",
            "run_at",
            "attempts",
            "max_attempts",
            "last_error",
            "locked_by",
            "locked_until",
            "created_at",
            "updated_at",
        ],
    ),
];

/// The mapping table at the end of schema.md: source table → its home.
const SOURCE_HOMES: &[(&str, &str)] = &[
    ("000 support_tickets", "support_tickets"),
    ("001 support_tickets", "support_tickets"),
    ("003 tickets", "support_tickets"),
    ("000 ticket_messages", "support_ticket_messages"),
    ("001 support_ticket_messages", "support_ticket_messages"),
    ("003 messages", "support_ticket_messages"),
    ("000 orders", "exchange_orders"),
    ("000 rotating_addresses", "rotating_addresses"),
    ("000 reserves", "reserves"),
    ("000 admin_users", "users"),
    ("000 admin_users", "user_roles"),
    ("000 admin_audit_logs", "audit_logs"),
    ("001 audit_logs", "audit_logs"),
    ("004 audit_logs", "audit_logs"),
    ("001 user_sessions", "user_sessions"),
    ("004 sessions", "user_sessions"),
    ("001 user_settings", "user_settings"),
    ("004 user_settings", "user_settings"),
    ("001 notifications", "notifications"),
    ("004 notifications", "notifications"),
    ("001 departments", "departments"),
    ("003 departments", "departments"),
    ("001 tracecoin_wallets", "wallets"),
    ("001 tracecoin_ledger", "wallet_ledger"),
    ("001 orders", "orders"),
    ("001 coupon_uses", "coupon_redemptions"),
    ("001 applications", "job_applications"),
    ("001 requirements", "leads"),
    ("003 users", "users"),
    ("003 ticket_assignments", "ticket_assignments"),
    ("003 ticket_tags", "ticket_tags"),
    ("003 tags", "tags"),
    ("003 clients", "clients"),
    ("003 client_external_ids", "client_external_ids"),
    ("003 user_departments", "user_departments"),
    ("003 user_oauth_accounts", "user_oauth_accounts"),
    ("004 user_kyc", "user_kyc"),
    ("004 api_keys", "api_keys"),
    ("004 deposit_addresses", "deposit_addresses"),
    ("004 price_history", "price_history"),
    ("004 exchange_rates", "exchange_rates"),
    ("004 fee_config", "fee_config"),
];

/// Source table names that must not survive as tables of their own.
const MERGED_AWAY: &[&str] = &[
    "tickets",
    "messages",
    "ticket_messages",
    "admin_users",
    "admin_audit_logs",
    "sessions",
    "tracecoin_wallets",
    "tracecoin_ledger",
    "coupon_uses",
    "applications",
    "requirements",
];

/// The append-only tables of the Conventions.
const APPEND_ONLY: &[&str] = &[
    "wallet_ledger",
    "audit_logs",
    "audit_log_changes",
    "approval_logs",
    "verification_logs",
    "payment_transactions",
];

// ---------------------------------------------------------------------------
// Helpers

/// A pool of exactly one connection, so every statement of a test runs on
/// the same session.
async fn connect_one(url: &str) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(1).min_connections(1).sqlx_logging(false);
    Database::connect(opts).await.expect("connect to the test database")
}

/// Rows of `sql`, every selected column cast to text by the query (NULL
/// becomes "NULL").
async fn text_rows(db: &DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_else(|e| panic!("query failed: {e}\n{sql}"));
    rows.iter()
        .map(|row| {
            (0..row.column_names().len())
                .map(|i| {
                    row.try_get_by_index::<Option<String>>(i)
                        .unwrap_or_else(|e| panic!("column {i} of {sql} is not text: {e}"))
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect()
        })
        .collect()
}

/// The single text value of `sql` (e.g. `INSERT ... RETURNING id::text`).
async fn one_text(db: &DatabaseConnection, sql: &str) -> String {
    let rows = text_rows(db, sql).await;
    assert_eq!(rows.len(), 1, "expected one row from: {sql}");
    rows[0][0].clone()
}

/// SQLSTATE, constraint and message of a PostgreSQL error.
#[derive(Debug)]
struct PgError {
    code: String,
    constraint: Option<String>,
    message: String,
}

fn pg_error(err: &DbErr) -> Option<PgError> {
    let (DbErr::Exec(runtime) | DbErr::Query(runtime) | DbErr::Conn(runtime)) = err else {
        return None;
    };
    let RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return None;
    };
    let sea_orm::sqlx::Error::Database(db_err) = sqlx_err.as_ref() else {
        return None;
    };
    let pg = db_err.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()?;
    Some(PgError {
        code: pg.code().to_string(),
        constraint: pg.constraint().map(str::to_string),
        message: pg.message().to_string(),
    })
}

/// Runs `sql`, which must succeed.
async fn accepted(db: &DatabaseConnection, what: &str, sql: &str) {
    if let Err(e) = db.execute_unprepared(sql).await {
        panic!("{what}: a valid statement was refused ({e}):\n{sql}");
    }
}

/// Runs `sql`, which must fail with a PostgreSQL error; returns it.
async fn refused(db: &DatabaseConnection, what: &str, sql: &str) -> PgError {
    match db.execute_unprepared(sql).await {
        Ok(_) => panic!("{what}: the database accepted what it must refuse:\n{sql}"),
        Err(e) => pg_error(&e).unwrap_or_else(|| panic!("{what}: not a PostgreSQL error: {e}")),
    }
}

/// Runs `sql`, which must violate `constraint` with SQLSTATE `code`.
async fn violates(db: &DatabaseConnection, what: &str, sql: &str, code: &str, constraint: &str) {
    let e = refused(db, what, sql).await;
    assert_eq!(
        (e.code.as_str(), e.constraint.as_deref()),
        (code, Some(constraint)),
        "{what}: wrong refusal ({}): {sql}",
        e.message
    );
}

/// `0.500000` → `0.5`, `0.000000` → `0`.
fn trim_decimal(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

// ---------------------------------------------------------------------------
// 1. The model's tables and columns

#[tokio::test]
async fn every_table_of_the_model_exists_with_its_columns() {
    let url = fresh_database().await;
    let db = connect_one(&url).await;

    let tables: BTreeSet<String> = text_rows(
        &db,
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .await
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    let mut columns: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in text_rows(
        &db,
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public'",
    )
    .await
    {
        columns.entry(r[0].clone()).or_default().insert(r[1].clone());
    }

    // The list itself: no table twice, no column twice.
    let mut seen = BTreeSet::new();
    for (table, cols) in EXPECTED {
        assert!(seen.insert(*table), "EXPECTED lists {table} twice");
        let distinct: BTreeSet<_> = cols.iter().collect();
        assert_eq!(distinct.len(), cols.len(), "EXPECTED lists a column of {table} twice");
    }

    let mut missing_tables = Vec::new();
    let mut missing_columns = Vec::new();
    let mut checked_columns = 0;
    for (table, cols) in EXPECTED {
        if !tables.contains(*table) {
            missing_tables.push(table.to_string());
            continue;
        }
        let have = &columns[*table];
        for col in *cols {
            checked_columns += 1;
            if !have.contains(*col) {
                missing_columns.push(format!("{table}.{col}"));
            }
        }
    }
    assert!(
        missing_tables.is_empty() && missing_columns.is_empty(),
        "the database lacks what the model requires ({} tables, {checked_columns} columns checked):\n\
         missing tables: {missing_tables:?}\nmissing columns: {missing_columns:?}",
        EXPECTED.len()
    );

    // kb_articles: "plus a generated tsvector column with a GIN index".
    let generated_tsvector = text_rows(
        &db,
        "SELECT c.column_name::text FROM information_schema.columns c
         WHERE c.table_schema = 'public' AND c.table_name = 'kb_articles'
           AND c.udt_name = 'tsvector' AND c.is_generated = 'ALWAYS'
           AND EXISTS (SELECT 1 FROM pg_indexes i
                       WHERE i.schemaname = 'public' AND i.tablename = 'kb_articles'
                         AND i.indexdef ILIKE '%USING gin (' || c.column_name || ')%')",
    )
    .await;
    assert!(
        !generated_tsvector.is_empty(),
        "kb_articles has no generated tsvector column with a GIN index"
    );

    // Conventions: money and amounts are never floats.
    let floats = text_rows(
        &db,
        "SELECT table_name || '.' || column_name FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type IN ('real', 'double precision')",
    )
    .await;
    assert!(
        floats.is_empty(),
        "float columns, which the Conventions forbid: {floats:?}"
    );

    // The mapping table: every source table has its home...
    let homeless: Vec<_> = SOURCE_HOMES
        .iter()
        .filter(|(_, home)| !tables.contains(*home))
        .map(|(source, home)| format!("{source} → {home}"))
        .collect();
    assert!(homeless.is_empty(), "source tables without their home: {homeless:?}");
    // ...and the merged-away names are gone.
    let survivors: Vec<_> = MERGED_AWAY.iter().filter(|t| tables.contains(**t)).collect();
    assert!(
        survivors.is_empty(),
        "source tables that schema.md merges into others still exist: {survivors:?}"
    );
    // `orders` is the commerce one (001), the exchange one (000) is exchange_orders.
    let orders = &columns["orders"];
    assert!(
        orders.contains("subtotal_inr") && orders.contains("total_inr") && !orders.contains("from_currency"),
        "orders must be 001's commerce orders, has {orders:?}"
    );
    let exchange_orders = &columns["exchange_orders"];
    assert!(
        exchange_orders.contains("from_currency") && !exchange_orders.contains("subtotal_inr"),
        "exchange_orders must be 000's orders, has {exchange_orders:?}"
    );

    db.close().await.expect("close");
}

// ---------------------------------------------------------------------------
// 2. Constraints

#[tokio::test]
async fn each_kind_of_constraint_bites() {
    let url = fresh_database().await;
    let db = connect_one(&url).await;

    // Case-insensitive unique email.
    let user = one_text(
        &db,
        "INSERT INTO users (email, display_name) VALUES ('Alice@Example.com', 'Alice') RETURNING id::text",
    )
    .await;
    accepted(
        &db,
        "a second user with another email",
        "INSERT INTO users (email, display_name) VALUES ('bob@example.com', 'Bob')",
    )
    .await;
    violates(
        &db,
        "duplicate email in another case",
        "INSERT INTO users (email, display_name) VALUES ('alice@EXAMPLE.COM', 'Alice again')",
        "23505",
        "users_email_key",
    )
    .await;

    // Enumeration CHECK.
    let ticket = one_text(
        &db,
        "INSERT INTO support_tickets (subject, description, status)
         VALUES ('Help', 'It broke', 'IN_PROGRESS') RETURNING id::text",
    )
    .await;
    violates(
        &db,
        "bad enum value",
        "INSERT INTO support_tickets (subject, description, status) VALUES ('Help', 'It broke', 'NOPE')",
        "23514",
        "support_tickets_status_check",
    )
    .await;
    accepted(
        &db,
        "a valid status change",
        &format!("UPDATE support_tickets SET status = 'RESOLVED' WHERE id = '{ticket}'"),
    )
    .await;
    violates(
        &db,
        "bad enum value on update",
        &format!("UPDATE support_tickets SET status = 'NOPE' WHERE id = '{ticket}'"),
        "23514",
        "support_tickets_status_check",
    )
    .await;

    // Wallet balance never below zero.
    let wallet = one_text(
        &db,
        &format!("INSERT INTO wallets (user_id, balance) VALUES ('{user}', 10) RETURNING id::text"),
    )
    .await;
    accepted(
        &db,
        "a zero balance",
        &format!("UPDATE wallets SET balance = 0 WHERE id = '{wallet}'"),
    )
    .await;
    violates(
        &db,
        "negative wallet balance",
        &format!("UPDATE wallets SET balance = -1 WHERE id = '{wallet}'"),
        "23514",
        "wallets_balance_check",
    )
    .await;
    accepted(
        &db,
        "back to 10",
        &format!("UPDATE wallets SET balance = 10 WHERE id = '{wallet}'"),
    )
    .await;

    // Reserves never below zero.
    accepted(
        &db,
        "a positive reserve",
        "UPDATE reserves SET amount = 1.5 WHERE id = 'BTC'",
    )
    .await;
    assert_eq!(
        one_text(&db, "SELECT amount::text FROM reserves WHERE id = 'BTC'")
            .await
            .trim_end_matches('0'),
        "1.5",
        "the BTC reserve row is missing or was not updated"
    );
    violates(
        &db,
        "negative reserve",
        "UPDATE reserves SET amount = -0.000000000000000001 WHERE id = 'BTC'",
        "23514",
        "reserves_amount_check",
    )
    .await;

    // Orphan foreign key.
    accepted(
        &db,
        "a wallet of an existing user",
        &format!("INSERT INTO wallets (user_id, currency, balance) VALUES ('{user}', 'INR', 0)"),
    )
    .await;
    violates(
        &db,
        "wallet of a user that does not exist",
        "INSERT INTO wallets (user_id, balance) VALUES (gen_random_uuid(), 0)",
        "23503",
        "wallets_user_id_fkey",
    )
    .await;
    violates(
        &db,
        "message of a ticket that does not exist",
        &format!(
            "INSERT INTO support_ticket_messages (ticket_id, sender_user_id, body)
             VALUES (gen_random_uuid(), '{user}', 'hello')"
        ),
        "23503",
        "support_ticket_messages_ticket_id_fkey",
    )
    .await;

    // A ticket message needs a sender or is_system.
    accepted(
        &db,
        "a message from a user",
        &format!(
            "INSERT INTO support_ticket_messages (ticket_id, sender_user_id, body)
             VALUES ('{ticket}', '{user}', 'hello')"
        ),
    )
    .await;
    accepted(
        &db,
        "a system message",
        &format!(
            "INSERT INTO support_ticket_messages (ticket_id, body, is_system)
             VALUES ('{ticket}', 'Ticket resolved', true)"
        ),
    )
    .await;
    violates(
        &db,
        "a message with no sender",
        &format!("INSERT INTO support_ticket_messages (ticket_id, body) VALUES ('{ticket}', 'who am I?')"),
        "23514",
        "support_ticket_messages_sender_check",
    )
    .await;

    // Append-only tables: one valid row each (with its parents), then
    // UPDATE, DELETE and TRUNCATE are each refused and the row survives.
    let mut rows: Vec<(&str, String)> = Vec::new();
    rows.push((
        "wallet_ledger",
        one_text(
            &db,
            &format!(
                "INSERT INTO wallet_ledger (wallet_id, entry_type, amount, balance_after, reference_type, created_by_user_id)
                 VALUES ('{wallet}', 'CREDIT', 10, 10, 'BONUS', '{user}') RETURNING id::text"
            ),
        )
        .await,
    ));
    let audit = one_text(
        &db,
        &format!(
            "INSERT INTO audit_logs (actor_user_id, action, entity_type, entity_id, module_key, summary)
             VALUES ('{user}', 'UPDATE', 'SUPPORT_TICKET', '{ticket}', 'SUPPORT', 'status changed')
             RETURNING id::text"
        ),
    )
    .await;
    rows.push(("audit_logs", audit.clone()));
    rows.push((
        "audit_log_changes",
        one_text(
            &db,
            &format!(
                "INSERT INTO audit_log_changes (audit_log_id, field_name, old_value_text, new_value_text)
                 VALUES ('{audit}', 'status', 'IN_PROGRESS', 'RESOLVED') RETURNING id::text"
            ),
        )
        .await,
    ));
    let approval = one_text(
        &db,
        &format!(
            "INSERT INTO approval_requests (entity_type, entity_id, approval_type, submitted_by_user_id)
             VALUES ('JOB', gen_random_uuid(), 'CONTENT', '{user}') RETURNING id::text"
        ),
    )
    .await;
    rows.push((
        "approval_logs",
        one_text(
            &db,
            &format!(
                "INSERT INTO approval_logs (approval_request_id, action, new_status, acted_by_user_id)
                 VALUES ('{approval}', 'SUBMITTED', 'PENDING', '{user}') RETURNING id::text"
            ),
        )
        .await,
    ));
    let verification = one_text(
        &db,
        &format!(
            "INSERT INTO verification_requests (user_id, verification_type)
             VALUES ('{user}', 'IDENTITY') RETURNING id::text"
        ),
    )
    .await;
    rows.push((
        "verification_logs",
        one_text(
            &db,
            &format!(
                "INSERT INTO verification_logs (verification_request_id, action, new_status, acted_by_user_id)
                 VALUES ('{verification}', 'SUBMITTED', 'PENDING', '{user}') RETURNING id::text"
            ),
        )
        .await,
    ));
    let order = one_text(
        &db,
        &format!(
            "INSERT INTO orders (user_id, order_type, subtotal_inr, total_inr)
             VALUES ('{user}', 'PACKAGE', 10000, 10000) RETURNING id::text"
        ),
    )
    .await;
    let gateway = one_text(
        &db,
        "INSERT INTO payment_gateway_configs (gateway_key, display_name)
         VALUES ('RAZORPAY', 'Razorpay') RETURNING id::text",
    )
    .await;
    let payment = one_text(
        &db,
        &format!(
            "INSERT INTO payments (order_id, user_id, payment_gateway_config_id, amount_inr)
             VALUES ('{order}', '{user}', '{gateway}', 10000) RETURNING id::text"
        ),
    )
    .await;
    rows.push((
        "payment_transactions",
        one_text(
            &db,
            &format!(
                "INSERT INTO payment_transactions (payment_id, transaction_type, status)
                 VALUES ('{payment}', 'INITIATED', 'PENDING') RETURNING id::text"
            ),
        )
        .await,
    ));
    let covered: BTreeSet<&str> = rows.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        covered,
        APPEND_ONLY.iter().copied().collect(),
        "every append-only table is exercised"
    );

    for (table, id) in &rows {
        let attempts = [
            (
                "UPDATE",
                format!("UPDATE {table} SET created_at = created_at WHERE id = '{id}'"),
            ),
            ("DELETE", format!("DELETE FROM {table} WHERE id = '{id}'")),
            // CASCADE so that a referencing table (audit_log_changes →
            // audit_logs) cannot refuse the TRUNCATE before the trigger runs.
            ("TRUNCATE", format!("TRUNCATE {table} CASCADE")),
        ];
        for (op, sql) in attempts {
            let e = refused(&db, &format!("{op} on append-only {table}"), &sql).await;
            assert_eq!(
                (e.code.as_str(), e.message.as_str()),
                ("P0001", format!("{table} is append-only").as_str()),
                "{op} on {table} refused for the wrong reason"
            );
        }
        let left = one_text(&db, &format!("SELECT count(*)::text FROM {table} WHERE id = '{id}'")).await;
        assert_eq!(left, "1", "the row of {table} must survive UPDATE, DELETE and TRUNCATE");
    }
    // Inserting into append-only tables keeps working.
    accepted(
        &db,
        "a second (compensating) ledger row",
        &format!(
            "INSERT INTO wallet_ledger (wallet_id, entry_type, amount, balance_after, reference_type)
             VALUES ('{wallet}', 'DEBIT', 10, 0, 'ADJUSTMENT')"
        ),
    )
    .await;

    db.close().await.expect("close");
}

// ---------------------------------------------------------------------------
// 3. Down to zero and up again

fn pg_dump_path() -> PathBuf {
    find_bindir()
        .map(|dir| dir.join("pg_dump"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("pg_dump"))
}

/// `pg_dump --schema-only` of `url`, without the lines that vary run to
/// run (the `\restrict` / `\unrestrict` keys of pg_dump 15.14+ and the
/// like).
fn schema_dump(url: &str) -> String {
    let out = Command::new(pg_dump_path())
        .args(["--schema-only", "--no-owner", "--no-privileges", "--dbname", url])
        .output()
        .expect("run pg_dump (it ships next to the PostgreSQL server binaries)");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines only one of two dumps has, for the failure message.
fn dump_difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<_>, Vec<_>) = (a.lines().collect(), b.lines().collect());
    let only_a: Vec<_> = la.iter().filter(|l| !lb.contains(l)).take(40).collect();
    let only_b: Vec<_> = lb.iter().filter(|l| !la.contains(l)).take(40).collect();
    format!("only in the first dump: {only_a:#?}\nonly in the second dump: {only_b:#?}")
}

#[tokio::test]
async fn migrations_go_down_to_zero_and_up_again_with_the_same_schema() {
    let admin_url = pg_admin_url();
    let name = format!("m_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url).await.expect("connect admin");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create an empty database");
    let url = with_database(admin_url, &name);
    let conn = Database::connect(&url).await.expect("connect the empty database");

    db::migrate(&url, &conn, MigrateCommand::Up).await.expect("first up");
    let first = schema_dump(&url);
    assert!(
        first.contains("CREATE TABLE public.support_tickets"),
        "the dump after up has no support_tickets table"
    );

    db::migrate(&url, &conn, MigrateCommand::Down(None))
        .await
        .expect("down to zero");
    let left = text_rows(
        &conn,
        "SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                    WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                    WHEN 'f' THEN 'foreign table' END || ' ' || c.relname
         FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace
           AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
           AND c.relname <> 'seaql_migrations'
         UNION ALL
         SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
         UNION ALL
         SELECT 'type ' || t.typname FROM pg_type t
         WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r')
         ORDER BY 1",
    )
    .await;
    assert!(
        left.is_empty(),
        "after down to zero, schema public still holds: {:?}",
        left.iter().map(|r| &r[0]).collect::<Vec<_>>()
    );
    let applied = one_text(&conn, "SELECT count(*)::text FROM seaql_migrations").await;
    assert_eq!(
        applied, "0",
        "seaql_migrations still lists applied migrations after down to zero"
    );

    db::migrate(&url, &conn, MigrateCommand::Up).await.expect("second up");
    let second = schema_dump(&url);
    assert!(
        first == second,
        "the schema after down and up differs from the first up:\n{}",
        dump_difference(&first, &second)
    );

    // Reference rows are back.
    let roles: BTreeSet<String> = text_rows(&conn, "SELECT key FROM roles")
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    for key in [
        "super_admin",
        "admin",
        "support_agent",
        "finance",
        "compliance",
        "customer",
    ] {
        assert!(
            roles.contains(key),
            "built-in role {key} is missing after down and up: {roles:?}"
        );
    }
    let fees: BTreeMap<String, String> = text_rows(
        &conn,
        "SELECT fee_type, percentage_fee::text FROM fee_config WHERE currency IS NULL AND is_active",
    )
    .await
    .into_iter()
    .map(|r| (r[0].clone(), trim_decimal(&r[1]).to_string()))
    .collect();
    for (fee_type, pct) in [("WITHDRAWAL", "0.5"), ("TRADING", "0.1"), ("DEPOSIT", "0")] {
        assert_eq!(
            fees.get(fee_type).map(String::as_str),
            Some(pct),
            "fee_config {fee_type} after down and up: {fees:?}"
        );
    }
    let trc = one_text(&conn, "SELECT count(*)::text FROM currencies WHERE code = 'TRC'").await;
    assert_eq!(trc, "1", "currency TRC is missing after down and up");
    let departments: i64 = one_text(&conn, "SELECT count(*)::text FROM departments")
        .await
        .parse()
        .expect("a count");
    assert!(departments >= 1, "no department after down and up");

    conn.close().await.expect("close");
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
    admin.close().await.expect("close admin");
}
