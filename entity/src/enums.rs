//! Enumerations of the schema. Every enum column is `TEXT` with a
//! `CHECK (col IN (...))` of UPPER_SNAKE values; each value set has one Rust
//! enum here that maps it to SeaORM (`DeriveActiveEnum`, the database value
//! is the `string_value`) and to GraphQL (`async_graphql::Enum`, whose item
//! names default to SCREAMING_SNAKE of the variant and so equal the database
//! values). [`ENUM_COLUMNS`] says which enum mirrors which column; the API
//! test `enums` compares it with the migrated schema's CHECK constraints.

use async_graphql::resolver_utils::EnumType;
use sea_orm::entity::prelude::*;

/// One CHECK-constrained enum column and the enum that mirrors it.
#[derive(Debug, Clone, Copy)]
pub struct EnumColumn {
    /// Table of the column (schema `public`).
    pub table: &'static str,
    /// Column name.
    pub column: &'static str,
    /// Name of the Rust enum mirroring the column.
    pub enum_name: &'static str,
    /// The enum's database values, in declaration order.
    pub values: fn() -> Vec<String>,
    /// The enum's GraphQL item names, in declaration order.
    pub graphql_names: fn() -> Vec<String>,
}

/// Database values of an enum, taken from its `DeriveActiveEnum`.
pub fn db_values<E: ActiveEnum<Value = String>>() -> Vec<String> {
    E::values()
}

/// GraphQL item names of an enum, taken from its `async_graphql::Enum`.
pub fn graphql_names<E: EnumType>() -> Vec<String> {
    E::items().iter().map(|item| item.name.to_string()).collect()
}

macro_rules! enum_column {
    ($table:literal, $column:literal, $enum:ident) => {
        EnumColumn {
            table: $table,
            column: $column,
            enum_name: stringify!($enum),
            values: db_values::<$enum>,
            graphql_names: graphql_names::<$enum>,
        }
    };
}

/// Every CHECK-constrained enum column of the migrated schema, by table.
/// `user_oauth_accounts.provider` is not here: since migration
/// `m20261122_000013` it is a format check, the providers being configured.
pub const ENUM_COLUMNS: &[EnumColumn] = &[
    // identity
    enum_column!("departments", "visibility", Audience),
    enum_column!("users", "account_type", AccountType),
    enum_column!("users", "status", UserStatus),
    enum_column!("user_sessions", "device_type", DeviceType),
    enum_column!("user_settings", "theme", Theme),
    enum_column!("roles", "audience", Audience),
    enum_column!("user_roles", "status", ApprovalStatus),
    enum_column!("employees", "employment_status", EmploymentStatus),
    // support
    enum_column!("client_external_ids", "kind", ExternalIdKind),
    enum_column!("support_tickets", "category", TicketCategory),
    enum_column!("support_tickets", "priority", TicketPriority),
    enum_column!("support_tickets", "status", TicketStatus),
    // marketplace
    enum_column!("user_role_profiles", "status", ProfileStatus),
    enum_column!("user_role_profiles", "verification_status", VerificationStatus),
    enum_column!("user_role_profiles", "approval_status", ApprovalStatus),
    enum_column!("developer_profiles", "availability", DeveloperAvailability),
    enum_column!("company_profiles", "status", ProfileStatus),
    enum_column!("company_profiles", "verification_status", VerificationStatus),
    enum_column!("company_profiles", "approval_status", ApprovalStatus),
    enum_column!("customer_profiles", "status", CustomerProfileStatus),
    enum_column!("candidate_profiles", "status", ProfileStatus),
    enum_column!("candidate_profiles", "approval_status", ApprovalStatus),
    enum_column!("jobs", "employment_type", EmploymentType),
    enum_column!("jobs", "mode_of_work", WorkMode),
    enum_column!("jobs", "status", JobStatus),
    enum_column!("job_applications", "status", JobApplicationStatus),
    enum_column!("leads", "status", LeadStatus),
    enum_column!("lead_requests", "status", LeadRequestStatus),
    enum_column!("reviews", "entity_type", ReviewEntityType),
    enum_column!("reviews", "status", ReviewStatus),
    // approval and verification
    enum_column!("approval_requests", "entity_type", ApprovalEntityType),
    enum_column!("approval_requests", "approval_type", ApprovalType),
    enum_column!("approval_requests", "status", ApprovalRequestStatus),
    enum_column!("approval_logs", "action", ApprovalAction),
    enum_column!("approval_logs", "old_status", ApprovalRequestStatus),
    enum_column!("approval_logs", "new_status", ApprovalRequestStatus),
    enum_column!("verification_requests", "verification_type", VerificationType),
    enum_column!("verification_requests", "status", VerificationRequestStatus),
    enum_column!("verification_documents", "document_type", VerificationDocumentType),
    enum_column!("verification_documents", "status", ApprovalStatus),
    enum_column!("verification_logs", "action", VerificationAction),
    enum_column!("verification_logs", "old_status", VerificationRequestStatus),
    enum_column!("verification_logs", "new_status", VerificationRequestStatus),
    // exchange
    enum_column!("currencies", "kind", CurrencyKind),
    enum_column!("currencies", "rotation_policy", RotationPolicy),
    enum_column!("exchange_orders", "rate_type", RateType),
    enum_column!("exchange_orders", "status", ExchangeOrderStatus),
    enum_column!("exchange_orders", "hold_reason", HoldReason),
    enum_column!("currencies", "network", ChainNetwork),
    enum_column!("exchange_order_transitions", "from_status", ExchangeOrderStatus),
    enum_column!("exchange_order_transitions", "to_status", ExchangeOrderStatus),
    enum_column!("exchange_order_transitions", "actor", TransitionActor),
    enum_column!("chain_transactions", "kind", ChainTxKind),
    enum_column!("chain_transactions", "matched", ChainTxMatch),
    enum_column!("fee_config", "fee_type", FeeType),
    enum_column!("withdrawals", "status", WithdrawalStatus),
    enum_column!("user_kyc", "status", KycStatus),
    enum_column!("user_kyc", "id_document_type", IdDocumentType),
    // wallet
    enum_column!("wallet_ledger", "entry_type", LedgerEntryType),
    enum_column!("wallet_ledger", "reference_type", LedgerReferenceType),
    // commerce
    enum_column!("pricing_packages", "package_type", PackageType),
    enum_column!("coupons", "discount_type", DiscountType),
    enum_column!("orders", "order_type", ProductType),
    enum_column!("orders", "status", OrderStatus),
    enum_column!("order_items", "item_type", ProductType),
    enum_column!("invoices", "status", InvoiceStatus),
    enum_column!("payment_gateway_configs", "gateway_key", PaymentGateway),
    enum_column!("payments", "payment_method", PaymentMethod),
    enum_column!("payments", "status", PaymentStatus),
    enum_column!("payment_transactions", "transaction_type", PaymentTransactionType),
    enum_column!("payment_transactions", "status", PaymentStatus),
    enum_column!("discount_rules", "scope_type", DiscountScope),
    enum_column!("discount_rules", "discount_type", DiscountType),
    enum_column!("tax_rules", "tax_type", TaxType),
    enum_column!("tax_rules", "applies_to", TaxAppliesTo),
    // knowledge
    enum_column!("kb_articles", "article_type", KbArticleType),
    enum_column!("kb_articles", "status", KbArticleStatus),
    enum_column!("kb_articles", "audience_type", KbAudience),
    // notification
    enum_column!("notification_templates", "channel", NotificationChannel),
    enum_column!("notifications", "channel", NotificationChannel),
    enum_column!("notifications", "kind", NotificationKind),
    enum_column!("notifications", "status", NotificationStatus),
    enum_column!("email_logs", "status", EmailStatus),
    enum_column!("smtp_configs", "encryption_mode", SmtpEncryption),
    // config
    enum_column!("dashboard_configs", "dashboard_type", Audience),
    enum_column!("dashboard_configs", "owner_type", DashboardOwnerType),
    // audit
    enum_column!("audit_logs", "actor_type", AuditActorType),
    enum_column!("audit_logs", "action", AuditAction),
    enum_column!("audit_logs", "module_key", AuditModule),
    enum_column!("audit_logs", "source_type", AuditSourceType),
    enum_column!("audit_logs", "status", AuditStatus),
    enum_column!("background_jobs", "status", BackgroundJobStatus),
];

