//! GraphQL types of the identity domain. Secret columns (hashes, sealed
//! TOTP secrets) have no field here at all.

use async_graphql::{ComplexObject, Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
pub use entity::enums::UserStatus;
use entity::{api_keys, departments, designations, employees, roles, user_roles, user_sessions, user_settings, users};
use sea_orm::ActiveEnum;

use crate::graphql::context::{app, viewer};
use crate::service::identity::{self, Viewer};

fn ts(t: sea_orm::prelude::DateTimeWithTimeZone) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

/// A person or company with an account.
pub struct User {
    pub model: users::Model,
    /// Shown to its owner even though the request is not (yet) theirs: the
    /// user in a sign-in payload.
    owner_view: bool,
}

impl User {
    /// A user as the viewer may see them.
    pub fn new(model: users::Model) -> Self {
        User {
            model,
            owner_view: false,
        }
    }

    /// A user shown with its owner's view (sign-in payloads).
    pub fn owned(model: users::Model) -> Self {
        User {
            model,
            owner_view: true,
        }
    }

    fn is_self(&self, v: &Viewer) -> bool {
        self.owner_view || v.user_id == Some(self.model.id)
    }

    /// The request is made by this user (their grants are on the viewer).
    fn is_viewer(&self, v: &Viewer) -> bool {
        v.user_id == Some(self.model.id)
    }

    /// Self, staff, or `users.read` may see contact details.
    fn sees_contact(&self, v: &Viewer) -> bool {
        self.is_self(v) || v.is_staff || v.can(crate::service::identity::perms::USERS_READ)
    }

    /// Self or `users.read` may see account internals.
    fn sees_account(&self, v: &Viewer) -> bool {
        self.is_self(v) || v.can(crate::service::identity::perms::USERS_READ)
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }

    async fn display_name(&self) -> &str {
        &self.model.display_name
    }

    /// Null unless this is you, you are staff, or you may read users.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.sees_contact(viewer(ctx)).then_some(self.model.email.as_str())
    }

    /// Null unless this is you, you are staff, or you may read users.
    async fn phone(&self, ctx: &Context<'_>) -> Option<&str> {
        if self.sees_contact(viewer(ctx)) {
            self.model.phone.as_deref()
        } else {
            None
        }
    }

    /// `INDIVIDUAL` or `COMPANY`.
    async fn account_type(&self) -> &str {
        &self.model.account_type
    }

    /// Null unless this is you or you may read users.
    async fn status(&self, ctx: &Context<'_>) -> Option<UserStatus> {
        self.sees_account(viewer(ctx))
            .then(|| UserStatus::try_from_value(&self.model.status).ok())
            .flatten()
    }

    /// Null unless this is you or you may read users.
    async fn two_factor_enabled(&self, ctx: &Context<'_>) -> Option<bool> {
        self.sees_account(viewer(ctx)).then_some(self.model.two_factor_enabled)
    }

    /// Set while the account is locked after failed sign-ins.
    async fn locked_until(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        if self.sees_account(viewer(ctx)) {
            self.model.locked_until.map(ts)
        } else {
            None
        }
    }

    async fn last_login_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        if self.sees_account(viewer(ctx)) {
            self.model.last_login_at.map(ts)
        } else {
            None
        }
    }

    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.model.created_at)
    }

    /// Keys of the approved roles (null unless you, or `users.read`).
    async fn roles(&self, ctx: &Context<'_>) -> Result<Option<Vec<String>>> {
        let v = viewer(ctx);
        if self.is_viewer(v) {
            return Ok(Some(v.roles.clone()));
        }
        if !self.is_self(v) && !v.can(crate::service::identity::perms::USERS_READ) {
            return Ok(None);
        }
        Ok(Some(identity::roles_of(app(ctx)?, self.model.id).await?))
    }

    /// Permission keys through those roles (null unless you, or `users.read`).
    async fn permissions(&self, ctx: &Context<'_>) -> Result<Option<Vec<String>>> {
        let v = viewer(ctx);
        if self.is_viewer(v) {
            let mut p: Vec<String> = v.permissions.iter().cloned().collect();
            p.sort();
            return Ok(Some(p));
        }
        if !self.is_self(v) && !v.can(crate::service::identity::perms::USERS_READ) {
            return Ok(None);
        }
        Ok(Some(identity::permissions_of(app(ctx)?, self.model.id).await?))
    }

    /// Holds a staff (INTERNAL) role: source 000's `is_valid_admin`.
    async fn is_admin(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        let v = viewer(ctx);
        if self.is_viewer(v) {
            return Ok(Some(v.is_staff));
        }
        if !self.is_self(v) && !v.can(crate::service::identity::perms::USERS_READ) {
            return Ok(None);
        }
        Ok(Some(identity::is_staff(app(ctx)?, self.model.id).await?))
    }

    /// Departments the user works in (agents), if you may see them.
    async fn departments(&self, ctx: &Context<'_>) -> Result<Option<Vec<Department>>> {
        let v = viewer(ctx);
        if !self.sees_contact(v) {
            return Ok(None);
        }
        let app = app(ctx)?;
        let ids = identity::roles::departments_of(&app.db.read, self.model.id).await?;
        let all = identity::roles::list_departments(app, v).await?;
        Ok(Some(
            all.into_iter()
                .filter(|d| ids.contains(&d.id))
                .map(Department)
                .collect(),
        ))
    }

    /// Your preferences (only your own).
    async fn settings(&self, ctx: &Context<'_>) -> Result<Option<UserSettings>> {
        let v = viewer(ctx);
        if !self.is_viewer(v) {
            return Ok(None);
        }
        v.require_self_service(crate::service::identity::perms::SETTINGS_MANAGE)?;
        Ok(Some(UserSettings(
            identity::settings::get(app(ctx)?, self.model.id).await?,
        )))
    }

    /// Your sessions, newest first (only your own).
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Option<Vec<Session>>> {
        let v = viewer(ctx);
        if !self.is_viewer(v) {
            return Ok(None);
        }
        let current = v.session_id;
        Ok(Some(
            identity::accounts::sessions(app(ctx)?, v)
                .await?
                .into_iter()
                .map(|s| Session {
                    current: Some(s.id) == current,
                    model: s,
                })
                .collect(),
        ))
    }

    /// Your API keys (only your own; the key itself is never shown again).
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Option<Vec<ApiKey>>> {
        let v = viewer(ctx);
        if !self.is_viewer(v) {
            return Ok(None);
        }
        Ok(Some(
            identity::api_keys::list(app(ctx)?, v)
                .await?
                .into_iter()
                .map(ApiKey)
                .collect(),
        ))
    }

    /// Unused two-factor recovery codes left (only your own).
    async fn recovery_codes_left(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        let v = viewer(ctx);
        if !self.is_viewer(v) {
            return Ok(None);
        }
        Ok(Some(
            identity::totp::recovery_codes_left(app(ctx)?, self.model.id).await?,
        ))
    }
}

