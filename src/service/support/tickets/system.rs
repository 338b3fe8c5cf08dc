//! Tickets the server opens itself, about one of a customer's entities (an
//! exchange order on hold, say): no one signed in asked for them, so they
//! skip the caller checks of [`super::intake`], land in the department that
//! handles such entities, and belong to the entity's owner when it has one
//! (an anonymous exchange order has none; staff still see the ticket and
//! the customer follows it through the order).

use entity::enums::{TicketCategory, TicketPriority, TicketStatus};
use entity::{departments, support_tickets};
use sea_orm::{ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::super::{clients, events, messages};
use crate::error::{AppError, AppResult};
use crate::infra::events::Tx;

pub use entity::enums::RelatedEntityType;

/// A ticket the server opens.
#[derive(Clone, Debug)]
pub struct SystemTicket {
    /// The department's code (`EXCHANGE`).
    pub department_code: &'static str,
    pub subject: String,
    pub description: String,
    /// The entity's owner, who then sees the ticket among their own.
    pub user_id: Option<Uuid>,
    pub related: (RelatedEntityType, Uuid),
}

/// Opens `t` in `tx` with a system message holding its description;
/// returns the ticket's id.
pub async fn open_for_entity(tx: &Tx, t: SystemTicket) -> AppResult<Uuid> {
    let department = departments::Entity::find()
        .filter(departments::Column::Code.eq(t.department_code))
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no department {}", t.department_code)))?;
    let client = match t.user_id {
        Some(user) => Some(clients::client_of_user(tx, user).await?.id),
        None => None,
    };
    let ticket = support_tickets::ActiveModel {
        id: Set(Uuid::now_v7()),
        subject: Set(t.subject.chars().take(200).collect()),
        description: Set(t.description.clone()),
        client_id: Set(client),
        created_by_user_id: Set(t.user_id),
        department_id: Set(Some(department.id)),
        category: Set(TicketCategory::Billing.to_value()),
        priority: Set(TicketPriority::High.to_value()),
        status: Set(TicketStatus::Open.to_value()),
        custom_fields: Set(json!({"openedBy": "system"})),
        attachments: Set(json!([])),
        related_entity_type: Set(Some(t.related.0.to_value())),
        related_entity_id: Set(Some(t.related.1)),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    events::ticket_changed(tx, ticket.id);
    messages::insert_system(tx, ticket.id, &t.description).await?;
    Ok(ticket.id)
}

/// Adds a system message to `ticket` (seen by everyone who sees it).
pub async fn add_system_note(tx: &Tx, ticket: Uuid, text: &str) -> AppResult<()> {
    messages::insert_system(tx, ticket, text).await?;
    events::ticket_changed(tx, ticket);
    Ok(())
}
