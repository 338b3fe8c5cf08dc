//! The event bus: in-process by default, Redis pub/sub between instances
//! when `REDIS_URL` is set. Domains publish through [`Tx`], which releases
//! events only after its transaction commits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{Stream, StreamExt};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_util::sync::CancellationToken;

/// The Redis channel all instances share.
const CHANNEL: &str = "switchboard:events";
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
}

impl Event {
    pub fn new(topic: impl Into<String>, payload: serde_json::Value) -> Self {
        Event {
            topic: topic.into(),
            payload,
        }
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
    Redis { publisher: redis::aio::ConnectionManager },
}

/// Publishes events and hands out topic streams. Cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    topics: Arc<Topics>,
    transport: Arc<Transport>,
}

impl EventBus {
    /// A bus that only reaches subscribers of this process.
    pub fn in_process() -> Self {
        EventBus {
            topics: Arc::new(Topics::default()),
            transport: Arc::new(Transport::Local),
        }
    }

    /// A bus that reaches subscribers on every instance sharing `url`.
    /// The listener reconnects on its own until `shutdown` fires.
    pub async fn redis(url: &str, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let publisher = redis::aio::ConnectionManager::new(client.clone()).await?;
        let topics = Arc::new(Topics::default());
        // Subscribe before returning so no event published after this call
        // is missed by this instance.
        let pubsub = subscribe(&client).await?;
        tokio::spawn(listen(client, pubsub, topics.clone(), shutdown));
        Ok(EventBus {
            topics,
            transport: Arc::new(Transport::Redis { publisher }),
        })
    }

    /// True when events cross instances.
    pub fn is_distributed(&self) -> bool {
        matches!(*self.transport, Transport::Redis { .. })
    }

    /// Publishes now. Domains call [`Tx::publish_after_commit`] instead.
    pub async fn publish(&self, event: Event) -> anyhow::Result<()> {
        match &*self.transport {
            Transport::Local => {
                self.topics.deliver(Arc::new(event));
                Ok(())
            }
            Transport::Redis { publisher } => {
                let body = serde_json::to_string(&event)?;
                let mut conn = publisher.clone();
                redis::cmd("PUBLISH")
                    .arg(CHANNEL)
                    .arg(body)
                    .query_async::<i64>(&mut conn)
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
            Transport::Redis { publisher } => {
                let mut conn = publisher.clone();
                let ping = redis::cmd("PING");
                let probe = ping.query_async::<String>(&mut conn);
                match tokio::time::timeout(timeout, probe).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("timed out".into()),
                }
            }
        }
    }
}

async fn subscribe(client: &redis::Client) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    Ok(pubsub)
}

async fn listen(client: redis::Client, first: redis::aio::PubSub, topics: Arc<Topics>, shutdown: CancellationToken) {
    let mut pubsub = Some(first);
    let mut backoff = Duration::from_millis(100);
    loop {
        let current = match pubsub.take() {
            Some(p) => p,
            None => match subscribe(&client).await {
                Ok(p) => {
                    tracing::info!("event bus reconnected to Redis");
                    backoff = Duration::from_millis(100);
                    p
                }
                Err(e) => {
                    tracing::error!(error = %e, "event bus cannot reach Redis; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
        };
        let mut messages = current.into_on_message();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                msg = messages.next() => match msg {
                    Some(msg) => {
                        let body: String = match msg.get_payload() {
                            Ok(b) => b,
                            Err(e) => {
                                tracing::warn!(error = %e, "unreadable event");
                                continue;
                            }
                        };
                        match serde_json::from_str::<Event>(&body) {
                            Ok(event) => topics.deliver(Arc::new(event)),
                            Err(e) => tracing::warn!(error = %e, "malformed event on the bus"),
                        }
                    }
                    None => {
                        tracing::warn!("event bus lost its Redis subscription");
                        break;
                    }
                }
            }
        }
    }
}

/// A database transaction that carries the events it caused, released to
/// the bus only once the transaction commits (and dropped on rollback).
pub struct Tx {
    txn: DatabaseTransaction,
    events: Mutex<Vec<Event>>,
}

impl Tx {
    /// Begins a transaction on `db`.
    pub async fn begin(db: &DatabaseConnection) -> Result<Self, DbErr> {
        Ok(Tx {
            txn: db.begin().await?,
            events: Mutex::new(Vec::new()),
        })
    }

    /// Queues `event` for publication after a successful commit.
    pub fn publish_after_commit(&self, event: Event) {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }

    /// Commits, then publishes the queued events. A publish failure after
    /// the commit is logged: the data is safe, only the live update is lost.
    pub async fn commit(self, bus: &EventBus) -> Result<(), DbErr> {
        let events = self.events.into_inner().unwrap_or_else(|p| p.into_inner());
        self.txn.commit().await?;
        for event in events {
            if let Err(e) = bus.publish(event).await {
                tracing::error!(error = %e, "publishing an event after commit failed");
            }
        }
        Ok(())
    }

    /// Rolls back and drops the queued events.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
