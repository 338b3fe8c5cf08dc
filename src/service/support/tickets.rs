//! Tickets: creation (by a customer, by an agent for a client, or inbound
//! from an external channel), listing with filters, search and keyset
//! pagination, the status workflow, assignment, tags and transfers.

use chrono::{DateTime, Utc};
use entity::{departments, support_tickets, tags};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::visibility::{self, Scope};
use super::{clients, events, messages, status};
use crate::app::AppContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::infra::events::Tx;
use crate::service::identity::Viewer;

pub const CATEGORIES: &[&str] = &["GENERAL", "BILLING", "TECHNICAL", "ACCOUNT"];
pub const PRIORITIES: &[&str] = &["LOW", "NORMAL", "HIGH", "URGENT"];
/// Things a ticket may be about.
pub const RELATED_TYPES: &[&str] = &[
    "EXCHANGE_ORDER",
    "PAYMENT",
    "ORDER",
    "INVOICE",
    "WALLET",
    "WITHDRAWAL",
    "JOB",
    "LEAD",
    "KYC",
];
const MAX_ATTACHMENTS: usize = 20;

/// File metadata attached to a ticket or message (the file lives elsewhere).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub file_name: String,
    pub url: String,
    pub mime_type: Option<String>,
    pub size_bytes: Option<i64>,
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

/// A new ticket.
#[derive(Clone, Debug, Default)]
pub struct CreateTicket {
    /// Client-generated id: a retry with the same id never opens a second
    /// ticket.
    pub id: Option<Uuid>,
    pub subject: String,
    pub description: String,
    pub category: Option<String>,
    pub priority: Option<String>,
    pub department_id: Option<Uuid>,
    /// Agents open tickets for a client; customers leave it empty.
    pub client_id: Option<Uuid>,
    pub custom_fields: Option<Json>,
    pub attachments: Vec<Attachment>,
    pub related_entity: Option<(String, Uuid)>,
}

fn check_text(problems: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        problems.push(FieldError {
            field: field.into(),
            message: format!("must be 1 to {max} characters"),
        });
    }
}

fn check_choice(problems: &mut Vec<FieldError>, field: &str, value: Option<&str>, allowed: &[&str]) {
    if let Some(v) = value {
        if !allowed.contains(&v) {
            problems.push(FieldError {
                field: field.into(),
                message: format!("must be one of {}", allowed.join(", ")),
            });
        }
    }
}

fn check_custom_fields(problems: &mut Vec<FieldError>, value: Option<&Json>) {
    if let Some(v) = value {
        if !v.is_object() {
            problems.push(FieldError {
                field: "customFields".into(),
                message: "must be a JSON object".into(),
            });
        } else if v.to_string().len() > 16 * 1024 {
            problems.push(FieldError {
                field: "customFields".into(),
                message: "must be at most 16 KiB".into(),
            });
        }
    }
}

/// The department a ticket lands in: the one asked for (customers may pick
/// only EXTERNAL ones), else General Support.
async fn pick_department<C: ConnectionTrait>(conn: &C, wanted: Option<Uuid>, staff: bool) -> AppResult<Option<Uuid>> {
    match wanted {
        Some(id) => {
            let d = departments::Entity::find_by_id(id)
                .one(conn)
                .await?
                .filter(|d| d.is_active && (staff || d.visibility == "EXTERNAL"))
                .ok_or_else(|| AppError::invalid("departmentId", "no such department"))?;
            Ok(Some(d.id))
        }
        None => Ok(departments::Entity::find()
            .filter(departments::Column::Code.eq("GENERAL"))
            .one(conn)
            .await?
            .map(|d| d.id)),
    }
}

