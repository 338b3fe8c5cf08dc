//! In-app notifications over GraphQL.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::{NotificationKind, NotificationStatus};
use entity::notifications;
use sea_orm::ActiveEnum;

use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::identity::parse_id;
use crate::service::notification;

/// Something the platform told you.
pub struct Notification(pub notifications::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> Result<NotificationKind> {
        NotificationKind::try_from_value(&self.0.kind)
            .map_err(|e| AppError::internal(anyhow::anyhow!("bad notification kind: {e}")).into())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    async fn status(&self) -> Result<NotificationStatus> {
        NotificationStatus::try_from_value(&self.0.status)
            .map_err(|e| AppError::internal(anyhow::anyhow!("bad notification status: {e}")).into())
    }
    /// What it is about (SUPPORT_TICKET, APPROVAL_REQUEST, ...).
    async fn related_entity_type(&self) -> Option<&str> {
        self.0.related_entity_type.as_deref()
    }
    async fn related_entity_id(&self) -> Option<ID> {
        self.0.related_entity_id.map(|i| ID(i.to_string()))
    }
    async fn action_url(&self) -> Option<&str> {
        self.0.action_url.as_deref()
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at.map(|t| t.with_timezone(&Utc))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.with_timezone(&Utc)
    }
}

#[derive(InputObject, Default)]
pub struct MarkNotificationsReadInput {
    /// Absent: every notification of yours.
    pub ids: Option<Vec<ID>>,
}

/// Notification queries.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your newest in-app notifications.
    async fn viewer_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
        #[graphql(default = false)] unread_only: bool,
    ) -> Result<Vec<Notification>> {
        Ok(
            notification::for_viewer(app(ctx)?, viewer(ctx), unread_only, first as u64)
                .await?
                .into_iter()
                .map(Notification)
                .collect(),
        )
    }
}

/// Notification mutations.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks your notifications read; returns how many changed.
    async fn mark_notifications_read(&self, ctx: &Context<'_>, input: MarkNotificationsReadInput) -> Result<i32> {
        let ids = input
            .ids
            .map(|list| list.iter().map(|i| parse_id(i, "ids")).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        Ok(notification::mark_read(app(ctx)?, viewer(ctx), ids).await? as i32)
    }
}
