//! Approval mutations: submit, approve, reject and cancel.

use async_graphql::{Context, Object, Result, ID};
use entity::approval_requests;

use super::inputs::{ReviewApprovalRequestInput, SubmitApprovalRequestInput};
use super::types::{ApprovalRequest, ApprovalRequestPayload};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::service::approval::requests::{self, Move};
use crate::service::approval::Decision;

/// Approval mutations.
#[derive(Default)]
pub struct ApprovalMutation;

/// The payload of a moved or submitted request, as the viewer sees it.
async fn payload(ctx: &Context<'_>, row: approval_requests::Model) -> Result<ApprovalRequestPayload> {
    Ok(ApprovalRequestPayload {
        request: ApprovalRequest::seen(ctx, row).await?,
    })
}

async fn review(
    ctx: &Context<'_>,
    input: ReviewApprovalRequestInput,
    decision: Decision,
) -> Result<ApprovalRequestPayload> {
    let id = parse_id(&input.id, "id")?;
    let row = requests::decide(
        app(ctx)?,
        viewer(ctx),
        Move {
            id,
            decision,
            remarks: input.remarks.as_deref(),
            internal: input.internal,
        },
    )
    .await?;
    payload(ctx, row).await
}

#[Object]
impl ApprovalMutation {
    /// Asks for review of an entity; a second pending request for the same
    /// entity and approval type is a `CONFLICT` that names the pending one.
    async fn submit_approval_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to review.")] input: SubmitApprovalRequestInput,
    ) -> Result<ApprovalRequestPayload> {
        let entity_id = parse_id(&input.entity_id, "entityId")?;
        let payload_json = input.payload.map(|j| j.0).unwrap_or_else(|| serde_json::json!({}));
        let row = requests::submit_from_client(
            app(ctx)?,
            viewer(ctx),
            input.entity_type,
            entity_id,
            input.approval_type,
            payload_json,
        )
        .await?;
        payload(ctx, row).await
    }

    /// Approves a pending request and applies it (a reviewer of its type;
    /// never its submitter).
    async fn approve_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request and optional remarks.")] input: ReviewApprovalRequestInput,
    ) -> Result<ApprovalRequestPayload> {
        review(ctx, input, Decision::Approved).await
    }

    /// Rejects a pending request; remarks are required.
    async fn reject_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request and the remarks (required).")] input: ReviewApprovalRequestInput,
    ) -> Result<ApprovalRequestPayload> {
        review(ctx, input, Decision::Rejected).await
    }

    /// Withdraws your own pending request.
    async fn cancel_approval_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
    ) -> Result<ApprovalRequestPayload> {
        let input = ReviewApprovalRequestInput {
            id,
            remarks: None,
            internal: false,
        };
        review(ctx, input, Decision::Cancelled).await
    }
}