/// A role users may hold.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Role {
    #[graphql(skip)]
    pub model: roles::Model,
    pub key: String,
    pub name: String,
    /// `INTERNAL` (staff) or `EXTERNAL` (customers, professionals, companies).
    pub audience: String,
    pub description: Option<String>,
    pub can_approve_requests: bool,
    pub can_manage_system_settings: bool,
}

impl From<roles::Model> for Role {
    fn from(m: roles::Model) -> Self {
        Role {
            key: m.key.clone(),
            name: m.name.clone(),
            audience: m.audience.clone(),
            description: m.description.clone(),
            can_approve_requests: m.can_approve_requests,
            can_manage_system_settings: m.can_manage_system_settings,
            model: m,
        }
    }
}

#[ComplexObject]
impl Role {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
}

/// A permission a role may grant.
#[derive(SimpleObject)]
pub struct Permission {
    pub key: String,
    pub name: String,
    pub description: Option<String>,
}

/// One signed-in device.
pub struct Session {
    pub model: user_sessions::Model,
    pub current: bool,
}

#[Object]
impl Session {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn ip_address(&self) -> Option<&str> {
        self.model.ip_address.as_deref()
    }
    async fn user_agent(&self) -> Option<&str> {
        self.model.user_agent.as_deref()
    }
    /// `DESKTOP`, `MOBILE`, `TABLET` or `UNKNOWN`.
    async fn device_type(&self) -> &str {
        &self.model.device_type
    }
    async fn last_active_at(&self) -> DateTime<Utc> {
        ts(self.model.last_active_at)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.model.created_at)
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        ts(self.model.expires_at)
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.model.revoked_at.map(ts)
    }
    /// True for the session making this request.
    async fn current(&self) -> bool {
        self.current
    }
}

/// An API key (its secret part is never shown after creation).
pub struct ApiKey(pub api_keys::Model);

#[Object]
impl ApiKey {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The first characters of the key, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.key_prefix
    }
    async fn scopes(&self) -> &[String] {
        &self.0.scopes
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at.map(ts)
    }
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at.map(ts)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// A user's preferences.
pub struct UserSettings(pub user_settings::Model);

