//! Live ticket events. Who may open a subscription and which events reach
//! it (re-checked per event) is decided in `service::support::live`; this
//! only maps the service's items to GraphQL types.

use async_graphql::{Context, Result, Subscription, ID};
use futures::{Stream, StreamExt};

use super::types::{SupportTicket, SupportTicketMessage};
use crate::app::Ctx;
use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::convert::{parse_id, parse_opt_id};
use crate::service::support::live;
use crate::service::support::shared::SeenTicket;

fn app_ctx(ctx: &Context<'_>) -> Result<Ctx, AppError> {
    ctx.data::<Ctx>()
        .cloned()
        .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))
}

/// Live ticket events: only what you could read by query (an internal
/// note, or the change it makes, reaches staff only); losing access ends
/// the stream with an error.
#[derive(Default)]
pub struct SupportSubscription;

#[Subscription]
impl SupportSubscription {
    /// New messages of a ticket you may see (internal notes for staff only).
    async fn ticket_message_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket to follow.")] ticket_id: ID,
    ) -> Result<impl Stream<Item = Result<SupportTicketMessage>> + use<>> {
        let id = parse_id(&ticket_id, "ticketId")?;
        let (stream, sees_internal) = live::messages(app_ctx(ctx)?, viewer(ctx).clone(), id).await?;
        Ok(stream.map(move |item| {
            item.map(|m| SupportTicketMessage::new(m, sees_internal))
                .map_err(Into::into)
        }))
    }

    /// Changes to one ticket, or (without an id) to every ticket you may
    /// see: only changes you could read by query (an internal note reaches
    /// staff only).
    async fn ticket_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket to follow; omit it to follow every ticket you may see.")] ticket_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<SupportTicket>> + use<>> {
        let id = parse_opt_id(ticket_id.as_ref(), "ticketId")?;
        let (stream, sees_internal) = live::ticket_updates(app_ctx(ctx)?, viewer(ctx).clone(), id).await?;
        Ok(stream.map(move |item| {
            item.map(|t| {
                SupportTicket::one(SeenTicket {
                    model: t,
                    sees_internal,
                })
            })
            .map_err(Into::into)
        }))
    }
}