/// Opens a ticket. Customers open their own (their client is found or
/// made from their account); agents with `tickets.create` open one for
/// any client. With a client-generated `id` a retry is safe: the same id
/// with the same content returns the ticket made the first time (`true`
/// in the second value, nothing written, no event); any other use of a
/// taken id is `CONFLICT`, saying nothing about the ticket that holds it.
pub async fn create(
    ctx: &AppContext,
    viewer: &Viewer,
    input: CreateTicket,
) -> AppResult<(support_tickets::Model, bool)> {
    let user = viewer.require_user()?;
    let mut problems = Vec::new();
    check_text(&mut problems, "subject", &input.subject, 200);
    check_text(&mut problems, "description", &input.description, 20_000);
    check_choice(&mut problems, "category", input.category.as_deref(), CATEGORIES);
    check_choice(&mut problems, "priority", input.priority.as_deref(), PRIORITIES);
    check_custom_fields(&mut problems, input.custom_fields.as_ref());
    check_attachments(&input.attachments, "attachments", &mut problems);
    if let Some((kind, _)) = &input.related_entity {
        check_choice(
            &mut problems,
            "relatedEntity.entityType",
            Some(kind.as_str()),
            RELATED_TYPES,
        );
    }
    if input.id.is_some_and(|id| id.is_nil()) {
        problems.push(FieldError {
            field: "id".into(),
            message: "must not be the nil id".into(),
        });
    }
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let staff_create = input.client_id.is_some();
    if staff_create {
        viewer.require(crate::service::support::perms::TICKETS_CREATE)?;
    } else {
        viewer.require_self_service(crate::service::support::perms::TICKETS_CREATE)?;
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    if let Some(id) = input.id {
        if let Some(existing) = claimed(&tx, "support_tickets", id).await? {
            let existing = support_tickets::Model::from_query_result(&existing, "")?;
            if same_ticket(&existing, user, &input) {
                return Ok((existing, true));
            }
            return Err(id_taken());
        }
    }
    let client = match input.client_id {
        Some(id) => clients::get_model(&*tx, id).await?,
        None => clients::client_of_user(&tx, user).await?,
    };
    if let Some((kind, entity)) = &input.related_entity {
        check_related_owner(&*tx, client.user_id, kind, *entity).await?;
    }
    let department_id = pick_department(&*tx, input.department_id, staff_create).await?;
    let ticket = insert_ticket(&tx, user, client.id, department_id, &input).await?;
    tx.commit(&ctx.bus).await?;
    Ok((ticket, false))
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

/// Whether `t` is what `input` from `user` made: the same creator and the
/// same content, as stored (an edit by staff in between makes a retry a
/// `CONFLICT`, never a second ticket).
fn same_ticket(t: &support_tickets::Model, user: Uuid, input: &CreateTicket) -> bool {
    let related = input.related_entity.as_ref();
    t.created_by_user_id == Some(user)
        && t.subject == input.subject.trim()
        && t.description == input.description.trim()
        && t.category == input.category.as_deref().unwrap_or("GENERAL")
        && t.priority == input.priority.as_deref().unwrap_or("NORMAL")
        && t.custom_fields == input.custom_fields.clone().unwrap_or_else(|| json!({}))
        && t.attachments == serde_json::to_value(&input.attachments).unwrap_or_else(|_| json!([]))
        && t.related_entity_type.as_deref() == related.map(|(k, _)| k.as_str())
        && t.related_entity_id == related.map(|(_, id)| *id)
        && input.client_id.is_none_or(|c| t.client_id == Some(c))
        && input.department_id.is_none_or(|d| t.department_id == Some(d))
}

/// Where each kind of related entity lives and which column names its
/// owner (KYC records and wallets belong to a user; a job to the user who
/// posted it or to the owner of its company).
fn related_owner_sql(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "EXCHANGE_ORDER" => "SELECT 1 FROM exchange_orders WHERE id = $1 AND user_id = $2",
        "PAYMENT" => "SELECT 1 FROM payments WHERE id = $1 AND user_id = $2",
        "ORDER" => "SELECT 1 FROM orders WHERE id = $1 AND user_id = $2",
        "INVOICE" => "SELECT 1 FROM invoices WHERE id = $1 AND user_id = $2",
        "WALLET" => "SELECT 1 FROM wallets WHERE id = $1 AND user_id = $2",
        "WITHDRAWAL" => "SELECT 1 FROM withdrawals WHERE id = $1 AND user_id = $2",
        "KYC" => "SELECT 1 FROM user_kyc WHERE id = $1 AND user_id = $2",
        "LEAD" => "SELECT 1 FROM leads WHERE id = $1 AND created_by_user_id = $2",
        "JOB" => {
            "SELECT 1 FROM jobs j WHERE j.id = $1 AND (j.posted_by_user_id = $2 OR EXISTS \
             (SELECT 1 FROM company_profiles c WHERE c.id = j.company_profile_id AND c.user_id = $2))"
        }
        _ => return None,
    })
}

