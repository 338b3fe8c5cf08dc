//! The live ticket subscriptions: who may open one, and the stream that
//! re-checks every event for its subscriber ([`events::ticket_update_for`],
//! [`events::message_for`]) by the rule of the queries. An internal note
//! (or the change it makes) never reaches a customer, and a subscriber who
//! loses access (signed out, moved out of the department, role revoked) is
//! told once and dropped. The GraphQL layer only maps the items.

use std::future::Future;
use std::sync::Arc;

use entity::{support_ticket_messages, support_tickets};
use futures::{Stream, StreamExt};
use uuid::Uuid;

use super::events::{self, Delivery};
use super::visibility;
use crate::app::Ctx;
use crate::error::{AppError, AppResult};
use crate::infra::events::Event;
use crate::service::identity::Viewer;

/// Runs `check` on each event of `topic`; ends after the first `End`.
fn guarded<T, F, Fut>(app: Ctx, topic: &str, check: F) -> impl Stream<Item = AppResult<T>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(Ctx, Arc<Event>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Delivery<T>> + Send,
{
    let events = Box::pin(app.bus.subscribe(topic));
    let check = Arc::new(check);
    futures::stream::unfold((events, false), move |(mut events, ended)| {
        let app = app.clone();
        let check = check.clone();
        async move {
            if ended {
                return None;
            }
            loop {
                let event = events.next().await?;
                match check(app.clone(), event).await {
                    Delivery::Deliver(item) => return Some((Ok(item), (events, false))),
                    Delivery::Skip => continue,
                    Delivery::End(e) => return Some((Err::<T, AppError>(e), (events, true))),
                }
            }
        }
    })
}

/// New messages of `ticket` for `viewer`, who must see the ticket now
/// (`NOT_FOUND` otherwise); internal notes for staff only. The second value
/// says whether the viewer reads internal notes.
pub async fn messages(
    app: Ctx,
    viewer: Viewer,
    ticket: Uuid,
) -> AppResult<(
    impl Stream<Item = AppResult<support_ticket_messages::Model>> + Send + 'static,
    bool,
)> {
    let (_, scope) = visibility::visible_ticket(&app.db.primary, &viewer, ticket).await?;
    let sees_internal = scope.sees_internal();
    let topic = events::ticket_topic(ticket);
    let stream = guarded(app, &topic, move |app, event| {
        let viewer = viewer.clone();
        let scope = scope.clone();
        async move { events::message_for(&app.db.primary, &viewer, &scope, &event, ticket).await }
    });
    Ok((stream, sees_internal))
}

/// Changes to one ticket (`only`), or to every ticket `viewer` may see;
/// only changes they could read by query. The second value says whether
/// the viewer reads internal notes.
pub async fn ticket_updates(
    app: Ctx,
    viewer: Viewer,
    only: Option<Uuid>,
) -> AppResult<(
    impl Stream<Item = AppResult<support_tickets::Model>> + Send + 'static,
    bool,
)> {
    let (topic, scope) = match only {
        Some(id) => (
            events::ticket_topic(id),
            visibility::visible_ticket(&app.db.primary, &viewer, id).await?.1,
        ),
        None => (
            events::ALL_TICKETS.to_string(),
            visibility::scope(&app.db.primary, &viewer).await?,
        ),
    };
    let sees_internal = scope.sees_internal();
    let stream = guarded(app, &topic, move |app, event| {
        let viewer = viewer.clone();
        let scope = scope.clone();
        async move { events::ticket_update_for(&app.db.primary, &viewer, &scope, &event, only).await }
    });
    Ok((stream, sees_internal))
}
