//! Wallets over GraphQL: the viewer's wallets and their ledgers, credits by
//! finance staff, debits of one's own wallet with idempotency keys, and the
//! live `walletUpdated` subscription. Resolvers parse, call one service
//! function (`service::wallet`) and map the result.

mod inputs;
mod mutation;
mod query;
mod subscription;
mod types;

pub use inputs::{CreditWalletInput, DebitWalletInput, LedgerFilter};
pub use mutation::WalletMutation;
pub use query::WalletQuery;
pub use subscription::WalletSubscription;
pub use types::{LedgerCount, Wallet, WalletLedgerEntry, WalletPostingPayload};
