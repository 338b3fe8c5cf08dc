//! Bookkeeping of this instance's WebSocket connections: which session or
//! API key each socket runs as, so that the socket closes as soon as that
//! credential ends, and caps on anonymous sockets and running operations
//! per client.
//!
//! A socket costs one map entry and one [`Notify`] here. Ended credentials
//! are found two ways, neither of which costs anything per idle socket:
//! - transactions that end sessions, revoke API keys or suspend accounts
//!   send a PostgreSQL notification on commit
//!   ([`identity::CREDENTIALS_CHANNEL`], payload: the user); one listener
//!   per instance re-checks that user's sockets in one query;
//! - every `SWITCHBOARD_WS_SESSION_CHECK_SECS` (and after the listener
//!   reconnects, when notifications may have been missed) every watched
//!   credential is re-checked in batched queries, which also catches
//!   sessions and keys that simply expired.
//!
//! Access-token expiry needs no query: each socket has a timer (`ws.rs`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::app::Ctx;
use crate::service::identity;
use crate::service::identity::session_cache::{Change, SessionCache};

/// Watched credentials per batched query.
const CHECK_BATCH: usize = 5_000;

/// What a signed-in socket runs as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Credential {
    /// The session of an access token.
    Session(Uuid),
    /// An API key.
    ApiKey(Uuid),
}

struct Watched {
    user: Uuid,
    credential: Credential,
    ended: Arc<Notify>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    watched: HashMap<u64, Watched>,
    by_user: HashMap<Uuid, HashSet<u64>>,
    anonymous: HashMap<String, usize>,
    operations: HashMap<String, usize>,
}

impl Inner {
    fn unlink(&mut self, id: u64) -> Option<Watched> {
        let w = self.watched.remove(&id)?;
        if let Some(set) = self.by_user.get_mut(&w.user) {
            set.remove(&id);
            if set.is_empty() {
                self.by_user.remove(&w.user);
            }
        }
        Some(w)
    }
}

/// The sockets of one server instance (shared by its connections).
pub struct SocketRegistry {
    ctx: Ctx,
    inner: Mutex<Inner>,
    watcher_started: AtomicBool,
}

impl SocketRegistry {
    /// The registry of a server; its watcher starts at once when built
    /// inside a runtime (so no notification is missed), else with the
    /// first socket.
    pub fn new(ctx: Ctx) -> Arc<Self> {
        let registry = Arc::new(SocketRegistry {
            ctx,
            inner: Mutex::new(Inner::default()),
            watcher_started: AtomicBool::new(false),
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            registry.ensure_watcher();
        }
        registry
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for a socket that is not signed in (yet), or `None` when the
    /// address already holds `SWITCHBOARD_WS_MAX_ANON_PER_ADDRESS`.
    pub fn admit_anonymous(self: &Arc<Self>, address: Option<&str>) -> Option<AnonymousSlot> {
        let key = address.unwrap_or("unknown").to_string();
        let max = self.ctx.config.ws.max_anon_per_address;
        let mut inner = self.lock();
        let n = inner.anonymous.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AnonymousSlot {
            registry: self.clone(),
            key,
        })
    }

    /// A slot for one running operation of `client` (`user:<id>` or
    /// `addr:<ip>`), or `None` at `SWITCHBOARD_WS_MAX_SUBSCRIPTIONS_PER_ADDRESS`.
    pub fn start_operation(self: &Arc<Self>, client: String) -> Option<OperationSlot> {
        let max = self.ctx.config.ws.max_subscriptions_per_client;
        let mut inner = self.lock();
        let n = inner.operations.entry(client.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(OperationSlot {
            registry: self.clone(),
            key: client,
        })
    }

    /// Watches `credential` of `user` for as long as the returned handle lives.
    pub fn watch(self: &Arc<Self>, user: Uuid, credential: Credential) -> Watch {
        self.ensure_watcher();
        let ended = Arc::new(Notify::new());
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.watched.insert(
            id,
            Watched {
                user,
                credential,
                ended: ended.clone(),
            },
        );
        inner.by_user.entry(user).or_default().insert(id);
        Watch {
            registry: self.clone(),
            id,
            ended,
        }
    }

    fn ensure_watcher(self: &Arc<Self>) {
        if self.watcher_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let every = self.ctx.config.ws.session_check;
        tokio::spawn(watch_credentials(Arc::downgrade(self), self.ctx.clone(), every));
    }

    /// Re-checks the given watched sockets in batched queries and signals
    /// those whose credential no longer holds. A database error leaves them
    /// be (each operation still authenticates on its own).
    async fn recheck(&self, ids: Vec<(u64, Credential)>) {
        for chunk in ids.chunks(CHECK_BATCH) {
            let mut sessions = HashSet::new();
            let mut keys = HashSet::new();
            for (_, c) in chunk {
                match c {
                    Credential::Session(s) => sessions.insert(*s),
                    Credential::ApiKey(k) => keys.insert(*k),
                };
            }
            let live = match live_credentials(&self.ctx, &sessions, &keys).await {
                Ok(live) => live,
                Err(e) => {
                    tracing::warn!(error = %e, "re-checking socket sessions failed");
                    return;
                }
            };
            let inner = self.lock();
            for (id, c) in chunk {
                let id_of = match c {
                    Credential::Session(s) | Credential::ApiKey(s) => s,
                };
                if !live.contains(id_of) {
                    if let Some(w) = inner.watched.get(id) {
                        w.ended.notify_one();
                    }
                }
            }
        }
    }

    fn snapshot(&self, user: Option<Uuid>) -> Vec<(u64, Credential)> {
        let inner = self.lock();
        match user {
            Some(u) => inner
                .by_user
                .get(&u)
                .into_iter()
                .flatten()
                .filter_map(|id| inner.watched.get(id).map(|w| (*id, w.credential)))
                .collect(),
            None => inner.watched.iter().map(|(id, w)| (*id, w.credential)).collect(),
        }
    }
}

/// The ids among `sessions` and `keys` that still hold (live session or
/// active unexpired key, of an active account), in one query.
async fn live_credentials(
    ctx: &Ctx,
    sessions: &HashSet<Uuid>,
    keys: &HashSet<Uuid>,
) -> Result<HashSet<Uuid>, sea_orm::DbErr> {
    let join = |set: &HashSet<Uuid>| set.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",");
    let rows = ctx
        .db
        .primary
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT s.id FROM user_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = ANY(string_to_array($1, ',')::uuid[]) \
               AND s.revoked_at IS NULL AND s.expires_at > now() AND u.status = 'ACTIVE' \
             UNION ALL \
             SELECT k.id FROM api_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.id = ANY(string_to_array($2, ',')::uuid[]) \
               AND k.is_active AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.status = 'ACTIVE'",
            [join(sessions).into(), join(keys).into()],
        ))
        .await?;
    Ok(rows.iter().filter_map(|r| r.try_get::<Uuid>("", "id").ok()).collect())
}

