//! The event bus: in-process by default, a Redis stream between instances
//! when `REDIS_URL` is set. Domains never publish directly: they queue
//! events on their [`Tx`], which writes them into the outbox table inside
//! the same transaction (`super::outbox`); one relay per deployment then
//! moves committed rows to the bus in commit order. No request waits on
//! Redis, and an event is on the bus if and only if its transaction
//! committed.
//!
//! Between instances the bus is a capped Redis stream rather than pub/sub:
//! a listener that lost its connection resumes after the last entry it read,
//! so events relayed while it was reconnecting are not lost. Relayed events
//! carry their outbox sequence number, and a listener drops any number it
//! has already passed (a relay that took over after a crash re-sends what
//! its predecessor may have sent).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::Stream;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};
use tokio_stream::wrappers::BroadcastStream;
use tokio_util::sync::CancellationToken;

use super::redis::RedisLink;
pub use super::tx::Tx;

/// The Redis stream all instances share.
const STREAM: &str = "switchboard:event-stream";
/// Entries the stream keeps (approximately): enough for any listener that
/// reconnects within seconds, small enough to bound Redis memory.
const STREAM_MAXLEN: usize = 10_000;
/// How long one blocking read waits before it is issued again.
const READ_BLOCK_MS: u64 = 1_000;
/// Buffered events per topic before a slow subscriber starts missing some.
/// Every topic with a live subscriber preallocates this many slots (about
/// 40 bytes each), so it is kept modest: 1024 cost about 40 KiB per idle
/// subscribed socket on a topic of its own (issue 9, bench/memory.rs).
const TOPIC_CAPACITY: usize = 128;

/// Something that happened, addressed by topic (such as `ticket:<id>`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Event {
    pub topic: String,
    pub payload: serde_json::Value,
    /// Outbox sequence number, set by the relay: the delivery order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// Which outbox `seq` counts in (the database), set by the relay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl Event {
    pub fn new(topic: impl Into<String>, payload: serde_json::Value) -> Self {
        Event {
            topic: topic.into(),
            payload,
            seq: None,
            origin: None,
        }
    }

    /// An event carrying a domain's typed event (`service::<d>::events`),
    /// serialised with serde for the bus.
    pub fn typed<T: serde::Serialize>(topic: impl Into<String>, event: &T) -> Self {
        // A derived `Serialize` of plain data cannot fail; should one ever,
        // the event is sent empty and every subscriber skips it.
        Event::new(topic, serde_json::to_value(event).unwrap_or(serde_json::Value::Null))
    }

    /// The typed event this carries, or `None` when it is another domain's
    /// (or an older shape): subscribers match on variants, not strings.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        T::deserialize(&self.payload).ok()
    }
}

/// Local fan-out: one broadcast channel per topic with live subscribers.
#[derive(Default)]
struct Topics {
    senders: Mutex<HashMap<String, broadcast::Sender<Arc<Event>>>>,
}

impl Topics {
    fn subscribe(&self, topic: &str) -> broadcast::Receiver<Arc<Event>> {
        let mut map = self.senders.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 4096 {
            // Topics whose subscribers all left and that saw no event since.
            map.retain(|_, sender| sender.receiver_count() > 0);
        }
        map.entry(topic.to_string())
            .or_insert_with(|| broadcast::channel(TOPIC_CAPACITY).0)
            .subscribe()
    }

