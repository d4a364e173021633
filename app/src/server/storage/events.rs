//! The per-room event log: every durable change to a room is one row of
//! `events`, numbered by the room's seq counter in the transaction that
//! makes the change (the [`writer`](crate::server::live::writer) does both).
//!
//! A row says what happened and points at what it changed (a message, a
//! user); it does not copy the message. Reading the log back therefore
//! gives each event with the message as it is *now*: a catch-up after an
//! edit and a deletion sends the deleted message twice, never the edited
//! text. Clients apply events as "this is how it is now" (replace the
//! message, add or remove one person's reaction), so applying the events
//! after the seq a client had, in order, always ends in the server's state.
//! Live delivery, a subscriber's backlog and the PostgreSQL listener's
//! catch-up all read the same rows through [`range`].

use std::collections::HashMap;

use sea_query::{Cond, Expr, Order, Query};
use sqlx::AnyConnection;

use super::db::Db;
use super::schema::{Events, Users};
use super::{messages, rooms};
use crate::model::{Author, LeaveReason, Message, Role, Room};
use crate::protocol::{Change, Entry, Event};
use crate::server::error::{Error, Result};

/// Events read per query when replaying a range.
const PAGE: u64 = 200;

/// What an event did, as stored in `events.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    MessagePosted,
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

const KINDS: [(Kind, &str); 10] = [
    (Kind::MessagePosted, "message_posted"),
    (Kind::MessageEdited, "message_edited"),
    (Kind::MessageDeleted, "message_deleted"),
    (Kind::ReactionAdded, "reaction_added"),
    (Kind::ReactionRemoved, "reaction_removed"),
    (Kind::MemberJoined, "member_joined"),
    (Kind::MemberLeft, "member_left"),
    (Kind::RoomUpdated, "room_updated"),
    (Kind::MemberRoleChanged, "member_role_changed"),
    (Kind::RoomDeleted, "room_deleted"),
];

impl Kind {
    pub fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("", |(_, name)| name)
    }

    fn parse(name: &str) -> Option<Kind> {
        KINDS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(kind, _)| *kind)
    }
}

/// One row of the log.
#[derive(Clone, Debug)]
pub struct Logged {
    pub room_id: i64,
    pub seq: i64,
    pub kind: Kind,
    pub message_id: Option<i64>,
    /// Who did it (for members joining and leaving: who).
    pub user: Author,
    pub emoji: Option<String>,
    /// The role a `member_role_changed` gave.
    pub role: Option<Role>,
    /// Why a `member_left` left.
    pub reason: LeaveReason,
}

impl Logged {
    /// The row's `detail` column: a role change's role, or why a member
    /// left when it was not of their own accord.
    fn detail(&self) -> Option<&'static str> {
        match (self.role, self.reason) {
            (Some(role), _) => Some(role.as_str()),
            (None, LeaveReason::Left) => None,
            (None, reason) => Some(reason.as_str()),
        }
    }
}

/// Appends rows to the log, inside the transaction that makes the changes.
pub async fn append(db: &Db, tx: &mut AnyConnection, rows: &[Logged], now: i64) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert()
        .into_table(Events::Table)
        .columns([
            Events::RoomId,
            Events::Seq,
            Events::Kind,
            Events::MessageId,
            Events::UserId,
            Events::Emoji,
            Events::CreatedAt,
            Events::Detail,
        ])
        .to_owned();
    for row in rows {
        insert
            .values([
                row.room_id.into(),
                row.seq.into(),
                row.kind.as_str().into(),
                row.message_id.into(),
                row.user.id.into(),
                row.emoji.clone().into(),
                now.into(),
                row.detail().into(),
            ])
            .map_err(|e| Error::Internal(format!("building the event insert: {e}")))?;
    }
    db.execute(tx, &insert).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct EventRow {
    room_id: i64,
    seq: i64,
    kind: String,
    message_id: Option<i64>,
    user_id: Option<i64>,
    username: Option<String>,
    emoji: Option<String>,
    detail: Option<String>,
}

/// A page of the log: its entries, and the seq of the last row read, where
/// the next page starts (`None`: nothing was left).
#[derive(Debug, Default)]
pub struct Page {
    pub entries: Vec<Entry>,
    pub last_read: Option<i64>,
}

