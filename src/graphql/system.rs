//! Fields about the API itself rather than any domain.

use std::time::Duration;

use async_graphql::{Context, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::Stream;

use crate::app::Ctx;

/// Version and liveness of the API.
#[derive(Default)]
pub struct SystemQuery;

#[Object]
impl SystemQuery {
    /// The API version this server implements.
    async fn api_version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}

/// One beat of the heartbeat subscription.
#[derive(SimpleObject, Clone)]
pub struct Heartbeat {
    /// Server time of the beat.
    pub at: DateTime<Utc>,
    /// Beats sent on this subscription so far, starting at 1.
    pub sequence: i32,
    /// The server instance holding the socket (tells load-balanced
    /// instances apart).
    pub instance_id: String,
}

/// Subscriptions about the connection itself.
#[derive(Default)]
pub struct SystemSubscription;

#[Subscription]
impl SystemSubscription {
    /// A beat every `everySeconds` (1 to 3600): lets a client behind a proxy
    /// that drops idle sockets keep its socket busy, and lets monitoring
    /// probe the subscription path end to end.
    async fn heartbeat(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 15,
            validator(minimum = 1, maximum = 3600),
            desc = "Seconds between beats, from 1 to 3600."
        )]
        every_seconds: i32,
    ) -> impl Stream<Item = Heartbeat> + use<> {
        let instance_id = ctx.data_opt::<Ctx>().map(|c| c.instance_id.clone()).unwrap_or_default();
        let period = Duration::from_secs(every_seconds.max(1) as u64);
        futures::stream::unfold(0i32, move |seq| {
            let instance_id = instance_id.clone();
            async move {
                tokio::time::sleep(period).await;
                let next = seq.saturating_add(1);
                Some((
                    Heartbeat {
                        at: Utc::now(),
                        sequence: next,
                        instance_id,
                    },
                    next,
                ))
            }
        })
    }
}
