//! Automatic persisted queries (Apollo's APQ protocol): a client sends the
//! SHA-256 of a query instead of its text once the server has seen it. The
//! cache is shared through Redis when configured, so a query registered on
//! one instance is known to all. Redis is reached through a fail-fast
//! [`RedisLink`] with a local cache in front: while Redis does not answer,
//! lookups use what this instance has seen (a miss makes the client send
//! the full text, as the protocol provides) and no request waits for Redis.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::{ErrorExtensionValues, Request, ServerError, ServerResult};
use sha2::{Digest, Sha256};

use crate::infra::redis::RedisLink;

/// Largest query text the cache accepts.
const MAX_QUERY_BYTES: usize = 64 * 1024;
/// Entries of the local cache in front of Redis.
const LOCAL_CAPACITY: usize = 2_000;

type Lru = Arc<Mutex<lru::LruCache<String, String>>>;

fn lru(capacity: usize) -> Lru {
    let cap = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
    Arc::new(Mutex::new(lru::LruCache::new(cap)))
}

/// Where persisted query texts live.
#[derive(Clone)]
pub enum QueryStore {
    /// This process only.
    Memory(Lru),
    /// Shared by every instance, each entry kept for `ttl`; `local` holds
    /// recently seen texts so lookups need Redis only on a local miss.
    Redis { link: RedisLink, ttl: Duration, local: Lru },
}

impl QueryStore {
    pub fn memory(capacity: usize) -> Self {
        QueryStore::Memory(lru(capacity))
    }

    /// The shared store.
    pub fn redis(link: RedisLink, ttl: Duration) -> Self {
        QueryStore::Redis {
            link,
            ttl,
            local: lru(LOCAL_CAPACITY),
        }
    }

    async fn get(&self, hash: &str) -> Option<String> {
        match self {
            QueryStore::Memory(cache) => cache.lock().unwrap_or_else(|p| p.into_inner()).get(hash).cloned(),
            QueryStore::Redis { link, local, .. } => {
                if let Some(text) = local.lock().unwrap_or_else(|p| p.into_inner()).get(hash).cloned() {
                    return Some(text);
                }
                let key = format!("switchboard:apq:{hash}");
                let found = link
                    .run("persisted query lookup", |mut conn| async move {
                        redis::cmd("GET")
                            .arg(key)
                            .query_async::<Option<String>>(&mut conn)
                            .await
                    })
                    .await
                    .ok()
                    .flatten();
                if let Some(text) = &found {
                    local
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .put(hash.to_string(), text.clone());
                }
                found
            }
        }
    }

    async fn set(&self, hash: String, query: String) {
        match self {
            QueryStore::Memory(cache) => {
                cache.lock().unwrap_or_else(|p| p.into_inner()).put(hash, query);
            }
            QueryStore::Redis { link, ttl, local } => {
                local
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .put(hash.clone(), query.clone());
                let key = format!("switchboard:apq:{hash}");
                let ttl = ttl.as_secs().max(1);
                // A failure is logged by the link; the local copy still serves.
                let _ = link
                    .run("persisted query store", |mut conn| async move {
                        redis::cmd("SET")
                            .arg(key)
                            .arg(query)
                            .arg("EX")
                            .arg(ttl)
                            .query_async::<()>(&mut conn)
                            .await
                    })
                    .await;
            }
        }
    }
}

fn apq_error(message: &str, code: &str) -> ServerError {
    let mut err = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    err.extensions = Some(ext);
    err
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Resolves a request's `persistedQuery` extension: fills in the text of a
/// known hash, or remembers the text sent with its hash. Requests without
/// the extension pass unchanged. Run by the request guard, after the text
/// as sent was scanned.
pub async fn resolve(store: &QueryStore, mut request: Request) -> ServerResult<Request> {
    let Some(value) = request.extensions.remove("persistedQuery") else {
        return Ok(request);
    };
    let json = value.into_json().unwrap_or_default();
    let version = json.get("version").and_then(|v| v.as_i64());
    let hash = json
        .get("sha256Hash")
        .and_then(|v| v.as_str())
        .map(str::to_ascii_lowercase);
    let Some(hash) = hash.filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit())) else {
        return Err(apq_error(
            "persistedQuery needs version 1 and a sha256Hash",
            "BAD_USER_INPUT",
        ));
    };
    if version != Some(1) {
        return Err(apq_error("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED"));
    }
    if request.query.is_empty() {
        match store.get(&hash).await {
            Some(text) => request.query = text,
            None => return Err(apq_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")),
        }
    } else {
        if sha256_hex(&request.query) != hash {
            return Err(apq_error("provided sha does not match query", "BAD_USER_INPUT"));
        }
        // Only well-formed queries are worth remembering.
        if request.query.len() <= MAX_QUERY_BYTES && async_graphql::parser::parse_query(&request.query).is_ok() {
            store.set(hash, request.query.clone()).await;
        }
    }
    Ok(request)
}