/// The instance's watcher: listens for credential notifications and
/// re-checks every watched socket periodically. Ends with the registry or
/// at shutdown.
async fn watch_credentials(registry: Weak<SocketRegistry>, ctx: Ctx, every: Duration) {
    let pool = ctx.db.primary.get_postgres_connection_pool().clone();
    let shutdown = ctx.shutdown.clone();
    let sessions = ctx.sessions.clone();
    drop(ctx);
    // Whatever ends this task, the session cache must not outlive its
    // listener.
    let _off = CacheOff(sessions.clone());
    let mut listener: Option<PgListener> = None;
    let mut backoff = Duration::from_millis(200);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        if listener.is_none() {
            let connected = async {
                let mut l = PgListener::connect_with(&pool).await?;
                l.listen(identity::CREDENTIALS_CHANNEL).await?;
                Ok::<_, sea_orm::sqlx::Error>(l)
            };
            let attempt = tokio::select! {
                _ = shutdown.cancelled() => return,
                r = connected => r,
            };
            match attempt {
                Ok(l) => {
                    listener = Some(l);
                    // Every change is heard from now on; what was cached
                    // before is dropped.
                    sessions.set_live(true);
                    backoff = Duration::from_millis(200);
                    // Sessions may have ended while nobody listened.
                    let Some(reg) = registry.upgrade() else { return };
                    let all = reg.snapshot(None);
                    reg.recheck(all).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for ended sessions; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    continue;
                }
            }
        }
        let Some(l) = listener.as_mut() else { continue };
        let mut lost = false;
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {
                let Some(reg) = registry.upgrade() else { return };
                let all = reg.snapshot(None);
                if !all.is_empty() {
                    reg.recheck(all).await;
                }
            }
            received = l.try_recv() => {
                let Some(reg) = registry.upgrade() else { return };
                match received {
                    Ok(Some(n)) => match Change::parse(n.payload()) {
                        Some(Change::User(user)) => {
                            sessions.forget_user(user);
                            let of_user = reg.snapshot(Some(user));
                            if !of_user.is_empty() {
                                reg.recheck(of_user).await;
                            }
                        }
                        Some(Change::Everyone) => {
                            sessions.forget_all();
                            let all = reg.snapshot(None);
                            reg.recheck(all).await;
                        }
                        None => tracing::warn!("malformed credentials notification"),
                    },
                    Ok(None) => {
                        // The connection was lost (notifications may have
                        // been missed): listen afresh, which rechecks every
                        // socket and restarts the session cache.
                        tracing::warn!("lost the ended-sessions listener; reconnecting");
                        lost = true;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the ended-sessions listener");
                        lost = true;
                    }
                }
            }
        }
        if lost {
            listener = None;
            sessions.set_live(false);
        }
    }
}

/// Turns the session cache off when dropped.
struct CacheOff(Arc<SessionCache>);

impl Drop for CacheOff {
    fn drop(&mut self) {
        self.0.set_live(false);
    }
}

/// A socket's watch on its credential; dropping it stops the watch.
pub struct Watch {
    registry: Arc<SocketRegistry>,
    id: u64,
    ended: Arc<Notify>,
}

impl Watch {
    /// Resolves once the credential is found to have ended.
    pub async fn ended(&self) {
        self.ended.notified().await
    }

    /// After a refresh on the socket: watch the new credential instead.
    pub fn replace(&self, user: Uuid, credential: Credential) {
        let mut inner = self.registry.lock();
        if let Some(mut w) = inner.unlink(self.id) {
            w.user = user;
            w.credential = credential;
            inner.watched.insert(self.id, w);
            inner.by_user.entry(user).or_default().insert(self.id);
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.registry.lock().unlink(self.id);
    }
}

/// One of an address's anonymous-socket slots, freed on drop.
pub struct AnonymousSlot {
    registry: Arc<SocketRegistry>,
    key: String,
}

impl Drop for AnonymousSlot {
    fn drop(&mut self) {
        let mut inner = self.registry.lock();
        if let Some(n) = inner.anonymous.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                inner.anonymous.remove(&self.key);
            }
        }
    }
}

/// One of a client's running-operation slots, freed on drop.
pub struct OperationSlot {
    registry: Arc<SocketRegistry>,
    key: String,
}

impl Drop for OperationSlot {
    fn drop(&mut self) {
        let mut inner = self.registry.lock();
        if let Some(n) = inner.operations.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                inner.operations.remove(&self.key);
            }
        }
    }
}
