//! Presence: who is here (a tab open and used lately), away (open but
//! unused) or gone, across every node, told to the people who share a room
//! with them.
//!
//! Each node keeps its own people in the database (`storage::presence`)
//! and beats; one task per node writes what changed here, reads everyone's
//! presence over the nodes that still beat, and tells its own sockets of
//! the changes that concern them. The database is the only thing the nodes
//! share, so a node that starts late reads how things are, and one killed
//! outright stops beating: after [`PresenceTimes::dead_after`] its people
//! count as gone everywhere, with nobody having to notice it died.
//!
//! Presence is not an event of any room's log (it is not history, and a
//! busy room must not number every tab opened), and it is rate-limited per
//! person ([`Announcer`]): someone whose connection flaps is announced at
//! most once per [`PresenceTimes::hold`], as they are by then.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;

use super::hub::Hub;
use crate::model::{Presence, UserPresence};
use crate::protocol::ServerFrame;
use crate::server::background::Background;
use crate::server::error::Result;
use crate::server::storage::db::{Db, now_ms};
use crate::server::storage::presence;

/// How presence is kept: the one setting (`PRESENCE_BEAT_SECS`) sets the
/// pace of everything else.
#[derive(Clone, Debug)]
pub struct PresenceTimes {
    /// How often a node says it is alive.
    pub beat: Duration,
    /// Unused this long, a person with a tab open is away.
    /// `PRESENCE_AWAY_SECS`.
    pub away_after: Duration,
}

impl Default for PresenceTimes {
    fn default() -> Self {
        Self {
            beat: Duration::from_secs(15),
            away_after: Duration::from_secs(5 * 60),
        }
    }
}

impl PresenceTimes {
    /// A node silent for three beats is dead, and its people gone.
    pub fn dead_after(&self) -> Duration {
        self.beat * 3
    }

    /// How often a node reads everyone's presence (and how late it may
    /// learn of a change on another node).
    pub fn check_every(&self) -> Duration {
        self.beat / 5
    }

    /// The shortest time between two announced changes of one person.
    pub fn hold(&self) -> Duration {
        self.beat / 3
    }

    /// The presence of someone last active at `active_at`, with a socket
    /// open on a live node (`None`: with none).
    pub fn status(&self, active_at: Option<i64>, now: i64) -> Presence {
        match active_at {
            None => Presence::Offline,
            Some(at) if now.saturating_sub(at) < ms(self.away_after) => Presence::Online,
            Some(_) => Presence::Away,
        }
    }

    /// Only nodes that beat after this are alive.
    pub fn alive_after(&self, now: i64) -> i64 {
        now.saturating_sub(ms(self.dead_after()))
    }
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The shortest time between two rounds: a burst of sockets opening and
/// closing is one round.
const PAUSE: Duration = Duration::from_millis(200);

/// Starts the node's presence task; when the node stops, it forgets the
/// node's people (they are gone at once, rather than when it would have
/// been found dead).
pub fn start(db: Db, hub: Hub, times: PresenceTimes, background: &Background) {
    let stop = background.stopping();
    let mut node = Node::new(times);
    background.spawn(async move {
        loop {
            if let Err(error) = node.round(&db, &hub, now_ms()).await {
                tracing::warn!(%error, "presence was not updated; trying again");
            }
            tokio::select! {
                () = tokio::time::sleep(PAUSE) => {}
                () = stop.cancelled() => break,
            }
            tokio::select! {
                () = hub.here_changed() => {}
                () = tokio::time::sleep(node.times.check_every().saturating_sub(PAUSE)) => {}
                () = stop.cancelled() => break,
            }
        }
        if let Err(error) = node.forget(&db).await {
            tracing::warn!(%error, "this node's presence was not cleared");
        }
    });
}

struct Node {
    /// A new one per start, so a restarted node is not its dead self.
    id: String,
    times: PresenceTimes,
    /// What the database holds of this node's people.
    written: HashMap<i64, i64>,
    last_beat: Option<i64>,
    announcer: Announcer,
}

impl Node {
    fn new(times: PresenceTimes) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            times,
            written: HashMap::new(),
            last_beat: None,
            announcer: Announcer::default(),
        }
    }

    async fn round(&mut self, db: &Db, hub: &Hub, now: i64) -> Result<()> {
        let here = hub.here();
        let mut conn = db.acquire().await?;
        if self
            .last_beat
            .is_none_or(|beat| now.saturating_sub(beat) >= ms(self.times.beat))
        {
            presence::beat(db, &mut conn, &self.id, now).await?;
            self.last_beat = Some(now);
            // Rows no live node stands for, left by nodes that were killed.
            let long_dead = now.saturating_sub(10 * ms(self.times.dead_after()));
            presence::forget_dead(db, &mut conn, long_dead).await?;
        }
        let changed: Vec<(i64, i64)> = here
            .iter()
            .filter(|(user, at)| self.written.get(user) != Some(at))
            .map(|(&user, &at)| (user, at))
            .collect();
        let gone: Vec<i64> = self
            .written
            .keys()
            .filter(|user| !here.contains_key(user))
            .copied()
            .collect();
        if !changed.is_empty() || !gone.is_empty() {
            presence::write(db, &mut conn, &self.id, &changed, &gone).await?;
            self.written = here.clone();
        }

        let everyone = presence::everyone(db, &mut conn, self.times.alive_after(now)).await?;
        let current: HashMap<i64, Presence> = everyone
            .into_iter()
            .map(|(user, at)| (user, self.times.status(Some(at), now)))
            .collect();
        let changes = self.announcer.changes(&current, now, ms(self.times.hold()));
        if changes.is_empty() || here.is_empty() {
            return Ok(());
        }
        let people: Vec<i64> = changes.iter().map(|c| c.user_id).collect();
        let watchers: Vec<i64> = here.keys().copied().collect();
        let shared = presence::sharing(db, &mut conn, &people, &watchers).await?;
        drop(conn);
        let by_person: HashMap<i64, UserPresence> =
            changes.into_iter().map(|c| (c.user_id, c)).collect();
        let mut told: BTreeMap<i64, Vec<UserPresence>> = BTreeMap::new();
        for (person, watcher) in shared {
            if let Some(&change) = by_person.get(&person) {
                told.entry(watcher).or_default().push(change);
            }
        }
        for (watcher, users) in told {
            match serde_json::to_string(&ServerFrame::Presence { users }) {
                Ok(text) => hub.tell_user(watcher, &Utf8Bytes::from(text)),
                Err(error) => tracing::error!(%error, "cannot serialize a presence frame"),
            }
        }
        Ok(())
    }

    async fn forget(&self, db: &Db) -> Result<()> {
        let mut conn = db.acquire().await?;
        presence::forget_node(db, &mut conn, &self.id).await
    }
}

