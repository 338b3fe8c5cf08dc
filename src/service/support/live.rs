//! The live ticket subscriptions: who may open one, and the stream that
//! re-checks every event for its subscriber ([`events::ticket_update_for`],
//! [`events::message_for`]) by the rule of the queries. An internal note
//! (or the change it makes) never reaches a customer, and a subscriber who
//! loses access (signed out, moved out of the department, role revoked) is
//! told once and dropped. The GraphQL layer only maps the items.
//!
//! The re-checks of one event are answered together: this instance's
//! subscribers of a topic are listed in a [`Topic`], and the first of them
//! to ask about an event checks every listed subscriber at once
//! ([`visibility::live_check_many`]: one statement per thousand distinct
//! subscribers, sockets of one session counting once); the others read
//! their share. Ten thousand sockets on a ticket cost one statement per
//! message, not ten thousand.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};

use entity::{support_ticket_messages, support_tickets};
use futures::{Stream, StreamExt};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::events::{self, Delivery};
use super::visibility::{self, LiveBatch, LiveCheck, LiveViewer, Scope};
use crate::app::Ctx;
use crate::error::{AppError, AppResult};
use crate::infra::events::Event;
use crate::service::identity::Viewer;

/// Events of a topic whose batched answers are kept for subscribers that
/// have not read them yet; one further behind checks alone.
const RECENT_EVENTS: usize = 16;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One instance's subscribers of one topic, and the answers to the topic's
/// recent events.
#[derive(Default)]
struct Topic {
    /// Distinct subscribers (and how many subscriptions each holds).
    viewers: Mutex<HashMap<LiveViewer, usize>>,
    recent: Mutex<VecDeque<Answered>>,
}

/// The batched answer about `ticket` for `event`, computed once.
struct Answered {
    /// Held so the pointer it is matched by stays unique.
    event: Arc<Event>,
    ticket: Uuid,
    /// `None` when the batch failed (each subscriber then checks alone).
    batch: Arc<OnceCell<Option<Arc<LiveBatch>>>>,
}

/// Topics by (instance, topic name). The instance is its context's address:
/// a topic lives only while it has members, and every member holds the
/// context, so no other context can have that address meanwhile.
type TopicKey = (usize, String);

static TOPICS: LazyLock<Mutex<HashMap<TopicKey, Weak<Topic>>>> = LazyLock::new(Default::default);

impl Topic {
    /// The answers for `event` about `ticket`: the first caller checks
    /// every listed subscriber, later ones wait for it and share the result.
    async fn answers(&self, app: &Ctx, event: &Arc<Event>, ticket: Uuid) -> Option<Arc<LiveBatch>> {
        let cell = {
            let mut recent = lock(&self.recent);
            match recent
                .iter()
                .find(|a| a.ticket == ticket && Arc::ptr_eq(&a.event, event))
            {
                Some(a) => a.batch.clone(),
                None => {
                    let batch = Arc::new(OnceCell::new());
                    recent.push_back(Answered {
                        event: event.clone(),
                        ticket,
                        batch: batch.clone(),
                    });
                    while recent.len() > RECENT_EVENTS {
                        recent.pop_front();
                    }
                    batch
                }
            }
        };
        cell.get_or_init(|| async {
            // Everyone who can have received the event is listed by now:
            // a subscription joins before it starts listening.
            let viewers: Vec<LiveViewer> = lock(&self.viewers).keys().copied().collect();
            match visibility::live_check_many(&app.db.primary, ticket, &viewers).await {
                Ok(batch) => Some(Arc::new(batch)),
                Err(e) => {
                    tracing::warn!(error = %e, "the batched live check failed; subscribers check alone");
                    None
                }
            }
        })
        .await
        .clone()
    }
}

/// One subscription's place in its topic; it leaves when dropped.
struct Member {
    app: Ctx,
    topic: Arc<Topic>,
    key: TopicKey,
    who: LiveViewer,
    viewer: Viewer,
    scope: Scope,
}

impl Member {
    /// Lists `viewer` among `topic`'s subscribers on this instance. Call it
    /// before subscribing to the bus, so every event the subscription can
    /// receive finds it listed.
    fn join(app: &Ctx, topic: &str, viewer: Viewer, scope: Scope) -> Arc<Member> {
        let key = (Arc::as_ptr(app) as usize, topic.to_string());
        let who = LiveViewer::of(&viewer, &scope);
        let mut all = lock(&TOPICS);
        let shared = match all.get(&key).and_then(Weak::upgrade) {
            Some(t) => t,
            None => {
                let t = Arc::new(Topic::default());
                all.insert(key.clone(), Arc::downgrade(&t));
                t
            }
        };
        *lock(&shared.viewers).entry(who).or_insert(0) += 1;
        drop(all);
        Arc::new(Member {
            app: app.clone(),
            topic: shared,
            key,
            who,
            viewer,
            scope,
        })
    }

    /// This subscriber's live check of `ticket` for `event`: its share of
    /// the event's batch, or a check of its own when it is not in it.
    async fn check(&self, event: &Arc<Event>, ticket: Uuid) -> AppResult<LiveCheck> {
        if let Some(batch) = self.topic.answers(&self.app, event, ticket).await {
            if let Some(check) = batch.get(&self.who) {
                return Ok(check);
            }
        }
        visibility::live_check(&self.app.db.primary, &self.viewer, &self.scope, ticket).await
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut all = lock(&TOPICS);
        let mut viewers = lock(&self.topic.viewers);
        if let Some(n) = viewers.get_mut(&self.who) {
            *n -= 1;
            if *n == 0 {
                viewers.remove(&self.who);
            }
        }
        if viewers.is_empty()
            && all
                .get(&self.key)
                .is_some_and(|w| w.as_ptr() == Arc::as_ptr(&self.topic))
        {
            all.remove(&self.key);
        }
    }
}

/// Joins `topic` and runs `check` on each of its events; ends after the
/// first `End`.
fn guarded<T, F, Fut>(
    app: Ctx,
    topic: &str,
    viewer: Viewer,
    scope: Scope,
    check: F,
) -> impl Stream<Item = AppResult<T>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(Arc<Member>, Arc<Event>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Delivery<T>> + Send,
{
    let member = Member::join(&app, topic, viewer, scope);
    let events = Box::pin(app.bus.subscribe(topic));
    let check = Arc::new(check);
    futures::stream::unfold((events, false), move |(mut events, ended)| {
        let member = member.clone();
        let check = check.clone();
        async move {
            if ended {
                return None;
            }
            loop {
                let event = events.next().await?;
                match check(member.clone(), event).await {
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
    let stream = guarded(app, &topic, viewer, scope, move |member, event| async move {
        events::message_for(|t| member.check(&event, t), &member.scope, &event, ticket).await
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
    let stream = guarded(app, &topic, viewer, scope, move |member, event| async move {
        events::ticket_update_for(|t| member.check(&event, t), &member.scope, &event, only).await
    });
    Ok((stream, sees_internal))
}
