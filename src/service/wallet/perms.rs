//! Permission keys and API-key scopes of the wallet domain.

use crate::service::identity::Permission;

/// `wallet.credit`.
pub const WALLET_CREDIT: Permission = Permission::new("wallet.credit");
/// `wallet.read_all`.
pub const WALLET_READ_ALL: Permission = Permission::new("wallet.read_all");
/// `wallet.read`.
pub const WALLET_READ: Permission = Permission::new("wallet.read");
/// `wallet.debit`.
pub const WALLET_DEBIT: Permission = Permission::new("wallet.debit");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[WALLET_CREDIT, WALLET_READ_ALL, WALLET_READ, WALLET_DEBIT];
