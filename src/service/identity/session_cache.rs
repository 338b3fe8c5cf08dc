//! The per-instance cache of session checks: a signed-in request is the
//! common case, and checking its session against the database cost one
//! statement per request (a third of the work of a small query).
//!
//! Revocation stays immediate. Every change that can end or narrow a
//! session (a session revoked or expired early, an account's row changed,
//! a role granted or withdrawn, a role's permissions edited) announces
//! itself on [`super::CREDENTIALS_CHANNEL`] from a database trigger, in the
//! changing transaction, so PostgreSQL delivers it to every instance when
//! that transaction commits, whichever code path (or psql session) made
//! the change, and without Redis. The instance's listener
//! (`http::sockets`) drops the user's entries ([`SessionCache::forget_user`])
//! or all of them ([`SessionCache::forget_all`]). While the listener is not
//! connected (at start, after a lost connection: the database path is
//! degraded) the cache is off and every request is checked against the
//! database; each reconnection starts from an empty cache, since
//! notifications may have been missed meanwhile. Entries also lapse after
//! [`TTL`] and at the session's own expiry.
//!
//! A check that raced an invalidation (it read the session before the
//! change committed and finished after the notification arrived) is not
//! cached: every invalidation bumps a counter read before the query.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use std::collections::HashSet;

use super::viewer::Account;

/// Longest an entry is trusted without asking the database again.
pub const TTL: Duration = Duration::from_secs(60);

/// Sessions remembered per instance.
pub const CAPACITY: usize = 100_000;

/// One checked session.
#[derive(Clone)]
pub struct Checked {
    /// The session's user.
    pub user: Uuid,
    /// Keys of the user's approved roles.
    pub roles: Vec<String>,
    /// Permission keys those roles grant.
    pub permissions: Arc<HashSet<String>>,
    /// Holds an INTERNAL (staff) role.
    pub is_staff: bool,
    /// The user's row as the check read it.
    pub account: Account,
    /// When the session itself ends.
    pub expires_at: DateTime<Utc>,
}

struct Entry {
    checked: Checked,
    stored: Instant,
    generation: u64,
}

/// Where a check began, to tell whether its result may be cached.
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    generation: u64,
    invalidations: u64,
    live: bool,
}

/// The cache of one instance.
pub struct SessionCache {
    entries: Mutex<lru::LruCache<Uuid, Entry>>,
    /// The credentials listener is connected: notifications arrive.
    live: AtomicBool,
    /// Bumped when every entry becomes invalid (flush, reconnection).
    generation: AtomicU64,
    /// Bumped by every invalidation of any kind.
    invalidations: AtomicU64,
}

impl Default for SessionCache {
    fn default() -> Self {
        let cap = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        SessionCache {
            entries: Mutex::new(lru::LruCache::new(cap)),
            live: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
        }
    }
}

/// Every live cache of this process (a test process runs several
/// servers), so a change committed here reaches them all at once.
static CACHES: Mutex<Vec<std::sync::Weak<SessionCache>>> = Mutex::new(Vec::new());

/// Drops `user`'s entries from every cache of this process, now. The
/// database trigger tells the other instances (and this one again).
pub fn forget_everywhere(user: Uuid) {
    let mut caches = CACHES.lock().unwrap_or_else(|p| p.into_inner());
    caches.retain(|c| match c.upgrade() {
        Some(cache) => {
            cache.forget_user(user);
            true
        }
        None => false,
    });
}