    /// Drops `topic`'s channel (and its preallocated buffer) once its last
    /// subscriber has gone, so closed sockets leave nothing behind.
    fn forget_if_unused(&self, topic: &str) {
        let mut map = self.senders.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(topic).is_some_and(|sender| sender.receiver_count() == 0) {
            map.remove(topic);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.senders.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn deliver(&self, event: Arc<Event>) {
        let mut map = self.senders.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = map.get(&event.topic) {
            if sender.send(event.clone()).is_err() {
                // Nobody listens any more: forget the topic.
                map.remove(&event.topic);
            }
        }
    }
}

/// A topic's broadcast stream that forgets the topic when the last
/// subscriber drops it.
struct TopicReceiver {
    inner: Option<BroadcastStream<Arc<Event>>>,
    topics: Arc<Topics>,
    topic: String,
}

impl Stream for TopicReceiver {
    type Item = <BroadcastStream<Arc<Event>> as Stream>::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        match self.inner.as_mut() {
            Some(inner) => inner.poll_next_unpin(cx),
            None => std::task::Poll::Ready(None),
        }
    }
}

impl Drop for TopicReceiver {
    fn drop(&mut self) {
        // The receiver first, so the count below no longer includes it.
        drop(self.inner.take());
        self.topics.forget_if_unused(&self.topic);
    }
}

enum Transport {
    Local,
    Redis {
        link: RedisLink,
        /// The listener holds a working connection.
        listening: Arc<AtomicBool>,
    },
}

/// Publishes events and hands out topic streams. Cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    topics: Arc<Topics>,
    transport: Arc<Transport>,
    /// Wakes this instance's outbox relay when a local commit queued events.
    relay_wake: Arc<Notify>,
}

/// How the bus is doing, for readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusHealth {
    /// In-process bus: always fine.
    Local,
    /// Redis answers and the listener is connected.
    Ok,
    /// Redis does not answer: writes go on (events wait in the outbox),
    /// live updates from other instances pause until it returns.
    Degraded,
}

impl EventBus {
    /// A bus that only reaches subscribers of this process: for a single
    /// instance (with several, only the relay's instance would hear events).
    pub fn in_process() -> Self {
        EventBus {
            topics: Arc::new(Topics::default()),
            transport: Arc::new(Transport::Local),
            relay_wake: Arc::new(Notify::new()),
        }
    }

