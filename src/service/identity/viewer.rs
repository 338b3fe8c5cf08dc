//! The caller of a request, as every service sees it.

use std::collections::HashSet;
use std::sync::Arc;

use entity::users;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A permission key (or API-key scope). Only the constants each domain
/// declares in its `perms` module exist, so a typo does not compile; the
/// key is what `permissions.key` and API-key scopes store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Permission(&'static str);

impl Permission {
    /// Declares a key; only `perms` modules call this.
    pub const fn new(key: &'static str) -> Self {
        Permission(key)
    }

    /// The stored key, such as `tickets.reply`.
    pub const fn key(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The signed-in user's row, as the session check read it (the session
/// cache drops it when the row changes). Its `Debug` shows the id only:
/// the row holds the password hash.
#[derive(Clone, Default, PartialEq)]
pub struct Account(pub Option<Arc<users::Model>>);

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(u) => write!(f, "Account({})", u.id),
            None => f.write_str("Account(None)"),
        }
    }
}

/// Who is calling and what they may do. Built once per request (or per
/// WebSocket connection) by the HTTP layer; services authorize against it.
#[derive(Clone, Debug, Default)]
pub struct Viewer {
    /// The signed-in user; `None` for anonymous callers.
    pub user_id: Option<Uuid>,
    /// The session the access token belongs to.
    pub session_id: Option<Uuid>,
    /// Keys of the user's approved roles.
    pub roles: Vec<String>,
    /// Permission keys granted through those roles (shared with the
    /// session cache: a request copies no set).
    pub permissions: Arc<HashSet<String>>,
    /// With an API key, the operations are limited to these scopes.
    pub api_key_scopes: Option<HashSet<String>>,
    /// The API key used, if any.
    pub api_key_id: Option<Uuid>,
    /// Client address and user agent, for sessions and audit rows.
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The request id of the HTTP request or WebSocket connection.
    pub request_id: Option<String>,
    /// Holds an approved INTERNAL role (staff): source 000's "admin user".
    pub is_staff: bool,
    /// The user's row, when the session check read it (bearer tokens).
    pub account: Account,
}

impl Viewer {
    /// An anonymous caller with the given client details.
    pub fn anonymous() -> Self {
        Viewer::default()
    }

    pub fn is_authenticated(&self) -> bool {
        self.user_id.is_some()
    }

    /// The user id, or `UNAUTHENTICATED`.
    pub fn require_user(&self) -> AppResult<Uuid> {
        self.user_id.ok_or_else(AppError::unauthenticated)
    }

    /// Whether the caller holds `permission` (and, with an API key, the
    /// key's scopes allow it).
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission.key()) && self.scope_allows(permission)
    }

    /// `FORBIDDEN` unless [`Viewer::can`]; `UNAUTHENTICATED` when anonymous.
    pub fn require(&self, permission: Permission) -> AppResult<Uuid> {
        let user = self.require_user()?;
        if self.can(permission) {
            Ok(user)
        } else {
            Err(AppError::forbidden())
        }
    }

    /// For operations on the caller's own data that need no permission:
    /// signed in, and (with an API key) the key carries `scope`.
    pub fn require_self_service(&self, scope: Permission) -> AppResult<Uuid> {
        let user = self.require_user()?;
        if self.scope_allows(scope) {
            Ok(user)
        } else {
            Err(AppError::Forbidden(format!("this API key lacks the scope {scope}")))
        }
    }

    /// An API key may only do what its scopes name; a scope `tickets.*`
    /// covers every permission starting `tickets.`.
    pub fn scope_allows(&self, permission: Permission) -> bool {
        let permission = permission.key();
        match &self.api_key_scopes {
            None => true,
            Some(scopes) => scopes.iter().any(|s| {
                s == permission
                    || s == "*"
                    || s.strip_suffix(".*").is_some_and(|prefix| {
                        permission.starts_with(prefix) && permission[prefix.len()..].starts_with('.')
                    })
            }),
        }
    }
}
