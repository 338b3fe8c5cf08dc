//! Input objects of the identity mutations and queries.

use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{Audience, EmploymentStatus, Theme, UserStatus};

/// A new account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// The address to sign in with; stored trimmed and lower-cased.
    pub email: String,
    /// 10 to 256 characters, not one character repeated.
    pub password: String,
    /// The name shown to others (1 to 100 characters).
    pub display_name: String,
}

/// Credentials for signing in.
#[derive(InputObject)]
pub struct LoginInput {
    /// The account's email address, in any case.
    pub email: String,
    /// The account's password.
    pub password: String,
    /// Required when two-factor sign-in is on: a 6-digit code or a recovery code.
    pub totp_code: Option<String>,
}

/// Which role to grant to or take from whom.
#[derive(InputObject)]
pub struct AssignRoleInput {
    /// The user (`User.id`).
    pub user_id: ID,
    /// The role's key (`Role.key`), such as `support_agent`.
    pub role_key: String,
}

/// The role to ask for.
#[derive(InputObject)]
pub struct RequestRoleInput {
    /// The key of a role open to requests (`Role.audience` EXTERNAL).
    pub role_key: String,
}

/// A decision on a role request.
#[derive(InputObject)]
pub struct ReviewRoleRequestInput {
    /// The role grant (`RoleGrant.id`).
    pub id: ID,
    /// True to approve, false to reject.
    pub approve: bool,
    /// Why; required when rejecting.
    pub remarks: Option<String>,
}

/// A user to act on.
#[derive(InputObject)]
pub struct UserIdInput {
    /// The user (`User.id`).
    pub user_id: ID,
}

/// A new standing for an account.
#[derive(InputObject)]
pub struct SetUserStatusInput {
    /// The user (`User.id`); not yourself.
    pub user_id: ID,
    /// ACTIVE or SUSPENDED; suspending ends the user's sessions.
    pub status: UserStatus,
}

/// A password change.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// Your password now.
    pub current_password: String,
    /// The new password (10 to 256 characters, not one character repeated).
    pub new_password: String,
}

/// An object to act on, by id.
#[derive(InputObject)]
pub struct IdInput {
    /// The object's id.
    pub id: ID,
}

/// A two-factor code.
#[derive(InputObject)]
pub struct CodeInput {
    /// A current 6-digit code (or, where allowed, a recovery code).
    pub code: String,
}

/// A new API key.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// A name to recognise the key by (1 to 100 characters).
    pub name: String,
    /// Permission keys or self-service scopes, or `prefix.*` wildcards.
    pub scopes: Vec<String>,
    /// When the key stops working; absent: never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Changes to your preferences; absent fields stay as they are.
#[derive(InputObject, Default)]
pub struct UpdateSettingsInput {
    /// The colour theme.
    pub theme: Option<Theme>,
    /// A language tag such as `en` or `pt-BR`.
    pub language: Option<String>,
    /// Notifications by email.
    pub notify_email: Option<bool>,
    /// Push notifications.
    pub notify_push: Option<bool>,
    /// Notifications by text message.
    pub notify_sms: Option<bool>,
    /// Notifications inside the app.
    pub notify_in_app: Option<bool>,
    /// A currency code such as `INR`, for showing amounts.
    pub display_currency: Option<String>,
    /// Minutes of inactivity before signing out (1 to 10080).
    pub auto_logout_minutes: Option<i32>,
    /// Any other preferences, as a JSON object (at most 16 KiB).
    pub settings_json: Option<async_graphql::Json<serde_json::Value>>,
}

/// A department to create or change; absent fields stay as they are.
#[derive(InputObject)]
pub struct DepartmentInput {
    /// Absent: create a department (name and code required).
    pub id: Option<ID>,
    /// The department's name.
    pub name: Option<String>,
    /// A short code, stored upper-case.
    pub code: Option<String>,
    /// What the department handles.
    pub description: Option<String>,
    /// The department's shared mailbox.
    pub department_email: Option<String>,
    /// Inactive departments take no new tickets.
    pub is_active: Option<bool>,
    /// Who may pick the department for a ticket.
    pub visibility: Option<Audience>,
    /// Whether tickets may be transferred into and out of it.
    pub transfers_enabled: Option<bool>,
}

/// The departments an agent works in.
#[derive(InputObject)]
pub struct SetUserDepartmentsInput {
    /// The agent (`User.id`).
    pub user_id: ID,
    /// Every department they work in (replaces the current set).
    pub department_ids: Vec<ID>,
}

/// A new designation (job title).
#[derive(InputObject)]
pub struct CreateDesignationInput {
    /// The title, such as "Support Lead".
    pub name: String,
    /// A short code, stored upper-case.
    pub code: String,
    /// The department it belongs to, if any.
    pub department_id: Option<ID>,
    /// A seniority level, free text.
    pub level: Option<String>,
}

/// A user's employee record to create or change; absent fields stay.
#[derive(InputObject)]
pub struct SaveEmployeeInput {
    /// The user (`User.id`).
    pub user_id: ID,
    /// A unique staff number; required for a new record.
    pub employee_code: Option<String>,
    /// The department they work in.
    pub department_id: Option<ID>,
    /// Their job title.
    pub designation_id: Option<ID>,
    /// When they joined.
    pub joining_date: Option<chrono::NaiveDate>,
    /// Whether they still work here.
    pub employment_status: Option<EmploymentStatus>,
    /// Their manager's employee record (`Employee.id`).
    pub manager_employee_id: Option<ID>,
}

/// Which users to list.
#[derive(InputObject, Default)]
pub struct UserFilter {
    /// Part of an email or display name, in any case.
    pub search: Option<String>,
    /// Only accounts in this standing.
    pub status: Option<UserStatus>,
    /// Only holders of this approved role (`Role.key`).
    pub role_key: Option<String>,
}
