//! "Ann is typing…": a signal beside a room's log, never part of it. It is
//! not stored and takes no seq: a socket that was not watching just missed
//! it, and nothing is lost, since it says nothing a minute later.
//!
//! Only a socket that watches the room may signal in it (its subscription
//! proves membership, and ends with it), and a user signals once per
//! [`TYPING_EVERY_MS`] per room at most: more often is dropped here without
//! a word, as the protocol says, so a client that misbehaves costs its
//! room nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::protocol::{ServerFrame, TYPING_EVERY_MS};
use crate::server::error::Result;
use crate::server::live::fanout;
use crate::server::state::AppState;
use crate::server::storage::sessions::AuthUser;

/// Signals a little early are let through: a client's timer and the
/// network's delays do not keep exactly to the interval.
const SLACK: Duration = Duration::from_millis(500);

/// When each user last signalled in each room.
#[derive(Clone, Default)]
pub struct TypingLimiter {
    last: Arc<Mutex<HashMap<(i64, i64), Instant>>>,
}

impl TypingLimiter {
    /// Whether `user` may signal in `room` at `now` (and if so, records it).
    fn allow(&self, user: i64, room: i64, now: Instant) -> bool {
        let every = Duration::from_millis(TYPING_EVERY_MS) - SLACK;
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last
            .get(&(user, room))
            .is_some_and(|&then| now.duration_since(then) < every)
        {
            return false;
        }
        // Forget what no longer limits anyone, now and then.
        if last.len() >= 4096 {
            last.retain(|_, &mut then| now.duration_since(then) < every);
        }
        last.insert((user, room), now);
        true
    }
}

/// Tells the room's other watchers, on every node, that the user is typing
/// (the caller has checked that its socket watches the room).
pub async fn typing(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<()> {
    if !state.typing.allow(auth.user.id, room_id, Instant::now()) {
        return Ok(());
    }
    let frame = ServerFrame::Typing {
        room_id,
        user: auth.author(),
    };
    fanout::tell_room(&state.db, &state.hub, room_id, auth.user.id, &frame).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_signal_per_user_and_room_per_interval() {
        let limiter = TypingLimiter::default();
        let start = Instant::now();
        assert!(limiter.allow(1, 7, start));
        assert!(!limiter.allow(1, 7, start + Duration::from_millis(1_000)));
        assert!(limiter.allow(1, 8, start), "another room");
        assert!(limiter.allow(2, 7, start), "another user");
        assert!(limiter.allow(1, 7, start + Duration::from_millis(TYPING_EVERY_MS)));
    }
}