impl SessionCache {
    /// A cache that [`forget_everywhere`] reaches.
    pub fn registered() -> Arc<Self> {
        let cache = Arc::new(SessionCache::default());
        CACHES
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::downgrade(&cache));
        cache
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, lru::LruCache<Uuid, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached check of `session` for `user`, if it still holds.
    pub fn get(&self, session: Uuid, user: Uuid) -> Option<Checked> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let generation = self.generation.load(Ordering::Acquire);
        let mut entries = self.entries();
        let fresh = entries.get(&session).is_some_and(|e| {
            e.generation == generation
                && e.checked.user == user
                && e.stored.elapsed() < TTL
                && e.checked.expires_at > Utc::now()
        });
        if fresh {
            entries.get(&session).map(|e| e.checked.clone())
        } else {
            entries.pop(&session);
            None
        }
    }

    /// Taken before a check reads the database.
    pub fn ticket(&self) -> Ticket {
        Ticket {
            live: self.live.load(Ordering::Acquire),
            generation: self.generation.load(Ordering::Acquire),
            invalidations: self.invalidations.load(Ordering::Acquire),
        }
    }

    /// Remembers a check that began at `ticket`, unless anything was
    /// invalidated since or the listener was not connected throughout.
    pub fn put(&self, ticket: Ticket, session: Uuid, checked: Checked) {
        let mut entries = self.entries();
        // Under the lock: invalidations take it too, so none slips between
        // this comparison and the insert.
        let unchanged = ticket.live
            && self.live.load(Ordering::Acquire)
            && self.generation.load(Ordering::Acquire) == ticket.generation
            && self.invalidations.load(Ordering::Acquire) == ticket.invalidations;
        if unchanged {
            entries.put(
                session,
                Entry {
                    checked,
                    stored: Instant::now(),
                    generation: ticket.generation,
                },
            );
        }
    }

    /// Drops every entry of `user` (their sessions, account or roles changed).
    pub fn forget_user(&self, user: Uuid) {
        let mut entries = self.entries();
        self.invalidations.fetch_add(1, Ordering::AcqRel);
        let ended: Vec<Uuid> = entries
            .iter()
            .filter(|(_, e)| e.checked.user == user)
            .map(|(k, _)| *k)
            .collect();
        for k in ended {
            entries.pop(&k);
        }
    }

    /// Drops every entry (a role's permissions changed: anyone may hold it).
    pub fn forget_all(&self) {
        let mut entries = self.entries();
        self.invalidations.fetch_add(1, Ordering::AcqRel);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// The listener connected (`true`: from now on every change is heard;
    /// what was cached before is dropped) or lost its connection (`false`:
    /// the cache is off until it is back).
    pub fn set_live(&self, live: bool) {
        let mut entries = self.entries();
        self.invalidations.fetch_add(1, Ordering::AcqRel);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
        self.live.store(live, Ordering::Release);
    }

    /// Whether checks are being cached (the listener is connected).
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// Sessions cached now.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// True when no session is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a notification on the credentials channel asks of the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// One user's sessions, account or roles changed.
    User(Uuid),
    /// Something every user may hold changed (a role or its permissions).
    Everyone,
}

impl Change {
    /// Reads a notification's payload: a user id, or `*`.
    pub fn parse(payload: &str) -> Option<Change> {
        match payload.trim() {
            "*" => Some(Change::Everyone),
            p => p.parse().ok().map(Change::User),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(user: Uuid) -> Checked {
        Checked {
            user,
            roles: Vec::new(),
            permissions: Arc::default(),
            is_staff: false,
            account: Account::default(),
            expires_at: Utc::now() + chrono::Duration::hours(1),
        }
    }

    #[test]
    fn nothing_is_cached_while_the_listener_is_away() {
        let cache = SessionCache::default();
        let (s, u) = (Uuid::new_v4(), Uuid::new_v4());
        cache.put(cache.ticket(), s, checked(u));
        assert!(cache.get(s, u).is_none());
        cache.set_live(true);
        cache.put(cache.ticket(), s, checked(u));
        assert!(cache.get(s, u).is_some());
        assert!(
            cache.get(s, Uuid::new_v4()).is_none(),
            "another user's token never matches"
        );
        cache.set_live(false);
        assert!(cache.get(s, u).is_none());
    }

    #[test]
    fn a_check_that_raced_an_invalidation_is_not_kept() {
        let cache = SessionCache::default();
        cache.set_live(true);
        let (s, u) = (Uuid::new_v4(), Uuid::new_v4());
        let ticket = cache.ticket();
        cache.forget_user(Uuid::new_v4());
        cache.put(ticket, s, checked(u));
        assert!(cache.get(s, u).is_none());
    }

    #[test]
    fn invalidation_drops_the_users_entries_or_all() {
        let cache = SessionCache::default();
        cache.set_live(true);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let (sa, sb) = (Uuid::new_v4(), Uuid::new_v4());
        cache.put(cache.ticket(), sa, checked(a));
        cache.put(cache.ticket(), sb, checked(b));
        cache.forget_user(a);
        assert!(cache.get(sa, a).is_none());
        assert!(cache.get(sb, b).is_some());
        cache.forget_all();
        assert!(cache.get(sb, b).is_none());
        assert_eq!(Change::parse("*"), Some(Change::Everyone));
        assert_eq!(Change::parse(&a.to_string()), Some(Change::User(a)));
        assert_eq!(Change::parse("nonsense"), None);
    }
}
