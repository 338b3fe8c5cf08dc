//! Users and what belongs to them: sessions, API keys, preferences.

use super::user_by_id;
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::{AccountType, DeviceType, Theme, UserStatus};
use entity::{api_keys, user_sessions, user_settings, users};
use uuid::Uuid;

use super::{load_failed, Department, SessionCount};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::identity::query::paged_connection;
use crate::graphql::loaders::loaders;
use crate::graphql::pagination::Page;
use crate::service::identity::{self, perms, Grants, Viewer};

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
        self.is_self(v) || v.is_staff || v.can(perms::USERS_READ)
    }

    /// Self or `users.read` may see account internals.
    fn sees_account(&self, v: &Viewer) -> bool {
        self.is_self(v) || v.can(perms::USERS_READ)
    }

    /// The user's grants: the viewer's own from the request, anyone
    /// else's through the loader (one statement for a page of users);
    /// `None` when the viewer may not see them.
    async fn grants(&self, ctx: &Context<'_>) -> Result<Option<Grants>> {
        let v = viewer(ctx);
        if self.is_viewer(v) {
            let mut permissions: Vec<String> = v.permissions.iter().cloned().collect();
            permissions.sort();
            let mut roles = v.roles.clone();
            roles.sort();
            return Ok(Some(Grants {
                active: true,
                roles,
                permissions,
                staff: v.is_staff,
            }));
        }
        if !self.is_self(v) && !v.can(perms::USERS_READ) {
            return Ok(None);
        }
        let g = loaders(ctx)?
            .identity
            .grants
            .load_one(self.model.id)
            .await
            .map_err(load_failed)?;
        Ok(Some(g.unwrap_or_default()))
    }
}

/// A person or company with an account. Contact details and account internals are shown only to the user, to staff and to holders of `users.read`.
#[Object]
impl User {
    /// The user's id.
    async fn id(&self) -> ID {
        id(self.model.id)
    }

    /// The name shown to others.
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

    /// Whether the account is a person's or a company's.
    async fn account_type(&self) -> Result<AccountType> {
        Ok(db_enum(&self.model.account_type)?)
    }

    /// The account's standing; null unless this is you or you may read users.
    async fn status(&self, ctx: &Context<'_>) -> Result<Option<UserStatus>> {
        if !self.sees_account(viewer(ctx)) {
            return Ok(None);
        }
        Ok(Some(db_enum(&self.model.status)?))
    }

    /// Whether sign-in asks for a two-factor code; null unless this is you
    /// or you may read users.
    async fn two_factor_enabled(&self, ctx: &Context<'_>) -> Option<bool> {
        self.sees_account(viewer(ctx)).then_some(self.model.two_factor_enabled)
    }

    /// Set while the account is locked after failed sign-ins; null unless
    /// this is you or you may read users.
    async fn locked_until(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        if self.sees_account(viewer(ctx)) {
            self.model.locked_until.map(ts)
        } else {
            None
        }
    }

    /// The last successful sign-in; null unless this is you or you may read users.
    async fn last_login_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        if self.sees_account(viewer(ctx)) {
            self.model.last_login_at.map(ts)
        } else {
            None
        }
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.model.created_at)
    }

    /// Keys of the approved roles, sorted (null unless you, or `users.read`).
    async fn roles(&self, ctx: &Context<'_>) -> Result<Option<Vec<String>>> {
        Ok(self.grants(ctx).await?.map(|g| g.roles))
    }

    /// Permission keys through those roles, sorted (null unless you, or
    /// `users.read`).
    async fn permissions(&self, ctx: &Context<'_>) -> Result<Option<Vec<String>>> {
        Ok(self.grants(ctx).await?.map(|g| g.permissions))
    }

    /// Holds a staff (INTERNAL) role (null unless you, or `users.read`).
    async fn is_admin(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        Ok(self.grants(ctx).await?.map(|g| g.staff))
    }

    /// Departments the user works in (agents), if you may see them;
    /// inactive ones only for department managers.
    async fn departments(&self, ctx: &Context<'_>) -> Result<Option<Vec<Department>>> {
        let v = viewer(ctx);
        if !self.sees_contact(v) {
            return Ok(None);
        }
        v.require_user()?;
        let l = &loaders(ctx)?.identity;
        let ids = l
            .user_departments
            .load_one(self.model.id)
            .await
            .map_err(load_failed)?
            .unwrap_or_default();
        let found = l
            .departments
            .load_many(ids.iter().copied())
            .await
            .map_err(load_failed)?;
        let managers = v.can(perms::DEPARTMENTS_MANAGE);
        let mut out: Vec<_> = ids
            .iter()
            .filter_map(|d| found.get(d).cloned())
            .filter(|d| d.is_active || managers)
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(out.into_iter().map(Department).collect()))
    }

    /// Your preferences (only your own).
    async fn settings(&self, ctx: &Context<'_>) -> Result<Option<UserSettings>> {
        let v = viewer(ctx);
        if !self.is_viewer(v) {
            return Ok(None);
        }
        v.require_self_service(perms::SETTINGS_MANAGE)?;
        Ok(Some(UserSettings(
            identity::settings::get(app(ctx)?, self.model.id).await?,
        )))
    }

    /// The user's KYC check: your own, or anyone's for KYC reviewers;
    /// null otherwise or when none was submitted.
    async fn kyc(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::verification::Kyc>> {
        let row =
            crate::service::verification::kyc_read::of_user(&app(ctx)?.db.read, viewer(ctx), self.model.id).await?;
        Ok(row.map(crate::graphql::verification::Kyc))
    }

    /// Your own deposit address in `currency` (created on the first ask);
    /// null on anyone else's user. Coins sent to it are credited to your
    /// wallet in that currency once confirmed.
    async fn deposit_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Currency code, such as ETH or BTC.")] currency: String,
    ) -> Result<Option<crate::graphql::custody::types::DepositAddress>> {
        let v = viewer(ctx);
        if !self.is_viewer(v) {
            return Ok(None);
        }
        let row = crate::service::custody::addresses::of_viewer(app(ctx)?, v, &currency).await?;
        Ok(Some(crate::graphql::custody::types::DepositAddress(row)))
    }

    /// Your sessions, newest first: active ones and those ended in the
    /// last 30 days (only your own; null for anyone else's).
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Sessions after this cursor, newest first; at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the session to start after.")] after: Option<String>,
        #[graphql(desc = "Sessions before `before`, the oldest end; at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the session to end before.")] before: Option<String>,
    ) -> Result<Option<Connection<String, Session, SessionCount, EmptyFields>>> {
        let v = viewer(ctx);
        if !self.is_viewer(v) {
            return Ok(None);
        }
        let page = Page::<Uuid>::from_args(first, after, last, before)?;
        let current = v.session_id;
        let paged = identity::sessions::sessions(app(ctx)?, v, &page).await?;
        Ok(Some(paged_connection(
            paged,
            |s| s.id,
            |s| Session {
                current: Some(s.id) == current,
                model: s,
            },
            SessionCount { viewer: v.clone() },
        )))
    }

    /// Your API keys, newest first (only your own; the key itself is never
    /// shown again).
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

