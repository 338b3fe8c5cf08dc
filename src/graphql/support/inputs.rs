//! Inputs of the support desk's queries and mutations, and their mapping to
//! the service's types (ids parsed here, once; everything else checked by
//! the service).

use async_graphql::{Enum, InputObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ExternalIdKind, TicketCategory, TicketPriority, TicketStatus};

use crate::error::AppError;
use crate::graphql::convert::parse_opt_id;
use crate::graphql::pagination::Page;
use crate::service::support::messages::{MessageCursor, MessagePage};
use crate::service::support::shared::Attachment;
use crate::service::support::tickets::{self, RelatedEntityType};

/// A file to attach: its metadata (upload the file itself first).
#[derive(InputObject, Clone)]
pub struct AttachmentInput {
    /// The file's name (1 to 255 characters).
    pub file_name: String,
    /// https:// or a path on this platform's file store.
    pub url: String,
    /// The file's MIME type, when known.
    pub mime_type: Option<String>,
    /// The file's size in bytes (at most 1 GiB), when known.
    pub size_bytes: Option<i64>,
}

/// Attachments as the service takes them.
pub fn attachments(list: Option<Vec<AttachmentInput>>) -> Vec<Attachment> {
    list.unwrap_or_default()
        .into_iter()
        .map(|a| Attachment {
            file_name: a.file_name,
            url: a.url,
            mime_type: a.mime_type,
            size_bytes: a.size_bytes,
        })
        .collect()
}

/// One of the customer's entities a ticket is about.
#[derive(InputObject)]
pub struct RelatedEntityInput {
    /// The kind of entity.
    pub entity_type: RelatedEntityType,
    /// The entity's id; it must belong to the ticket's customer.
    pub entity_id: ID,
}

/// A new ticket.
#[derive(InputObject)]
pub struct CreateTicketInput {
    /// A client-generated id (a UUID) for the new ticket, so that a retry
    /// after a timeout never opens a second one: the same id with the same
    /// content returns the first ticket (`replayed: true`); the same id
    /// with anything else is CONFLICT.
    pub id: Option<ID>,
    /// One line saying what the ticket is about (1 to 200 characters).
    pub subject: String,
    /// The problem in full (1 to 20000 characters).
    pub description: String,
    /// The topic (GENERAL when omitted).
    pub category: Option<TicketCategory>,
    /// The urgency (NORMAL when omitted).
    pub priority: Option<TicketPriority>,
    /// The department to handle it (customers may pick external ones only;
    /// General Support when omitted).
    pub department_id: Option<ID>,
    /// Agents (`tickets.create`) open tickets for a client; customers omit it.
    pub client_id: Option<ID>,
    /// Free-form fields (a JSON object of at most 16 KiB).
    pub custom_fields: Option<async_graphql::Json<serde_json::Value>>,
    /// Files to attach (at most 20).
    pub attachments: Option<Vec<AttachmentInput>>,
    /// What the ticket is about, when it is one of the customer's entities.
    pub related_entity: Option<RelatedEntityInput>,
}

/// A reply or internal note on a ticket.
#[derive(InputObject)]
pub struct AddTicketMessageInput {
    /// The ticket to write on.
    pub ticket_id: ID,
    /// A client-generated id (a UUID) for the new message, so that a retry
    /// after a timeout never posts twice: the same id with the same content
    /// on the same ticket returns the first message (`replayed: true`); the
    /// same id with anything else is CONFLICT.
    pub id: Option<ID>,
    /// The text (1 to 20000 characters).
    pub body: String,
    /// An agent-only note (staff with `tickets.internal_note`).
    #[graphql(default = false)]
    pub is_internal: bool,
    /// Files to attach (at most 20).
    pub attachments: Option<Vec<AttachmentInput>>,
}

/// Who works on a ticket.
#[derive(InputObject)]
pub struct AssignTicketInput {
    /// The ticket.
    pub ticket_id: ID,
    /// The full set of assignees (at most 20; empty: unassign everyone).
    pub user_ids: Vec<ID>,
}

/// A move through the ticket workflow.
#[derive(InputObject)]
pub struct SetTicketStatusInput {
    /// The ticket.
    pub ticket_id: ID,
    /// The new status; it must be one of the ticket's `nextStatuses`.
    pub status: TicketStatus,
}

/// Edits to a ticket by staff; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateTicketInput {
    /// The ticket.
    pub ticket_id: ID,
    /// A new subject (1 to 200 characters).
    pub subject: Option<String>,
    /// A new urgency.
    pub priority: Option<TicketPriority>,
    /// A new topic.
    pub category: Option<TicketCategory>,
    /// New free-form fields, replacing the old (a JSON object of at most 16 KiB).
    pub custom_fields: Option<async_graphql::Json<serde_json::Value>>,
}

/// Tags to add to and remove from a ticket.
#[derive(InputObject)]
pub struct TagTicketInput {
    /// The ticket.
    pub ticket_id: ID,
    /// Tag names to add (1 to 50 letters, digits, spaces, - or _; created
    /// on first use).
    #[graphql(default)]
    pub add: Vec<String>,
    /// Tag names to remove.
    #[graphql(default)]
    pub remove: Vec<String>,
}

