//! What the tab knows of the user's rooms between two reads of the room
//! list: the newest summary of each (`RoomActivity`, from the list or from
//! the socket's `activity` frames), which the list shows as counts and the
//! tab's title as a total; and marking the open room read once its end has
//! been seen.
//!
//! Summaries are kept by the rule the server states (`supersedes`): one
//! behind in neither the room's seq nor the read marker replaces the held
//! one, whichever arrived first, so a list read that raced an activity
//! frame cannot bring back an old count.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use crate::model::{NotifyLevel, Room, RoomActivity};

#[derive(Clone, Copy)]
pub struct Unread {
    rooms: RwSignal<HashMap<i64, RoomActivity>>,
    /// Bumped when the list must be read again (a room unknown to it was
    /// summarized, one left it, or the open room's count moved where no
    /// frame says so).
    version: RwSignal<u32>,
    /// Rooms the user muted: their unread messages are not in the total.
    muted: RwSignal<HashSet<i64>>,
    /// Notification settings changed since the page opened (in any of
    /// the user's tabs), for an open room to show.
    settings: RwSignal<HashMap<i64, (NotifyLevel, bool)>>,
}

impl Unread {
    pub fn provide() {
        provide_context(Unread {
            rooms: RwSignal::new(HashMap::new()),
            version: RwSignal::new(0),
            muted: RwSignal::new(HashSet::new()),
            settings: RwSignal::new(HashMap::new()),
        });
    }

    pub fn get() -> Unread {
        expect_context::<Unread>()
    }

    /// Tracked: changes when the list should be read again.
    pub fn version(&self) -> u32 {
        self.version.get()
    }

    pub fn refresh(&self) {
        self.version.update(|n| *n = n.wrapping_add(1));
    }

    /// A read of the whole list: its rooms' summaries, unless newer ones
    /// are held; rooms no longer listed are forgotten.
    pub fn listed(&self, rooms: &[Room]) {
        let muted: HashSet<i64> = rooms.iter().filter(|r| r.muted).map(|r| r.id).collect();
        if self.muted.with_untracked(|held| *held != muted) {
            self.muted.set(muted);
        }
        self.rooms.update(|held| {
            let mut fresh: HashMap<i64, RoomActivity> = rooms
                .iter()
                .filter_map(Room::activity)
                .map(|a| (a.room_id, a))
                .collect();
            for (id, summary) in fresh.iter_mut() {
                if let Some(newer) = held.get(id).filter(|h| h.supersedes(summary)) {
                    *summary = newer.clone();
                }
            }
            *held = fresh;
        });
    }

    /// An `activity` frame. Asks for the list again when it names a room
    /// the list does not have, or one the user is no longer in.
    pub fn heard(&self, summaries: Vec<RoomActivity>, left: &[i64]) {
        let mut unknown = !left.is_empty();
        self.rooms.update(|held| {
            for summary in summaries {
                match held.get_mut(&summary.room_id) {
                    Some(old) if summary.supersedes(old) => *old = summary,
                    Some(_) => {}
                    None => {
                        unknown = true;
                        held.insert(summary.room_id, summary);
                    }
                }
            }
            for id in left {
                held.remove(id);
            }
        });
        if unknown {
            self.refresh();
        }
    }

    /// A `notify_settings` frame: the user changed a room's settings, here
    /// or in another tab.
    pub fn settings_changed(&self, room_id: i64, level: NotifyLevel, muted: bool) {
        self.settings.update(|held| {
            held.insert(room_id, (level, muted));
        });
        if self
            .muted
            .with_untracked(|held| held.contains(&room_id) != muted)
        {
            self.muted.update(|held| {
                if muted {
                    held.insert(room_id);
                } else {
                    held.remove(&room_id);
                }
            });
        }
        // The list says "muted" from its own read.
        self.refresh();
    }

    /// The room's settings as last changed, if they were since the page
    /// opened (tracked).
    pub fn settings_of(&self, room_id: i64) -> Option<(NotifyLevel, bool)> {
        self.settings.with(|held| held.get(&room_id).copied())
    }

    /// The room's newest summary (tracked).
    pub fn of(&self, room_id: i64) -> Option<RoomActivity> {
        self.rooms.with(|held| held.get(&room_id).cloned())
    }

