//! Notification queries.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Object, Result};

use super::types::{Notification, NotificationCount};
use crate::graphql::context::{app, viewer};
use crate::graphql::pagination::{connection, Page};
use crate::service::notification::{self, NotificationCursor, NotificationFilter};

/// Notification queries.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your in-app notifications, newest first. Walk forward with
    /// `first`/`after` or back from the oldest end with `last`/`before`.
    async fn viewer_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Notifications after `after`, from the newest: at most 100 (20 when no size is given).")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of a notification: only older ones.")] after: Option<String>,
        #[graphql(desc = "The last notifications before `before` (the oldest end): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of a notification: only newer ones.")] before: Option<String>,
        #[graphql(default = false, desc = "Only notifications you have not read yet.")] unread_only: bool,
    ) -> Result<Connection<String, Notification, NotificationCount, EmptyFields>> {
        let page = Page::<NotificationCursor>::from_args(first, after, last, before)?;
        let filter = NotificationFilter { unread_only };
        let rows = notification::for_viewer(app(ctx)?, viewer(ctx), filter, &page).await?;
        let conn = connection(&page, rows, NotificationCursor::of, Notification);
        let mut out = Connection::with_additional_fields(
            conn.has_previous_page,
            conn.has_next_page,
            NotificationCount { filter },
        );
        out.edges = conn.edges;
        Ok(out)
    }
}
