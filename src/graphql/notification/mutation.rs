//! Notification mutations.

use async_graphql::{Context, Object, Result};

use super::inputs::MarkNotificationsReadInput;
use super::types::{MarkNotificationsReadPayload, Notification};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::service::notification;

/// Notification mutations.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks your notifications read and returns those it marked.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which notifications to mark (all of yours by default).")] input: MarkNotificationsReadInput,
    ) -> Result<MarkNotificationsReadPayload> {
        let ids = input
            .ids
            .map(|list| list.iter().map(|i| parse_id(i, "ids")).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        let marked = notification::mark_read(app(ctx)?, viewer(ctx), ids).await?;
        Ok(MarkNotificationsReadPayload {
            count: i32::try_from(marked.len()).unwrap_or(i32::MAX),
            notifications: marked.into_iter().map(Notification).collect(),
        })
    }
}