/// One signed-in device.
pub struct Session {
    pub model: user_sessions::Model,
    pub current: bool,
}

/// One signed-in device: a session lasts until it is ended or expires, and its refresh token keeps it going.
#[Object]
impl Session {
    /// The session's id (for `revokeSession`).
    async fn id(&self) -> ID {
        id(self.model.id)
    }
    /// The address it signed in from (or last refreshed from).
    async fn ip_address(&self) -> Option<&str> {
        self.model.ip_address.as_deref()
    }
    /// The browser or app that signed in.
    async fn user_agent(&self) -> Option<&str> {
        self.model.user_agent.as_deref()
    }
    /// The kind of device, as told by the user agent.
    async fn device_type(&self) -> Result<DeviceType> {
        Ok(db_enum(&self.model.device_type)?)
    }
    /// When it was last used.
    async fn last_active_at(&self) -> DateTime<Utc> {
        ts(self.model.last_active_at)
    }
    /// When it signed in.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.model.created_at)
    }
    /// When it ends unless refreshed.
    async fn expires_at(&self) -> DateTime<Utc> {
        ts(self.model.expires_at)
    }
    /// When it was ended (signed out or revoked); null while it lasts.
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

/// An API key for partner integrations, limited to its scopes (its secret part is never shown after creation).
#[Object]
impl ApiKey {
    /// The key's id (for `revokeApiKey`).
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The name it was given.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The first characters of the key, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.key_prefix
    }
    /// What the key may do: permission keys, self-service scopes or
    /// `prefix.*` wildcards.
    async fn scopes(&self) -> &[String] {
        &self.0.scopes
    }
    /// False once revoked.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    /// When it stops working; null: never.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at.map(ts)
    }
    /// When it was last used (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at.map(ts)
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// A user's preferences.
pub struct UserSettings(pub user_settings::Model);

/// A user's preferences: typed fields plus a JSON object for the rest.
#[Object]
impl UserSettings {
    /// The settings' id (one settings object per user).
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Whose settings these are.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user_by_id(ctx, self.0.user_id).await
    }
    /// The colour theme.
    async fn theme(&self) -> Result<Theme> {
        Ok(db_enum(&self.0.theme)?)
    }
    /// A language tag such as `en`.
    async fn language(&self) -> &str {
        &self.0.language
    }
    /// Notifications by email.
    async fn notify_email(&self) -> bool {
        self.0.notify_email
    }
    /// Push notifications.
    async fn notify_push(&self) -> bool {
        self.0.notify_push
    }
    /// Notifications by text message.
    async fn notify_sms(&self) -> bool {
        self.0.notify_sms
    }
    /// Notifications inside the app.
    async fn notify_in_app(&self) -> bool {
        self.0.notify_in_app
    }
    /// The currency amounts are shown in, such as `INR`.
    async fn display_currency(&self) -> &str {
        &self.0.display_currency
    }
    /// Minutes of inactivity before signing out.
    async fn auto_logout_minutes(&self) -> i32 {
        self.0.auto_logout_minutes
    }
    /// Everything else, as a JSON object.
    async fn settings_json(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.settings_json.clone())
    }
}
