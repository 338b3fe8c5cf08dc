//! Inputs of the approval operations.

use async_graphql::{InputObject, Json, ID};
use entity::enums::{ApprovalEntityType, ApprovalRequestStatus, ApprovalType};

use crate::error::AppError;
use crate::graphql::convert::parse_opt_id;
use crate::graphql::support::inputs::OrderDirection;
use crate::service::approval::queue::QueueFilter;

/// Which requests of the queue to list (all conditions must hold).
#[derive(InputObject, Default)]
pub struct ApprovalRequestFilter {
    /// Only requests in this status.
    pub status: Option<ApprovalRequestStatus>,
    /// Only requests about this kind of entity.
    pub entity_type: Option<ApprovalEntityType>,
    /// Only requests of this approval type.
    pub approval_type: Option<ApprovalType>,
    /// Only requests this user submitted.
    pub submitted_by: Option<ID>,
    /// Only pending requests past (true) or within (false) their SLA.
    pub overdue: Option<bool>,
}

impl ApprovalRequestFilter {
    /// The service's filter.
    pub fn service(&self) -> Result<QueueFilter, AppError> {
        Ok(QueueFilter {
            status: self.status,
            entity_type: self.entity_type,
            approval_type: self.approval_type,
            submitted_by: parse_opt_id(self.submitted_by.as_ref(), "filter.submittedBy")?,
            overdue: self.overdue,
        })
    }
}

/// The order of the queue: by submission time, oldest first by default.
#[derive(InputObject, Default)]
pub struct ApprovalRequestOrder {
    /// ASC (oldest first, the default) or DESC.
    pub direction: Option<OrderDirection>,
}

impl ApprovalRequestOrder {
    /// Whether the list descends.
    pub fn descending(&self) -> bool {
        self.direction == Some(OrderDirection::Desc)
    }
}

/// A request for review of an entity.
#[derive(InputObject)]
pub struct SubmitApprovalRequestInput {
    /// The kind of entity.
    pub entity_type: ApprovalEntityType,
    /// Its id.
    pub entity_id: ID,
    /// The kind of approval asked for.
    pub approval_type: ApprovalType,
    /// The proposed change, as a JSON object (its entity type says what it
    /// holds); empty when omitted.
    pub payload: Option<Json<serde_json::Value>>,
}

/// A reviewer's decision (or the submitter's withdrawal) on a request.
#[derive(InputObject)]
pub struct ReviewApprovalRequestInput {
    /// The request.
    pub id: ID,
    /// Why: required to reject; at most 4,000 characters.
    pub remarks: Option<String>,
    /// The remarks are for reviewers only (the submitter never reads them).
    #[graphql(default)]
    pub internal: bool,
}