    /// A bus that reaches subscribers on every instance sharing `link`'s
    /// Redis. Never waits for Redis longer than the link's timeout: when
    /// Redis is down the bus starts degraded and the listener connects (and
    /// reconnects) on its own until `shutdown` fires.
    pub async fn redis(link: RedisLink, shutdown: CancellationToken) -> Self {
        let topics = Arc::new(Topics::default());
        let listening = Arc::new(AtomicBool::new(false));
        // Read from the current end of the stream, fixed now, so no event
        // relayed after this call is missed by this instance. With Redis
        // down, from now by the clock: entry ids are Redis's time in ms, so
        // whatever is relayed from now on (by Redis's clock, which should
        // agree with ours) is read once Redis answers.
        let start = last_stream_id(&link).await;
        let first = match start {
            Some(_) => tokio::time::timeout(link.timeout(), listener_connection(&link))
                .await
                .ok()
                .and_then(Result::ok),
            None => None,
        };
        let start = start.or_else(|| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            Some(format!("{}-0", now.as_millis()))
        });
        listening.store(first.is_some(), Ordering::Relaxed);
        tokio::spawn(listen(
            link.clone(),
            start,
            first,
            topics.clone(),
            listening.clone(),
            shutdown,
        ));
        EventBus {
            topics,
            transport: Arc::new(Transport::Redis { link, listening }),
            relay_wake: Arc::new(Notify::new()),
        }
    }

    /// True when events cross instances.
    pub fn is_distributed(&self) -> bool {
        matches!(*self.transport, Transport::Redis { .. })
    }

    /// Puts `event` on the bus now. Only the outbox relay calls this;
    /// domains queue events on their [`Tx`]. Fails fast while Redis is down.
    pub async fn publish(&self, event: Event) -> anyhow::Result<()> {
        match &*self.transport {
            Transport::Local => {
                self.topics.deliver(Arc::new(event));
                Ok(())
            }
            Transport::Redis { link, .. } => {
                let body = serde_json::to_string(&event)?;
                link.run("publish", |mut conn| async move {
                    redis::cmd("XADD")
                        .arg(STREAM)
                        .arg("MAXLEN")
                        .arg("~")
                        .arg(STREAM_MAXLEN)
                        .arg("*")
                        .arg("e")
                        .arg(body)
                        .query_async::<String>(&mut conn)
                        .await
                })
                .await?;
                Ok(())
            }
        }
    }

    /// Events of `topic` from now on. A subscriber that falls more than
    /// the buffer behind skips the missed events (logged) rather than
    /// stalling everyone else.
    pub fn subscribe(&self, topic: &str) -> impl Stream<Item = Arc<Event>> + Send + 'static {
        let topic_name = topic.to_string();
        let receiver = TopicReceiver {
            inner: Some(BroadcastStream::new(self.topics.subscribe(topic))),
            topics: self.topics.clone(),
            topic: topic.to_string(),
        };
        receiver.filter_map(move |item| {
            let topic_name = topic_name.clone();
            async move {
                match item {
                    Ok(event) => Some(event),
                    Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(n)) => {
                        tracing::warn!(topic = %topic_name, missed = n, "slow subscriber skipped events");
                        None
                    }
                }
            }
        })
    }

    /// Pings Redis when configured, for readiness.
    pub async fn ping(&self, timeout: Duration) -> Result<(), String> {
        match &*self.transport {
            Transport::Local => Ok(()),
            Transport::Redis { link, .. } => match tokio::time::timeout(timeout, link.ping()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("timed out".into()),
            },
        }
    }

    /// Whether events currently cross instances (see [`BusHealth`]).
    pub async fn health(&self, timeout: Duration) -> BusHealth {
        match &*self.transport {
            Transport::Local => BusHealth::Local,
            Transport::Redis { listening, .. } => {
                let pinged = self.ping(timeout).await.is_ok();
                if pinged && listening.load(Ordering::Relaxed) {
                    BusHealth::Ok
                } else {
                    BusHealth::Degraded
                }
            }
        }
    }

    /// Wakes the outbox relay of this instance (after a commit with events).
    pub fn wake_relay(&self) {
        self.relay_wake.notify_one();
    }

    /// Resolves when [`EventBus::wake_relay`] was called (or had been since
    /// the last wait).
    pub async fn relay_woken(&self) {
        self.relay_wake.notified().await
    }
}

/// The id of the stream's newest entry ("0-0" when empty), or `None` when
/// Redis does not answer.
async fn last_stream_id(link: &RedisLink) -> Option<String> {
    link.run("reading the event stream position", |mut conn| async move {
        let reply: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
            .arg(STREAM)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut conn)
            .await?;
        Ok(reply
            .ids
            .into_iter()
            .next()
            .map(|e| e.id)
            .unwrap_or_else(|| "0-0".into()))
    })
    .await
    .ok()
}

/// Drops events whose outbox sequence this listener has already passed.
#[derive(Default)]
struct Seen {
    last: HashMap<String, i64>,
}

impl Seen {
    /// True when `event` is new (and remembers it).
    fn admit(&mut self, event: &Event) -> bool {
        let (Some(origin), Some(seq)) = (&event.origin, event.seq) else {
            return true;
        };
        if self.last.len() > 1024 && !self.last.contains_key(origin) {
            self.last.clear();
        }
        match self.last.get(origin) {
            Some(&last) if seq <= last => false,
            _ => {
                self.last.insert(origin.clone(), seq);
                true
            }
        }
    }
}

/// A connection of the listener's own: its blocking reads must not hold
/// up the shared one.
async fn listener_connection(link: &RedisLink) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(link.timeout().max(Duration::from_millis(500)))
        .set_response_timeout(Duration::from_millis(READ_BLOCK_MS) + link.timeout() + Duration::from_secs(1));
    link.client()
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