/// A ticket may be about an entity only when the ticket's customer owns
/// it; a client without an account owns nothing. Anything else is refused
/// the same way as an id that does not exist, so nobody learns of others'
/// orders through a ticket (staff opening one for a client included).
async fn check_related_owner<C: ConnectionTrait>(
    conn: &C,
    owner: Option<Uuid>,
    kind: &str,
    entity: Uuid,
) -> AppResult<()> {
    let refused = || AppError::invalid("relatedEntity.entityId", "the customer has no such entity");
    let (Some(owner), Some(sql)) = (owner, related_owner_sql(kind)) else {
        return Err(refused());
    };
    let found = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [entity.into(), owner.into()],
        ))
        .await?;
    found.map(|_| ()).ok_or_else(refused)
}

async fn insert_ticket(
    tx: &Tx,
    creator: Uuid,
    client_id: Uuid,
    department_id: Option<Uuid>,
    input: &CreateTicket,
) -> AppResult<support_tickets::Model> {
    let ticket = support_tickets::ActiveModel {
        id: Set(input.id.unwrap_or_else(Uuid::now_v7)),
        subject: Set(input.subject.trim().to_string()),
        description: Set(input.description.trim().to_string()),
        client_id: Set(Some(client_id)),
        created_by_user_id: Set(Some(creator)),
        department_id: Set(department_id),
        category: Set(input.category.clone().unwrap_or_else(|| "GENERAL".into())),
        priority: Set(input.priority.clone().unwrap_or_else(|| "NORMAL".into())),
        status: Set("OPEN".into()),
        custom_fields: Set(input.custom_fields.clone().unwrap_or_else(|| json!({}))),
        attachments: Set(serde_json::to_value(&input.attachments).unwrap_or_else(|_| json!([]))),
        related_entity_type: Set(input.related_entity.as_ref().map(|(k, _)| k.clone())),
        related_entity_id: Set(input.related_entity.as_ref().map(|(_, id)| *id)),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    events::ticket_changed(tx, ticket.id);
    Ok(ticket)
}

/// A message arriving from an external channel (email, phone, WhatsApp,
/// Slack): the client is found or created by that identity; the message
/// opens a ticket, or joins `ticket_id` if it is that client's.
#[derive(Clone, Debug)]
pub struct Inbound {
    pub channel: String,
    pub external_id: String,
    pub display_name: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub ticket_id: Option<Uuid>,
}

/// Records an inbound message (integrations holding `tickets.create`).
pub async fn ingest(
    ctx: &AppContext,
    viewer: &Viewer,
    input: Inbound,
) -> AppResult<(support_tickets::Model, entity::support_ticket_messages::Model)> {
    let actor = viewer.require(crate::service::support::perms::TICKETS_CREATE)?;
    let mut problems = Vec::new();
    check_text(&mut problems, "body", &input.body, 20_000);
    if let Some(s) = &input.subject {
        check_text(&mut problems, "subject", s, 200);
    }
    check_attachments(&input.attachments, "attachments", &mut problems);
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let client =
        clients::find_or_create_by_external(&tx, &input.channel, &input.external_id, input.display_name.as_deref())
            .await?;
    let ticket = match input.ticket_id {
        Some(id) => {
            // Continuing a ticket is a write on it: the caller must reach it
            // exactly as for any other message.
            let (t, _) = visibility::lock_visible_ticket(&*tx, viewer, id).await?;
            if t.client_id != Some(client.id) {
                return Err(AppError::invalid("ticketId", "no ticket of this client has that id"));
            }
            if t.status == "CLOSED" {
                return Err(AppError::conflict(
                    Some("ticketId"),
                    "the ticket is closed; open a new one",
                ));
            }
            t
        }
        None => {
            let subject = input
                .subject
                .clone()
                .unwrap_or_else(|| input.body.chars().take(80).collect::<String>());
            let department_id = pick_department(&*tx, None, true).await?;
            insert_ticket(
                &tx,
                actor,
                client.id,
                department_id,
                &CreateTicket {
                    subject,
                    description: input.body.clone(),
                    custom_fields: Some(json!({"channel": input.channel})),
                    ..Default::default()
                },
            )
            .await?
        }
    };
    let new = messages::CustomerMessage {
        id: None,
        user: None,
        body: &input.body,
        attachments: &input.attachments,
    };
    let message = messages::insert_customer_message(ctx, &tx, &ticket, &client, new).await?;
    let ticket = support_tickets::Entity::find_by_id(ticket.id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("ticket".into()))?;
    tx.commit(&ctx.bus).await?;
    Ok((ticket, message))
}

/// A ticket by id, if the viewer may see it.
pub async fn get(ctx: &AppContext, viewer: &Viewer, id: Uuid) -> AppResult<(support_tickets::Model, Scope)> {
    visibility::visible_ticket(&ctx.db.read, viewer, id).await
}

/// Ticket list filters (api.md's `TicketFilter`).
#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    pub status: Vec<String>,
    pub priority: Option<String>,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Sort keys of the ticket list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TicketSort {
    #[default]
    CreatedAt,
    UpdatedAt,
    Priority,
}

/// The keyset of a ticket in a given order: the sort value and the id.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TicketCursor {
    /// Microseconds since the epoch (times) or the priority rank.
    pub v: i64,
    pub id: Uuid,
}

