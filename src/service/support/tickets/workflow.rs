//! Changing tickets: the status workflow, assignment, tags, transfers
//! between departments and edits by staff. Every operation locks the
//! ticket within the viewer's reach first (`visibility::lock_visible_ticket`).

use entity::enums::{TicketCategory, TicketPriority, TicketStatus};
use entity::{departments, support_tickets};
use sea_orm::{ActiveEnum, ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, Statement};
use serde_json::Value as Json;
use uuid::Uuid;

use super::super::shared::{
    actor_name, apply_status, assignees_of, check_text, notify_ticket, reload, touch, SeenTicket,
};
use super::super::visibility::{self, Scope};
use super::super::{events, messages, perms, status};
use super::intake::check_custom_fields;
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;
use crate::service::identity::Viewer;

/// Loads a visible ticket for change, locked for the transaction.
async fn lock_visible(tx: &Tx, viewer: &Viewer, id: Uuid) -> AppResult<(support_tickets::Model, Scope)> {
    visibility::lock_visible_ticket(&**tx, viewer, id).await
}

/// Runs `op` in a transaction of its own and commits it.
macro_rules! in_own_tx {
    ($ctx:expr, |$tx:ident| $body:expr) => {{
        let $tx = Tx::begin(&$ctx.db.primary).await?;
        let out = $body.await?;
        $tx.commit(&$ctx.bus).await?;
        Ok(out)
    }};
}

/// Moves a ticket through the workflow in `tx`. Staff (`tickets.reply`)
/// may make any allowed transition; a customer may only close their own
/// ticket.
pub async fn set_status_in(tx: &Tx, viewer: &Viewer, id: Uuid, to: TicketStatus) -> AppResult<SeenTicket> {
    let (ticket, scope) = lock_visible(tx, viewer, id).await?;
    if scope.is_staff() {
        viewer.require(perms::TICKETS_REPLY)?;
    } else {
        viewer.require_self_service(perms::TICKETS_REPLY)?;
        if to != TicketStatus::Closed {
            return Err(AppError::Forbidden("customers may only close their tickets".into()));
        }
    }
    let from = status::of(&ticket)?;
    if from == to {
        return Ok(SeenTicket::new(ticket, &scope));
    }
    if !status::can_transition(from, to) {
        return Err(AppError::invalid(
            "status",
            format!(
                "a {} ticket cannot become {}; allowed: {}",
                from.to_value(),
                to.to_value(),
                status::names(status::next_statuses(from))
            ),
        ));
    }
    let ticket = apply_status(tx, ticket, to).await?;
    let who = actor_name(&**tx, scope.user()).await?;
    let text = format!("Status changed from {} to {} by {who}.", from.to_value(), to.to_value());
    messages::insert_system(tx, ticket.id, &text).await?;
    Ok(SeenTicket::new(ticket, &scope))
}

/// [`set_status_in`] in a transaction of its own.
pub async fn set_status(ctx: &AppContext, viewer: &Viewer, id: Uuid, to: TicketStatus) -> AppResult<SeenTicket> {
    in_own_tx!(ctx, |tx| set_status_in(&tx, viewer, id, to))
}

/// Sets who works on a ticket in `tx` (`tickets.assign`). Assignees must
/// be active staff who handle tickets.
pub async fn assign_in(tx: &Tx, viewer: &Viewer, id: Uuid, user_ids: Vec<Uuid>) -> AppResult<SeenTicket> {
    let me = viewer.require(perms::TICKETS_ASSIGN)?;
    if user_ids.len() > 20 {
        return Err(AppError::invalid("userIds", "at most 20 assignees"));
    }
    let (ticket, scope) = lock_visible(tx, viewer, id).await?;
    let mut wanted = user_ids.clone();
    wanted.sort();
    wanted.dedup();
    // Only users who may handle tickets can be assigned.
    let handles = [perms::TICKETS_READ_DEPARTMENT.key(), perms::TICKETS_READ_ALL.key()];
    let rows = tx
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT DISTINCT u.id, u.display_name FROM users u \
             JOIN user_roles ur ON ur.user_id = u.id AND ur.status = $2 \
             JOIN role_permissions rp ON rp.role_id = ur.role_id \
             WHERE u.id = ANY($1) AND u.status = $3 AND rp.permission_key = ANY($4)",
            [
                wanted.clone().into(),
                entity::enums::ApprovalStatus::Approved.to_value().into(),
                entity::enums::UserStatus::Active.to_value().into(),
                handles.iter().map(|k| k.to_string()).collect::<Vec<_>>().into(),
            ],
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
    let before: Vec<Uuid> = assignees_of(&**tx, ticket.id).await?;
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
        let who = actor_name(&**tx, me).await?;
        let names: Vec<&str> = agents.iter().map(|(_, n)| n.as_str()).collect();
        let text = if names.is_empty() {
            format!("Unassigned by {who}.")
        } else {
            format!("Assigned to {} by {who}.", names.join(", "))
        };
        messages::insert_system(tx, ticket.id, &text).await?;
        let newly: Vec<Uuid> = wanted.iter().filter(|u| !before.contains(u)).copied().collect();
        let title = format!("Ticket #{} was assigned to you", ticket.number);
        notify_ticket(&**tx, &newly, ticket.id, title, ticket.subject.clone()).await?;
        touch(tx, ticket.id).await?;
    }
    Ok(SeenTicket::new(reload(tx, ticket.id).await?, &scope))
}

