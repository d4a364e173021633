//! The WebSocket protocol: one socket per tab carries every room it watches.
//!
//! Every durable change to a room is an event numbered by the room's seq: a
//! post arrives as a `message` frame, anything else (an edit, a deletion, a
//! reaction, a member joining or leaving) as an `event` frame. The rule a
//! reader must know: after `subscribe {after_seq: N}` the server sends every
//! event with seq > N, then `subscribed {last_seq: L}`, then live events with
//! seq > L only. A client that remembers the highest seq it has seen per room
//! can therefore reconnect and resume with no gap and no duplicate. Without
//! `after_seq` no backlog is sent; the client reads history over HTTP.
//!
//! Events replayed in a backlog carry messages in their current state, so a
//! client applies every event as "this is how it is now": replacing the
//! message, or adding or removing one person's reaction, which is idempotent.
//! A reply carries the start of the message it answers; when that message
//! is edited or deleted, the client updates the excerpt in the replies it
//! holds (no event is logged for each reply).

mod server_frame_de;

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::model::{
    Author, Invitation, LeaveReason, Message, NotifyLevel, Role, Room, RoomActivity, UserPresence,
};

/// Largest text frame the server reads; bigger frames close the socket (1009).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// How often a client says the user is typing, at most; more often is
/// ignored by the server.
pub const TYPING_EVERY_MS: u64 = 3_000;
/// How long a client shows that someone is typing after the last signal.
pub const TYPING_SHOWN_MS: u64 = 5_000;

/// How often a client says its tab is in use, at most (`active`): a
/// person is shown away after minutes without one, so once a minute is
/// plenty.
pub const ACTIVE_EVERY_MS: u64 = 60_000;

/// Close code sent when the user's session ends (logout or expiry).
pub const CLOSE_SESSION_ENDED: u16 = 4001;
/// Close code sent to a subscriber that fell too far behind; it should
/// reconnect and resume from its last seq.
pub const CLOSE_TOO_SLOW: u16 = 4008;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Subscribe {
        room_id: i64,
        #[serde(default)]
        after_seq: Option<i64>,
    },
    Unsubscribe {
        room_id: i64,
    },
    Send {
        room_id: i64,
        body: String,
        client_id: String,
        /// The id of a message in the same room that this one answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<i64>,
        /// Upload ids sent with it (`body` may then be empty).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
    /// Only the author may edit; answered with `ack` (the edited message).
    Edit {
        room_id: i64,
        message_id: i64,
        body: String,
        client_id: String,
    },
    /// The author or the room's owner; answered with `ack`.
    Delete {
        room_id: i64,
        message_id: i64,
        client_id: String,
    },
    React {
        room_id: i64,
        message_id: i64,
        emoji: String,
        client_id: String,
    },
    Unreact {
        room_id: i64,
        message_id: i64,
        emoji: String,
        client_id: String,
    },
    Ping,
    /// The user is typing in a room this socket watches: sent at most
    /// every few seconds while they type; never stored.
    Typing {
        room_id: i64,
    },
    /// The person used the tab (a key, a click, the tab shown again): they
    /// are online rather than away. At most once a minute
    /// ([`ACTIVE_EVERY_MS`]); never answered.
    Active,
}

impl ClientFrame {
    /// The id a request is acknowledged by, for the frames that change a
    /// room (`send`, `edit`, `delete`, `react`, `unreact`).
    pub fn client_id(&self) -> Option<&str> {
        match self {
            ClientFrame::Send { client_id, .. }
            | ClientFrame::Edit { client_id, .. }
            | ClientFrame::Delete { client_id, .. }
            | ClientFrame::React { client_id, .. }
            | ClientFrame::Unreact { client_id, .. } => Some(client_id),
            ClientFrame::Subscribe { .. }
            | ClientFrame::Unsubscribe { .. }
            | ClientFrame::Ping
            | ClientFrame::Typing { .. }
            | ClientFrame::Active => None,
        }
    }