const PRIORITY_RANK: &str =
    "(CASE support_tickets.priority WHEN 'LOW' THEN 0 WHEN 'NORMAL' THEN 1 WHEN 'HIGH' THEN 2 ELSE 3 END)";

/// The sort value of `t` under `sort`, for cursors.
pub fn cursor_of(t: &support_tickets::Model, sort: TicketSort) -> TicketCursor {
    let v = match sort {
        TicketSort::CreatedAt => t.created_at.timestamp_micros(),
        TicketSort::UpdatedAt => t.updated_at.timestamp_micros(),
        TicketSort::Priority => PRIORITIES.iter().position(|p| *p == t.priority).unwrap_or(1) as i64,
    };
    TicketCursor { v, id: t.id }
}

fn filter_condition(filter: &TicketFilter, scope: &Scope) -> AppResult<Condition> {
    let mut cond = scope.condition();
    let mut problems = Vec::new();
    for s in &filter.status {
        check_choice(&mut problems, "filter.status", Some(s.as_str()), status::STATUSES);
    }
    check_choice(&mut problems, "filter.priority", filter.priority.as_deref(), PRIORITIES);
    if let Some(q) = &filter.search {
        if q.chars().count() > 200 {
            problems.push(FieldError {
                field: "filter.search".into(),
                message: "must be at most 200 characters".into(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    if !filter.status.is_empty() {
        cond = cond.add(support_tickets::Column::Status.is_in(filter.status.clone()));
    }
    if let Some(p) = &filter.priority {
        cond = cond.add(support_tickets::Column::Priority.eq(p.clone()));
    }
    if let Some(d) = filter.department_id {
        cond = cond.add(support_tickets::Column::DepartmentId.eq(d));
    }
    if let Some(a) = filter.assignee_id {
        cond = cond.add(Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM ticket_assignments fa WHERE fa.ticket_id = support_tickets.id AND fa.user_id = $1)",
            [sea_orm::Value::from(a)],
        ));
    }
    if let Some(tag) = &filter.tag {
        cond = cond.add(Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM ticket_tags ft JOIN tags tg ON tg.id = ft.tag_id \
             WHERE ft.ticket_id = support_tickets.id AND tg.name = $1)",
            [sea_orm::Value::from(tag.trim().to_lowercase())],
        ));
    }
    if let Some(q) = filter.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // Messages count for search too, but a customer's search never
        // matches an internal note.
        let sql = if scope.sees_internal() {
            "(support_tickets.search_vector @@ plainto_tsquery('simple', $1) OR EXISTS (SELECT 1 FROM \
             support_ticket_messages sm WHERE sm.ticket_id = support_tickets.id \
             AND sm.search_vector @@ plainto_tsquery('simple', $1)))"
        } else {
            "(support_tickets.search_vector @@ plainto_tsquery('simple', $1) OR EXISTS (SELECT 1 FROM \
             support_ticket_messages sm WHERE sm.ticket_id = support_tickets.id AND NOT sm.is_internal \
             AND sm.search_vector @@ plainto_tsquery('simple', $1)))"
        };
        cond = cond.add(Expr::cust_with_values(sql, [q.to_string()]));
    }
    if let Some(t) = filter.created_after {
        cond = cond.add(support_tickets::Column::CreatedAt.gte(t));
    }
    if let Some(t) = filter.created_before {
        cond = cond.add(support_tickets::Column::CreatedAt.lt(t));
    }
    Ok(cond)
}

