//! Custody over GraphQL (issue 14): deposit addresses (on `User`),
//! deposits, withdrawals and their live updates.

mod inputs;
mod mutation;
mod query;
mod subscription;
pub mod types;

pub use mutation::CustodyMutation;
pub use query::CustodyQuery;
pub use subscription::CustodySubscription;
