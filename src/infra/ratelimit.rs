//! Fixed-window counters for rate limits and failure counting: in Redis
//! when configured (shared by every instance), in process otherwise.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A counter store.
#[derive(Clone)]
pub enum RateLimiter {
    Local(Arc<Mutex<HashMap<String, (u64, Instant)>>>),
    Redis(redis::aio::ConnectionManager),
}

/// The limit was reached; retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after_secs: u64,
}

impl RateLimiter {
    pub fn local() -> Self {
        RateLimiter::Local(Arc::new(Mutex::new(HashMap::new())))
    }

    /// Adds one to `key`'s count in the current window of `window`, and
    /// returns the count after the increment with the seconds left in the
    /// window. A Redis failure counts as zero (fail open, logged) so that an
    /// outage of the cache does not lock everyone out.
    pub async fn increment(&self, key: &str, window: Duration) -> (u64, u64) {
        let window_secs = window.as_secs().max(1);
        match self {
            RateLimiter::Local(map) => {
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
            RateLimiter::Redis(conn) => {
                let mut conn = conn.clone();
                let full = format!("switchboard:rl:{key}");
                let result: redis::RedisResult<(u64, i64)> = redis::pipe()
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
                    .query_async(&mut conn)
                    .await;
                match result {
                    Ok((count, ttl)) => (count, ttl.max(1) as u64),
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limiter unavailable; allowing the request");
                        (0, window_secs)
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
            RateLimiter::Local(map) => {
                let map = map.lock().unwrap_or_else(|p| p.into_inner());
                map.get(key)
                    .filter(|(_, start)| start.elapsed() < window)
                    .map(|(c, _)| *c)
                    .unwrap_or(0)
            }
            RateLimiter::Redis(conn) => {
                let mut conn = conn.clone();
                redis::cmd("GET")
                    .arg(format!("switchboard:rl:{key}"))
                    .query_async::<Option<u64>>(&mut conn)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(0)
            }
        }
    }

    /// Forgets `key` (after a successful sign-in, say).
    pub async fn reset(&self, key: &str) {
        match self {
            RateLimiter::Local(map) => {
                map.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
            }
            RateLimiter::Redis(conn) => {
                let mut conn = conn.clone();
                let _ = redis::cmd("DEL")
                    .arg(format!("switchboard:rl:{key}"))
                    .query_async::<i64>(&mut conn)
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
}
