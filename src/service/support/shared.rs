//! Pieces tickets and messages both stand on: attachments, text checks,
//! client-generated ids, the status side effects of a change, and the
//! ticket as one viewer sees it. Both import this module and nothing of
//! each other's internals (messages never import tickets).

use chrono::Utc;
use entity::enums::TicketStatus;
use entity::support_tickets;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, Statement};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::events;
use super::visibility::Scope;
use crate::error::{AppError, AppResult, FieldError};
use crate::infra::events::Tx;

const MAX_ATTACHMENTS: usize = 20;

/// A ticket as one viewer sees it: whether they may read its internal
/// notes travels with it, so nothing above the service decides that.
#[derive(Clone, Debug)]
pub struct SeenTicket {
    pub model: support_tickets::Model,
    /// The viewer is staff who may read this ticket's internal notes.
    pub sees_internal: bool,
}

impl SeenTicket {
    /// `model` as seen by a viewer in `scope`.
    pub fn new(model: support_tickets::Model, scope: &Scope) -> Self {
        SeenTicket {
            model,
            sees_internal: scope.sees_internal(),
        }
    }
}

/// File metadata attached to a ticket or message (the file lives elsewhere).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub file_name: String,
    pub url: String,
    pub mime_type: Option<String>,
    pub size_bytes: Option<i64>,
}

/// Attachments as stored (a JSON array).
pub(crate) fn attachments_json(list: &[Attachment]) -> serde_json::Value {
    serde_json::to_value(list).unwrap_or_else(|_| json!([]))
}

/// Attachments read back from their stored JSON (unreadable ones dropped).
pub fn attachments_of(stored: &serde_json::Value) -> Vec<Attachment> {
    serde_json::from_value(stored.clone()).unwrap_or_default()
}

/// Checks attachment metadata; `field` names the input list.
pub fn check_attachments(list: &[Attachment], field: &str, problems: &mut Vec<FieldError>) {
    let mut bad = |message: String| {
        problems.push(FieldError {
            field: field.into(),
            message,
        })
    };
    if list.len() > MAX_ATTACHMENTS {
        bad(format!("at most {MAX_ATTACHMENTS} attachments"));
    }
    for a in list {
        if a.file_name.trim().is_empty() || a.file_name.len() > 255 {
            bad("each attachment needs a file name of at most 255 characters".into());
        }
        let url_ok = a.url.len() <= 2048 && (a.url.starts_with("https://") || a.url.starts_with('/'));
        if !url_ok {
            bad("attachment URLs must be https:// or start with /".into());
        }
        if a.size_bytes.is_some_and(|s| !(0..=1_073_741_824).contains(&s)) {
            bad("attachment size must be between 0 and 1 GiB".into());
        }
    }
}

/// Checks a required text of at most `max` characters.
pub(crate) fn check_text(problems: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        problems.push(FieldError {
            field: field.into(),
            message: format!("must be 1 to {max} characters"),
        });
    }
}

/// Refuses the nil UUID as a client-generated id.
pub(crate) fn check_client_id(problems: &mut Vec<FieldError>, id: Option<Uuid>) {
    if id.is_some_and(|id| id.is_nil()) {
        problems.push(FieldError {
            field: "id".into(),
            message: "must not be the nil id".into(),
        });
    }
}

/// Takes the client-generated `id` for this transaction (concurrent retries
/// with one id wait here for each other) and returns the row of `table`
/// already holding it, if any. The primary key keeps the id unique anyway;
/// the lock makes the second retry find the first one's row instead of
/// failing on the key.
pub(crate) async fn claimed(tx: &Tx, table: &'static str, id: Uuid) -> AppResult<Option<sea_orm::QueryResult>> {
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [format!("{table}:{id}").into()],
    ))
    .await?;
    Ok(tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT * FROM {table} WHERE id = $1"),
            [id.into()],
        ))
        .await?)
}

/// The one answer to a client-generated id that is already taken by other
/// content, whoever's: it names no ticket and shows nothing of it.
pub(crate) fn id_taken() -> AppError {
    AppError::conflict(Some("id"), "this id was already used for a different request")
}

/// Marks a ticket changed (its `updated_at` moves and subscribers hear)
/// when what changed lives in another table.
pub(crate) async fn touch(tx: &Tx, ticket_id: Uuid) -> AppResult<()> {
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE support_tickets SET updated_at = now() WHERE id = $1",
        [ticket_id.into()],
    ))
    .await?;
    events::ticket_changed(tx, ticket_id);
    Ok(())
}

/// Applies `to` to a locked ticket: timestamps follow the status.
pub(crate) async fn apply_status(
    tx: &Tx,
    ticket: support_tickets::Model,
    to: TicketStatus,
) -> AppResult<support_tickets::Model> {
    use sea_orm::ActiveEnum;
    let now = Utc::now();
    let mut a: support_tickets::ActiveModel = ticket.clone().into();
    a.status = Set(to.to_value());
    match to {
        TicketStatus::Resolved => a.resolved_at = Set(Some(now.into())),
        TicketStatus::Closed => {
            a.closed_at = Set(Some(now.into()));
            if ticket.resolved_at.is_none() {
                a.resolved_at = Set(Some(now.into()));
            }
        }
        _ => {
            a.resolved_at = Set(None);
            a.closed_at = Set(None);
        }
    }
    let t = a.update(&**tx).await?;
    events::ticket_changed(tx, t.id);
    Ok(t)
}

/// A user's display name for system messages ("someone" if gone).
pub(crate) async fn actor_name<C: ConnectionTrait>(conn: &C, user: Uuid) -> AppResult<String> {
    Ok(entity::users::Entity::find_by_id(user)
        .one(conn)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_else(|| "someone".into()))
}

/// Users assigned to a ticket, by id.
pub async fn assignees_of<C: ConnectionTrait>(conn: &C, ticket: Uuid) -> AppResult<Vec<Uuid>> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT user_id FROM ticket_assignments WHERE ticket_id = $1 ORDER BY user_id",
            [ticket.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<Uuid>("", "user_id").ok())
        .collect())
}

/// The ticket's current row inside `tx` (after changes made through
/// other tables or helpers).
pub(crate) async fn reload(tx: &Tx, ticket_id: Uuid) -> AppResult<support_tickets::Model> {
    support_tickets::Entity::find_by_id(ticket_id)
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::NotFound("ticket".into()))
}

/// Tells `users` about activity on `ticket_id`. The only place support
/// names the notification kind and subject.
pub(crate) async fn notify_ticket<C: ConnectionTrait>(
    conn: &C,
    users: &[Uuid],
    ticket_id: Uuid,
    title: String,
    body: String,
) -> AppResult<()> {
    crate::service::notification::notify_many(
        conn,
        users,
        crate::service::notification::Notice {
            kind: entity::enums::NotificationKind::Ticket,
            title,
            body,
            entity_type: crate::service::notification::Subject::SupportTicket,
            entity_id: ticket_id,
        },
    )
    .await
}
