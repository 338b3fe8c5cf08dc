//! Support-desk events on the bus. Payloads carry ids only: each
//! subscriber loads what it may see, so nothing leaks through an event.

use serde_json::json;
use uuid::Uuid;

use entity::support_ticket_messages;

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

/// Queues "a message was added" for after the commit. The message travels
/// with the event (the bus is internal), so a thousand subscribers do not
/// each load it; each still decides alone whether it may see it.
pub fn message_added(tx: &Tx, message: &support_ticket_messages::Model) {
    tx.publish_after_commit(Event::new(
        ticket_topic(message.ticket_id),
        json!({
            "kind": "message",
            "ticketId": message.ticket_id,
            "messageId": message.id,
            "internal": message.is_internal,
            "message": message_json(message),
        }),
    ));
}

fn message_json(m: &support_ticket_messages::Model) -> serde_json::Value {
    json!({
        "id": m.id,
        "ticketId": m.ticket_id,
        "senderUserId": m.sender_user_id,
        "senderClientId": m.sender_client_id,
        "body": m.body,
        "attachments": m.attachments,
        "isInternal": m.is_internal,
        "isSystem": m.is_system,
        "createdAt": m.created_at,
    })
}

/// The message carried by a `message` event.
pub fn message_of(payload: &serde_json::Value) -> Option<support_ticket_messages::Model> {
    let m = payload.get("message")?;
    let uuid = |k: &str| m.get(k).and_then(|v| v.as_str()).and_then(|s| Uuid::parse_str(s).ok());
    Some(support_ticket_messages::Model {
        id: uuid("id")?,
        ticket_id: uuid("ticketId")?,
        sender_user_id: uuid("senderUserId"),
        sender_client_id: uuid("senderClientId"),
        body: m.get("body")?.as_str()?.to_string(),
        attachments: m.get("attachments").cloned().unwrap_or_else(|| json!([])),
        is_internal: m.get("isInternal")?.as_bool()?,
        is_system: m.get("isSystem")?.as_bool()?,
        created_at: serde_json::from_value(m.get("createdAt")?.clone()).ok()?,
    })
}