/// Which side of the business something is for: staff (internal) or customers and professionals (external).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Audience {
    /// For staff.
    #[sea_orm(string_value = "INTERNAL")]
    Internal,
    /// For customers, professionals and companies.
    #[sea_orm(string_value = "EXTERNAL")]
    External,
}

/// Whether an account belongs to a person or a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AccountType {
    /// A person.
    #[sea_orm(string_value = "INDIVIDUAL")]
    Individual,
    /// A company or other organisation.
    #[sea_orm(string_value = "COMPANY")]
    Company,
}

/// Standing of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum UserStatus {
    /// May sign in and use the API.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Created but not yet activated; cannot sign in.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Suspended by an administrator; every session has ended.
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
}

/// Kind of device a session was opened from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DeviceType {
    /// A desktop or laptop browser.
    #[sea_orm(string_value = "DESKTOP")]
    Desktop,
    /// A phone.
    #[sea_orm(string_value = "MOBILE")]
    Mobile,
    /// A tablet.
    #[sea_orm(string_value = "TABLET")]
    Tablet,
    /// The user agent did not say.
    #[sea_orm(string_value = "UNKNOWN")]
    Unknown,
}

/// Colour theme a user prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Theme {
    /// Dark colours.
    #[sea_orm(string_value = "DARK")]
    Dark,
    /// Light colours.
    #[sea_orm(string_value = "LIGHT")]
    Light,
    /// Follows the device's setting.
    #[sea_orm(string_value = "AUTO")]
    Auto,
}

/// Outcome of a review that can only be pending, approved or rejected (role grants, profiles, documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ApprovalStatus {
    /// Waiting for review.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Approved; in effect.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// Rejected, with remarks.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

/// Whether an employee still works here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum EmploymentStatus {
    /// Works here now.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// On leave or otherwise not working for now.
    #[sea_orm(string_value = "INACTIVE")]
    Inactive,
    /// No longer works here.
    #[sea_orm(string_value = "TERMINATED")]
    Terminated,
}

/// Channel an external identifier of a support client belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ExternalIdKind {
    /// An email address.
    #[sea_orm(string_value = "EMAIL")]
    Email,
    /// A phone number (calls and text messages).
    #[sea_orm(string_value = "PHONE")]
    Phone,
    /// A WhatsApp number.
    #[sea_orm(string_value = "WHATSAPP")]
    Whatsapp,
    /// A Slack user id.
    #[sea_orm(string_value = "SLACK")]
    Slack,
    /// A Telegram user name or id.
    #[sea_orm(string_value = "TELEGRAM")]
    Telegram,
    /// Any other channel.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Topic of a support ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TicketCategory {
    /// Anything not covered by another category.
    #[sea_orm(string_value = "GENERAL")]
    General,
    /// Payments, invoices and charges.
    #[sea_orm(string_value = "BILLING")]
    Billing,
    /// Something does not work.
    #[sea_orm(string_value = "TECHNICAL")]
    Technical,
    /// Sign-in, profile and account settings.
    #[sea_orm(string_value = "ACCOUNT")]
    Account,
}

