//! Permission keys and API-key scopes of the commerce domain.

use crate::service::identity::Permission;

/// `commerce.packages.manage`.
pub const COMMERCE_PACKAGES_MANAGE: Permission = Permission::new("commerce.packages.manage");
/// `commerce.orders.read_all`.
pub const COMMERCE_ORDERS_READ_ALL: Permission = Permission::new("commerce.orders.read_all");
/// `commerce.coupons.manage`.
pub const COMMERCE_COUPONS_MANAGE: Permission = Permission::new("commerce.coupons.manage");
/// `commerce.tax.manage`.
pub const COMMERCE_TAX_MANAGE: Permission = Permission::new("commerce.tax.manage");
/// `payments.gateways.manage`.
pub const PAYMENTS_GATEWAYS_MANAGE: Permission = Permission::new("payments.gateways.manage");
/// `commerce.refund`.
pub const COMMERCE_REFUND: Permission = Permission::new("commerce.refund");
/// `commerce.purchase`.
pub const COMMERCE_PURCHASE: Permission = Permission::new("commerce.purchase");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[
    COMMERCE_PACKAGES_MANAGE,
    COMMERCE_ORDERS_READ_ALL,
    COMMERCE_COUPONS_MANAGE,
    COMMERCE_TAX_MANAGE,
    PAYMENTS_GATEWAYS_MANAGE,
    COMMERCE_REFUND,
    COMMERCE_PURCHASE,
];
