//! Ticket conversations: customer messages, agent replies, internal notes
//! (staff only) and system messages; what each reply does to the status,
//! who gets notified, and pages of messages for many tickets at once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{clients, support_ticket_messages, support_tickets, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Statement,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rows::{self, select_list};
use super::shared::{
    apply_status, assignees_of, attachments_json, check_attachments, check_client_id, check_text, claimed, id_taken,
    notify_ticket, reload, touch, Attachment, SeenTicket,
};
use super::visibility::{self, Scope};
use super::{events, perms, status};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::identity::Viewer;
use crate::service::page::{PageRequest, Paged};

/// A new message on a ticket.
#[derive(Clone, Debug, Default)]
pub struct NewMessage {
    /// Client-generated id: a retry with the same id never posts twice.
    pub id: Option<Uuid>,
    pub body: String,
    pub is_internal: bool,
    pub attachments: Vec<Attachment>,
}

/// What posting a message changed: the message and its ticket (new status
/// and `updated_at`), so a client cache updates both.
#[derive(Clone, Debug)]
pub struct Posted {
    pub message: support_ticket_messages::Model,
    pub ticket: SeenTicket,
    /// The id had been used with this content: this is the first call's
    /// message, and nothing was written.
    pub replayed: bool,
}

/// Posts a message in `tx`. Customers reply on their own tickets (never an
/// internal note; a closed ticket refuses replies); agents reply
/// (`tickets.reply`) or write internal notes (`tickets.internal_note`) on
/// tickets they can see. With a client-generated `id` a retry is safe: the
/// same id with the same content on the same ticket returns the message
/// posted the first time (`replayed`; nothing is written, notified or
/// published again); any other use of a taken id is `CONFLICT`, saying
/// nothing about the message that holds it.
pub async fn add_in(tx: &Tx, viewer: &Viewer, ticket_id: Uuid, input: NewMessage) -> AppResult<Posted> {
    let user = viewer.require_user()?;
    let mut problems = Vec::new();
    check_text(&mut problems, "body", &input.body, 20_000);
    check_attachments(&input.attachments, "attachments", &mut problems);
    check_client_id(&mut problems, input.id);
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let taken = match input.id {
        Some(id) => claimed(tx, "support_ticket_messages", id).await?,
        None => None,
    };
    let (ticket, scope) = visibility::lock_visible_ticket(&**tx, viewer, ticket_id).await?;
    if let Some(row) = taken {
        let existing = support_ticket_messages::Model::from_query_result(&row, "")?;
        if existing.ticket_id == ticket.id
            && existing.sender_user_id == Some(user)
            && !existing.is_system
            && existing.is_internal == input.is_internal
            && existing.body == input.body.trim()
            && existing.attachments == attachments_json(&input.attachments)
        {
            return Ok(Posted {
                message: existing,
                ticket: SeenTicket::new(ticket, &scope),
                replayed: true,
            });
        }
        return Err(id_taken());
    }
    let message = match scope {
        Scope::Customer { .. } => {
            if input.is_internal {
                return Err(AppError::Forbidden("customers cannot write internal notes".into()));
            }
            viewer.require_self_service(perms::TICKETS_REPLY)?;
            if status::of(&ticket)? == entity::enums::TicketStatus::Closed {
                return Err(AppError::conflict(None, "the ticket is closed; open a new one"));
            }
            let client = match ticket.client_id {
                Some(c) => clients::Entity::find_by_id(c).one(&**tx).await?,
                None => None,
            }
            .ok_or_else(|| AppError::NotFound("client".into()))?;
            let new = CustomerMessage {
                id: input.id,
                user: Some(user),
                body: &input.body,
                attachments: &input.attachments,
            };
            insert_customer_message(tx, &ticket, &client, new).await?
        }
        _ => {
            if input.is_internal {
                viewer.require(perms::TICKETS_INTERNAL_NOTE)?;
            } else {
                viewer.require(perms::TICKETS_REPLY)?;
            }
            insert_agent_message(tx, &ticket, user, &input).await?
        }
    };
    let ticket = reload(tx, ticket.id).await?;
    Ok(Posted {
        message,
        ticket: SeenTicket::new(ticket, &scope),
        replayed: false,
    })
}

