//! Permission keys and API-key scopes of the identity domain.

use crate::service::identity::Permission;

/// `users.read`.
pub const USERS_READ: Permission = Permission::new("users.read");
/// `users.manage`.
pub const USERS_MANAGE: Permission = Permission::new("users.manage");
/// `roles.manage`.
pub const ROLES_MANAGE: Permission = Permission::new("roles.manage");
/// `employees.manage`.
pub const EMPLOYEES_MANAGE: Permission = Permission::new("employees.manage");
/// `departments.manage`.
pub const DEPARTMENTS_MANAGE: Permission = Permission::new("departments.manage");
/// `api_keys.manage`.
pub const API_KEYS_MANAGE: Permission = Permission::new("api_keys.manage");
/// `profile.read`.
pub const PROFILE_READ: Permission = Permission::new("profile.read");
/// `profile.manage`.
pub const PROFILE_MANAGE: Permission = Permission::new("profile.manage");
/// `security.manage`.
pub const SECURITY_MANAGE: Permission = Permission::new("security.manage");
/// `sessions.read`.
pub const SESSIONS_READ: Permission = Permission::new("sessions.read");
/// `sessions.manage`.
pub const SESSIONS_MANAGE: Permission = Permission::new("sessions.manage");
/// `settings.manage`.
pub const SETTINGS_MANAGE: Permission = Permission::new("settings.manage");
/// `roles.request`.
pub const ROLES_REQUEST: Permission = Permission::new("roles.request");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[
    USERS_READ,
    USERS_MANAGE,
    ROLES_MANAGE,
    EMPLOYEES_MANAGE,
    DEPARTMENTS_MANAGE,
    API_KEYS_MANAGE,
    PROFILE_READ,
    PROFILE_MANAGE,
    SECURITY_MANAGE,
    SESSIONS_READ,
    SESSIONS_MANAGE,
    SETTINGS_MANAGE,
    ROLES_REQUEST,
];