/// The events with `after < seq <= up_to`, oldest first, at most a page of
/// them: call again from `last_read` for more.
pub async fn range(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    after: i64,
    up_to: i64,
) -> Result<Page> {
    let select = Query::select()
        .columns([
            (Events::Table, Events::RoomId),
            (Events::Table, Events::Seq),
            (Events::Table, Events::Kind),
            (Events::Table, Events::MessageId),
            (Events::Table, Events::UserId),
            (Events::Table, Events::Emoji),
            (Events::Table, Events::Detail),
        ])
        .column((Users::Table, Users::Username))
        .from(Events::Table)
        .left_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((Events::Table, Events::UserId)),
        )
        .and_where(Expr::col((Events::Table, Events::RoomId)).eq(room_id))
        .and_where(Expr::col((Events::Table, Events::Seq)).gt(after))
        .and_where(Expr::col((Events::Table, Events::Seq)).lte(up_to))
        .order_by((Events::Table, Events::Seq), Order::Asc)
        .limit(PAGE)
        .to_owned();
    let rows: Vec<EventRow> = db.fetch_all(conn, &select).await?;
    let last_read = rows.last().map(|row| row.seq);
    let logged: Vec<Logged> = rows
        .into_iter()
        .filter_map(|row| {
            let kind = Kind::parse(&row.kind).or_else(|| {
                tracing::warn!(kind = row.kind, "an event of an unknown kind is skipped");
                None
            })?;
            Some(Logged {
                room_id: row.room_id,
                seq: row.seq,
                kind,
                message_id: row.message_id,
                user: Author {
                    id: row.user_id.unwrap_or_default(),
                    username: row.username.unwrap_or_default(),
                },
                emoji: row.emoji,
                role: row.detail.as_deref().and_then(Role::parse),
                reason: reason(row.detail.as_deref()),
            })
        })
        .collect();
    let messages = messages::by_ids(db, conn, logged.iter().filter_map(|l| l.message_id)).await?;
    let renamed = logged.iter().filter(|l| l.kind == Kind::RoomUpdated);
    let rooms = rooms::as_members_see(db, conn, renamed.map(|l| l.room_id)).await?;
    let now = Current {
        messages: &messages,
        rooms: &rooms,
    };
    let entries = logged
        .into_iter()
        .filter_map(|row| entry(row, now))
        .collect();
    Ok(Page { entries, last_read })
}

/// What rows are rendered with: the messages and rooms they point at, as
/// they are now.
#[derive(Clone, Copy)]
pub struct Current<'a> {
    pub messages: &'a HashMap<i64, Message>,
    pub rooms: &'a HashMap<i64, Room>,
}

/// The entry a row stands for, with what it points at as it is now.
/// `None` only for a row whose message or room is gone, which the schema
/// prevents.
pub fn entry(row: Logged, now: Current<'_>) -> Option<Entry> {
    let message = || row.message_id.and_then(|id| now.messages.get(&id).cloned());
    let change = match row.kind {
        Kind::MessagePosted => return message().map(Entry::Posted),
        Kind::MessageEdited => Change::MessageEdited {
            message: message()?,
        },
        Kind::MessageDeleted => Change::MessageDeleted {
            message: message()?,
        },
        Kind::ReactionAdded => Change::ReactionAdded {
            message_id: row.message_id?,
            emoji: row.emoji?,
            user: row.user,
        },
        Kind::ReactionRemoved => Change::ReactionRemoved {
            message_id: row.message_id?,
            emoji: row.emoji?,
            user: row.user,
        },
        Kind::MemberJoined => Change::MemberJoined { user: row.user },
        Kind::MemberLeft => Change::MemberLeft {
            user: row.user,
            reason: row.reason,
        },
        Kind::RoomUpdated => Change::RoomUpdated {
            room: now.rooms.get(&row.room_id)?.clone(),
        },
        Kind::MemberRoleChanged => Change::MemberRoleChanged {
            user: row.user,
            role: row.role?,
        },
        Kind::RoomDeleted => Change::RoomDeleted { user: row.user },
    };
    Some(Entry::Changed(Event {
        room_id: row.room_id,
        seq: row.seq,
        change,
    }))
}

/// Why `user_id` last stopped being a member of the room, from its log
/// (the room's deletion, if that came after their last leave); `None` if
/// they never did.
pub async fn why_left(db: &Db, room_id: i64, user_id: i64) -> Result<Option<LeaveReason>> {
    let left = Cond::all()
        .add(Expr::col(Events::Kind).eq(Kind::MemberLeft.as_str()))
        .add(Expr::col(Events::UserId).eq(user_id));
    let select = Query::select()
        .columns([Events::Kind, Events::Detail])
        .from(Events::Table)
        .cond_where(
            Cond::all().add(Expr::col(Events::RoomId).eq(room_id)).add(
                Cond::any()
                    .add(left)
                    .add(Expr::col(Events::Kind).eq(Kind::RoomDeleted.as_str())),
            ),
        )
        .order_by(Events::Seq, Order::Desc)
        .limit(1)
        .to_owned();
    let mut conn = db.acquire().await?;
    let row: Option<(String, Option<String>)> = db.fetch_optional(&mut conn, &select).await?;
    Ok(row.map(|(kind, detail)| match Kind::parse(&kind) {
        Some(Kind::RoomDeleted) => LeaveReason::Deleted,
        _ => reason(detail.as_deref()),
    }))
}

/// Why a `member_left` row's member left, from its `detail`.
fn reason(detail: Option<&str>) -> LeaveReason {
    match detail {
        Some("removed") => LeaveReason::Removed,
        Some("deleted") => LeaveReason::Deleted,
        _ => LeaveReason::Left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_itself() {
        for (kind, name) in KINDS {
            assert_eq!(kind.as_str(), name);
            assert_eq!(Kind::parse(name), Some(kind));
        }
        assert_eq!(Kind::parse("room_burned"), None);
    }
}
