//! Ticket conversations: customer messages, agent replies, internal notes
//! (staff only) and system messages; what each reply does to the status,
//! who gets notified, and loading messages for many tickets at once.

use chrono::Utc;
use entity::{clients, support_ticket_messages, support_tickets};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::tickets::{apply_status, check_attachments, claimed, id_taken, touch, Attachment};
use super::visibility::{self, Scope};
use super::{events, status};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::identity::Viewer;
use crate::service::notification::{self, Notice};

/// A new message on a ticket.
#[derive(Clone, Debug, Default)]
pub struct NewMessage {
    /// Client-generated id: a retry with the same id never posts twice.
    pub id: Option<Uuid>,
    pub body: String,
    pub is_internal: bool,
    pub attachments: Vec<Attachment>,
}

/// Posts a message. Customers reply on their own tickets (never an
/// internal note; a closed ticket refuses replies); agents reply
/// (`tickets.reply`) or write internal notes (`tickets.internal_note`) on
/// tickets they can see. With a client-generated `id` a retry is safe: the
/// same id with the same content on the same ticket returns the message
/// posted the first time (`true` in the second value; nothing is written,
/// notified or published again); any other use of a taken id is
/// `CONFLICT`, saying nothing about the message that holds it.
pub async fn add(
    ctx: &AppContext,
    viewer: &Viewer,
    ticket_id: Uuid,
    input: NewMessage,
) -> AppResult<(support_ticket_messages::Model, bool)> {
    let user = viewer.require_user()?;
    let mut problems = Vec::new();
    let n = input.body.trim().chars().count();
    if n == 0 || n > 20_000 {
        problems.push(crate::error::FieldError {
            field: "body".into(),
            message: "must be 1 to 20000 characters".into(),
        });
    }
    check_attachments(&input.attachments, "attachments", &mut problems);
    if input.id.is_some_and(|id| id.is_nil()) {
        problems.push(crate::error::FieldError {
            field: "id".into(),
            message: "must not be the nil id".into(),
        });
    }
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let taken = match input.id {
        Some(id) => claimed(&tx, "support_ticket_messages", id).await?,
        None => None,
    };
    let (ticket, scope) = visibility::lock_visible_ticket(&*tx, viewer, ticket_id).await?;
    if let Some(row) = taken {
        let existing = support_ticket_messages::Model::from_query_result(&row, "")?;
        if existing.ticket_id == ticket.id
            && existing.sender_user_id == Some(user)
            && !existing.is_system
            && existing.is_internal == input.is_internal
            && existing.body == input.body.trim()
            && existing.attachments == attachments_json(&input.attachments)
        {
            return Ok((existing, true));
        }
        return Err(id_taken());
    }
    let message = match scope {
        Scope::Customer { .. } => {
            if input.is_internal {
                return Err(AppError::Forbidden("customers cannot write internal notes".into()));
            }
            viewer.require_self_service(crate::service::support::perms::TICKETS_REPLY)?;
            if ticket.status == "CLOSED" {
                return Err(AppError::conflict(None, "the ticket is closed; open a new one"));
            }
            let client = match ticket.client_id {
                Some(c) => clients::Entity::find_by_id(c).one(&*tx).await?,
                None => None,
            }
            .ok_or_else(|| AppError::NotFound("client".into()))?;
            let new = CustomerMessage {
                id: input.id,
                user: Some(user),
                body: &input.body,
                attachments: &input.attachments,
            };
            insert_customer_message(ctx, &tx, &ticket, &client, new).await?
        }
        _ => {
            if input.is_internal {
                viewer.require(crate::service::support::perms::TICKETS_INTERNAL_NOTE)?;
            } else {
                viewer.require(crate::service::support::perms::TICKETS_REPLY)?;
            }
            insert_agent_message(ctx, &tx, &ticket, user, &input).await?
        }
    };
    tx.commit(&ctx.bus).await?;
    Ok((message, false))
}

/// A message from a ticket's client, as the desk records it.
pub(crate) struct CustomerMessage<'a> {
    /// Client-generated id, if the caller sent one.
    pub id: Option<Uuid>,
    /// The client's account when they wrote through it (None: a channel).
    pub user: Option<Uuid>,
    pub body: &'a str,
    pub attachments: &'a [Attachment],
}

fn attachments_json(list: &[Attachment]) -> serde_json::Value {
    serde_json::to_value(list).unwrap_or_else(|_| json!([]))
}