/// Urgency of a support ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TicketPriority {
    /// Can wait.
    #[sea_orm(string_value = "LOW")]
    Low,
    /// The usual urgency.
    #[sea_orm(string_value = "NORMAL")]
    Normal,
    /// Needs attention soon.
    #[sea_orm(string_value = "HIGH")]
    High,
    /// Needs attention now.
    #[sea_orm(string_value = "URGENT")]
    Urgent,
}

/// Where a support ticket is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TicketStatus {
    /// New, or reopened; nobody has taken it up yet.
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// An agent is working on it.
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    /// The customer's turn: staff replied.
    #[sea_orm(string_value = "WAITING_FOR_CUSTOMER")]
    WaitingForCustomer,
    /// The desk's turn: the customer replied.
    #[sea_orm(string_value = "WAITING_FOR_AGENT")]
    WaitingForAgent,
    /// Solved; the customer may still reply, which reopens it.
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    /// Finished; only staff can reopen it, as OPEN.
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    /// Ended without a solution; the customer may still reply.
    #[sea_orm(string_value = "UNRESOLVED")]
    Unresolved,
}

/// Publication state of a marketplace profile (professional, company, candidate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ProfileStatus {
    /// Being written; not visible to others.
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    /// Live (public when approved and listed).
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Taken down by moderators.
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
}

/// Whether a marketplace profile's identity or business has been verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum VerificationStatus {
    /// Not verified (yet).
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// A verification request confirmed it.
    #[sea_orm(string_value = "VERIFIED")]
    Verified,
    /// A verification request was refused.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

/// Standing of a customer profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CustomerProfileStatus {
    /// In use.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Set aside by its owner.
    #[sea_orm(string_value = "INACTIVE")]
    Inactive,
    /// Taken down by moderators.
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
}

/// How a developer is available for work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DeveloperAvailability {
    /// Available full time.
    #[sea_orm(string_value = "FULL_TIME")]
    FullTime,
    /// Available part time.
    #[sea_orm(string_value = "PART_TIME")]
    PartTime,
    /// Takes freelance projects.
    #[sea_orm(string_value = "FREELANCE")]
    Freelance,
}

/// Kind of employment a job offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum EmploymentType {
    /// A full-time position.
    #[sea_orm(string_value = "FULL_TIME")]
    FullTime,
    /// A part-time position.
    #[sea_orm(string_value = "PART_TIME")]
    PartTime,
    /// A fixed-term contract.
    #[sea_orm(string_value = "CONTRACT")]
    Contract,
}

/// Where the work of a job is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum WorkMode {
    /// At the employer's site.
    #[sea_orm(string_value = "ONSITE")]
    Onsite,
    /// From anywhere.
    #[sea_orm(string_value = "REMOTE")]
    Remote,
    /// Partly on site, partly remote.
    #[sea_orm(string_value = "HYBRID")]
    Hybrid,
}

/// Life cycle of a job posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum JobStatus {
    /// Being written by the employer.
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    /// Paid for and waiting for moderators.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Open for applications.
    #[sea_orm(string_value = "LIVE")]
    Live,
    /// No longer taking applications.
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    /// Refused by moderators.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

/// Progress of an application to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum JobApplicationStatus {
    /// Sent; the employer has not acted yet.
    #[sea_orm(string_value = "APPLIED")]
    Applied,
    /// On the employer's shortlist.
    #[sea_orm(string_value = "SHORTLISTED")]
    Shortlisted,
    /// Invited to an interview.
    #[sea_orm(string_value = "INTERVIEW")]
    Interview,
    /// Offered the job.
    #[sea_orm(string_value = "OFFERED")]
    Offered,
    /// Turned down by the employer.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

/// Life cycle of a customer lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum LeadStatus {
    /// Not (or no longer) in review.
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    /// Waiting for moderators.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Visible to professionals of its profession.
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// Closed by its poster or a moderator.
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    /// Refused by moderators.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

/// Answer to a professional's request for a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum LeadRequestStatus {
    /// Waiting for the lead's poster.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Accepted by the lead's poster.
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    /// Declined by the lead's poster.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

/// What a review is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ReviewEntityType {
    /// A professional's role profile.
    #[sea_orm(string_value = "PROFESSIONAL")]
    Professional,
    /// A company profile.
    #[sea_orm(string_value = "COMPANY")]
    Company,
}

/// Moderation state of a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ReviewStatus {
    /// Waiting for a moderator.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Shown to everyone; counts in the rating.
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    /// Hidden by a moderator.
    #[sea_orm(string_value = "HIDDEN")]
    Hidden,
}

/// Kind of entity an approval request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ApprovalEntityType {
    /// A job posting.
    #[sea_orm(string_value = "JOB")]
    Job,
    /// A customer's lead.
    #[sea_orm(string_value = "LEAD")]
    Lead,
    /// A professional's role profile.
    #[sea_orm(string_value = "PROFILE")]
    Profile,
    /// A company profile.
    #[sea_orm(string_value = "COMPANY")]
    Company,
    /// A crypto withdrawal.
    #[sea_orm(string_value = "WITHDRAWAL")]
    Withdrawal,
    /// A requested role grant.
    #[sea_orm(string_value = "ROLE")]
    Role,
    /// A knowledge-base article.
    #[sea_orm(string_value = "KB_ARTICLE")]
    KbArticle,
    /// A verification request with its documents.
    #[sea_orm(string_value = "VERIFICATION")]
    Verification,
    /// A user's KYC submission.
    #[sea_orm(string_value = "KYC")]
    Kyc,
    /// A job seeker's candidate profile, reviewed before employers see it.
    #[sea_orm(string_value = "CANDIDATE")]
    Candidate,
}

