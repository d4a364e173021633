//! Sessions remembered in memory, so that a request or a socket does not read
//! the database to learn who is calling: on a history read that lookup was
//! one of three queries, and the only one every request repeats unchanged.
//!
//! A cache of credentials is only as good as its invalidation, so it is
//! trusted only when this node is sure to hear of every session that ends:
//! - One SQLite process ends every session itself.
//! - With PostgreSQL a logout on another node arrives as a `NOTIFY` (see
//!   [`fanout`]). While this node's listener is down it could miss one, so
//!   the cache is bypassed until the listener is back, and starts empty.
//!
//! Entries also expire after [`MAX_AGE`], so even a logout this node could
//! not have missed, but did (a listener connection that died silently),
//! stops working here within a minute.
//!
//! A lookup that read the database just before a logout must not store
//! what it read just after the logout forgot it; each end of a session
//! bumps a generation, and a read stores its result only if the generation
//! it started in is still current.
//!
//! [`fanout`]: super::fanout

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::server::storage::sessions::AuthUser;

/// More distinct live sessions than this and the cache starts over: a bound
/// on memory that a flood of logins cannot push.
const MAX_ENTRIES: usize = 100_000;

/// How long an entry is trusted before the database is asked again.
pub const MAX_AGE: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct SessionCache {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    entries: HashMap<String, Entry>,
    trusted: bool,
    generation: u64,
}

struct Entry {
    auth: AuthUser,
    /// Milliseconds since the epoch, as stored in `sessions.expires_at`.
    expires_at: i64,
    /// When it was read from the database, in the same milliseconds.
    cached_at: i64,
}

/// Where a lookup started: pass it back to [`SessionCache::remember`].
#[derive(Clone, Copy, Debug)]
pub struct Generation(u64);

impl SessionCache {
    /// `trusted` says whether this node already hears every session end
    /// (true for SQLite; PostgreSQL nodes start untrusted until listening).
    pub fn new(trusted: bool) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                entries: HashMap::new(),
                trusted,
                generation: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves a consistent map (every
        // operation is a single insert or remove), so poisoning is ignored.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached caller of `session`, unless its entry is older than
    /// [`MAX_AGE`] at `now_ms` or the session expires before `renew_at`
    /// (then the database is read, and the session renewed there).
    pub fn get(&self, session: &str, now_ms: i64, renew_at: i64) -> Option<AuthUser> {
        let inner = self.lock();
        if !inner.trusted {
            return None;
        }
        inner
            .entries
            .get(session)
            .filter(|entry| {
                entry.expires_at > renew_at.max(now_ms)
                    && now_ms - entry.cached_at < MAX_AGE.as_millis() as i64
            })
            .map(|entry| entry.auth.clone())
    }

    /// Call before reading a session from the database.
    pub fn generation(&self) -> Generation {
        Generation(self.lock().generation)
    }

    /// Stores what a database read at `now_ms` found, unless a session
    /// ended (or trust changed) since `since`.
    pub fn remember(&self, since: Generation, auth: AuthUser, expires_at: i64, now_ms: i64) {
        let mut inner = self.lock();
        if !inner.trusted || inner.generation != since.0 {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        let entry = Entry {
            auth,
            expires_at,
            cached_at: now_ms,
        };
        inner.entries.insert(entry.auth.session.clone(), entry);
    }

    /// The session ended (here or on another node).
    pub fn forget(&self, session: &str) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.remove(session);
    }

    /// This node hears every session end from now on; start empty, since
    /// some may have been missed before.
    pub fn trust(&self) {
        self.set_trusted(true);
    }

    /// This node may miss session ends: read the database every time.
    pub fn distrust(&self) {
        self.set_trusted(false);
    }

    fn set_trusted(&self, trusted: bool) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
        inner.trusted = trusted;
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::User;

    fn caller(user_id: i64, session: &str) -> AuthUser {
        AuthUser {
            user: User {
                id: user_id,
                username: format!("user{user_id}"),
                created_at: "2026-01-01T00:00:00.000Z".into(),
            },
            session: session.into(),
        }
    }

    #[test]
    fn a_remembered_session_is_served_until_it_expires() {
        let cache = SessionCache::new(true);
        let since = cache.generation();
        cache.remember(since, caller(1, "s1"), 1_000, 0);
        assert_eq!(cache.get("s1", 999, 0).map(|a| a.user.id), Some(1));
        assert!(cache.get("s1", 1_000, 0).is_none());
        assert!(cache.get("s2", 0, 0).is_none());
    }

    #[test]
    fn a_session_due_for_renewal_is_read_again() {
        let cache = SessionCache::new(true);
        cache.remember(cache.generation(), caller(1, "s1"), 1_000, 0);
        assert!(cache.get("s1", 10, 999).is_some());
        assert!(cache.get("s1", 10, 1_000).is_none());
    }

    #[test]
    fn an_entry_is_read_again_after_a_minute() {
        let cache = SessionCache::new(true);
        let read_at = 5_000;
        cache.remember(cache.generation(), caller(1, "s1"), i64::MAX, read_at);
        let max_age = MAX_AGE.as_millis() as i64;
        assert!(cache.get("s1", read_at + max_age - 1, 0).is_some());
        assert!(cache.get("s1", read_at + max_age, 0).is_none());
    }

    #[test]
    fn a_forgotten_session_is_gone_and_a_read_that_raced_it_is_not_stored() {
        let cache = SessionCache::new(true);
        cache.remember(cache.generation(), caller(1, "s1"), i64::MAX, 0);
        let racing = cache.generation();
        cache.forget("s1");
        assert!(cache.get("s1", 0, 0).is_none());
        cache.remember(racing, caller(1, "s1"), i64::MAX, 0);
        assert!(cache.get("s1", 0, 0).is_none());
        cache.remember(cache.generation(), caller(1, "s1"), i64::MAX, 0);
        assert!(cache.get("s1", 0, 0).is_some());
    }

    #[test]
    fn an_untrusted_cache_neither_serves_nor_stores() {
        let cache = SessionCache::new(true);
        cache.remember(cache.generation(), caller(1, "s1"), i64::MAX, 0);
        cache.distrust();
        assert!(cache.get("s1", 0, 0).is_none());
        cache.remember(cache.generation(), caller(1, "s1"), i64::MAX, 0);
        assert!(cache.is_empty());
        cache.trust();
        assert!(cache.get("s1", 0, 0).is_none(), "trust starts empty");
        cache.remember(cache.generation(), caller(1, "s1"), i64::MAX, 0);
        assert!(cache.get("s1", 0, 0).is_some());
    }
}