/// [`assign_in`] in a transaction of its own.
pub async fn assign(ctx: &AppContext, viewer: &Viewer, id: Uuid, user_ids: Vec<Uuid>) -> AppResult<SeenTicket> {
    in_own_tx!(ctx, |tx| assign_in(&tx, viewer, id, user_ids))
}

fn normalize_tag(raw: &str) -> Option<String> {
    let t = raw.trim().to_lowercase();
    let ok = !t.is_empty()
        && t.len() <= 50
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ' ');
    ok.then_some(t)
}

/// Adds and removes tags in `tx` (staff with `tickets.reply`; new tag
/// names are created on first use).
pub async fn tag_in(
    tx: &Tx,
    viewer: &Viewer,
    id: Uuid,
    add: Vec<String>,
    remove: Vec<String>,
) -> AppResult<SeenTicket> {
    viewer.require(perms::TICKETS_REPLY)?;
    let mut add_names = Vec::new();
    for t in &add {
        add_names.push(
            normalize_tag(t)
                .ok_or_else(|| AppError::invalid("add", "tags are 1-50 letters, digits, spaces, - or _"))?,
        );
    }
    let remove_names: Vec<String> = remove.iter().filter_map(|t| normalize_tag(t)).collect();
    let (ticket, scope) = lock_visible(tx, viewer, id).await?;
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
    touch(tx, ticket.id).await?;
    Ok(SeenTicket::new(reload(tx, ticket.id).await?, &scope))
}

/// [`tag_in`] in a transaction of its own.
pub async fn tag(
    ctx: &AppContext,
    viewer: &Viewer,
    id: Uuid,
    add: Vec<String>,
    remove: Vec<String>,
) -> AppResult<SeenTicket> {
    in_own_tx!(ctx, |tx| tag_in(&tx, viewer, id, add, remove))
}

/// Moves a ticket to another department in `tx` (`tickets.assign`), when
/// both departments allow transfers.
pub async fn transfer_in(tx: &Tx, viewer: &Viewer, id: Uuid, department_id: Uuid) -> AppResult<SeenTicket> {
    let me = viewer.require(perms::TICKETS_ASSIGN)?;
    let (ticket, scope) = lock_visible(tx, viewer, id).await?;
    let target = departments::Entity::find_by_id(department_id)
        .one(&**tx)
        .await?
        .filter(|d| d.is_active)
        .ok_or_else(|| AppError::invalid("departmentId", "no such department"))?;
    if ticket.department_id == Some(target.id) {
        return Ok(SeenTicket::new(ticket, &scope));
    }
    if !target.transfers_enabled {
        return Err(AppError::invalid(
            "departmentId",
            format!("{} does not accept transfers", target.name),
        ));
    }
    if let Some(current) = ticket.department_id {
        let from = departments::Entity::find_by_id(current).one(&**tx).await?;
        if from.as_ref().is_some_and(|d| !d.transfers_enabled) {
            return Err(AppError::invalid(
                "departmentId",
                "the ticket's department does not allow transfers out",
            ));
        }
    }
    let mut a: support_tickets::ActiveModel = ticket.into();
    a.department_id = Set(Some(target.id));
    let ticket = a.update(&**tx).await?;
    let who = actor_name(&**tx, me).await?;
    messages::insert_system(tx, ticket.id, &format!("Transferred to {} by {who}.", target.name)).await?;
    events::ticket_changed(tx, ticket.id);
    Ok(SeenTicket::new(ticket, &scope))
}

/// [`transfer_in`] in a transaction of its own.
pub async fn transfer(ctx: &AppContext, viewer: &Viewer, id: Uuid, department_id: Uuid) -> AppResult<SeenTicket> {
    in_own_tx!(ctx, |tx| transfer_in(&tx, viewer, id, department_id))
}

/// Edits to a ticket's fields by staff (`tickets.reply`).
#[derive(Clone, Debug, Default)]
pub struct UpdateTicket {
    pub subject: Option<String>,
    pub priority: Option<TicketPriority>,
    pub category: Option<TicketCategory>,
    pub custom_fields: Option<Json>,
}

/// Updates subject, priority, category or custom fields in `tx`.
pub async fn update_in(tx: &Tx, viewer: &Viewer, id: Uuid, input: UpdateTicket) -> AppResult<SeenTicket> {
    viewer.require(perms::TICKETS_REPLY)?;
    let mut problems = Vec::new();
    if let Some(s) = &input.subject {
        check_text(&mut problems, "subject", s, 200);
    }
    check_custom_fields(&mut problems, input.custom_fields.as_ref());
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let (ticket, scope) = lock_visible(tx, viewer, id).await?;
    let mut a: support_tickets::ActiveModel = ticket.into();
    if let Some(v) = input.subject {
        a.subject = Set(v.trim().to_string());
    }
    if let Some(v) = input.priority {
        a.priority = Set(v.to_value());
    }
    if let Some(v) = input.category {
        a.category = Set(v.to_value());
    }
    if let Some(v) = input.custom_fields {
        a.custom_fields = Set(v);
    }
    let ticket = a.update(&**tx).await?;
    events::ticket_changed(tx, ticket.id);
    Ok(SeenTicket::new(ticket, &scope))
}

/// [`update_in`] in a transaction of its own.
pub async fn update(ctx: &AppContext, viewer: &Viewer, id: Uuid, input: UpdateTicket) -> AppResult<SeenTicket> {
    in_own_tx!(ctx, |tx| update_in(&tx, viewer, id, input))
}
