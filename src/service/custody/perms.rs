//! Permission keys and API-key scopes of custody.

use crate::service::identity::Permission;

/// `wallet.withdraw`: withdrawing one's own crypto balance (a self-service
/// scope: an API key needs it named).
pub const WALLET_WITHDRAW: Permission = Permission::new("wallet.withdraw");
/// `exchange.withdrawals.manage`: reads every withdrawal and deposit,
/// fails withdrawals the signer cannot send (finance, admins).
pub const WITHDRAWALS_MANAGE: Permission = Permission::new("exchange.withdrawals.manage");
/// `exchange.fees.manage`: sets the withdrawal thresholds (admins).
pub const FEES_MANAGE: Permission = Permission::new("exchange.fees.manage");

/// Every key above, for the check that each exists in the database.
pub const ALL: &[Permission] = &[WALLET_WITHDRAW, WITHDRAWALS_MANAGE, FEES_MANAGE];
