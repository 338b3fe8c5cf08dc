//! The approval engine over GraphQL: the queue and one request, submitting,
//! approving, rejecting and cancelling, and the live
//! `approvalRequestChanged`. Resolvers parse, call `service::approval` and
//! map the rows.

mod inputs;
mod mutation;
mod query;
mod subscription;
mod types;

pub use inputs::{ApprovalRequestFilter, ApprovalRequestOrder, ReviewApprovalRequestInput, SubmitApprovalRequestInput};
pub use mutation::ApprovalMutation;
pub use query::ApprovalQuery;
pub use subscription::ApprovalSubscription;
pub use types::{ApprovalLog, ApprovalRequest, ApprovalRequestPayload, FieldChange};
