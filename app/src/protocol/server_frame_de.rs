//! Reading a [`ServerFrame`] in one pass.
//!
//! serde's derive for an internally tagged enum (`"type"` picks the
//! variant) must buffer the whole object into its generic `Content` tree
//! before it knows which variant it is reading, and the flattened event
//! (`"kind"` picks the change) buffers it again; that machinery, once per
//! type it reaches, was a twentieth of the browser's WASM. Here the frame
//! is read straight into one flat struct of every field a frame may carry,
//! and the variant is built from it. Serializing keeps the derive: the
//! shapes are the ones docs/api.md gives, and the tests below read back
//! every frame the server writes.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor, value::MapAccessDeserializer};

use super::{Change, Event, ServerFrame};
use crate::error::ErrorCode;
use crate::model::{
    Author, Invitation, LeaveReason, Message, NotifyLevel, Role, Room, RoomActivity, UserPresence,
};

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Type {
    Message,
    Event,
    Subscribed,
    Ack,
    Pong,
    Typing,
    Unsubscribed,
    Invited,
    InvitationClosed,
    DirectStarted,
    Activity,
    Presence,
    Notification,
    NotifySettings,
    Error,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    MessageEdited,
    MessageDeleted,
    ReactionAdded,
    ReactionRemoved,
    MemberJoined,
    MemberLeft,
    RoomUpdated,
    MemberRoleChanged,
    RoomDeleted,
}

/// Every field of every frame. `message` is an object in most frames and
/// the error's text in `error`.
#[derive(Deserialize)]
struct Fields {
    #[serde(rename = "type")]
    frame: Type,
    kind: Option<Kind>,
    room_id: Option<i64>,
    seq: Option<i64>,
    last_seq: Option<i64>,
    client_id: Option<String>,
    message: Option<MessageField>,
    message_id: Option<i64>,
    emoji: Option<String>,
    user: Option<Author>,
    room: Option<Room>,
    role: Option<Role>,
    reason: Option<LeaveReason>,
    code: Option<ErrorCode>,
    invitation: Option<Invitation>,
    invitation_id: Option<i64>,
    rooms: Option<Vec<RoomActivity>>,
    left: Option<Vec<i64>>,
    users: Option<Vec<UserPresence>>,
    title: Option<String>,
    body: Option<String>,
    notify: Option<NotifyLevel>,
    muted: Option<bool>,
}

enum MessageField {
    Text(String),
    Message(Box<Message>),
}

impl<'de> Deserialize<'de> for MessageField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> Visitor<'de> for Either {
            type Value = MessageField;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a message object or an error's text")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<MessageField, E> {
                Ok(MessageField::Text(text.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MessageField, A::Error> {
                Message::deserialize(MapAccessDeserializer::new(map))
                    .map(|m| MessageField::Message(Box::new(m)))
            }
        }
        deserializer.deserialize_any(Either)
    }
}

impl<'de> Deserialize<'de> for ServerFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Fields::deserialize(deserializer)?
            .into_frame()
            .map_err(de::Error::custom)
    }
}

