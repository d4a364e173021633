//! The tab's one WebSocket, shared by every page (the frames in `protocol/`).
//!
//! Pages subscribe to a room with a handler and receive typed [`RoomEvent`]s.
//! This module owns the hard parts so pages do not: it remembers the highest
//! seq seen per room and resubscribes with it after any reconnect (so the
//! server replays exactly what was missed), it keeps every send until its ack
//! and resends it with the same `client_id` after a reconnect (so nothing is
//! lost or doubled), and it reconnects with capped exponential backoff plus
//! jitter. When the browser reports the network gone it drops the socket at
//! once rather than waiting for TCP to notice, and reconnects the moment the
//! network is back. A socket refused before it opens tells the page nothing
//! (browsers hide the upgrade's status behind close code 1006), so then it
//! asks the server who is logged in: a session that ended while the tab was
//! asleep or offline shows as logged out instead of reconnecting forever.
//! On the server this is inert: sockets exist only in the browser.
//!
//! Keeping a connection alive (`transport`) and keeping the promises made to
//! each room (`rooms`) are separate jobs, so they live in separate files; they
//! share one state because one socket carries every room.

#[cfg(feature = "hydrate")]
mod notices;
#[cfg(feature = "hydrate")]
mod rooms;
#[cfg(feature = "hydrate")]
mod transport;

use leptos::prelude::*;

use crate::model::Message;
use crate::protocol::{ClientFrame, Event};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Status {
    /// No socket wanted yet (server render, or before the first subscribe).
    Idle,
    Connecting,
    Open,
    /// The socket dropped; a reconnect is scheduled.
    Reconnecting,
    /// The browser reports no network; reconnects when it is back.
    Offline,
    /// The server ended the session (logout elsewhere, expiry).
    SessionEnded,
}

#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum RoomEvent {
    /// Backlog delivered; what follows is live.
    Subscribed,
    Message(Message),
    /// Any other change to the room: an edit, a deletion, a reaction, a
    /// member joining or leaving, a rename.
    Changed(Event),
    /// The server stored one of our sends (the message carries its client_id).
    Ack(Message),
    /// Someone else in the room is typing (a signal, not an event).
    Typing(crate::model::Author),
    /// The server stopped sending the room: the user was removed from it.
    Unsubscribed(crate::model::LeaveReason),
    /// A refused send (with its client_id) or a room-level problem (without).
    Error {
        message: String,
        client_id: Option<String>,
    },
}

/// What the socket hears for the user rather than a room.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum UserEvent {
    /// The socket (re)opened: what was sent while it was closed is lost,
    /// so read the state again.
    Connected,
    /// An invitation arrived, or one was accepted or declined (maybe in
    /// another tab): the list of pending ones changed.
    InvitationsChanged,
    /// The user's room list changed: a room is new in it (someone started
    /// a direct conversation with them).
    RoomsChanged,
    /// Rooms this tab does not watch changed (new events, a read marker
    /// moved elsewhere): their summaries as they now are; and rooms the
    /// user is no longer in.
    Activity {
        rooms: Vec<crate::model::RoomActivity>,
        left: Vec<i64>,
    },
    /// People who share a room with the user came, went or went idle.
    Presence(Vec<crate::model::UserPresence>),
    /// A message the user is to hear of (`ServerFrame::Notification`).
    Notification {
        room_id: i64,
        message_id: i64,
        seq: i64,
        title: String,
        body: String,
    },
    /// The user's notification settings of a room changed, maybe in
    /// another tab.
    NotifySettings {
        room_id: i64,
        notify: crate::model::NotifyLevel,
        muted: bool,
    },
}

#[derive(Clone, Copy)]
pub struct ChatSocket {
    status: RwSignal<Status>,
}

impl ChatSocket {
    pub fn provide() {
        provide_context(ChatSocket {
            status: RwSignal::new(Status::Idle),
        });
    }

    pub fn get() -> ChatSocket {
        expect_context::<ChatSocket>()
    }

    pub fn status(&self) -> Status {
        self.status.get()
    }

    /// Starts delivering `room_id` to `handler`: every message after
    /// `after_seq`, then live ones.
    pub fn subscribe(&self, room_id: i64, after_seq: i64, handler: impl Fn(RoomEvent) + 'static) {
        #[cfg(feature = "hydrate")]
        rooms::subscribe(self.status, room_id, after_seq, std::rc::Rc::new(handler));
        #[cfg(not(feature = "hydrate"))]
        let _ = (room_id, after_seq, handler);
    }

    pub fn unsubscribe(&self, room_id: i64) {
        #[cfg(feature = "hydrate")]
        rooms::unsubscribe(room_id);
        #[cfg(not(feature = "hydrate"))]
        let _ = room_id;
    }

    /// Hands the frames for the user to `handler` (one follower per tab; a
    /// new one replaces it), connecting if need be. Returns its id, to
    /// stop with [`ChatSocket::stop_user_events`].
    pub fn on_user_events(&self, handler: impl Fn(UserEvent) + 'static) -> u64 {
        #[cfg(feature = "hydrate")]
        return notices::watch(self.status, std::rc::Rc::new(handler));
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = handler;
            0
        }
    }

    /// Stops the follower `id`, unless another has replaced it.
    pub fn stop_user_events(&self, id: u64) {
        #[cfg(feature = "hydrate")]
        notices::unwatch(id);
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    }

    /// Queues a request that changes a room (a post, an edit, a deletion,
    /// a reaction); it is sent now or after the next reconnect, and resent
    /// with its client_id until acknowledged (each is idempotent).
    pub fn request(&self, frame: ClientFrame) {
        #[cfg(feature = "hydrate")]
        rooms::request(frame);
        #[cfg(not(feature = "hydrate"))]
        let _ = frame;
    }

    /// Sends a signal that is true only now (the user is typing), if the
    /// socket is open; dropped otherwise.
    pub fn signal(&self, frame: ClientFrame) {
        #[cfg(feature = "hydrate")]
        rooms::signal(frame);
        #[cfg(not(feature = "hydrate"))]
        let _ = frame;
    }

    /// Closes the socket for good (logout).
    pub fn disconnect(&self) {
        #[cfg(feature = "hydrate")]
        transport::disconnect();
        self.status.set(Status::Idle);
    }
}