    /// Unread messages in all the user's rooms but those they muted
    /// (tracked): the title's count.
    pub fn total(&self) -> i64 {
        self.muted.with(|muted| {
            self.rooms.with(|held| {
                held.values()
                    .filter(|a| !muted.contains(&a.room_id))
                    .map(|a| a.unread_count)
                    .sum()
            })
        })
    }
}

/// The tab's title with the unread total in front, as mail and chat tabs
/// show it: "(3) general · Chat".
pub fn titled(total: i64, title: String) -> String {
    match total {
        0 => title,
        n => format!("({n}) {title}"),
    }
}

/// Whether the reader can see the page: the tab is shown and the window has
/// the focus. Always false on the server.
pub fn page_is_seen() -> bool {
    #[cfg(feature = "hydrate")]
    {
        let document = document();
        document.visibility_state() == web_sys::VisibilityState::Visible
            && document.has_focus().unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Calls `seen` whenever the page may have come into the reader's view
/// (the window gained the focus, the tab was shown), until the calling
/// component is cleaned up. Nothing on the server.
pub fn when_page_seen(seen: impl Fn() + Clone + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let focus = leptos::prelude::window_event_listener(leptos::ev::focus, {
            let seen = seen.clone();
            move |_| seen()
        });
        let shown = leptos::leptos_dom::helpers::window_event_listener_untyped(
            "visibilitychange",
            move |_| seen(),
        );
        on_cleanup(move || {
            focus.remove();
            shown.remove();
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = seen;
}

/// Moves the open room's read marker as its end is seen: `saw(seq)` for
/// every event shown, `check(at_end)` whenever the reader may have reached
/// the end (an arrival, a scroll, the window regaining focus). One request
/// at a time; what arrives meanwhile is marked by the next.
#[derive(Clone, Copy)]
pub struct ReadMarker {
    room_id: i64,
    /// The newest seq shown.
    shown: StoredValue<i64>,
    /// The marker as last sent (or as the room came).
    marked: StoredValue<i64>,
    sending: StoredValue<bool>,
}

impl ReadMarker {
    pub fn new(room_id: i64, shown: i64, marked: i64) -> Self {
        Self {
            room_id,
            shown: StoredValue::new(shown),
            marked: StoredValue::new(marked),
            sending: StoredValue::new(false),
        }
    }

    pub fn saw(&self, seq: i64) {
        self.shown
            .try_update_value(|shown| *shown = (*shown).max(seq));
    }

    /// Marks everything shown as read if the reader is at the end of the
    /// room and can see the page.
    pub fn check(self, at_end: bool) {
        // Called from animation frames too, which may come after the room
        // closed (its values gone with it): nothing to do then.
        if !at_end || !page_is_seen() || self.sending.try_get_value() != Some(false) {
            return;
        }
        let (Some(seq), Some(marked)) = (self.shown.try_get_value(), self.marked.try_get_value())
        else {
            return;
        };
        if seq <= marked {
            return;
        }
        self.sending.set_value(true);
        leptos::task::spawn_local(async move {
            let sent = crate::api::mark_read(self.room_id, seq).await.is_ok();
            // The room may have closed meanwhile: its values with it.
            if self.sending.try_update_value(|s| *s = false).is_none() {
                return;
            }
            if sent {
                self.marked
                    .update_value(|marked| *marked = (*marked).max(seq));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(room_id: i64, last_seq: i64, last_read_seq: i64, unread: i64) -> RoomActivity {
        RoomActivity {
            room_id,
            last_seq,
            last_activity_at: "2026-12-01T10:00:00.000Z".into(),
            last_read_seq,
            unread_count: unread,
            mention_count: 0,
        }
    }

    #[test]
    fn a_summary_behind_in_either_seq_or_marker_is_older() {
        let now = summary(1, 10, 5, 3);
        assert!(summary(1, 11, 5, 4).supersedes(&now));
        assert!(summary(1, 10, 8, 1).supersedes(&now));
        assert!(now.supersedes(&now));
        assert!(!summary(1, 9, 8, 0).supersedes(&now), "behind in seq");
        assert!(!summary(1, 12, 4, 7).supersedes(&now), "behind in marker");
    }

    #[test]
    fn the_title_carries_the_total_when_there_is_one() {
        assert_eq!(titled(0, "Rooms · Chat".into()), "Rooms · Chat");
        assert_eq!(titled(12, "Rooms · Chat".into()), "(12) Rooms · Chat");
    }
}