/// Which changes of presence to announce: each person's, when it differs
/// from what was last announced of them, and no sooner than `hold` after
/// that announcement (the change waits, and what is announced then is how
/// they are by then: often nothing, for a connection that dropped and
/// came back).
#[derive(Default)]
pub struct Announcer {
    /// Per person, what was last announced and when.
    told: HashMap<i64, (Presence, i64)>,
}

impl Announcer {
    /// `current`: everyone online or away now (anyone else is offline).
    pub fn changes(
        &mut self,
        current: &HashMap<i64, Presence>,
        now: i64,
        hold: i64,
    ) -> Vec<UserPresence> {
        let people: Vec<i64> = current
            .keys()
            .chain(self.told.keys())
            .copied()
            .collect::<std::collections::BTreeSet<i64>>()
            .into_iter()
            .collect();
        let mut changes = Vec::new();
        for user_id in people {
            let status = current.get(&user_id).copied().unwrap_or(Presence::Offline);
            let due = match self.told.get(&user_id) {
                Some(&(told, _)) if told == status => false,
                Some(&(_, at)) => now.saturating_sub(at) >= hold,
                None => status != Presence::Offline,
            };
            if due {
                self.told.insert(user_id, (status, now));
                changes.push(UserPresence { user_id, status });
            }
        }
        // Someone announced gone, and no longer held, is nobody to recall.
        self.told.retain(|_, &mut (told, at)| {
            told != Presence::Offline || now.saturating_sub(at) < hold
        });
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now(pairs: &[(i64, Presence)]) -> HashMap<i64, Presence> {
        pairs.iter().copied().collect()
    }

    fn said(changes: Vec<UserPresence>) -> Vec<(i64, Presence)> {
        changes.into_iter().map(|c| (c.user_id, c.status)).collect()
    }

    #[test]
    fn changes_are_announced_once_and_a_flapping_person_once_per_hold() {
        use Presence::{Away, Offline, Online};
        let mut announcer = Announcer::default();
        let hold = 5_000;
        assert_eq!(
            said(announcer.changes(&now(&[(1, Online), (2, Away)]), 0, hold)),
            [(1, Online), (2, Away)]
        );
        assert!(
            announcer
                .changes(&now(&[(1, Online), (2, Away)]), 100, hold)
                .is_empty()
        );
        // 1 drops and comes back within the hold: nothing is said.
        assert!(
            announcer
                .changes(&now(&[(2, Away)]), 1_000, hold)
                .is_empty()
        );
        assert!(
            announcer
                .changes(&now(&[(1, Online), (2, Away)]), 2_000, hold)
                .is_empty()
        );
        // 1 drops for longer: said once the hold is over.
        assert!(
            announcer
                .changes(&now(&[(2, Online)]), 4_000, hold)
                .iter()
                .all(|c| c.user_id != 1)
        );
        assert_eq!(
            said(announcer.changes(&now(&[(2, Online)]), 5_000, hold)),
            [(1, Offline), (2, Online)]
        );
        // Back at once: held again, then said.
        assert!(
            announcer
                .changes(&now(&[(1, Online), (2, Online)]), 6_000, hold)
                .is_empty()
        );
        assert_eq!(
            said(announcer.changes(&now(&[(1, Online), (2, Online)]), 10_000, hold)),
            [(1, Online)]
        );
        // Someone long gone is forgotten, and announced again when back.
        assert_eq!(
            said(announcer.changes(&now(&[(1, Online)]), 20_000, hold)),
            [(2, Offline)]
        );
        assert!(
            announcer
                .changes(&now(&[(1, Online)]), 30_000, hold)
                .is_empty()
        );
        assert!(!announcer.told.contains_key(&2));
        assert_eq!(
            said(announcer.changes(&now(&[(1, Online), (2, Online)]), 30_001, hold)),
            [(2, Online)]
        );
    }

    #[test]
    fn a_person_is_away_after_minutes_unused_and_offline_with_no_tab() {
        let times = PresenceTimes::default();
        let away = ms(times.away_after);
        assert_eq!(
            times.status(Some(1_000), 1_000 + away - 1),
            Presence::Online
        );
        assert_eq!(times.status(Some(1_000), 1_000 + away), Presence::Away);
        assert_eq!(times.status(None, 0), Presence::Offline);
        assert_eq!(times.alive_after(100_000), 100_000 - 45_000);
    }
}