    pub fn room_id(&self) -> Option<i64> {
        match self {
            ClientFrame::Subscribe { room_id, .. }
            | ClientFrame::Unsubscribe { room_id }
            | ClientFrame::Send { room_id, .. }
            | ClientFrame::Edit { room_id, .. }
            | ClientFrame::Delete { room_id, .. }
            | ClientFrame::React { room_id, .. }
            | ClientFrame::Unreact { room_id, .. }
            | ClientFrame::Typing { room_id } => Some(*room_id),
            ClientFrame::Ping | ClientFrame::Active => None,
        }
    }
}

/// The `type` of every client frame, for the parser's error messages.
pub const CLIENT_FRAME_TYPES: [&str; 10] = [
    "subscribe",
    "unsubscribe",
    "send",
    "edit",
    "delete",
    "react",
    "unreact",
    "ping",
    "typing",
    "active",
];

/// A durable change to a room other than a post, as the `event` frame
/// carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    pub room_id: i64,
    pub seq: i64,
    #[serde(flatten)]
    pub change: Change,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    MessageEdited {
        message: Message,
    },
    MessageDeleted {
        message: Message,
    },
    ReactionAdded {
        message_id: i64,
        emoji: String,
        user: Author,
    },
    ReactionRemoved {
        message_id: i64,
        emoji: String,
        user: Author,
    },
    MemberJoined {
        user: Author,
    },
    MemberLeft {
        user: Author,
        /// `left`, or `removed` by an owner or admin.
        reason: LeaveReason,
    },
    /// The room's name, topic or kind changed; `room` is the room as it
    /// now is, as its members see it (`joined` is true, `my_role` null).
    RoomUpdated {
        room: Room,
    },
    /// A member's role changed (an owner or admin gave it, or the room
    /// passed to them when its last owner left).
    MemberRoleChanged {
        user: Author,
        role: Role,
    },
    /// `user`, an owner, deleted the room: the last event of its log. Every
    /// subscription to it ends right after it (`unsubscribed`, reason
    /// `deleted`).
    RoomDeleted {
        user: Author,
    },
}

/// One entry of a room's event log, as it is delivered: a post, or any
/// other change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Posted(Message),
    Changed(Event),
}

impl Entry {
    pub fn room_id(&self) -> i64 {
        match self {
            Entry::Posted(message) => message.room_id,
            Entry::Changed(event) => event.room_id,
        }
    }

    pub fn seq(&self) -> i64 {
        match self {
            Entry::Posted(message) => message.seq,
            Entry::Changed(event) => event.seq,
        }
    }

    /// The entry read back from its frame, if the frame is one.
    pub fn from_frame(frame: ServerFrame) -> Option<Self> {
        match frame {
            ServerFrame::Message { message } => Some(Entry::Posted(message)),
            ServerFrame::Event(event) => Some(Entry::Changed(event)),
            _ => None,
        }
    }
}

impl From<Entry> for ServerFrame {
    fn from(entry: Entry) -> Self {
        match entry {
            Entry::Posted(message) => ServerFrame::Message { message },
            Entry::Changed(event) => ServerFrame::Event(event),
        }
    }
}