/// A message from the ticket's client (and their account, if any): the
/// ticket reopens if it was waiting or resolved; assignees are notified.
pub(crate) async fn insert_customer_message(
    _ctx: &AppContext,
    tx: &Tx,
    ticket: &support_tickets::Model,
    client: &clients::Model,
    new: CustomerMessage<'_>,
) -> AppResult<support_ticket_messages::Model> {
    let CustomerMessage {
        id,
        user,
        body,
        attachments,
    } = new;
    let message = support_ticket_messages::ActiveModel {
        id: Set(id.unwrap_or_else(Uuid::now_v7)),
        ticket_id: Set(ticket.id),
        sender_user_id: Set(user.or(client.user_id)),
        sender_client_id: Set(Some(client.id)),
        body: Set(body.trim().to_string()),
        attachments: Set(attachments_json(attachments)),
        is_internal: Set(false),
        is_system: Set(false),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    match status::after_customer_reply(&ticket.status) {
        Some(next) => {
            apply_status(tx, ticket.clone(), next).await?;
        }
        None => touch(tx, ticket.id).await?,
    }
    let assignees = super::tickets::assignees_of(&**tx, ticket.id).await?;
    notification::notify_many(
        &**tx,
        &assignees,
        Notice {
            kind: entity::enums::NotificationKind::Ticket,
            title: format!("{} replied on ticket #{}", client.display_name, ticket.number),
            body: preview(body),
            entity_type: crate::service::notification::Subject::SupportTicket,
            entity_id: ticket.id,
        },
    )
    .await?;
    events::message_added(tx, &message);
    Ok(message)
}

async fn insert_agent_message(
    _ctx: &AppContext,
    tx: &Tx,
    ticket: &support_tickets::Model,
    agent: Uuid,
    input: &NewMessage,
) -> AppResult<support_ticket_messages::Model> {
    let message = support_ticket_messages::ActiveModel {
        id: Set(input.id.unwrap_or_else(Uuid::now_v7)),
        ticket_id: Set(ticket.id),
        sender_user_id: Set(Some(agent)),
        body: Set(input.body.trim().to_string()),
        attachments: Set(attachments_json(&input.attachments)),
        is_internal: Set(input.is_internal),
        is_system: Set(false),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    if input.is_internal {
        // A note changes nothing a customer can read: `updated_at` stays
        // (it would re-sort their list) and only staff hear of it.
        events::ticket_changed_for_staff(tx, ticket.id);
    } else {
        let mut t = ticket.clone();
        if t.first_response_at.is_none() {
            let mut a: support_tickets::ActiveModel = t.clone().into();
            a.first_response_at = Set(Some(Utc::now().into()));
            t = a.update(&**tx).await?;
        }
        match status::after_agent_reply(&t.status) {
            Some(next) => {
                apply_status(tx, t, next).await?;
            }
            None => touch(tx, ticket.id).await?,
        }
        // The customer hears about public replies.
        let customer = match ticket.client_id {
            Some(c) => clients::Entity::find_by_id(c).one(&**tx).await?.and_then(|c| c.user_id),
            None => None,
        };
        if let Some(customer) = customer {
            let agent_name = super::tickets::actor_name(&**tx, agent).await?;
            notification::notify_many(
                &**tx,
                &[customer],
                Notice {
                    kind: entity::enums::NotificationKind::Ticket,
                    title: format!("{agent_name} replied to your ticket #{}", ticket.number),
                    body: preview(&input.body),
                    entity_type: crate::service::notification::Subject::SupportTicket,
                    entity_id: ticket.id,
                },
            )
            .await?;
        }
    }
    events::message_added(tx, &message);
    Ok(message)
}

/// A system message (status, assignment, transfer), seen by everyone who
/// sees the ticket.
pub(crate) async fn insert_system(tx: &Tx, ticket_id: Uuid, text: &str) -> AppResult<support_ticket_messages::Model> {
    let message = support_ticket_messages::ActiveModel {
        id: Set(Uuid::now_v7()),
        ticket_id: Set(ticket_id),
        body: Set(text.to_string()),
        is_internal: Set(false),
        is_system: Set(true),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    events::message_added(tx, &message);
    Ok(message)
}

fn preview(body: &str) -> String {
    let mut s: String = body.trim().chars().take(140).collect();
    if body.trim().chars().count() > 140 {
        s.push('…');
    }
    s
}

/// The newest `limit` messages of each ticket, oldest first within a
/// ticket, in one statement; internal notes only when `include_internal`.
pub async fn for_tickets<C: ConnectionTrait>(
    conn: &C,
    ticket_ids: &[Uuid],
    include_internal: bool,
    limit: i64,
) -> AppResult<Vec<support_ticket_messages::Model>> {
    let sql = "SELECT m.* FROM unnest($1::uuid[]) AS t(id) CROSS JOIN LATERAL ( \
                 SELECT * FROM support_ticket_messages sm \
                 WHERE sm.ticket_id = t.id AND ($2 OR NOT sm.is_internal) \
                 ORDER BY sm.created_at DESC, sm.id DESC LIMIT $3) m \
               ORDER BY m.ticket_id, m.created_at, m.id";
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [ticket_ids.to_vec().into(), include_internal.into(), limit.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| support_ticket_messages::Model::from_query_result(r, "").map_err(AppError::from))
        .collect()
}

/// One message, if the viewer may see it (its ticket, and internal notes
/// for staff only).
pub async fn visible_message<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    message_id: Uuid,
) -> AppResult<Option<support_ticket_messages::Model>> {
    let Some(m) = support_ticket_messages::Entity::find_by_id(message_id)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let (_, scope) = match visibility::visible_ticket(conn, viewer, m.ticket_id).await {
        Ok(v) => v,
        Err(AppError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if m.is_internal && !scope.sees_internal() {
        return Ok(None);
    }
    Ok(Some(m))
}
