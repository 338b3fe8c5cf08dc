//! What the engine announces: one event per new or moved request, on one
//! topic. Subscribers re-read the request and re-check who they are on
//! every event (`live`), so the event itself carries only the id.

use entity::approval_requests;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::infra::events::Event;

/// The topic of every approval event.
pub const TOPIC: &str = "approvals";

/// An approval event.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ApprovalEvent {
    /// A request was submitted or moved.
    Changed {
        /// The request.
        id: Uuid,
    },
}

impl ApprovalEvent {
    /// The bus event for a change to `row`.
    pub fn changed(row: &approval_requests::Model) -> Event {
        Event::typed(TOPIC, &ApprovalEvent::Changed { id: row.id })
    }
}
