//! Support-desk events on the bus. Payloads carry ids only: each
//! subscriber loads what it may see, so nothing leaks through an event.

use serde_json::json;
use uuid::Uuid;

use crate::infra::events::{Event, Tx};

/// Topic of one ticket's events.
pub fn ticket_topic(ticket: Uuid) -> String {
    format!("support:ticket:{ticket}")
}

/// Topic of every ticket change (for `ticketUpdated` without an id).
pub const ALL_TICKETS: &str = "support:tickets";

/// Queues "this ticket changed" for after the commit.
pub fn ticket_changed(tx: &Tx, ticket: Uuid) {
    let payload = json!({"kind": "updated", "ticketId": ticket});
    tx.publish_after_commit(Event::new(ticket_topic(ticket), payload.clone()));
    tx.publish_after_commit(Event::new(ALL_TICKETS, payload));
}

/// Queues "a message was added" for after the commit.
pub fn message_added(tx: &Tx, ticket: Uuid, message: Uuid, internal: bool) {
    tx.publish_after_commit(Event::new(
        ticket_topic(ticket),
        json!({"kind": "message", "ticketId": ticket, "messageId": message, "internal": internal}),
    ));
}
