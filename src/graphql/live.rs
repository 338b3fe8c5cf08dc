//! One shape for subscriptions decided per event: listen on a topic, ask
//! the domain for each event whether this subscriber may see it now
//! ([`Delivery`]), send what it allows, skip what is not theirs, and end
//! the stream with the error when access is gone.

use std::future::Future;
use std::sync::Arc;

use futures::{Stream, StreamExt};

use crate::app::Ctx;
use crate::infra::events::Event;
use crate::service::identity::Viewer;
use crate::service::support::events::Delivery;

/// The stream of `topic` for `viewer`, each event judged by `decide`.
pub fn deliveries<T, F, Fut>(
    app: Ctx,
    viewer: Viewer,
    topic: &str,
    decide: F,
) -> impl Stream<Item = async_graphql::Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(Ctx, Viewer, Arc<Event>) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = Delivery<T>> + Send,
{
    let stream = Box::pin(app.bus.subscribe(topic));
    futures::stream::unfold((stream, false), move |(mut stream, ended)| {
        let (app, viewer, decide) = (app.clone(), viewer.clone(), decide.clone());
        async move {
            if ended {
                return None;
            }
            loop {
                let event = stream.next().await?;
                match decide(app.clone(), viewer.clone(), event).await {
                    Delivery::Deliver(item) => return Some((Ok(item), (stream, false))),
                    Delivery::Skip => continue,
                    Delivery::End(e) => return Some((Err(e.into()), (stream, true))),
                }
            }
        }
    })
}
