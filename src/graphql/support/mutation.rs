//! Support mutations: each parses its input, calls one service function
//! and returns what changed, so a normalised client cache updates itself.

use async_graphql::{Context, Object, Result, SimpleObject};

use super::inputs::*;
use super::types::{Client, SupportTicket, SupportTicketMessage};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{parse_id, parse_opt_id};
use crate::service::support::{clients, messages, tickets};

/// The ticket `createTicket` opened.
#[derive(SimpleObject)]
pub struct CreateTicketPayload {
    /// The new ticket (or, when replayed, the one the first call opened).
    pub ticket: SupportTicket,
    /// True when `id` had been used: this is the ticket of the first call.
    pub replayed: bool,
}

/// The message `addTicketMessage` posted and the ticket it changed.
#[derive(SimpleObject)]
pub struct AddTicketMessagePayload {
    /// The new message (or, when replayed, the one the first call posted).
    pub message: SupportTicketMessage,
    /// The ticket after the message: its new status and `updatedAt`.
    pub ticket: SupportTicket,
    /// True when `id` had been used: this is the message of the first call.
    pub replayed: bool,
}

/// The ticket `assignTicket` changed.
#[derive(SimpleObject)]
pub struct AssignTicketPayload {
    /// The ticket with its new assignees.
    pub ticket: SupportTicket,
}

/// The ticket `setTicketStatus` moved.
#[derive(SimpleObject)]
pub struct SetTicketStatusPayload {
    /// The ticket in its new status.
    pub ticket: SupportTicket,
}

/// The ticket an edit, tag change or transfer changed.
#[derive(SimpleObject)]
pub struct UpdateTicketPayload {
    /// The ticket as it is now.
    pub ticket: SupportTicket,
}

/// What `ingestInboundMessage` recorded.
#[derive(SimpleObject)]
pub struct IngestInboundMessagePayload {
    /// The ticket the message opened or joined, as it is now.
    pub ticket: SupportTicket,
    /// The recorded message.
    pub message: SupportTicketMessage,
}

/// The client a client mutation changed.
#[derive(SimpleObject)]
pub struct ClientPayload {
    /// The client as it is now.
    pub client: Client,
}

/// Support mutations.
#[derive(Default)]
pub struct SupportMutation;