async fn listen(
    link: RedisLink,
    mut last_id: Option<String>,
    mut first: Option<redis::aio::MultiplexedConnection>,
    topics: Arc<Topics>,
    listening: Arc<AtomicBool>,
    shutdown: CancellationToken,
) {
    let mut seen = Seen::default();
    let mut backoff = Duration::from_millis(100);
    let mut was_down = false;
    loop {
        let connected = match first.take() {
            Some(conn) => Ok(conn),
            None => tokio::select! {
                _ = shutdown.cancelled() => return,
                c = listener_connection(&link) => c,
            },
        };
        let mut conn = match connected {
            Ok(c) => c,
            Err(e) => {
                listening.store(false, Ordering::Relaxed);
                if !was_down {
                    tracing::error!(error = %e, "event bus cannot reach Redis; retrying");
                    was_down = true;
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        if last_id.is_none() {
            last_id = last_stream_id(&link).await;
            if last_id.is_none() {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                continue;
            }
        }
        listening.store(true, Ordering::Relaxed);
        backoff = Duration::from_millis(100);
        if was_down {
            tracing::info!("event bus reconnected to Redis");
        }
        loop {
            let from = last_id.clone().unwrap_or_else(|| "0-0".into());
            let mut cmd = redis::cmd("XREAD");
            cmd.arg("COUNT")
                .arg(512)
                .arg("BLOCK")
                .arg(READ_BLOCK_MS)
                .arg("STREAMS")
                .arg(STREAM)
                .arg(&from);
            let read = tokio::select! {
                _ = shutdown.cancelled() => return,
                r = cmd.query_async::<Option<redis::streams::StreamReadReply>>(&mut conn) => r,
            };
            match read {
                Ok(None) => {}
                Ok(Some(reply)) => {
                    for entry in reply.keys.into_iter().flat_map(|k| k.ids) {
                        last_id = Some(entry.id.clone());
                        let body: Option<String> = entry.get("e");
                        let Some(body) = body else {
                            tracing::warn!("event stream entry without a body");
                            continue;
                        };
                        match serde_json::from_str::<Event>(&body) {
                            Ok(event) => {
                                if seen.admit(&event) {
                                    topics.deliver(Arc::new(event));
                                }
                            }
                            Err(e) => tracing::warn!(error = %e, "malformed event on the bus"),
                        }
                    }
                }
                Err(e) => {
                    listening.store(false, Ordering::Relaxed);
                    tracing::warn!(error = %e, "event bus lost its Redis connection");
                    was_down = true;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relayed(origin: &str, seq: i64) -> Event {
        Event {
            seq: Some(seq),
            origin: Some(origin.into()),
            ..Event::new("t", serde_json::json!({}))
        }
    }

    #[test]
    fn a_listener_drops_sequence_numbers_it_has_passed() {
        let mut seen = Seen::default();
        assert!(seen.admit(&relayed("a", 1)));
        assert!(seen.admit(&relayed("a", 2)));
        assert!(!seen.admit(&relayed("a", 2)));
        assert!(!seen.admit(&relayed("a", 1)));
        assert!(seen.admit(&relayed("b", 1)));
        assert!(seen.admit(&relayed("a", 3)));
        assert!(seen.admit(&Event::new("t", serde_json::json!({}))));
    }

    #[tokio::test]
    async fn a_topic_is_forgotten_when_its_last_subscriber_leaves() {
        let bus = EventBus::in_process();
        let a = bus.subscribe("ticket:a");
        let a2 = bus.subscribe("ticket:a");
        let b = bus.subscribe("ticket:b");
        assert_eq!(bus.topics.len(), 2);
        drop(a);
        assert_eq!(bus.topics.len(), 2, "ticket:a still has a subscriber");
        drop(b);
        assert_eq!(bus.topics.len(), 1);
        let mut a2 = Box::pin(a2);
        bus.publish(Event::new("ticket:a", serde_json::json!({"n": 1})))
            .await
            .unwrap();
        assert_eq!(
            a2.next().await.map(|e| e.payload["n"].clone()),
            Some(serde_json::json!(1))
        );
        drop(a2);
        assert_eq!(bus.topics.len(), 0, "no channel outlives its subscribers");
    }
}
