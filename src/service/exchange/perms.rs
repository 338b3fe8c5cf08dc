//! Permission keys and API-key scopes of the exchange domain.

use crate::service::identity::Permission;

/// `exchange.orders.create`.
pub const EXCHANGE_ORDERS_CREATE: Permission = Permission::new("exchange.orders.create");
/// `exchange.addresses.manage`: see and manage the rotating address pools
/// (admins).
pub const EXCHANGE_ADDRESSES_MANAGE: Permission = Permission::new("exchange.addresses.manage");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[EXCHANGE_ORDERS_CREATE, EXCHANGE_ADDRESSES_MANAGE];
