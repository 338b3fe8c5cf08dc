//! Permission keys and API-key scopes of the support domain.

use crate::service::identity::Permission;

/// `tickets.read_department`.
pub const TICKETS_READ_DEPARTMENT: Permission = Permission::new("tickets.read_department");
/// `tickets.read_all`.
pub const TICKETS_READ_ALL: Permission = Permission::new("tickets.read_all");
/// `tickets.reply`.
pub const TICKETS_REPLY: Permission = Permission::new("tickets.reply");
/// `tickets.create`.
pub const TICKETS_CREATE: Permission = Permission::new("tickets.create");
/// `tickets.assign`.
pub const TICKETS_ASSIGN: Permission = Permission::new("tickets.assign");
/// `tickets.internal_note`.
pub const TICKETS_INTERNAL_NOTE: Permission = Permission::new("tickets.internal_note");
/// `clients.manage`.
pub const CLIENTS_MANAGE: Permission = Permission::new("clients.manage");
/// `tickets.read`.
pub const TICKETS_READ: Permission = Permission::new("tickets.read");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[
    TICKETS_READ_DEPARTMENT,
    TICKETS_READ_ALL,
    TICKETS_REPLY,
    TICKETS_CREATE,
    TICKETS_ASSIGN,
    TICKETS_INTERNAL_NOTE,
    CLIENTS_MANAGE,
    TICKETS_READ,
];
