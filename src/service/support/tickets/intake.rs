//! How tickets come in: opened by a customer, by an agent for a client, or
//! inbound from an external channel (email, phone, WhatsApp, Slack).

use entity::enums::{Audience, ExternalIdKind, TicketCategory, TicketPriority, TicketStatus};
use entity::{departments, support_ticket_messages, support_tickets};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, Statement,
};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::super::shared::{
    attachments_json, check_attachments, check_client_id, check_text, claimed, id_taken, reload, Attachment, SeenTicket,
};
use super::super::visibility;
use super::super::{clients, events, messages, perms, status};
use crate::app::AppContext;
use crate::error::{AppError, AppResult, FieldError};
use crate::infra::events::Tx;
use crate::service::identity::Viewer;

/// What a ticket may be about (one of the customer's own entities).
pub use entity::enums::RelatedEntityType;

/// A new ticket.
#[derive(Clone, Debug, Default)]
pub struct CreateTicket {
    /// Client-generated id: a retry with the same id never opens a second
    /// ticket.
    pub id: Option<Uuid>,
    pub subject: String,
    pub description: String,
    pub category: Option<TicketCategory>,
    pub priority: Option<TicketPriority>,
    pub department_id: Option<Uuid>,
    /// Agents open tickets for a client; customers leave it empty.
    pub client_id: Option<Uuid>,
    pub custom_fields: Option<Json>,
    pub attachments: Vec<Attachment>,
    pub related_entity: Option<(RelatedEntityType, Uuid)>,
}