/// Kind of approval an approval request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ApprovalType {
    /// Content (jobs, leads, profiles, articles): moderators review.
    #[sea_orm(string_value = "CONTENT")]
    Content,
    /// Verification, KYC and role grants: compliance reviews.
    #[sea_orm(string_value = "VERIFICATION")]
    Verification,
    /// A featured listing: moderators review.
    #[sea_orm(string_value = "FEATURE")]
    Feature,
    /// Money leaving (withdrawals): finance reviews.
    #[sea_orm(string_value = "FINANCIAL")]
    Financial,
}

/// State of an approval request (also the old and new state in its log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ApprovalRequestStatus {
    /// Waiting for a reviewer.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Approved; the change was applied.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// Rejected, with remarks.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Withdrawn by its submitter.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    /// Nobody decided before its deadline.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
}

/// What happened to an approval request, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ApprovalAction {
    /// The request was submitted.
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    /// A reviewer approved it.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// A reviewer rejected it.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Its submitter withdrew it.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    /// It expired undecided.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    /// Someone commented on it.
    #[sea_orm(string_value = "COMMENTED")]
    Commented,
}

/// What a verification request verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum VerificationType {
    /// Who the person is.
    #[sea_orm(string_value = "IDENTITY")]
    Identity,
    /// That a business is registered and real.
    #[sea_orm(string_value = "BUSINESS")]
    Business,
    /// A particular document (a certificate, a licence).
    #[sea_orm(string_value = "DOCUMENT")]
    Document,
}

/// State of a verification request (also the old and new state in its log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum VerificationRequestStatus {
    /// Waiting for a reviewer.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Verified.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// Refused (see the remarks).
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// A reviewer asked for more documents; uploading them returns it to PENDING.
    #[sea_orm(string_value = "DOCUMENTS_REQUESTED")]
    DocumentsRequested,
}

/// Kind of document uploaded for a verification request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum VerificationDocumentType {
    /// The front of an identity document.
    #[sea_orm(string_value = "ID_FRONT")]
    IdFront,
    /// The back of an identity document.
    #[sea_orm(string_value = "ID_BACK")]
    IdBack,
    /// A photo of the person holding the document.
    #[sea_orm(string_value = "SELFIE")]
    Selfie,
    /// A passport page.
    #[sea_orm(string_value = "PASSPORT")]
    Passport,
    /// A proof of address.
    #[sea_orm(string_value = "ADDRESS_PROOF")]
    AddressProof,
    /// A business registration certificate.
    #[sea_orm(string_value = "BUSINESS_REGISTRATION")]
    BusinessRegistration,
    /// A tax certificate.
    #[sea_orm(string_value = "TAX_CERTIFICATE")]
    TaxCertificate,
    /// A professional certification.
    #[sea_orm(string_value = "CERTIFICATION")]
    Certification,
    /// Another document.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// What happened to a verification request, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum VerificationAction {
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "DOCUMENTS_REQUESTED")]
    DocumentsRequested,
    #[sea_orm(string_value = "DOCUMENT_UPLOADED")]
    DocumentUploaded,
    #[sea_orm(string_value = "COMMENTED")]
    Commented,
}

/// Kind of currency the exchange handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CurrencyKind {
    #[sea_orm(string_value = "CRYPTO")]
    Crypto,
    #[sea_orm(string_value = "FIAT")]
    Fiat,
    #[sea_orm(string_value = "TOKEN")]
    Token,
}

/// How deposit addresses of a currency are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum RotationPolicy {
    /// Every order gets a never-used address.
    #[sea_orm(string_value = "PER_ORDER")]
    PerOrder,
    /// Orders below the rotation threshold get a recycled address.
    #[sea_orm(string_value = "POOLED")]
    Pooled,
}

/// Whether an exchange order's rate is locked or floats until execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum RateType {
    /// The rate is locked by a quote when the order is placed.
    #[sea_orm(string_value = "FIXED")]
    Fixed,
    /// The rate is the market's when the deposit is exchanged.
    #[sea_orm(string_value = "FLOAT")]
    Float,
}

/// Where an exchange order is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ExchangeOrderStatus {
    /// Waiting for the customer's deposit.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The deposit is seen on chain, waiting for its confirmations.
    #[sea_orm(string_value = "CONFIRMING")]
    Confirming,
    /// The deposit is confirmed; the exchange is being made.
    #[sea_orm(string_value = "EXCHANGING")]
    Exchanging,
    /// The payout is being sent to the receiving address.
    #[sea_orm(string_value = "SENDING")]
    Sending,
    /// The payout is on chain; the order is done.
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// No deposit arrived in time.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    /// The deposit was sent back to the refund address.
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
    /// The order cannot complete; an operator has the ticket.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Waiting for an operator (see the hold reason).
    #[sea_orm(string_value = "HOLD")]
    Hold,
}

/// The chain whose address rules and confirmations a currency follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ChainNetwork {
    /// Bitcoin: bech32, bech32m and base58check addresses.
    #[sea_orm(string_value = "BITCOIN")]
    Bitcoin,
    /// Ethereum and ERC-20 tokens: 20-byte hex addresses, EIP-55 checksums.
    #[sea_orm(string_value = "ETHEREUM")]
    Ethereum,
    /// Tron and TRC-20 tokens: base58check addresses starting with T.
    #[sea_orm(string_value = "TRON")]
    Tron,
}

