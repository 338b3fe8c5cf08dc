//! Support-desk events on the bus, and who may receive each one. Events
//! are [`SupportEvent`] values (serde, for the bus); payloads carry ids
//! and, for messages, the message itself, since the bus is internal. Each
//! subscriber is re-checked against the same rule as the queries before an
//! event reaches it, so nothing leaks through an event; the re-checks of
//! one event are answered together (`live`), not one statement per socket.

use std::future::Future;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::{support_ticket_messages, support_tickets};

use super::visibility::{LiveCheck, Scope};
use crate::error::{AppError, AppResult};
use crate::infra::events::{Event, Tx};

/// Topic of one ticket's events.
pub fn ticket_topic(ticket: Uuid) -> String {
    format!("support:ticket:{ticket}")
}

/// Topic of every ticket change (for `ticketUpdated` without an id).
pub const ALL_TICKETS: &str = "support:tickets";

/// What happened at the support desk, as it travels on the bus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum SupportEvent {
    /// A ticket changed. `staff_only`: the change is one a customer cannot
    /// read by query (an internal note), so it never reaches a customer.
    TicketChanged { ticket_id: Uuid, staff_only: bool },
    /// A message was added to a ticket.
    MessageAdded { message: MessageSnapshot },
}

/// A message as carried by [`SupportEvent::MessageAdded`]: the stored row,
/// so a thousand subscribers do not each load it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSnapshot {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub sender_user_id: Option<Uuid>,
    pub sender_client_id: Option<Uuid>,
    pub body: String,
    pub attachments: serde_json::Value,
    pub is_internal: bool,
    pub is_system: bool,
    pub created_at: DateTime<FixedOffset>,
}

impl From<&support_ticket_messages::Model> for MessageSnapshot {
    fn from(m: &support_ticket_messages::Model) -> Self {
        MessageSnapshot {
            id: m.id,
            ticket_id: m.ticket_id,
            sender_user_id: m.sender_user_id,
            sender_client_id: m.sender_client_id,
            body: m.body.clone(),
            attachments: m.attachments.clone(),
            is_internal: m.is_internal,
            is_system: m.is_system,
            created_at: m.created_at,
        }
    }
}

impl From<MessageSnapshot> for support_ticket_messages::Model {
    fn from(m: MessageSnapshot) -> Self {
        support_ticket_messages::Model {
            id: m.id,
            ticket_id: m.ticket_id,
            sender_user_id: m.sender_user_id,
            sender_client_id: m.sender_client_id,
            body: m.body,
            attachments: m.attachments,
            is_internal: m.is_internal,
            is_system: m.is_system,
            created_at: m.created_at,
        }
    }
}

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

fn queue_change(tx: &Tx, ticket_id: Uuid, staff_only: bool) {
    let event = SupportEvent::TicketChanged { ticket_id, staff_only };
    tx.publish_after_commit(Event::typed(ticket_topic(ticket_id), &event));
    tx.publish_after_commit(Event::typed(ALL_TICKETS, &event));
}

/// Queues "a message was added" for after the commit. The message travels
/// with the event; each subscriber still decides alone whether it may see it.
pub fn message_added(tx: &Tx, message: &support_ticket_messages::Model) {
    let event = SupportEvent::MessageAdded {
        message: message.into(),
    };
    tx.publish_after_commit(Event::typed(ticket_topic(message.ticket_id), &event));
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

/// For `ticketUpdated`: the changed ticket, if the subscriber may read it
/// by query now. `only` is the ticket of a one-ticket subscription: losing
/// access to it ends the stream, while the all-tickets stream skips tickets
/// the subscriber does not see. Ended credentials always end the stream.
/// `check` answers the live check of a ticket for this subscriber
/// ([`super::visibility::live_check`], or its share of a batch); it is asked only
/// when the event may be for them.
pub async fn ticket_update_for<F, Fut>(
    check: F,
    scope: &Scope,
    event: &Event,
    only: Option<Uuid>,
) -> Delivery<support_tickets::Model>
where
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = AppResult<LiveCheck>>,
{
    let Some(SupportEvent::TicketChanged { ticket_id, staff_only }) = event.decode::<SupportEvent>() else {
        return Delivery::Skip;
    };
    // Staff-only changes (internal notes) never reach a customer: no query.
    if only.is_some_and(|t| t != ticket_id) || (staff_only && !scope.sees_internal()) {
        return Delivery::Skip;
    }
    match check(ticket_id).await {
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
/// may read it by query now (internal notes for staff only). `check` as for
/// [`ticket_update_for`].
pub async fn message_for<F, Fut>(
    check: F,
    scope: &Scope,
    event: &Event,
    ticket: Uuid,
) -> Delivery<support_ticket_messages::Model>
where
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = AppResult<LiveCheck>>,
{
    let Some(SupportEvent::MessageAdded { message }) = event.decode::<SupportEvent>() else {
        return Delivery::Skip;
    };
    // Internal notes never go to customers: no query needed.
    if message.ticket_id != ticket || (message.is_internal && !scope.sees_internal()) {
        return Delivery::Skip;
    }
    match check(ticket).await {
        Err(e) => Delivery::End(e),
        Ok(c) if !c.credentials_ok => Delivery::End(session_ended()),
        Ok(c) if !c.scope_ok => Delivery::End(access_changed()),
        Ok(c) if c.ticket.is_none() => Delivery::End(access_lost()),
        Ok(_) => Delivery::Deliver(message.into()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_the_bus_shape() {
        let id = Uuid::now_v7();
        let e = SupportEvent::TicketChanged {
            ticket_id: id,
            staff_only: true,
        };
        let event = Event::typed(ticket_topic(id), &e);
        assert_eq!(event.payload["kind"], "ticketChanged");
        assert_eq!(event.payload["staffOnly"], true);
        assert_eq!(event.decode::<SupportEvent>(), Some(e));
        assert_eq!(
            Event::new("x", serde_json::json!({"kind": "other"})).decode::<SupportEvent>(),
            None
        );
    }
}
