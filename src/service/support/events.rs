//! Support-desk events on the bus, and who may receive each one. Payloads
//! carry ids (and, for messages, the message itself, since the bus is
//! internal); each subscriber is re-checked against the same rule as the
//! queries before an event reaches it, so nothing leaks through an event.

use serde_json::json;
use uuid::Uuid;

use entity::{support_ticket_messages, support_tickets};
use sea_orm::ConnectionTrait;

use super::visibility::{self, Scope};
use crate::error::AppError;
use crate::infra::events::{Event, Tx};
use crate::service::identity::Viewer;

/// Topic of one ticket's events.
pub fn ticket_topic(ticket: Uuid) -> String {
    format!("support:ticket:{ticket}")
}

/// Topic of every ticket change (for `ticketUpdated` without an id).
pub const ALL_TICKETS: &str = "support:tickets";

/// Queues "this ticket changed" for after the commit: a change everyone
/// who sees the ticket can read by query.
pub fn ticket_changed(tx: &Tx, ticket: Uuid) {
    queue_change(tx, ticket, false);
}

/// Queues "this ticket changed" for staff only: activity a customer cannot
/// read by query (an internal note) must not reach their socket either.
pub fn ticket_changed_for_staff(tx: &Tx, ticket: Uuid) {
    queue_change(tx, ticket, true);
}

fn queue_change(tx: &Tx, ticket: Uuid, staff_only: bool) {
    let payload = json!({"kind": "updated", "ticketId": ticket, "staffOnly": staff_only});
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

/// What one subscriber may be told about one event, after re-checking it
/// against the rule the queries use.
#[derive(Debug)]
pub enum Delivery<T> {
    /// The subscriber may read this by query now: send it.
    Deliver(T),
    /// Not for this subscriber (or not this kind of event).
    Skip,
    /// Access is gone: tell the subscriber and end the stream.
    End(AppError),
}

fn kind(event: &Event) -> &str {
    event.payload.get("kind").and_then(|k| k.as_str()).unwrap_or("")
}

fn uuid_at(event: &Event, key: &str) -> Option<Uuid> {
    event
        .payload
        .get(key)
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// Whether a subscriber in `scope` may hear of this change at all: staff-only
/// changes (internal notes) never reach a customer, without a query.
fn change_reaches(scope: &Scope, event: &Event) -> bool {
    let staff_only = event
        .payload
        .get("staffOnly")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    !staff_only || scope.sees_internal()
}

/// For `ticketUpdated`: the changed ticket, if the subscriber may read it
/// by query now. `only` is the ticket of a one-ticket subscription: losing
/// access to it ends the stream, while the all-tickets stream skips tickets
/// the subscriber does not see. Ended credentials always end the stream.
pub async fn ticket_update_for<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    scope: &Scope,
    event: &Event,
    only: Option<Uuid>,
) -> Delivery<support_tickets::Model> {
    if kind(event) != "updated" {
        return Delivery::Skip;
    }
    let Some(changed) = uuid_at(event, "ticketId") else {
        return Delivery::Skip;
    };
    if only.is_some_and(|t| t != changed) || !change_reaches(scope, event) {
        return Delivery::Skip;
    }
    match visibility::live_check(conn, viewer, scope, changed).await {
        Err(e) => Delivery::End(e),
        Ok(c) if !c.credentials_ok => Delivery::End(session_ended()),
        Ok(c) if !c.scope_ok => Delivery::End(access_changed()),
        Ok(c) => match c.ticket {
            Some(model) => Delivery::Deliver(model),
            None if only.is_some() => Delivery::End(access_lost()),
            None => Delivery::Skip,
        },
    }
}

/// For `ticketMessageAdded` on `ticket`: the new message, if the subscriber
/// may read it by query now (internal notes for staff only).
pub async fn message_for<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    scope: &Scope,
    event: &Event,
    ticket: Uuid,
) -> Delivery<support_ticket_messages::Model> {
    if kind(event) != "message" {
        return Delivery::Skip;
    }
    let message = match message_of(&event.payload) {
        Some(m) => m,
        None => match uuid_at(event, "messageId") {
            Some(id) => match super::messages::visible_message(conn, viewer, id).await {
                Ok(Some(m)) => m,
                Ok(None) => return Delivery::Skip,
                Err(e) => return Delivery::End(e),
            },
            None => return Delivery::Skip,
        },
    };
    // Internal notes never go to customers: no query needed.
    if message.ticket_id != ticket || (message.is_internal && !scope.sees_internal()) {
        return Delivery::Skip;
    }
    match visibility::live_check(conn, viewer, scope, ticket).await {
        Err(e) => Delivery::End(e),
        Ok(c) if !c.credentials_ok => Delivery::End(session_ended()),
        Ok(c) if !c.scope_ok => Delivery::End(access_changed()),
        Ok(c) if c.ticket.is_none() => Delivery::End(access_lost()),
        Ok(_) => Delivery::Deliver(message),
    }
}

fn session_ended() -> AppError {
    AppError::Unauthenticated("the session has ended".into())
}

fn access_lost() -> AppError {
    AppError::Forbidden("you no longer have access to this ticket".into())
}

fn access_changed() -> AppError {
    AppError::Forbidden("your access to tickets changed; subscribe again".into())
}
