//! What identity mutations return, and the `totalCount` of identity
//! connections.

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{ApiKey, Department, Designation, Employee, RoleGrant, User, UserSettings};
use crate::graphql::context::app;
use crate::service::identity::{self, accounts, org, roles, Viewer};

/// Tokens of a new or refreshed session.
pub struct AuthPayload(pub identity::signin::AuthSession);

/// Tokens of a new or refreshed session, and the signed-in user.
#[Object]
impl AuthPayload {
    /// Short-lived bearer token for `Authorization: Bearer`.
    async fn access_token(&self) -> &str {
        &self.0.access_token
    }
    /// Opaque, single-use: exchange it with `refreshSession` for a new pair.
    async fn refresh_token(&self) -> &str {
        &self.0.refresh_token
    }
    /// When the access token expires.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// The signed-in user.
    async fn user(&self) -> User {
        User::owned(self.0.user.clone())
    }
}

/// What enrolling an authenticator shows, once.
#[derive(SimpleObject)]
pub struct TotpEnrolment {
    /// Base32 secret for manual entry.
    pub secret: String,
    /// `otpauth://` URL for a QR code.
    pub otpauth_url: String,
}

/// One-time recovery codes, shown once.
#[derive(SimpleObject)]
pub struct RecoveryCodesPayload {
    /// Each signs in once in place of a two-factor code.
    pub recovery_codes: Vec<String>,
}

/// A new API key; `key` is shown only here.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    /// The key to send as `X-Api-Key`; it is never shown again.
    pub key: String,
    /// The key's record.
    pub api_key: ApiKey,
}

/// Result of changing a user.
#[derive(SimpleObject)]
pub struct UserPayload {
    /// The user as changed.
    pub user: User,
}

/// `assignRole` and `revokeRole` return the user.
#[derive(SimpleObject)]
pub struct AssignRolePayload {
    /// The user, with their roles as they are now.
    pub user: User,
}

/// Result of requesting or reviewing a role.
#[derive(SimpleObject)]
pub struct RoleRequestPayload {
    /// The role grant as it is now.
    pub request: RoleGrant,
}

/// Result of changing an API key.
#[derive(SimpleObject)]
pub struct ApiKeyPayload {
    /// The key as changed.
    pub api_key: ApiKey,
}

/// Result of `updateSettings`.
#[derive(SimpleObject)]
pub struct UserSettingsPayload {
    /// Your settings as they are now.
    pub settings: UserSettings,
    /// You.
    pub user: User,
}

/// Result of saving a department.
#[derive(SimpleObject)]
pub struct DepartmentPayload {
    /// The department as saved.
    pub department: Department,
}

/// Result of creating a designation.
#[derive(SimpleObject)]
pub struct DesignationPayload {
    /// The new designation.
    pub designation: Designation,
}

/// Result of saving an employee record.
#[derive(SimpleObject)]
pub struct EmployeePayload {
    /// The record as saved.
    pub employee: Employee,
}

/// `totalCount` of the users list, counted only when asked for.
pub struct UserCount {
    pub viewer: Viewer,
    pub filter: accounts::UserFilter,
}

#[Object]
impl UserCount {
    /// Users matching the filter (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(accounts::count_users(app(ctx)?, &self.viewer, &self.filter).await? as i64)
    }
}

/// `totalCount` of the role-request list, counted only when asked for.
pub struct RoleRequestCount {
    pub viewer: Viewer,
}

#[Object]
impl RoleRequestCount {
    /// Role requests waiting for review (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(roles::count_pending_role_requests(app(ctx)?, &self.viewer).await? as i64)
    }
}

/// `totalCount` of the employee list, counted only when asked for.
pub struct EmployeeCount {
    pub viewer: Viewer,
}

#[Object]
impl EmployeeCount {
    /// Employee records (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(org::count_employees(app(ctx)?, &self.viewer).await? as i64)
    }
}

/// `totalCount` of your sessions, counted only when asked for.
pub struct SessionCount {
    pub viewer: Viewer,
}

#[Object]
impl SessionCount {
    /// Your sessions in the list (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(identity::sessions::count_sessions(app(ctx)?, &self.viewer).await? as i64)
    }
}