/// [`add_in`] in a transaction of its own.
pub async fn add(ctx: &AppContext, viewer: &Viewer, ticket_id: Uuid, input: NewMessage) -> AppResult<Posted> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let posted = add_in(&tx, viewer, ticket_id, input).await?;
    tx.commit(&ctx.bus).await?;
    Ok(posted)
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

/// A message from the ticket's client (and their account, if any): the
/// ticket reopens if it was waiting or resolved; assignees are notified.
pub(crate) async fn insert_customer_message(
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
    match status::after_customer_reply(status::of(ticket)?) {
        Some(next) => {
            apply_status(tx, ticket.clone(), next).await?;
        }
        None => touch(tx, ticket.id).await?,
    }
    let assignees = assignees_of(&**tx, ticket.id).await?;
    let title = format!("{} replied on ticket #{}", client.display_name, ticket.number);
    notify_ticket(&**tx, &assignees, ticket.id, title, preview(body)).await?;
    events::message_added(tx, &message);
    Ok(message)
}

async fn insert_agent_message(
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
        match status::after_agent_reply(status::of(&t)?) {
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
            let agent_name = super::shared::actor_name(&**tx, agent).await?;
            let title = format!("{agent_name} replied to your ticket #{}", ticket.number);
            notify_ticket(&**tx, &[customer], ticket.id, title, preview(&input.body)).await?;
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

/// Where a message sits in its conversation (oldest first): its time in
/// microseconds and its id, which breaks ties within one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageCursor {
    pub at: i64,
    pub id: Uuid,
}

impl MessageCursor {
    /// The cursor of `m`.
    pub fn of(m: &support_ticket_messages::Model) -> Self {
        MessageCursor {
            at: m.created_at.timestamp_micros(),
            id: m.id,
        }
    }
}

/// A page request over a conversation.
pub type MessagePage = PageRequest<MessageCursor>;

/// Pages of many tickets' conversations and, when asked for, the rows of
/// their senders (each user or client once, however many messages they
/// wrote) and of other users wanted alongside. User rows are for display:
/// no password hash or TOTP secret.
#[derive(Debug, Default)]
pub struct Conversations {
    /// Every ticket asked about gets a page, empty or not.
    pub pages: HashMap<Uuid, Paged<support_ticket_messages::Model>>,
    pub users: HashMap<Uuid, users::Model>,
    pub clients: HashMap<Uuid, clients::Model>,
}

/// One page of each ticket's conversation, oldest first, in one statement
/// for any number of tickets (a keyset page per ticket, either direction:
/// `last: 20` is the newest twenty, `last: 20, before` the twenty before).
/// Internal notes only when `include_internal`.
///
/// With `senders: Some(also)`, the same statement reads each message's
/// author (its user, or its client when it has no user: whom a message
/// shows as its sender), once per author, and the users `also` names (a
/// page's assignees, say), saving them a statement of their own.
pub async fn pages_of_many<C: ConnectionTrait>(
    conn: &C,
    ticket_ids: &[Uuid],
    include_internal: bool,
    page: &MessagePage,
    senders: Option<&[Uuid]>,
) -> AppResult<Conversations> {
    let descending = page.sql_descending(false);
    let dir = if descending { "desc" } else { "asc" };
    let mut values: Vec<sea_orm::Value> = vec![ticket_ids.to_vec().into(), include_internal.into()];
    let mut bounds = String::new();
    for (op, key) in page.bounds(false) {
        let at = DateTime::<Utc>::from_timestamp_micros(key.at)
            .ok_or_else(|| AppError::invalid("after", "is not a cursor this API issued"))?;
        values.push(at.into());
        values.push(key.id.into());
        bounds.push_str(&format!(
            " AND (sm.created_at, sm.id) {op} (${}, ${})",
            values.len() - 1,
            values.len()
        ));
    }
    values.push((page.fetch() as i64).into());
    let pages = format!(
        "SELECT {sm} FROM unnest($1::uuid[]) AS t(id) CROSS JOIN LATERAL ( \
           SELECT {sm} FROM support_ticket_messages sm \
           WHERE sm.ticket_id = t.id AND ($2 OR NOT sm.is_internal){bounds} \
           ORDER BY sm.created_at {dir}, sm.id {dir} LIMIT ${limit}) sm",
        sm = select_list("sm", &rows::MESSAGE_COLUMNS),
        limit = values.len()
    );
    let mut fetched: HashMap<Uuid, Vec<support_ticket_messages::Model>> =
        ticket_ids.iter().map(|t| (*t, Vec::new())).collect();
    let mut out = Conversations::default();
    match senders {
        None => {
            let sql = format!("{pages} ORDER BY sm.ticket_id, sm.created_at {dir}, sm.id {dir}");
            let found = conn
                .query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
                .await?;
            for r in &found {
                let m = rows::message(&mut rows::Cols::new(r)?)?;
                fetched.entry(m.ticket_id).or_default().push(m);
            }
        }
        Some(also) => {
            values.push(also.to_vec().into());
            // One row per message, per author and per extra user, told
            // apart by the first column; each kind fills its own columns.
            // Authors are looked up by key from the (few) ids the page
            // holds: a join could be planned as a scan of every user.
            let sql = format!(
                "WITH m AS MATERIALIZED ({pages}) \
                 SELECT 0::int2, {m}, {no_user}, {no_client} FROM m \
                 UNION ALL SELECT 1::int2, {no_message}, {u}, {no_client} FROM users u \
                   WHERE u.id = ANY(ARRAY(SELECT m.sender_user_id FROM m WHERE m.sender_user_id IS NOT NULL \
                     UNION SELECT unnest(${also}::uuid[]))) \
                 UNION ALL SELECT 2::int2, {no_message}, {no_user}, {c} FROM clients c \
                   WHERE c.id = ANY(ARRAY(SELECT m.sender_client_id FROM m \
                     WHERE m.sender_user_id IS NULL AND m.sender_client_id IS NOT NULL))",
                m = select_list("m", &rows::MESSAGE_COLUMNS),
                u = select_list("u", &rows::USER_COLUMNS),
                c = select_list("c", &rows::CLIENT_COLUMNS),
                no_message = rows::nulls(&rows::MESSAGE_TYPES),
                no_user = rows::nulls(&rows::USER_TYPES),
                no_client = rows::nulls(&rows::CLIENT_TYPES),
                also = values.len()
            );
            let found = conn
                .query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
                .await?;
            for r in &found {
                let mut c = rows::Cols::new(r)?;
                match c.next::<i16>()? {
                    0 => {
                        let m = rows::message(&mut c)?;
                        fetched.entry(m.ticket_id).or_default().push(m);
                    }
                    1 => {
                        c.skip(rows::MESSAGE_COLUMNS.len());
                        if let Some(u) = rows::user(&mut c)? {
                            out.users.insert(u.id, u);
                        }
                    }
                    _ => {
                        c.skip(rows::MESSAGE_COLUMNS.len() + rows::USER_COLUMNS.len());
                        if let Some(cl) = rows::client(&mut c)? {
                            out.clients.insert(cl.id, cl);
                        }
                    }
                }
            }
            // A union keeps no order: each page is put in its SQL order.
            for rows in fetched.values_mut() {
                rows.sort_by_key(|m| (m.created_at, m.id));
                if descending {
                    rows.reverse();
                }
            }
        }
    }
    out.pages = fetched.into_iter().map(|(t, rows)| (t, page.finish(rows))).collect();
    Ok(out)
}

/// How many messages each ticket has (internal notes counted only when
/// `include_internal`), in one statement; every ticket gets a count.
pub async fn counts_of_many<C: ConnectionTrait>(
    conn: &C,
    ticket_ids: &[Uuid],
    include_internal: bool,
) -> AppResult<HashMap<Uuid, u64>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT ticket_id, count(*) AS n FROM support_ticket_messages \
             WHERE ticket_id = ANY($1) AND ($2 OR NOT is_internal) GROUP BY ticket_id",
            [ticket_ids.to_vec().into(), include_internal.into()],
        ))
        .await?;
    let mut out: HashMap<Uuid, u64> = ticket_ids.iter().map(|t| (*t, 0)).collect();
    for r in &rows {
        let t: Uuid = r.try_get_by_index(0)?;
        let n: i64 = r.try_get_by_index(1)?;
        out.insert(t, n.max(0) as u64);
    }
    Ok(out)
}
