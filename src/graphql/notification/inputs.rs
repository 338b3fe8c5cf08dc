//! Notification inputs.

use async_graphql::{InputObject, ID};

/// Which notifications to mark read.
#[derive(InputObject, Default)]
pub struct MarkNotificationsReadInput {
    /// Ids of your notifications to mark; absent: every notification of
    /// yours. Ids of others' notifications change nothing.
    pub ids: Option<Vec<ID>>,
}