/// Why an exchange order waits for an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum HoldReason {
    /// A FIXED order received less than it asked for.
    #[sea_orm(string_value = "UNDERPAID")]
    Underpaid,
    /// A FIXED order received more than it asked for.
    #[sea_orm(string_value = "OVERPAID")]
    Overpaid,
    /// The deposit is below the pair's minimum.
    #[sea_orm(string_value = "BELOW_MINIMUM")]
    BelowMinimum,
    /// The deposit is above the pair's maximum.
    #[sea_orm(string_value = "ABOVE_MAXIMUM")]
    AboveMaximum,
    /// The deposit reached the address after the order had ended.
    #[sea_orm(string_value = "LATE_DEPOSIT")]
    LateDeposit,
    /// The payout is larger than the reserve of the currency to send.
    #[sea_orm(string_value = "RESERVE_SHORT")]
    ReserveShort,
    /// An operator put the order on hold.
    #[sea_orm(string_value = "MANUAL")]
    Manual,
}

/// Who moved an exchange order to a new status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TransitionActor {
    /// The customer who placed the order.
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
    /// A staff member deciding an order on hold.
    #[sea_orm(string_value = "OPERATOR")]
    Operator,
    /// The chain watcher reporting a deposit or a payout.
    #[sea_orm(string_value = "CHAIN")]
    Chain,
    /// The server itself (expiry, exchange, reserve checks).
    #[sea_orm(string_value = "SYSTEM")]
    System,
}

/// What a chain transaction reported by the watcher is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ChainTxKind {
    /// Coins arriving at one of our addresses.
    #[sea_orm(string_value = "DEPOSIT")]
    Deposit,
    /// Coins we sent to a customer.
    #[sea_orm(string_value = "PAYOUT")]
    Payout,
    /// A user's withdrawal, sent from our wallet.
    #[sea_orm(string_value = "WITHDRAWAL")]
    Withdrawal,
}

/// What a reported chain transaction was matched to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ChainTxMatch {
    /// The open order holding the address.
    #[sea_orm(string_value = "ORDER")]
    Order,
    /// The order that held the address before it ended.
    #[sea_orm(string_value = "LATE")]
    Late,
    /// No order ever held the address, and it is no user's: flagged for
    /// staff, nothing credited.
    #[sea_orm(string_value = "UNKNOWN")]
    Unknown,
    /// A user's deposit address: credited to their wallet once confirmed.
    #[sea_orm(string_value = "WALLET")]
    Wallet,
    /// A user's withdrawal.
    #[sea_orm(string_value = "WITHDRAWAL")]
    Withdrawal,
}

/// Operation an exchange fee applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum FeeType {
    #[sea_orm(string_value = "WITHDRAWAL")]
    Withdrawal,
    #[sea_orm(string_value = "TRADING")]
    Trading,
    #[sea_orm(string_value = "DEPOSIT")]
    Deposit,
    #[sea_orm(string_value = "EXCHANGE")]
    Exchange,
}

/// Where a crypto withdrawal is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum WithdrawalStatus {
    /// Accepted and its amount plus fee held; the checks run next.
    #[sea_orm(string_value = "REQUESTED")]
    Requested,
    /// Above the approval threshold: waits for a second person.
    #[sea_orm(string_value = "PENDING_APPROVAL")]
    PendingApproval,
    /// Cleared to go: handed to the signer.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// On chain (the transaction hash is known); the hold was debited.
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Refused by a reviewer or withdrawn; the hold was released.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// The chain or staff gave up on it; the hold was released.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// State of a user's KYC check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum KycStatus {
    /// Submitted, waiting for a reviewer.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// A reviewer verified it; valid until `expiresAt`.
    #[sea_orm(string_value = "VERIFIED")]
    Verified,
    /// A reviewer rejected it (see the reason); submit again.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Its validity ended, or its review lapsed; submit again.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
}

/// Kind of identity document given for KYC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum IdDocumentType {
    /// A passport.
    #[sea_orm(string_value = "PASSPORT")]
    Passport,
    /// A national identity card.
    #[sea_orm(string_value = "NATIONAL_ID")]
    NationalId,
    /// A driving licence.
    #[sea_orm(string_value = "DRIVING_LICENSE")]
    DrivingLicense,
    /// A voter identity card.
    #[sea_orm(string_value = "VOTER_ID")]
    VoterId,
    /// An Indian PAN card.
    #[sea_orm(string_value = "PAN")]
    Pan,
    /// An Indian Aadhaar card.
    #[sea_orm(string_value = "AADHAAR")]
    Aadhaar,
    /// Another official identity document.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Direction of a wallet ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum LedgerEntryType {
    /// Money came into the wallet.
    #[sea_orm(string_value = "CREDIT")]
    Credit,
    /// Money left the wallet.
    #[sea_orm(string_value = "DEBIT")]
    Debit,
}

/// What a wallet ledger entry was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum LedgerReferenceType {
    /// Posting a job.
    #[sea_orm(string_value = "JOB")]
    Job,
    /// Unlocking a lead.
    #[sea_orm(string_value = "LEAD")]
    Lead,
    /// Tracecoins bought with a package purchase.
    #[sea_orm(string_value = "PURCHASE")]
    Purchase,
    /// A bonus granted by the platform.
    #[sea_orm(string_value = "BONUS")]
    Bonus,
    /// A refund reversing an earlier movement.
    #[sea_orm(string_value = "REFUND")]
    Refund,
    /// A manual correction by finance staff.
    #[sea_orm(string_value = "ADJUSTMENT")]
    Adjustment,
    /// Coins that arrived at the user's deposit address.
    #[sea_orm(string_value = "DEPOSIT")]
    Deposit,
    /// Coins sent out on a withdrawal.
    #[sea_orm(string_value = "WITHDRAWAL")]
    Withdrawal,
    /// A fee charged on a withdrawal.
    #[sea_orm(string_value = "FEE")]
    Fee,
}

