//! The live `approvalRequestChanged` subscription; who receives which
//! event is decided per event in `service::approval::live`.

use async_graphql::{Context, Result, Subscription};
use futures::{Stream, StreamExt};

use super::types::ApprovalRequest;
use crate::app::Ctx;
use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::service::approval::live;
use crate::service::approval::requests::approval_type_of;

/// Approval subscriptions.
#[derive(Default)]
pub struct ApprovalSubscription;

#[Subscription]
impl ApprovalSubscription {
    /// New and changed requests that you submitted or may review, after
    /// each change commits. Ends when your session does.
    async fn approval_request_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<ApprovalRequest>> + use<>> {
        let app: Ctx = ctx
            .data::<Ctx>()
            .cloned()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))?;
        let v = viewer(ctx).clone();
        let stream = live::changes(app, v.clone())?;
        Ok(stream.map(move |item| {
            let (row, policies) = item?;
            let kind = approval_type_of(&row)?;
            Ok(ApprovalRequest::new(
                row,
                policies.of(kind),
                policies.may_review(&v, kind),
            ))
        }))
    }
}