#[Object]
impl UserSettings {
    /// `DARK`, `LIGHT` or `AUTO`.
    async fn theme(&self) -> &str {
        &self.0.theme
    }
    async fn language(&self) -> &str {
        &self.0.language
    }
    async fn notify_email(&self) -> bool {
        self.0.notify_email
    }
    async fn notify_push(&self) -> bool {
        self.0.notify_push
    }
    async fn notify_sms(&self) -> bool {
        self.0.notify_sms
    }
    async fn notify_in_app(&self) -> bool {
        self.0.notify_in_app
    }
    async fn display_currency(&self) -> &str {
        &self.0.display_currency
    }
    async fn auto_logout_minutes(&self) -> i32 {
        self.0.auto_logout_minutes
    }
    /// Everything else, as a JSON object.
    async fn settings_json(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.settings_json.clone())
    }
}

/// A department (tickets are routed to departments).
pub struct Department(pub departments::Model);

#[Object]
impl Department {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn department_email(&self) -> Option<&str> {
        self.0.department_email.as_deref()
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    /// `INTERNAL` or `EXTERNAL` (customers may pick EXTERNAL ones).
    async fn visibility(&self) -> &str {
        &self.0.visibility
    }
    /// Whether tickets may be transferred into and out of it.
    async fn transfers_enabled(&self) -> bool {
        self.0.transfers_enabled
    }
}

/// A job title within the organisation.
pub struct Designation(pub designations::Model);

#[Object]
impl Designation {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn department_id(&self) -> Option<ID> {
        self.0.department_id.map(|d| ID(d.to_string()))
    }
    async fn level(&self) -> Option<&str> {
        self.0.level.as_deref()
    }
    async fn can_manage_team(&self) -> bool {
        self.0.can_manage_team
    }
    async fn can_approve(&self) -> bool {
        self.0.can_approve
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
}

/// A staff member's employment record.
pub struct Employee(pub employees::Model);

#[Object]
impl Employee {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }
    async fn employee_code(&self) -> &str {
        &self.0.employee_code
    }
    async fn department_id(&self) -> Option<ID> {
        self.0.department_id.map(|d| ID(d.to_string()))
    }
    async fn designation_id(&self) -> Option<ID> {
        self.0.designation_id.map(|d| ID(d.to_string()))
    }
    async fn joining_date(&self) -> Option<chrono::NaiveDate> {
        self.0.joining_date
    }
    /// `ACTIVE`, `INACTIVE` or `TERMINATED`.
    async fn employment_status(&self) -> &str {
        &self.0.employment_status
    }
    async fn manager_employee_id(&self) -> Option<ID> {
        self.0.manager_employee_id.map(|d| ID(d.to_string()))
    }
}

/// A role held or requested by a user.
pub struct RoleGrant(pub user_roles::Model);

#[Object]
impl RoleGrant {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }
    async fn role(&self, ctx: &Context<'_>) -> Result<Option<Role>> {
        use sea_orm::EntityTrait;
        Ok(roles::Entity::find_by_id(self.0.role_id)
            .one(&app(ctx)?.db.read)
            .await
            .map_err(crate::error::AppError::from)?
            .map(Role::from))
    }
    /// `PENDING`, `APPROVED` or `REJECTED`.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at.map(ts)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// Tokens of a new or refreshed session.
pub struct AuthPayload(pub identity::accounts::AuthSession);

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
    pub recovery_codes: Vec<String>,
}

/// A new API key; `key` is shown only here.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub key: String,
    pub api_key: ApiKey,
}

/// Result of changing a user.
#[derive(SimpleObject)]
pub struct UserPayload {
    pub user: User,
}

/// `assignRole` and `revokeRole` return the user.
#[derive(SimpleObject)]
pub struct AssignRolePayload {
    pub user: User,
}

#[derive(SimpleObject)]
pub struct RoleRequestPayload {
    pub request: RoleGrant,
}

#[derive(SimpleObject)]
pub struct ApiKeyPayload {
    pub api_key: ApiKey,
}

#[derive(SimpleObject)]
pub struct UserSettingsPayload {
    pub settings: UserSettings,
}

#[derive(SimpleObject)]
pub struct DepartmentPayload {
    pub department: Department,
}

#[derive(SimpleObject)]
pub struct DesignationPayload {
    pub designation: Designation,
}

#[derive(SimpleObject)]
pub struct EmployeePayload {
    pub employee: Employee,
}