/// What a pricing package sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PackageType {
    /// Job postings to publish.
    #[sea_orm(string_value = "JOB_POSTING")]
    JobPosting,
    /// Views of candidates' contact details.
    #[sea_orm(string_value = "CONTACT_VIEWS")]
    ContactViews,
    /// Tracecoins credited to the wallet.
    #[sea_orm(string_value = "TRACECOIN_BUNDLE")]
    TracecoinBundle,
}

/// How a coupon or discount rule reduces a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DiscountType {
    /// A percentage (1-100) of the amount.
    #[sea_orm(string_value = "PERCENT")]
    Percent,
    /// A fixed amount, in paise.
    #[sea_orm(string_value = "FLAT")]
    Flat,
}

/// What an order or order item buys: a pricing package or a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ProductType {
    /// A pricing package.
    #[sea_orm(string_value = "PACKAGE")]
    Package,
    /// A service.
    #[sea_orm(string_value = "SERVICE")]
    Service,
}

/// State of a commerce order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum OrderStatus {
    /// Waiting for its payment.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Paid; what it buys has been delivered.
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// Its payment failed or was refunded.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// State of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum InvoiceStatus {
    /// Issued, not yet paid.
    #[sea_orm(string_value = "ISSUED")]
    Issued,
    /// Paid.
    #[sea_orm(string_value = "PAID")]
    Paid,
    /// Cancelled (a failed payment or a refund); its number stays used.
    #[sea_orm(string_value = "VOID")]
    Void,
}

/// Payment gateway a configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentGateway {
    /// Razorpay.
    #[sea_orm(string_value = "RAZORPAY")]
    Razorpay,
    /// Stripe.
    #[sea_orm(string_value = "STRIPE")]
    Stripe,
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentMethod {
    /// A debit or credit card.
    #[sea_orm(string_value = "CARD")]
    Card,
    /// UPI.
    #[sea_orm(string_value = "UPI")]
    Upi,
    /// Net banking.
    #[sea_orm(string_value = "NETBANKING")]
    Netbanking,
    /// A payment wallet.
    #[sea_orm(string_value = "WALLET")]
    Wallet,
    /// A bank transfer or mandate (NACH, e-mandate).
    #[sea_orm(string_value = "BANK_TRANSFER")]
    BankTransfer,
    /// Anything else the provider reported.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// State of a payment (also recorded on each of its transactions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentStatus {
    /// Handed to the gateway; waiting for the provider.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The money was captured.
    #[sea_orm(string_value = "SUCCESS")]
    Success,
    /// The attempt failed.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// It succeeded and was refunded.
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
}

/// Kind of event in a payment's transaction log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentTransactionType {
    /// The payment was handed to the gateway.
    #[sea_orm(string_value = "INITIATED")]
    Initiated,
    /// The payment succeeded.
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// The payment failed.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// A verified webhook call from the provider.
    #[sea_orm(string_value = "WEBHOOK")]
    Webhook,
    /// The payment was refunded.
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
}

/// What a discount rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DiscountScope {
    /// Every order.
    #[sea_orm(string_value = "GLOBAL")]
    Global,
    /// Orders of one package (its id is the rule's scope).
    #[sea_orm(string_value = "CATEGORY")]
    Category,
    /// Orders of one service (its id is the rule's scope).
    #[sea_orm(string_value = "SERVICE")]
    Service,
}

/// Kind of tax a tax rule levies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TaxType {
    /// Goods and services tax.
    #[sea_orm(string_value = "GST")]
    Gst,
    /// Tax collected at source.
    #[sea_orm(string_value = "TCS")]
    Tcs,
}

/// What a tax rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TaxAppliesTo {
    /// Every order.
    #[sea_orm(string_value = "ALL")]
    All,
    /// Orders of packages.
    #[sea_orm(string_value = "PACKAGE")]
    Package,
    /// Orders of services.
    #[sea_orm(string_value = "SERVICE")]
    Service,
}

/// Kind of knowledge-base article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum KbArticleType {
    #[sea_orm(string_value = "HOW_TO")]
    HowTo,
    #[sea_orm(string_value = "TROUBLESHOOTING")]
    Troubleshooting,
    #[sea_orm(string_value = "FAQ")]
    Faq,
    #[sea_orm(string_value = "FEATURE")]
    Feature,
    #[sea_orm(string_value = "POLICY")]
    Policy,
}

/// Editorial state of a knowledge-base article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum KbArticleStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PENDING_REVIEW")]
    PendingReview,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

/// Who may read a knowledge-base article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum KbAudience {
    #[sea_orm(string_value = "INTERNAL")]
    Internal,
    #[sea_orm(string_value = "EXTERNAL")]
    External,
    #[sea_orm(string_value = "ALL")]
    All,
}

/// Channel a notification (or its template) is delivered through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum NotificationChannel {
    /// By email.
    #[sea_orm(string_value = "EMAIL")]
    Email,
    /// By text message.
    #[sea_orm(string_value = "SMS")]
    Sms,
    /// As a push notification on a device.
    #[sea_orm(string_value = "PUSH")]
    Push,
    /// Inside the app (the `viewerNotifications` list).
    #[sea_orm(string_value = "IN_APP")]
    InApp,
}

/// Topic of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum NotificationKind {
    /// A payment or wallet movement.
    #[sea_orm(string_value = "TRANSACTION")]
    Transaction,
    /// A withdrawal of funds.
    #[sea_orm(string_value = "WITHDRAWAL")]
    Withdrawal,
    /// A deposit of funds.
    #[sea_orm(string_value = "DEPOSIT")]
    Deposit,
    /// An exchange trade.
    #[sea_orm(string_value = "TRADE")]
    Trade,
    /// A warning that needs attention.
    #[sea_orm(string_value = "ALERT")]
    Alert,
    /// News about the platform itself.
    #[sea_orm(string_value = "SYSTEM")]
    System,
    /// An offer or promotion.
    #[sea_orm(string_value = "PROMOTION")]
    Promotion,
    /// Activity on a support ticket.
    #[sea_orm(string_value = "TICKET")]
    Ticket,
    /// Something waiting for, or decided by, an approval.
    #[sea_orm(string_value = "APPROVAL")]
    Approval,
    /// Marketplace activity: applications, lead requests, reviews.
    #[sea_orm(string_value = "MARKETPLACE")]
    Marketplace,
}

