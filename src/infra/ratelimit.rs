//! Fixed-window counters for rate limits and failure counting: in Redis
//! when configured (shared by every instance), in process otherwise.
//!
//! Redis is used through a fail-fast [`RedisLink`]: when it does not answer
//! within its short timeout (or is known to be down), the count is taken
//! from a local fallback window instead, so limits keep holding per
//! instance during an outage and no sign-in waits for Redis.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::redis::RedisLink;

/// In-process fixed windows: key → (count, window start).
type LocalWindows = Arc<Mutex<HashMap<String, (u64, Instant)>>>;

/// A counter store.
#[derive(Clone)]
pub enum RateLimiter {
    Local(LocalWindows),
    Redis {
        link: RedisLink,
        /// Counts taken while Redis does not answer.
        fallback: LocalWindows,
        /// For logging the switch to the fallback once per outage.
        on_fallback: Arc<AtomicBool>,
    },
}

/// The limit was reached; retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after_secs: u64,
}

fn local_increment(map: &LocalWindows, key: &str, window: Duration) -> (u64, u64) {
    let window_secs = window.as_secs().max(1);
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    if map.len() > 100_000 {
        map.retain(|_, (_, start)| now.duration_since(*start) < window);
    }
    let entry = map.entry(key.to_string()).or_insert((0, now));
    if now.duration_since(entry.1) >= window {
        *entry = (0, now);
    }
    entry.0 += 1;
    let left = window_secs.saturating_sub(now.duration_since(entry.1).as_secs());
    (entry.0, left.max(1))
}

fn local_peek(map: &LocalWindows, key: &str, window: Duration) -> u64 {
    let map = map.lock().unwrap_or_else(|p| p.into_inner());
    map.get(key)
        .filter(|(_, start)| start.elapsed() < window)
        .map(|(c, _)| *c)
        .unwrap_or(0)
}

impl RateLimiter {
    pub fn local() -> Self {
        RateLimiter::Local(Arc::new(Mutex::new(HashMap::new())))
    }

    /// Counters shared through Redis, with a local fallback.
    pub fn redis(link: RedisLink) -> Self {
        RateLimiter::Redis {
            link,
            fallback: Arc::new(Mutex::new(HashMap::new())),
            on_fallback: Arc::new(AtomicBool::new(false)),
        }
    }

    fn note_fallback(flag: &AtomicBool, fell_back: bool) {
        let was = flag.swap(fell_back, Ordering::Relaxed);
        if fell_back && !was {
            tracing::warn!("rate limits use local counters while Redis does not answer");
        } else if !fell_back && was {
            tracing::info!("rate limits use Redis again");
        }
    }

    /// Adds one to `key`'s count in the current window of `window`, and
    /// returns the count after the increment with the seconds left in the
    /// window. When Redis does not answer in time, the local fallback
    /// counts instead (logged once per outage).
    pub async fn increment(&self, key: &str, window: Duration) -> (u64, u64) {
        let window_secs = window.as_secs().max(1);
        match self {
            RateLimiter::Local(map) => local_increment(map, key, window),
            RateLimiter::Redis {
                link,
                fallback,
                on_fallback,
            } => {
                let full = format!("switchboard:rl:{key}");
                let result = link
                    .run("rate limit", |mut conn| async move {
                        redis::pipe()
                            .atomic()
                            .cmd("INCR")
                            .arg(&full)
                            .cmd("EXPIRE")
                            .arg(&full)
                            .arg(window_secs)
                            .arg("NX")
                            .ignore()
                            .cmd("TTL")
                            .arg(&full)
                            .query_async::<(u64, i64)>(&mut conn)
                            .await
                    })
                    .await;
                match result {
                    Ok((count, ttl)) => {
                        Self::note_fallback(on_fallback, false);
                        (count, ttl.max(1) as u64)
                    }
                    Err(_) => {
                        Self::note_fallback(on_fallback, true);
                        local_increment(fallback, key, window)
                    }
                }
            }
        }
    }

    /// Counts a hit and refuses it once `limit` hits fell in the window.
    pub async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<(), Limited> {
        let (count, left) = self.increment(key, window).await;
        if count > limit {
            Err(Limited { retry_after_secs: left })
        } else {
            Ok(())
        }
    }

    /// The current count of `key` without changing it.
    pub async fn peek(&self, key: &str, window: Duration) -> u64 {
        match self {
            RateLimiter::Local(map) => local_peek(map, key, window),
            RateLimiter::Redis { link, fallback, .. } => {
                let full = format!("switchboard:rl:{key}");
                let shared = link
                    .run("rate limit", |mut conn| async move {
                        redis::cmd("GET").arg(full).query_async::<Option<u64>>(&mut conn).await
                    })
                    .await;
                match shared {
                    Ok(count) => count.unwrap_or(0),
                    Err(_) => local_peek(fallback, key, window),
                }
            }
        }
    }

    /// Forgets `key` (after a successful sign-in, say).
    pub async fn reset(&self, key: &str) {
        match self {
            RateLimiter::Local(map) => {
                map.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
            }
            RateLimiter::Redis { link, fallback, .. } => {
                fallback.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
                let full = format!("switchboard:rl:{key}");
                let _ = link
                    .run("rate limit", |mut conn| async move {
                        redis::cmd("DEL").arg(full).query_async::<i64>(&mut conn).await
                    })
                    .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_window_counts_and_resets() {
        let rl = RateLimiter::local();
        let w = Duration::from_secs(60);
        assert!(rl.hit("k", 2, w).await.is_ok());
        assert!(rl.hit("k", 2, w).await.is_ok());
        let e = rl.hit("k", 2, w).await.unwrap_err();
        assert!(e.retry_after_secs >= 1 && e.retry_after_secs <= 60);
        assert_eq!(rl.peek("k", w).await, 3);
        rl.reset("k").await;
        assert_eq!(rl.peek("k", w).await, 0);
    }

    #[tokio::test]
    async fn an_unreachable_redis_falls_back_to_local_counts_at_once() {
        // Nothing listens on port 1: every Redis call fails.
        let link = RedisLink::new("redis://127.0.0.1:1", Duration::from_millis(200)).expect("url");
        let rl = RateLimiter::redis(link);
        let w = Duration::from_secs(60);
        assert!(rl.hit("k", 2, w).await.is_ok());
        assert!(rl.hit("k", 2, w).await.is_ok());
        assert!(rl.hit("k", 2, w).await.is_err(), "the fallback still limits");
        assert_eq!(rl.peek("k", w).await, 3);
        rl.reset("k").await;
        assert_eq!(rl.peek("k", w).await, 0);
    }
}