impl Fields {
    fn into_frame(self) -> Result<ServerFrame, String> {
        let Fields {
            frame,
            kind,
            room_id,
            seq,
            last_seq,
            client_id,
            message,
            message_id,
            emoji,
            user,
            room,
            role,
            reason,
            code,
            invitation,
            invitation_id,
            rooms,
            left,
            users,
            title,
            body,
            notify,
            muted,
        } = self;
        fn need<T>(value: Option<T>, field: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("missing field `{field}`"))
        }
        let object = |field: Option<MessageField>| match need(field, "message")? {
            MessageField::Message(m) => Ok(*m),
            MessageField::Text(_) => Err("`message` must be an object".to_owned()),
        };
        Ok(match frame {
            Type::Message => ServerFrame::Message {
                message: object(message)?,
            },
            Type::Ack => ServerFrame::Ack {
                client_id: need(client_id, "client_id")?,
                message: object(message)?,
            },
            Type::Subscribed => ServerFrame::Subscribed {
                room_id: need(room_id, "room_id")?,
                last_seq: need(last_seq, "last_seq")?,
            },
            Type::Pong => ServerFrame::Pong,
            Type::Typing => ServerFrame::Typing {
                room_id: need(room_id, "room_id")?,
                user: need(user, "user")?,
            },
            Type::Unsubscribed => ServerFrame::Unsubscribed {
                room_id: need(room_id, "room_id")?,
                reason: need(reason, "reason")?,
            },
            Type::Invited => ServerFrame::Invited {
                invitation: need(invitation, "invitation")?,
            },
            Type::InvitationClosed => ServerFrame::InvitationClosed {
                invitation_id: need(invitation_id, "invitation_id")?,
            },
            Type::DirectStarted => ServerFrame::DirectStarted {
                room: need(room, "room")?,
            },
            Type::Activity => ServerFrame::Activity {
                rooms: need(rooms, "rooms")?,
                left: left.unwrap_or_default(),
            },
            Type::Presence => ServerFrame::Presence {
                users: need(users, "users")?,
            },
            Type::Notification => ServerFrame::Notification {
                room_id: need(room_id, "room_id")?,
                message_id: need(message_id, "message_id")?,
                seq: need(seq, "seq")?,
                title: need(title, "title")?,
                body: need(body, "body")?,
            },
            Type::NotifySettings => ServerFrame::NotifySettings {
                room_id: need(room_id, "room_id")?,
                notify: need(notify, "notify")?,
                muted: need(muted, "muted")?,
            },
            Type::Error => ServerFrame::Error {
                code: need(code, "code")?,
                message: match need(message, "message")? {
                    MessageField::Text(text) => text,
                    MessageField::Message(_) => {
                        return Err("an error's `message` must be text".to_owned());
                    }
                },
                client_id,
                room_id,
            },
            Type::Event => {
                let change = match need(kind, "kind")? {
                    Kind::MessageEdited => Change::MessageEdited {
                        message: object(message)?,
                    },
                    Kind::MessageDeleted => Change::MessageDeleted {
                        message: object(message)?,
                    },
                    Kind::ReactionAdded => Change::ReactionAdded {
                        message_id: need(message_id, "message_id")?,
                        emoji: need(emoji, "emoji")?,
                        user: need(user, "user")?,
                    },
                    Kind::ReactionRemoved => Change::ReactionRemoved {
                        message_id: need(message_id, "message_id")?,
                        emoji: need(emoji, "emoji")?,
                        user: need(user, "user")?,
                    },
                    Kind::MemberJoined => Change::MemberJoined {
                        user: need(user, "user")?,
                    },
                    Kind::MemberLeft => Change::MemberLeft {
                        user: need(user, "user")?,
                        // Written by every server since reasons exist.
                        reason: reason.unwrap_or_default(),
                    },
                    Kind::RoomUpdated => Change::RoomUpdated {
                        room: need(room, "room")?,
                    },
                    Kind::MemberRoleChanged => Change::MemberRoleChanged {
                        user: need(user, "user")?,
                        role: need(role, "role")?,
                    },
                    Kind::RoomDeleted => Change::RoomDeleted {
                        user: need(user, "user")?,
                    },
                };
                ServerFrame::Event(Event {
                    room_id: need(room_id, "room_id")?,
                    seq: need(seq, "seq")?,
                    change,
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Reaction, ReplyTo};

    fn author(id: i64) -> Author {
        Author {
            id,
            username: format!("user{id}"),
        }
    }

    fn message() -> Message {
        Message {
            id: 7,
            room_id: 2,
            seq: 11,
            author: author(1),
            body: "hi \"there\"".into(),
            body_html: "<p>hi &quot;there&quot;</p>\n".into(),
            created_at: "2026-11-30T10:00:00.000Z".into(),
            client_id: Some("c-1".into()),
            edited_at: Some("2026-11-30T10:01:00.000Z".into()),
            deleted: false,
            reply_to: Some(ReplyTo {
                id: 3,
                seq: 4,
                author: author(2),
                excerpt: "earlier".into(),
            }),
            reactions: vec![Reaction {
                emoji: "👍".into(),
                count: 2,
                user_ids: vec![1, 2],
                first_seq: 12,
            }],
            mentions: vec![2],
            mentions_room: true,
            attachments: Vec::new(),
        }
    }

    fn every_frame() -> Vec<ServerFrame> {
        let event = |seq, change| {
            ServerFrame::Event(Event {
                room_id: 2,
                seq,
                change,
            })
        };
        vec![
            ServerFrame::Message { message: message() },
            ServerFrame::Ack {
                client_id: "c-1".into(),
                message: message(),
            },
            ServerFrame::Subscribed {
                room_id: 2,
                last_seq: 40,
            },
            ServerFrame::Pong,
            ServerFrame::Error {
                code: ErrorCode::InvalidFrame,
                message: "bad".into(),
                client_id: Some("c-2".into()),
                room_id: Some(2),
            },
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message: "slow down".into(),
                client_id: None,
                room_id: None,
            },
            event(12, Change::MessageEdited { message: message() }),
            event(13, Change::MessageDeleted { message: message() }),
            event(
                14,
                Change::ReactionAdded {
                    message_id: 7,
                    emoji: "🎉".into(),
                    user: author(3),
                },
            ),
            event(
                15,
                Change::ReactionRemoved {
                    message_id: 7,
                    emoji: "🎉".into(),
                    user: author(3),
                },
            ),
            event(16, Change::MemberJoined { user: author(4) }),
            event(
                17,
                Change::MemberLeft {
                    user: author(4),
                    reason: LeaveReason::Left,
                },
            ),
            event(
                17,
                Change::MemberLeft {
                    user: author(5),
                    reason: LeaveReason::Removed,
                },
            ),
            ServerFrame::Unsubscribed {
                room_id: 2,
                reason: LeaveReason::Removed,
            },
            ServerFrame::Invited {
                invitation: Invitation {
                    id: 5,
                    room: Room {
                        id: 2,
                        name: "plans".into(),
                        kind: crate::model::RoomKind::Private,
                        topic: String::new(),
                        created_at: "2026-11-30T09:00:00.000Z".into(),
                        owner_id: 1,
                        member_count: 2,
                        joined: false,
                        my_role: None,
                        last_seq: 4,
                        last_activity_at: "2026-11-30T10:02:00.000Z".into(),
                        last_read_seq: None,
                        unread_count: 0,
                        mention_count: 0,
                        others: Vec::new(),
                        notify: crate::model::NotifyLevel::Mentions,
                        muted: false,
                    },
                    inviter: author(1),
                    created_at: "2026-11-30T10:03:00.000Z".into(),
                },
            },
            ServerFrame::InvitationClosed { invitation_id: 5 },
            ServerFrame::NotifySettings {
                room_id: 2,
                notify: NotifyLevel::All,
                muted: true,
            },
            ServerFrame::Notification {
                room_id: 2,
                message_id: 40,
                seq: 17,
                title: "ann in plans".into(),
                body: "@bo are you coming?".into(),
            },
            ServerFrame::Presence {
                users: vec![UserPresence {
                    user_id: 4,
                    status: crate::model::Presence::Online,
                }],
            },
            ServerFrame::Typing {
                room_id: 2,
                user: author(3),
            },
            ServerFrame::Activity {
                rooms: vec![RoomActivity {
                    room_id: 3,
                    last_seq: 14,
                    last_activity_at: "2026-11-30T10:04:00.000Z".into(),
                    last_read_seq: 12,
                    unread_count: 2,
                    mention_count: 0,
                }],
                left: vec![4],
            },
            ServerFrame::Activity {
                rooms: Vec::new(),
                left: Vec::new(),
            },
            ServerFrame::DirectStarted {
                room: Room {
                    id: 3,
                    name: "ann, ben".into(),
                    kind: crate::model::RoomKind::Direct,
                    topic: String::new(),
                    created_at: "2026-11-30T09:00:00.000Z".into(),
                    owner_id: 1,
                    member_count: 3,
                    joined: true,
                    my_role: Some(Role::Member),
                    last_seq: 0,
                    last_activity_at: "2026-11-30T09:00:00.000Z".into(),
                    last_read_seq: None,
                    unread_count: 0,
                    mention_count: 0,
                    others: vec![UserPresence {
                        user_id: 2,
                        status: crate::model::Presence::Away,
                    }],
                    notify: crate::model::NotifyLevel::All,
                    muted: true,
                },
            },
            ServerFrame::Unsubscribed {
                room_id: 2,
                reason: LeaveReason::Deleted,
            },
            event(21, Change::RoomDeleted { user: author(1) }),
            event(
                18,
                Change::RoomUpdated {
                    room: Room {
                        id: 2,
                        name: "renamed".into(),
                        kind: crate::model::RoomKind::Private,
                        topic: "plans".into(),
                        created_at: "2026-11-30T09:00:00.000Z".into(),
                        owner_id: 1,
                        member_count: 3,
                        joined: true,
                        my_role: None,
                        last_seq: 18,
                        last_activity_at: "2026-11-30T10:02:00.000Z".into(),
                        last_read_seq: None,
                        unread_count: 0,
                        mention_count: 0,
                        others: Vec::new(),
                        notify: crate::model::NotifyLevel::Mentions,
                        muted: false,
                    },
                },
            ),
            event(
                19,
                Change::MemberRoleChanged {
                    user: author(4),
                    role: Role::Admin,
                },
            ),
        ]
    }

    #[test]
    fn every_frame_the_server_writes_reads_back_the_same() {
        for frame in every_frame() {
            let json = serde_json::to_string(&frame).unwrap();
            assert_eq!(
                serde_json::from_str::<ServerFrame>(&json).unwrap(),
                frame,
                "{json}"
            );
            // Through a buffered value too (the PostgreSQL listener reads
            // a frame inside an untagged notice).
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::from_value::<ServerFrame>(value).unwrap(), frame);
        }
    }

    #[test]
    fn fields_in_any_order_and_unknown_ones_are_read() {
        let json = r#"{"last_seq":5,"future":{"x":[1]},"room_id":2,"type":"subscribed"}"#;
        assert_eq!(
            serde_json::from_str::<ServerFrame>(json).unwrap(),
            ServerFrame::Subscribed {
                room_id: 2,
                last_seq: 5
            }
        );
    }

    #[test]
    fn a_frame_missing_what_its_type_needs_is_refused() {
        for json in [
            r#"{"type":"subscribed","room_id":2}"#,
            r#"{"type":"message"}"#,
            r#"{"type":"message","message":"text"}"#,
            r#"{"type":"ack","message":{"id":1}}"#,
            r#"{"type":"error","code":"invalid_frame"}"#,
            r#"{"type":"error","message":"x"}"#,
            r#"{"type":"event","room_id":2,"seq":3,"kind":"member_left"}"#,
            r#"{"type":"event","room_id":2,"seq":3,"user":{"id":1,"username":"a"}}"#,
            r#"{"type":"nope"}"#,
            r#"{"room_id":2}"#,
            r#"[1,2]"#,
        ] {
            assert!(serde_json::from_str::<ServerFrame>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn an_error_code_this_build_does_not_know_still_reads() {
        let json = r#"{"type":"error","code":"from_the_future","message":"x"}"#;
        assert!(matches!(
            serde_json::from_str::<ServerFrame>(json).unwrap(),
            ServerFrame::Error {
                code: ErrorCode::Unknown,
                ..
            }
        ));
    }
}