/// Delivery state of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum NotificationStatus {
    /// Created, not yet delivered.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Delivered, not yet read.
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Read by its recipient.
    #[sea_orm(string_value = "READ")]
    Read,
}

/// Delivery state of a logged email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum EmailStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Transport security of an SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum SmtpEncryption {
    #[sea_orm(string_value = "SSL")]
    Ssl,
    #[sea_orm(string_value = "TLS")]
    Tls,
    #[sea_orm(string_value = "STARTTLS")]
    Starttls,
    #[sea_orm(string_value = "NONE")]
    None,
}

/// Whether a dashboard configuration belongs to a role or a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DashboardOwnerType {
    #[sea_orm(string_value = "ROLE")]
    Role,
    #[sea_orm(string_value = "USER")]
    User,
}

/// Who performed an audited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AuditActorType {
    #[sea_orm(string_value = "USER")]
    User,
    #[sea_orm(string_value = "EMPLOYEE")]
    Employee,
    #[sea_orm(string_value = "SYSTEM")]
    System,
    #[sea_orm(string_value = "CRON")]
    Cron,
}

/// What an audited action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AuditAction {
    #[sea_orm(string_value = "CREATE")]
    Create,
    #[sea_orm(string_value = "UPDATE")]
    Update,
    #[sea_orm(string_value = "DELETE")]
    Delete,
    #[sea_orm(string_value = "APPROVE")]
    Approve,
    #[sea_orm(string_value = "REJECT")]
    Reject,
    #[sea_orm(string_value = "CANCEL")]
    Cancel,
    #[sea_orm(string_value = "ASSIGN")]
    Assign,
    #[sea_orm(string_value = "UNASSIGN")]
    Unassign,
    #[sea_orm(string_value = "GRANT")]
    Grant,
    #[sea_orm(string_value = "REVOKE")]
    Revoke,
    #[sea_orm(string_value = "CREDIT")]
    Credit,
    #[sea_orm(string_value = "DEBIT")]
    Debit,
    #[sea_orm(string_value = "ADJUST")]
    Adjust,
    #[sea_orm(string_value = "REFUND")]
    Refund,
    #[sea_orm(string_value = "LOGIN")]
    Login,
    #[sea_orm(string_value = "LOGIN_FAILED")]
    LoginFailed,
    #[sea_orm(string_value = "LOGOUT")]
    Logout,
    #[sea_orm(string_value = "EXPORT")]
    Export,
}

/// Module of the backend an audited action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AuditModule {
    #[sea_orm(string_value = "IDENTITY")]
    Identity,
    #[sea_orm(string_value = "SUPPORT")]
    Support,
    #[sea_orm(string_value = "EXCHANGE")]
    Exchange,
    #[sea_orm(string_value = "WALLET")]
    Wallet,
    #[sea_orm(string_value = "COMMERCE")]
    Commerce,
    #[sea_orm(string_value = "APPROVAL")]
    Approval,
    #[sea_orm(string_value = "VERIFICATION")]
    Verification,
    #[sea_orm(string_value = "MARKETPLACE")]
    Marketplace,
    #[sea_orm(string_value = "KNOWLEDGE")]
    Knowledge,
    #[sea_orm(string_value = "NOTIFICATION")]
    Notification,
    #[sea_orm(string_value = "CONFIG")]
    Config,
    #[sea_orm(string_value = "AUDIT")]
    Audit,
}

/// Where an audited action came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AuditSourceType {
    #[sea_orm(string_value = "UI")]
    Ui,
    #[sea_orm(string_value = "API")]
    Api,
    #[sea_orm(string_value = "WORKER")]
    Worker,
    #[sea_orm(string_value = "CRON")]
    Cron,
}

/// Whether an audited action succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AuditStatus {
    #[sea_orm(string_value = "SUCCESS")]
    Success,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Where a background job is: waiting (or retrying later), claimed by a
/// worker under a lease, or given up after its last attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum BackgroundJobStatus {
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

// `support_tickets.related_entity_type`: no CHECK constrains the column;
// the support service refuses other values.
/// What a support ticket may be about: an entity of the ticket's customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum RelatedEntityType {
    /// A currency exchange order.
    #[sea_orm(string_value = "EXCHANGE_ORDER")]
    ExchangeOrder,
    /// A payment.
    #[sea_orm(string_value = "PAYMENT")]
    Payment,
    /// A store order.
    #[sea_orm(string_value = "ORDER")]
    Order,
    /// An invoice.
    #[sea_orm(string_value = "INVOICE")]
    Invoice,
    /// A wallet.
    #[sea_orm(string_value = "WALLET")]
    Wallet,
    /// A withdrawal from a wallet.
    #[sea_orm(string_value = "WITHDRAWAL")]
    Withdrawal,
    /// A job posting.
    #[sea_orm(string_value = "JOB")]
    Job,
    /// A sales lead.
    #[sea_orm(string_value = "LEAD")]
    Lead,
    /// An identity verification (KYC) record.
    #[sea_orm(string_value = "KYC")]
    Kyc,
}