/// A move of a ticket to another department.
#[derive(InputObject)]
pub struct TransferTicketInput {
    /// The ticket.
    pub ticket_id: ID,
    /// The department to move it to (both must allow transfers).
    pub department_id: ID,
}

/// A message that arrived on an external channel.
#[derive(InputObject)]
pub struct InboundMessageInput {
    /// The channel it arrived on.
    pub channel: ExternalIdKind,
    /// The sender's address on that channel (email, phone, Slack id...).
    pub external_id: String,
    /// The sender's name, for a client seen for the first time.
    pub display_name: Option<String>,
    /// The subject of a new ticket (the start of the body when omitted).
    pub subject: Option<String>,
    /// The text (1 to 20000 characters).
    pub body: String,
    /// Files that came with it (at most 20).
    pub attachments: Option<Vec<AttachmentInput>>,
    /// Continue this ticket of the same client instead of opening one.
    pub ticket_id: Option<ID>,
}

/// One channel identity of a new client.
#[derive(InputObject)]
pub struct ExternalIdInput {
    /// The channel.
    pub kind: ExternalIdKind,
    /// The address on that channel.
    pub value: String,
}

/// A new client.
#[derive(InputObject)]
pub struct CreateClientInput {
    /// The client's name (1 to 200 characters).
    pub display_name: String,
    /// Free-form data about the client (a JSON object of at most 16 KiB).
    pub data: Option<async_graphql::Json<serde_json::Value>>,
    /// Channels to reach the client.
    pub external_ids: Option<Vec<ExternalIdInput>>,
}

/// Edits to a client; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateClientInput {
    /// The client.
    pub client_id: ID,
    /// A new name (1 to 200 characters).
    pub display_name: Option<String>,
    /// New data, replacing the old (a JSON object of at most 16 KiB).
    pub data: Option<async_graphql::Json<serde_json::Value>>,
}

/// A channel identity of an existing client.
#[derive(InputObject)]
pub struct ClientExternalIdInput {
    /// The client.
    pub client_id: ID,
    /// The channel.
    pub kind: ExternalIdKind,
    /// The address on that channel.
    pub value: String,
}

/// Two clients to merge into one.
#[derive(InputObject)]
pub struct MergeClientsInput {
    /// Moves into the target and is deleted.
    pub source_id: ID,
    /// Receives the source's tickets, messages and identities.
    pub target_id: ID,
}

/// Which tickets to list; every condition given must hold.
#[derive(InputObject, Default, Clone)]
pub struct TicketFilter {
    /// Any of these statuses.
    pub status: Option<Vec<TicketStatus>>,
    /// This urgency.
    pub priority: Option<TicketPriority>,
    /// Handled by this department.
    pub department_id: Option<ID>,
    /// Assigned to this user.
    pub assignee_id: Option<ID>,
    /// Carrying this tag.
    pub tag: Option<String>,
    /// Full-text search over subject, description and messages (at most
    /// 200 characters).
    pub search: Option<String>,
    /// Opened at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Opened before this time.
    pub created_before: Option<DateTime<Utc>>,
}

/// What the ticket list is sorted by.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum TicketOrderField {
    /// When the ticket was opened.
    #[default]
    CreatedAt,
    /// When the ticket last changed.
    UpdatedAt,
    /// How urgent the ticket is.
    Priority,
}

/// Sort direction.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum OrderDirection {
    /// Smallest (oldest, least urgent) first.
    Asc,
    /// Largest (newest, most urgent) first.
    #[default]
    Desc,
}

/// The order of the ticket list.
#[derive(InputObject, Default)]
pub struct TicketOrder {
    /// The sort key (CREATED_AT when omitted).
    #[graphql(default)]
    pub field: TicketOrderField,
    /// The direction (DESC when omitted).
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl TicketOrder {
    /// The service's sort key and whether it descends.
    pub fn service(&self) -> (tickets::TicketSort, bool) {
        let sort = match self.field {
            TicketOrderField::CreatedAt => tickets::TicketSort::CreatedAt,
            TicketOrderField::UpdatedAt => tickets::TicketSort::UpdatedAt,
            TicketOrderField::Priority => tickets::TicketSort::Priority,
        };
        (sort, self.direction == OrderDirection::Desc)
    }
}

/// The filter as the service takes it.
pub fn service_filter(f: TicketFilter) -> Result<tickets::TicketFilter, AppError> {
    Ok(tickets::TicketFilter {
        status: f.status.unwrap_or_default(),
        priority: f.priority,
        department_id: parse_opt_id(f.department_id.as_ref(), "filter.departmentId")?,
        assignee_id: parse_opt_id(f.assignee_id.as_ref(), "filter.assigneeId")?,
        tag: f.tag,
        search: f.search,
        created_after: f.created_after,
        created_before: f.created_before,
    })
}

/// A page of a conversation from the four Relay arguments.
pub fn message_page(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<MessagePage, AppError> {
    Page::<MessageCursor>::from_args(first, after, last, before)
}