/// A page of the tickets the viewer may see, in `sort` order, after
/// `after` (keyset). Fetch `limit` rows.
pub async fn list(
    ctx: &AppContext,
    viewer: &Viewer,
    filter: &TicketFilter,
    sort: TicketSort,
    descending: bool,
    after: Option<TicketCursor>,
    limit: u64,
) -> AppResult<Vec<support_tickets::Model>> {
    let scope = visibility::scope(&ctx.db.read, viewer).await?;
    let mut cond = filter_condition(filter, &scope)?;
    let (column, cmp) = match sort {
        TicketSort::CreatedAt => ("support_tickets.created_at", "timestamp"),
        TicketSort::UpdatedAt => ("support_tickets.updated_at", "timestamp"),
        TicketSort::Priority => (PRIORITY_RANK, "rank"),
    };
    if let Some(c) = after {
        let op = if descending { "<" } else { ">" };
        let value: sea_orm::Value = if cmp == "timestamp" {
            DateTime::<Utc>::from_timestamp_micros(c.v)
                .ok_or_else(|| AppError::invalid("after", "is not a cursor this API issued"))?
                .into()
        } else {
            (c.v as i32).into()
        };
        cond = cond.add(Expr::cust_with_values(
            format!("({column}, support_tickets.id) {op} ($1, $2)"),
            [value, c.id.into()],
        ));
    }
    let order = if descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    Ok(support_tickets::Entity::find()
        .filter(cond)
        .order_by(Expr::cust(column), order.clone())
        .order_by(support_tickets::Column::Id, order)
        .limit(limit)
        .all(&ctx.db.read)
        .await?)
}

/// How many tickets match (for `totalCount`, computed only when asked).
pub async fn count(ctx: &AppContext, viewer: &Viewer, filter: &TicketFilter) -> AppResult<u64> {
    let scope = visibility::scope(&ctx.db.read, viewer).await?;
    let cond = filter_condition(filter, &scope)?;
    Ok(support_tickets::Entity::find().filter(cond).count(&ctx.db.read).await?)
}