/// What kind of thing an audit row is about (`audit_logs.entity_type`): one
/// variant per audited entity, so a misspelt kind does not compile and the
/// trail filters by a closed set. No CHECK constrains the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AuditEntity {
    /// `USER`.
    #[sea_orm(string_value = "USER")]
    User,
    /// `USER_SESSION`.
    #[sea_orm(string_value = "USER_SESSION")]
    UserSession,
    /// `USER_OAUTH_ACCOUNT`.
    #[sea_orm(string_value = "USER_OAUTH_ACCOUNT")]
    UserOauthAccount,
    /// `API_KEY`.
    #[sea_orm(string_value = "API_KEY")]
    ApiKey,
    /// `USER_ROLE`.
    #[sea_orm(string_value = "USER_ROLE")]
    UserRole,
    /// `DEPARTMENT`.
    #[sea_orm(string_value = "DEPARTMENT")]
    Department,
    /// `DESIGNATION`.
    #[sea_orm(string_value = "DESIGNATION")]
    Designation,
    /// `EMPLOYEE`.
    #[sea_orm(string_value = "EMPLOYEE")]
    Employee,
    /// `CLIENT`.
    #[sea_orm(string_value = "CLIENT")]
    Client,
    /// `SUPPORT_TICKET`.
    #[sea_orm(string_value = "SUPPORT_TICKET")]
    SupportTicket,
    /// `ORDER`.
    #[sea_orm(string_value = "ORDER")]
    Order,
    /// `PAYMENT`.
    #[sea_orm(string_value = "PAYMENT")]
    Payment,
    /// `PAYMENT_GATEWAY_CONFIG`.
    #[sea_orm(string_value = "PAYMENT_GATEWAY_CONFIG")]
    PaymentGatewayConfig,
    /// `PRICING_PACKAGE`.
    #[sea_orm(string_value = "PRICING_PACKAGE")]
    PricingPackage,
    /// `COUPON`.
    #[sea_orm(string_value = "COUPON")]
    Coupon,
    /// `DISCOUNT_RULE`.
    #[sea_orm(string_value = "DISCOUNT_RULE")]
    DiscountRule,
    /// `TAX_RULE`.
    #[sea_orm(string_value = "TAX_RULE")]
    TaxRule,
    /// `WALLET`.
    #[sea_orm(string_value = "WALLET")]
    Wallet,
    /// `APPROVAL_REQUEST`.
    #[sea_orm(string_value = "APPROVAL_REQUEST")]
    ApprovalRequest,
    /// `VERIFICATION_REQUEST`.
    #[sea_orm(string_value = "VERIFICATION_REQUEST")]
    VerificationRequest,
    /// `VERIFICATION_DOCUMENT`.
    #[sea_orm(string_value = "VERIFICATION_DOCUMENT")]
    VerificationDocument,
    /// `USER_KYC`.
    #[sea_orm(string_value = "USER_KYC")]
    UserKyc,
    /// `EXCHANGE_ORDER`.
    #[sea_orm(string_value = "EXCHANGE_ORDER")]
    ExchangeOrder,
    /// `CURRENCY`: a currency's exchange settings (its label is the code).
    #[sea_orm(string_value = "CURRENCY")]
    Currency,
    /// `EXCHANGE_PAIR`: a pair's limits and rate types (label `FROM/TO`).
    #[sea_orm(string_value = "EXCHANGE_PAIR")]
    ExchangePair,
    /// `RESERVE`: an exchange reserve (its label is the currency code).
    #[sea_orm(string_value = "RESERVE")]
    Reserve,
    /// `EXCHANGE_RATE`: a rate recorded by hand.
    #[sea_orm(string_value = "EXCHANGE_RATE")]
    ExchangeRate,
    /// `WITHDRAWAL`: a user's crypto withdrawal.
    #[sea_orm(string_value = "WITHDRAWAL")]
    Withdrawal,
    /// `DEPOSIT_ADDRESS`: a user's own deposit address.
    #[sea_orm(string_value = "DEPOSIT_ADDRESS")]
    DepositAddress,
    /// `RUNTIME_CONFIG`: a runtime configuration entry.
    #[sea_orm(string_value = "RUNTIME_CONFIG")]
    RuntimeConfig,
    /// `USER_ROLE_PROFILE`.
    #[sea_orm(string_value = "USER_ROLE_PROFILE")]
    UserRoleProfile,
    /// `COMPANY_PROFILE`.
    #[sea_orm(string_value = "COMPANY_PROFILE")]
    CompanyProfile,
    /// `CUSTOMER_PROFILE`.
    #[sea_orm(string_value = "CUSTOMER_PROFILE")]
    CustomerProfile,
    /// `CANDIDATE_PROFILE`.
    #[sea_orm(string_value = "CANDIDATE_PROFILE")]
    CandidateProfile,
    /// `SERVICE`.
    #[sea_orm(string_value = "SERVICE")]
    Service,
    /// `PORTFOLIO_ITEM`.
    #[sea_orm(string_value = "PORTFOLIO_ITEM")]
    PortfolioItem,
    /// `PORTFOLIO_IMAGE`.
    #[sea_orm(string_value = "PORTFOLIO_IMAGE")]
    PortfolioImage,
    /// `JOB`.
    #[sea_orm(string_value = "JOB")]
    Job,
    /// `JOB_APPLICATION`.
    #[sea_orm(string_value = "JOB_APPLICATION")]
    JobApplication,
    /// `LEAD`.
    #[sea_orm(string_value = "LEAD")]
    Lead,
    /// `LEAD_UNLOCK`.
    #[sea_orm(string_value = "LEAD_UNLOCK")]
    LeadUnlock,
    /// `LEAD_REQUEST`.
    #[sea_orm(string_value = "LEAD_REQUEST")]
    LeadRequest,
    /// `REVIEW`.
    #[sea_orm(string_value = "REVIEW")]
    Review,
}