#[Object]
impl SupportMutation {
    /// Opens a ticket (your own, or for a client with `tickets.create`).
    async fn create_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new ticket.")] input: CreateTicketInput,
    ) -> Result<CreateTicketPayload> {
        let related = match input.related_entity {
            Some(r) => Some((r.entity_type, parse_id(&r.entity_id, "relatedEntity.entityId")?)),
            None => None,
        };
        let (t, replayed) = tickets::create(
            app(ctx)?,
            viewer(ctx),
            tickets::CreateTicket {
                id: parse_opt_id(input.id.as_ref(), "id")?,
                subject: input.subject,
                description: input.description,
                category: input.category,
                priority: input.priority,
                department_id: parse_opt_id(input.department_id.as_ref(), "departmentId")?,
                client_id: parse_opt_id(input.client_id.as_ref(), "clientId")?,
                custom_fields: input.custom_fields.map(|j| j.0),
                attachments: attachments(input.attachments),
                related_entity: related,
            },
        )
        .await?;
        Ok(CreateTicketPayload {
            ticket: SupportTicket::one(t),
            replayed,
        })
    }

    /// Posts a reply or an internal note; returns the message and the
    /// ticket it changed.
    async fn add_ticket_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The message and the ticket to post it on.")] input: AddTicketMessageInput,
    ) -> Result<AddTicketMessagePayload> {
        let posted = messages::add(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            messages::NewMessage {
                id: parse_opt_id(input.id.as_ref(), "id")?,
                body: input.body,
                is_internal: input.is_internal,
                attachments: attachments(input.attachments),
            },
        )
        .await?;
        let sees_internal = posted.ticket.sees_internal;
        Ok(AddTicketMessagePayload {
            message: SupportTicketMessage::new(posted.message, sees_internal),
            ticket: SupportTicket::one(posted.ticket),
            replayed: posted.replayed,
        })
    }

    /// Sets the agents working on a ticket (`tickets.assign`).
    async fn assign_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket and its full set of assignees.")] input: AssignTicketInput,
    ) -> Result<AssignTicketPayload> {
        let ids = input
            .user_ids
            .iter()
            .map(|i| parse_id(i, "userIds"))
            .collect::<Result<Vec<_>, _>>()?;
        let t = tickets::assign(app(ctx)?, viewer(ctx), parse_id(&input.ticket_id, "ticketId")?, ids).await?;
        Ok(AssignTicketPayload {
            ticket: SupportTicket::one(t),
        })
    }

    /// Moves a ticket through its workflow (staff; customers may only
    /// close their own).
    async fn set_ticket_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket and its new status.")] input: SetTicketStatusInput,
    ) -> Result<SetTicketStatusPayload> {
        let t = tickets::set_status(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            input.status,
        )
        .await?;
        Ok(SetTicketStatusPayload {
            ticket: SupportTicket::one(t),
        })
    }

    /// Edits subject, priority, category or custom fields (staff).
    async fn update_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket and the fields to change.")] input: UpdateTicketInput,
    ) -> Result<UpdateTicketPayload> {
        let t = tickets::update(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            tickets::UpdateTicket {
                subject: input.subject,
                priority: input.priority,
                category: input.category,
                custom_fields: input.custom_fields.map(|j| j.0),
            },
        )
        .await?;
        Ok(UpdateTicketPayload {
            ticket: SupportTicket::one(t),
        })
    }

    /// Adds and removes tags (staff).
    async fn tag_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket and the tags to add and remove.")] input: TagTicketInput,
    ) -> Result<UpdateTicketPayload> {
        let t = tickets::tag(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            input.add,
            input.remove,
        )
        .await?;
        Ok(UpdateTicketPayload {
            ticket: SupportTicket::one(t),
        })
    }

    /// Moves a ticket to another department (`tickets.assign`).
    async fn transfer_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket and its new department.")] input: TransferTicketInput,
    ) -> Result<UpdateTicketPayload> {
        let t = tickets::transfer(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.ticket_id, "ticketId")?,
            parse_id(&input.department_id, "departmentId")?,
        )
        .await?;
        Ok(UpdateTicketPayload {
            ticket: SupportTicket::one(t),
        })
    }

    /// Records a message from email, phone, WhatsApp or Slack: the client
    /// is found or created by that identity (integrations, `tickets.create`).
    async fn ingest_inbound_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The message as it arrived.")] input: InboundMessageInput,
    ) -> Result<IngestInboundMessagePayload> {
        let (t, m) = tickets::ingest(
            app(ctx)?,
            viewer(ctx),
            tickets::Inbound {
                channel: input.channel,
                external_id: input.external_id,
                display_name: input.display_name,
                subject: input.subject,
                body: input.body,
                attachments: attachments(input.attachments),
                ticket_id: parse_opt_id(input.ticket_id.as_ref(), "ticketId")?,
            },
        )
        .await?;
        let sees_internal = t.sees_internal;
        Ok(IngestInboundMessagePayload {
            ticket: SupportTicket::one(t),
            message: SupportTicketMessage::new(m, sees_internal),
        })
    }

    /// Creates a client (`clients.manage`).
    async fn create_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new client.")] input: CreateClientInput,
    ) -> Result<ClientPayload> {
        let new = clients::NewClient {
            display_name: input.display_name,
            data: input.data.map(|j| j.0),
            external_ids: input
                .external_ids
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.kind, e.value))
                .collect(),
        };
        let c = clients::create(app(ctx)?, viewer(ctx), new).await?;
        Ok(ClientPayload { client: Client(c) })
    }

    /// Renames a client or replaces its data (`clients.manage`).
    async fn update_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client and the fields to change.")] input: UpdateClientInput,
    ) -> Result<ClientPayload> {
        let c = clients::update(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.client_id, "clientId")?,
            input.display_name,
            input.data.map(|j| j.0),
        )
        .await?;
        Ok(ClientPayload { client: Client(c) })
    }

    /// Adds a channel identity to a client (`clients.manage`).
    async fn add_client_external_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client and the identity to add.")] input: ClientExternalIdInput,
    ) -> Result<ClientPayload> {
        let c = clients::add_external_id(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.client_id, "clientId")?,
            input.kind,
            &input.value,
        )
        .await?;
        Ok(ClientPayload { client: Client(c) })
    }

    /// Removes a channel identity from a client (`clients.manage`).
    async fn remove_client_external_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client and the identity to remove.")] input: ClientExternalIdInput,
    ) -> Result<ClientPayload> {
        let c = clients::remove_external_id(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.client_id, "clientId")?,
            input.kind,
            &input.value,
        )
        .await?;
        Ok(ClientPayload { client: Client(c) })
    }

    /// Merges two clients: tickets and identities move to the target
    /// (`clients.manage`, and every ticket of both within your reach).
    async fn merge_clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client to merge and the one to merge it into.")] input: MergeClientsInput,
    ) -> Result<ClientPayload> {
        let c = clients::merge(
            app(ctx)?,
            viewer(ctx),
            parse_id(&input.source_id, "sourceId")?,
            parse_id(&input.target_id, "targetId")?,
        )
        .await?;
        Ok(ClientPayload { client: Client(c) })
    }
}