/// Read by a hand-written `Deserialize` (`server_frame_de.rs`), in one pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Message {
        message: Message,
    },
    Event(Event),
    Subscribed {
        room_id: i64,
        last_seq: i64,
    },
    /// The answer to `send`, `edit`, `delete`, `react` and `unreact`: the
    /// message as it now is.
    Ack {
        client_id: String,
        message: Message,
    },
    Pong,
    /// Someone else in a room this socket watches is typing; show it for
    /// a few seconds after the last one ([`TYPING_SHOWN_MS`]). Not stored,
    /// not numbered: a socket that was not watching just missed it.
    Typing {
        room_id: i64,
        user: Author,
    },
    /// The socket no longer receives the room: the user was removed from
    /// it (`reason: "removed"`) or it was deleted (`"deleted"`). (A user
    /// who left is told `not_a_member`.)
    Unsubscribed {
        room_id: i64,
        reason: LeaveReason,
    },
    /// The user was invited to a room (sent to their sockets, not a room's).
    Invited {
        invitation: Invitation,
    },
    /// One of the user's invitations was accepted or declined (in another
    /// tab, maybe): it is no longer pending.
    InvitationClosed {
        invitation_id: i64,
    },
    /// Someone started a direct conversation with the user (sent to their
    /// sockets): it is new in their room list, titled for them.
    DirectStarted {
        room: Room,
    },
    /// What changed in the user's rooms that this socket does not watch
    /// (new events, or their read marker moved in another tab or on
    /// another device), one summary per room; and the rooms they are no
    /// longer in (they left or were removed elsewhere, or it was deleted).
    /// Sent at most a few times a second, each summarizing everything
    /// since the last; a socket that missed one reads the list again.
    Activity {
        rooms: Vec<RoomActivity>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        left: Vec<i64>,
    },
    /// People who share a room with the user came, went or went idle (sent
    /// to the user's sockets, a few seconds after, however often they
    /// flapped in between). Not stored: the member list and a direct
    /// conversation say how things are when they are read.
    Presence {
        users: Vec<UserPresence>,
    },
    /// A message the user is to hear of (it names them, it is in a direct
    /// conversation, or they follow every message of the room: their
    /// `notify` level, unless they muted it), sent to all their sockets.
    /// A tab shows it as a notification unless that room is open and in
    /// view there. `title` says who wrote it and where; `body` is the
    /// start of its text.
    Notification {
        room_id: i64,
        message_id: i64,
        seq: i64,
        title: String,
        body: String,
    },
    /// The user changed what they are notified of in a room, or muted or
    /// unmuted it (sent to all their sockets, so every tab shows it).
    NotifySettings {
        room_id: i64,
        notify: NotifyLevel,
        muted: bool,
    },
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room_id: Option<i64>,
    },
}

impl ServerFrame {
    /// A frame for the user rather than for one of their rooms: it goes to
    /// all of their sockets, and the client hands it to what follows the
    /// user (`socket::notices`), not to a room.
    pub fn is_for_user(&self) -> bool {
        matches!(
            self,
            ServerFrame::Invited { .. }
                | ServerFrame::InvitationClosed { .. }
                | ServerFrame::DirectStarted { .. }
                | ServerFrame::Activity { .. }
                | ServerFrame::Presence { .. }
                | ServerFrame::Notification { .. }
                | ServerFrame::NotifySettings { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_without_after_seq_parses() {
        let frame: ClientFrame =
            serde_json::from_str(r#"{"type":"subscribe","room_id":3}"#).unwrap();
        assert_eq!(
            frame,
            ClientFrame::Subscribe {
                room_id: 3,
                after_seq: None
            }
        );
    }

    #[test]
    fn error_frame_omits_absent_fields() {
        let json = serde_json::to_string(&ServerFrame::Error {
            code: ErrorCode::InvalidFrame,
            message: "x".into(),
            client_id: None,
            room_id: None,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"type":"error","code":"invalid_frame","message":"x"}"#
        );
    }

    #[test]
    fn event_frames_are_flat() {
        let frame = ServerFrame::Event(Event {
            room_id: 2,
            seq: 9,
            change: Change::MemberLeft {
                user: Author {
                    id: 4,
                    username: "bo".into(),
                },
                reason: LeaveReason::Removed,
            },
        });
        let json = serde_json::to_string(&frame).unwrap();
        assert_eq!(
            json,
            r#"{"type":"event","room_id":2,"seq":9,"kind":"member_left","user":{"id":4,"username":"bo"},"reason":"removed"}"#
        );
        assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), frame);
    }

    #[test]
    fn send_requires_client_id() {
        let result: Result<ClientFrame, _> =
            serde_json::from_str(r#"{"type":"send","room_id":1,"body":"hi"}"#);
        assert!(result.is_err());
    }
}
