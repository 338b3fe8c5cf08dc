//! One shared Redis connection that fails fast. Every use of Redis (rate
//! limits, the persisted-query cache, publishing events) goes through
//! [`RedisLink`], so an outage costs a request at most one short timeout:
//! after a failure the link stays "down" for a cool-down and callers take
//! their fallback at once, without touching the network. The first call
//! after the cool-down probes again, so the link recovers by itself.
//!
//! The underlying `ConnectionManager` is made lazily (the server starts
//! with Redis down) and with few, short reconnection attempts: its
//! defaults retry for many seconds, which is what made every write wait
//! for Redis.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Redis could not serve a call in time; the caller takes its fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisDown;

impl std::fmt::Display for RedisDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("redis unavailable")
    }
}

impl std::error::Error for RedisDown {}

struct Inner {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    /// Longest wait of one call (connecting included).
    timeout: Duration,
    /// How long the link stays down after a failure before probing again.
    cooldown: Duration,
    /// Milliseconds since `epoch` until which calls fail at once; 0 = up.
    down_until_ms: AtomicU64,
    epoch: Instant,
    /// For logging transitions once rather than on every call.
    reported_down: AtomicBool,
}

/// A fail-fast handle on one Redis server. Cheap to clone.
#[derive(Clone)]
pub struct RedisLink {
    inner: Arc<Inner>,
}

impl RedisLink {
    /// A link to `url`; nothing is connected until the first call.
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        Ok(RedisLink {
            inner: Arc::new(Inner {
                client,
                conn: tokio::sync::Mutex::new(None),
                timeout,
                cooldown: Duration::from_secs(1),
                down_until_ms: AtomicU64::new(0),
                epoch: Instant::now(),
                reported_down: AtomicBool::new(false),
            }),
        })
    }

    /// The client, for connections that must not share the multiplexed one
    /// (blocking reads of the event listener).
    pub fn client(&self) -> &redis::Client {
        &self.inner.client
    }

    /// The per-call timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// True unless a recent call failed (the cool-down has not passed).
    pub fn is_up(&self) -> bool {
        self.now_ms() >= self.inner.down_until_ms.load(Ordering::Relaxed)
    }

    fn now_ms(&self) -> u64 {
        self.inner.epoch.elapsed().as_millis() as u64 + 1
    }

    fn mark_down(&self, what: &str, reason: &str) {
        let until = self.now_ms() + self.inner.cooldown.as_millis() as u64;
        self.inner.down_until_ms.store(until, Ordering::Relaxed);
        if !self.inner.reported_down.swap(true, Ordering::Relaxed) {
            tracing::warn!(during = what, error = %reason, "redis unavailable; using fallbacks until it answers again");
        }
    }

    fn mark_up(&self) {
        self.inner.down_until_ms.store(0, Ordering::Relaxed);
        if self.inner.reported_down.swap(false, Ordering::Relaxed) {
            tracing::info!("redis answers again");
        }
    }

    async fn connection(&self) -> Result<ConnectionManager, String> {
        let mut slot = self.inner.conn.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.inner.timeout)
            .set_response_timeout(self.inner.timeout)
            .set_number_of_retries(1)
            .set_factor(50)
            .set_max_delay(500);
        let conn = ConnectionManager::new_with_config(self.inner.client.clone(), config)
            .await
            .map_err(|e| e.to_string())?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Runs `call` on the shared connection within the timeout. While the
    /// link is down this returns [`RedisDown`] at once. `what` names the
    /// use in the log line of the first failure.
    pub async fn run<T, F, Fut>(&self, what: &str, call: F) -> Result<T, RedisDown>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if !self.is_up() {
            return Err(RedisDown);
        }
        let attempt = async {
            let conn = self.connection().await?;
            call(conn).await.map_err(|e| e.to_string())
        };
        match tokio::time::timeout(self.inner.timeout, attempt).await {
            Ok(Ok(value)) => {
                self.mark_up();
                Ok(value)
            }
            Ok(Err(reason)) => {
                self.mark_down(what, &reason);
                Err(RedisDown)
            }
            Err(_) => {
                self.mark_down(what, "timed out");
                Err(RedisDown)
            }
        }
    }

    /// `PING`, for readiness.
    pub async fn ping(&self) -> Result<(), RedisDown> {
        self.run("ping", |mut conn| async move {
            redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ())
        })
        .await
    }
}