/// Loads a visible ticket for change, locked for the transaction.
async fn lock_visible(tx: &Tx, viewer: &Viewer, id: Uuid) -> AppResult<(support_tickets::Model, Scope)> {
    visibility::lock_visible_ticket(&**tx, viewer, id).await
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
    to: &str,
) -> AppResult<support_tickets::Model> {
    let now = Utc::now();
    let mut a: support_tickets::ActiveModel = ticket.clone().into();
    a.status = Set(to.to_string());
    match to {
        "RESOLVED" => a.resolved_at = Set(Some(now.into())),
        "CLOSED" => {
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

/// Moves a ticket through the workflow. Staff (`tickets.reply`) may make
/// any allowed transition; a customer may only close their own ticket.
pub async fn set_status(ctx: &AppContext, viewer: &Viewer, id: Uuid, to: &str) -> AppResult<support_tickets::Model> {
    if !status::STATUSES.contains(&to) {
        return Err(AppError::invalid(
            "status",
            format!("must be one of {}", status::STATUSES.join(", ")),
        ));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let (ticket, scope) = lock_visible(&tx, viewer, id).await?;
    if scope.is_staff() {
        viewer.require(crate::service::support::perms::TICKETS_REPLY)?;
    } else {
        viewer.require_self_service(crate::service::support::perms::TICKETS_REPLY)?;
        if to != "CLOSED" {
            return Err(AppError::Forbidden("customers may only close their tickets".into()));
        }
    }
    if ticket.status == to {
        return Ok(ticket);
    }
    if !status::can_transition(&ticket.status, to) {
        return Err(AppError::invalid(
            "status",
            format!(
                "a {} ticket cannot become {}; allowed: {}",
                ticket.status,
                to,
                status::next_statuses(&ticket.status).join(", ")
            ),
        ));
    }
    let from = ticket.status.clone();
    let ticket = apply_status(&tx, ticket, to).await?;
    let who = actor_name(&*tx, scope.user()).await?;
    messages::insert_system(&tx, ticket.id, &format!("Status changed from {from} to {to} by {who}.")).await?;
    tx.commit(&ctx.bus).await?;
    Ok(ticket)
}

pub(crate) async fn actor_name<C: ConnectionTrait>(conn: &C, user: Uuid) -> AppResult<String> {
    Ok(entity::users::Entity::find_by_id(user)
        .one(conn)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_else(|| "someone".into()))
}

/// Sets who works on a ticket (`tickets.assign`). Assignees must be staff
/// who handle tickets.
pub async fn assign(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    user_ids: Vec<Uuid>,
) -> AppResult<support_tickets::Model> {
    let me = viewer.require(crate::service::support::perms::TICKETS_ASSIGN)?;
    if user_ids.len() > 20 {
        return Err(AppError::invalid("userIds", "at most 20 assignees"));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let (ticket, _) = lock_visible(&tx, viewer, id).await?;
    let mut wanted = user_ids.clone();
    wanted.sort();
    wanted.dedup();
    // Only users who may handle tickets can be assigned.
    let rows = tx
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT DISTINCT u.id, u.display_name FROM users u \
             JOIN user_roles ur ON ur.user_id = u.id AND ur.status = 'APPROVED' \
             JOIN role_permissions rp ON rp.role_id = ur.role_id \
             WHERE u.id = ANY($1) AND u.status = 'ACTIVE' \
             AND rp.permission_key IN ('tickets.read_department', 'tickets.read_all')",
            [wanted.clone().into()],
        ))
        .await?;
    let agents: Vec<(Uuid, String)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                r.try_get::<Uuid>("", "id").ok()?,
                r.try_get::<String>("", "display_name").ok()?,
            ))
        })
        .collect();
    if agents.len() != wanted.len() {
        return Err(AppError::invalid("userIds", "every assignee must be an active agent"));
    }
    let before: Vec<Uuid> = assignees_of(&*tx, ticket.id).await?;
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM ticket_assignments WHERE ticket_id = $1 AND NOT (user_id = ANY($2))",
        [ticket.id.into(), wanted.clone().into()],
    ))
    .await?;
    for u in &wanted {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO ticket_assignments (ticket_id, user_id, assigned_by_user_id) VALUES ($1, $2, $3) \
             ON CONFLICT (ticket_id, user_id) DO NOTHING",
            [ticket.id.into(), (*u).into(), me.into()],
        ))
        .await?;
    }
    if before != wanted {
        let who = actor_name(&*tx, me).await?;
        let names: Vec<&str> = agents.iter().map(|(_, n)| n.as_str()).collect();
        let text = if names.is_empty() {
            format!("Unassigned by {who}.")
        } else {
            format!("Assigned to {} by {who}.", names.join(", "))
        };
        messages::insert_system(&tx, ticket.id, &text).await?;
        let newly: Vec<Uuid> = wanted.iter().filter(|u| !before.contains(u)).copied().collect();
        crate::service::notification::notify_many(
            &*tx,
            &newly,
            crate::service::notification::Notice {
                kind: entity::enums::NotificationKind::Ticket,
                title: format!("Ticket #{} was assigned to you", ticket.number),
                body: ticket.subject.clone(),
                entity_type: crate::service::notification::Subject::SupportTicket,
                entity_id: ticket.id,
            },
        )
        .await?;
        touch(&tx, ticket.id).await?;
    }
    let ticket = support_tickets::Entity::find_by_id(ticket.id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("ticket".into()))?;
    tx.commit(&ctx.bus).await?;
    Ok(ticket)
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

fn normalize_tag(raw: &str) -> Option<String> {
    let t = raw.trim().to_lowercase();
    let ok = !t.is_empty()
        && t.len() <= 50
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ' ');
    ok.then_some(t)
}

/// Adds and removes tags (staff with `tickets.reply`; new tag names are
/// created on first use).
pub async fn tag(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    add: Vec<String>,
    remove: Vec<String>,
) -> AppResult<support_tickets::Model> {
    viewer.require(crate::service::support::perms::TICKETS_REPLY)?;
    let mut add_names = Vec::new();
    for t in &add {
        add_names.push(
            normalize_tag(t)
                .ok_or_else(|| AppError::invalid("add", "tags are 1-50 letters, digits, spaces, - or _"))?,
        );
    }
    let remove_names: Vec<String> = remove.iter().filter_map(|t| normalize_tag(t)).collect();
    let tx = Tx::begin(&ctx.db.primary).await?;
    let (ticket, _) = lock_visible(&tx, viewer, id).await?;
    for name in &add_names {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO tags (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
            [name.clone().into()],
        ))
        .await?;
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO ticket_tags (ticket_id, tag_id) SELECT $1, id FROM tags WHERE name = $2 \
             ON CONFLICT DO NOTHING",
            [ticket.id.into(), name.clone().into()],
        ))
        .await?;
    }
    if !remove_names.is_empty() {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM ticket_tags WHERE ticket_id = $1 AND tag_id IN (SELECT id FROM tags WHERE name = ANY($2))",
            [ticket.id.into(), remove_names.into()],
        ))
        .await?;
    }
    touch(&tx, ticket.id).await?;
    let ticket = support_tickets::Entity::find_by_id(ticket.id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::NotFound("ticket".into()))?;
    tx.commit(&ctx.bus).await?;
    Ok(ticket)
}