/// Checks custom fields: a JSON object of at most 16 KiB.
pub(super) fn check_custom_fields(problems: &mut Vec<FieldError>, value: Option<&Json>) {
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
/// only external ones), else General Support.
async fn pick_department<C: ConnectionTrait>(conn: &C, wanted: Option<Uuid>, staff: bool) -> AppResult<Option<Uuid>> {
    match wanted {
        Some(id) => {
            let external = Audience::External.to_value();
            let d = departments::Entity::find_by_id(id)
                .one(conn)
                .await?
                .filter(|d| d.is_active && (staff || d.visibility == external))
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

/// Opens a ticket in `tx`. Customers open their own (their client is found
/// or made from their account); agents with `tickets.create` open one for
/// any client. With a client-generated `id` a retry is safe: the same id
/// with the same content returns the ticket made the first time (`true`
/// in the second value, nothing written, no event); any other use of a
/// taken id is `CONFLICT`, saying nothing about the ticket that holds it.
pub async fn create_in(tx: &Tx, viewer: &Viewer, input: CreateTicket) -> AppResult<(SeenTicket, bool)> {
    let user = viewer.require_user()?;
    let mut problems = Vec::new();
    check_text(&mut problems, "subject", &input.subject, 200);
    check_text(&mut problems, "description", &input.description, 20_000);
    check_custom_fields(&mut problems, input.custom_fields.as_ref());
    check_attachments(&input.attachments, "attachments", &mut problems);
    check_client_id(&mut problems, input.id);
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let staff_create = input.client_id.is_some();
    if staff_create {
        viewer.require(perms::TICKETS_CREATE)?;
    } else {
        viewer.require_self_service(perms::TICKETS_CREATE)?;
    }
    let sees_internal = visibility::sees_internal(&**tx, viewer).await?;
    let seen = |model| SeenTicket { model, sees_internal };
    if let Some(id) = input.id {
        if let Some(existing) = claimed(tx, "support_tickets", id).await? {
            let existing = support_tickets::Model::from_query_result(&existing, "")?;
            if same_ticket(&existing, user, &input) {
                return Ok((seen(existing), true));
            }
            return Err(id_taken());
        }
    }
    let client = match input.client_id {
        Some(id) => clients::get_model(&**tx, id).await?,
        None => clients::client_of_user(tx, user).await?,
    };
    if let Some((kind, entity)) = input.related_entity {
        check_related_owner(&**tx, client.user_id, kind, entity).await?;
    }
    let department_id = pick_department(&**tx, input.department_id, staff_create).await?;
    let ticket = insert_ticket(tx, user, client.id, department_id, &input).await?;
    Ok((seen(ticket), false))
}

/// [`create_in`] in a transaction of its own.
pub async fn create(ctx: &AppContext, viewer: &Viewer, input: CreateTicket) -> AppResult<(SeenTicket, bool)> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let out = create_in(&tx, viewer, input).await?;
    tx.commit(&ctx.bus).await?;
    Ok(out)
}

/// Whether `t` is what `input` from `user` made: the same creator and the
/// same content, as stored (an edit by staff in between makes a retry a
/// `CONFLICT`, never a second ticket).
fn same_ticket(t: &support_tickets::Model, user: Uuid, input: &CreateTicket) -> bool {
    let related = input.related_entity.as_ref();
    t.created_by_user_id == Some(user)
        && t.subject == input.subject.trim()
        && t.description == input.description.trim()
        && t.category == input.category.unwrap_or(TicketCategory::General).to_value()
        && t.priority == input.priority.unwrap_or(TicketPriority::Normal).to_value()
        && t.custom_fields == input.custom_fields.clone().unwrap_or_else(|| json!({}))
        && t.attachments == attachments_json(&input.attachments)
        && t.related_entity_type == related.map(|(k, _)| k.to_value())
        && t.related_entity_id == related.map(|(_, id)| *id)
        && input.client_id.is_none_or(|c| t.client_id == Some(c))
        && input.department_id.is_none_or(|d| t.department_id == Some(d))
}

/// Where each kind of related entity lives and which column names its
/// owner (KYC records and wallets belong to a user; a job to the user who
/// posted it or to the owner of its company).
fn related_owner_sql(kind: RelatedEntityType) -> &'static str {
    use RelatedEntityType::*;
    match kind {
        ExchangeOrder => "SELECT 1 FROM exchange_orders WHERE id = $1 AND user_id = $2",
        Payment => "SELECT 1 FROM payments WHERE id = $1 AND user_id = $2",
        Order => "SELECT 1 FROM orders WHERE id = $1 AND user_id = $2",
        Invoice => "SELECT 1 FROM invoices WHERE id = $1 AND user_id = $2",
        Wallet => "SELECT 1 FROM wallets WHERE id = $1 AND user_id = $2",
        Withdrawal => "SELECT 1 FROM withdrawals WHERE id = $1 AND user_id = $2",
        Kyc => "SELECT 1 FROM user_kyc WHERE id = $1 AND user_id = $2",
        Lead => "SELECT 1 FROM leads WHERE id = $1 AND created_by_user_id = $2",
        Job => {
            "SELECT 1 FROM jobs j WHERE j.id = $1 AND (j.posted_by_user_id = $2 OR EXISTS \
             (SELECT 1 FROM company_profiles c WHERE c.id = j.company_profile_id AND c.user_id = $2))"
        }
    }
}

/// A ticket may be about an entity only when the ticket's customer owns
/// it; a client without an account owns nothing. Anything else is refused
/// the same way as an id that does not exist, so nobody learns of others'
/// orders through a ticket (staff opening one for a client included).
async fn check_related_owner<C: ConnectionTrait>(
    conn: &C,
    owner: Option<Uuid>,
    kind: RelatedEntityType,
    entity: Uuid,
) -> AppResult<()> {
    let refused = || AppError::invalid("relatedEntity.entityId", "the customer has no such entity");
    let Some(owner) = owner else {
        return Err(refused());
    };
    let found = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            related_owner_sql(kind),
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
        category: Set(input.category.unwrap_or(TicketCategory::General).to_value()),
        priority: Set(input.priority.unwrap_or(TicketPriority::Normal).to_value()),
        status: Set(TicketStatus::Open.to_value()),
        custom_fields: Set(input.custom_fields.clone().unwrap_or_else(|| json!({}))),
        attachments: Set(attachments_json(&input.attachments)),
        related_entity_type: Set(input.related_entity.map(|(k, _)| k.to_value())),
        related_entity_id: Set(input.related_entity.map(|(_, id)| id)),
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
    pub channel: ExternalIdKind,
    pub external_id: String,
    pub display_name: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub ticket_id: Option<Uuid>,
}

/// Records an inbound message in `tx` (integrations holding
/// `tickets.create`).
pub async fn ingest_in(
    tx: &Tx,
    viewer: &Viewer,
    input: Inbound,
) -> AppResult<(SeenTicket, support_ticket_messages::Model)> {
    let actor = viewer.require(perms::TICKETS_CREATE)?;
    let mut problems = Vec::new();
    check_text(&mut problems, "body", &input.body, 20_000);
    if let Some(s) = &input.subject {
        check_text(&mut problems, "subject", s, 200);
    }
    check_attachments(&input.attachments, "attachments", &mut problems);
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    let sees_internal = visibility::sees_internal(&**tx, viewer).await?;
    let client =
        clients::find_or_create_by_external(tx, input.channel, &input.external_id, input.display_name.as_deref())
            .await?;
    let ticket = match input.ticket_id {
        Some(id) => {
            // Continuing a ticket is a write on it: the caller must reach it
            // exactly as for any other message.
            let (t, _) = visibility::lock_visible_ticket(&**tx, viewer, id).await?;
            if t.client_id != Some(client.id) {
                return Err(AppError::invalid("ticketId", "no ticket of this client has that id"));
            }
            if status::of(&t)? == TicketStatus::Closed {
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
            let department_id = pick_department(&**tx, None, true).await?;
            insert_ticket(
                tx,
                actor,
                client.id,
                department_id,
                &CreateTicket {
                    subject,
                    description: input.body.clone(),
                    custom_fields: Some(json!({"channel": input.channel.to_value()})),
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
    let message = messages::insert_customer_message(tx, &ticket, &client, new).await?;
    let ticket = reload(tx, ticket.id).await?;
    Ok((
        SeenTicket {
            model: ticket,
            sees_internal,
        },
        message,
    ))
}

/// [`ingest_in`] in a transaction of its own.
pub async fn ingest(
    ctx: &AppContext,
    viewer: &Viewer,
    input: Inbound,
) -> AppResult<(SeenTicket, support_ticket_messages::Model)> {
    let tx = Tx::begin(&ctx.db.primary).await?;
    let out = ingest_in(&tx, viewer, input).await?;
    tx.commit(&ctx.bus).await?;
    Ok(out)
}
