//! Permission keys and API-key scopes of the exchange domain.

use crate::service::identity::Permission;

/// `exchange.orders.create`: placing orders (also the scope a customer's
/// API key needs to read its own orders).
pub const EXCHANGE_ORDERS_CREATE: Permission = Permission::new("exchange.orders.create");
/// `exchange.orders.read_all`: reads every order (finance, admins); also
/// lets staff read the reserves the orders draw on.
pub const EXCHANGE_ORDERS_READ_ALL: Permission = Permission::new("exchange.orders.read_all");
/// `exchange.orders.manage`: deciding orders on hold (exchange, refund, fail).
pub const EXCHANGE_ORDERS_MANAGE: Permission = Permission::new("exchange.orders.manage");
/// `exchange.reserves.manage`: adjusts reserves (finance, admins).
pub const EXCHANGE_RESERVES_MANAGE: Permission = Permission::new("exchange.reserves.manage");
/// `exchange.rates.manage`: records manual rates and prices (admins).
pub const EXCHANGE_RATES_MANAGE: Permission = Permission::new("exchange.rates.manage");
/// `exchange.addresses.manage`: see and manage the rotating address pools
/// (admins).
pub const EXCHANGE_ADDRESSES_MANAGE: Permission = Permission::new("exchange.addresses.manage");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[
    EXCHANGE_ORDERS_CREATE,
    EXCHANGE_ORDERS_READ_ALL,
    EXCHANGE_ORDERS_MANAGE,
    EXCHANGE_RESERVES_MANAGE,
    EXCHANGE_RATES_MANAGE,
    EXCHANGE_ADDRESSES_MANAGE,
];