/// Every tag, by name.
pub async fn all_tags(ctx: &AppContext, viewer: &Viewer) -> AppResult<Vec<tags::Model>> {
    visibility::scope(&ctx.db.read, viewer).await?;
    Ok(tags::Entity::find()
        .order_by_asc(tags::Column::Name)
        .all(&ctx.db.read)
        .await?)
}

/// Moves a ticket to another department (`tickets.assign`), when both
/// departments allow transfers.
pub async fn transfer(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    department_id: Uuid,
) -> AppResult<support_tickets::Model> {
    let me = viewer.require(crate::service::support::perms::TICKETS_ASSIGN)?;
    let tx = Tx::begin(&ctx.db.primary).await?;
    let (ticket, _) = lock_visible(&tx, viewer, id).await?;
    let target = departments::Entity::find_by_id(department_id)
        .one(&*tx)
        .await?
        .filter(|d| d.is_active)
        .ok_or_else(|| AppError::invalid("departmentId", "no such department"))?;
    if ticket.department_id == Some(target.id) {
        return Ok(ticket);
    }
    if !target.transfers_enabled {
        return Err(AppError::invalid(
            "departmentId",
            format!("{} does not accept transfers", target.name),
        ));
    }
    if let Some(current) = ticket.department_id {
        let from = departments::Entity::find_by_id(current).one(&*tx).await?;
        if from.as_ref().is_some_and(|d| !d.transfers_enabled) {
            return Err(AppError::invalid(
                "departmentId",
                "the ticket's department does not allow transfers out",
            ));
        }
    }
    let mut a: support_tickets::ActiveModel = ticket.into();
    a.department_id = Set(Some(target.id));
    let ticket = a.update(&*tx).await?;
    let who = actor_name(&*tx, me).await?;
    messages::insert_system(&tx, ticket.id, &format!("Transferred to {} by {who}.", target.name)).await?;
    events::ticket_changed(&tx, ticket.id);
    tx.commit(&ctx.bus).await?;
    Ok(ticket)
}

/// Edits to a ticket's fields by staff (`tickets.reply`).
#[derive(Clone, Debug, Default)]
pub struct UpdateTicket {
    pub subject: Option<String>,
    pub priority: Option<String>,
    pub category: Option<String>,
    pub custom_fields: Option<Json>,
}

/// Updates subject, priority, category or custom fields.
pub async fn update(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    input: UpdateTicket,
) -> AppResult<support_tickets::Model> {
    viewer.require(crate::service::support::perms::TICKETS_REPLY)?;
    let mut problems = Vec::new();
    if let Some(s) = &input.subject {
        check_text(&mut problems, "subject", s, 200);
    }
    check_choice(&mut problems, "priority", input.priority.as_deref(), PRIORITIES);
    check_choice(&mut problems, "category", input.category.as_deref(), CATEGORIES);
    check_custom_fields(&mut problems, input.custom_fields.as_ref());
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let tx = Tx::begin(&ctx.db.primary).await?;
    let (ticket, _) = lock_visible(&tx, viewer, id).await?;
    let mut a: support_tickets::ActiveModel = ticket.into();
    if let Some(v) = input.subject {
        a.subject = Set(v.trim().to_string());
    }
    if let Some(v) = input.priority {
        a.priority = Set(v);
    }
    if let Some(v) = input.category {
        a.category = Set(v);
    }
    if let Some(v) = input.custom_fields {
        a.custom_fields = Set(v);
    }
    let ticket = a.update(&*tx).await?;
    events::ticket_changed(&tx, ticket.id);
    tx.commit(&ctx.bus).await?;
    Ok(ticket)
}
