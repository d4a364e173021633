//! The JSON shapes that cross the wire, defined once.
//!
//! The server, the WASM client, the React island and the OpenAPI document all
//! read these types; a field renamed here is renamed everywhere. Times are
//! RFC 3339 UTC strings with milliseconds so any client can parse them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub created_at: String,
}

/// A message's author as embedded in the message, so a client never needs a
/// second lookup to show who wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Author {
    pub id: i64,
    pub username: String,
}

/// Who can see and join a room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    /// Listed to everyone; anyone may join.
    #[default]
    Public,
    /// Listed and readable only by its members; joining takes an invitation.
    Private,
    /// A conversation between a few people: no name, no roles.
    Direct,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Public => "public",
            RoomKind::Private => "private",
            RoomKind::Direct => "direct",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [RoomKind::Public, RoomKind::Private, RoomKind::Direct]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// What a member may do in a room. Owners and admins moderate (rename, set
/// the topic, remove members, delete any message, make others admin); only
/// owners delete the room or change its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    // Declared from least to most: `Ord` is rank.
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Role::Member, Role::Admin, Role::Owner]
            .into_iter()
            .find(|role| role.as_str() == name)
    }

    /// Owners and admins.
    pub fn moderates(self) -> bool {
        self >= Role::Admin
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Room {
    pub id: i64,
    pub name: String,
    pub kind: RoomKind,
    /// One line; "" when none.
    pub topic: String,
    pub created_at: String,
    /// The room's creator.
    pub owner_id: i64,
    pub member_count: i64,
    /// Whether the user asking is a member.
    pub joined: bool,
    /// The asking user's role; null when not a member, and in events
    /// (which every member receives alike).
    pub my_role: Option<Role>,
    /// Seq of the room's newest event (a post, an edit, a reaction, a
    /// member joining or leaving), 0 for a room with none.
    pub last_seq: i64,
    /// Time of the newest message, or of creation for an empty room.
    pub last_activity_at: String,
    /// The seq up to which the asking user has read the room (their read
    /// marker); null when not a member, and in events.
    pub last_read_seq: Option<i64>,
    /// Messages of others after the read marker that are still there; 0
    /// when not a member, and in events.
    pub unread_count: i64,
    /// Of those, the ones that mention the asking user (by name or
    /// `@room`).
    pub mention_count: i64,
    /// In a direct conversation, the other people in it and whether they
    /// are here, as of the answer; empty (and left out) otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<UserPresence>,
    /// What the asking user is notified of here (`mentions` when not a
    /// member, and in events).
    #[serde(default)]
    pub notify: NotifyLevel,
    /// Whether the asking user muted the room: no notifications, and its
    /// unread messages are not called out.
    #[serde(default)]
    pub muted: bool,
}

/// What a member is notified of in a room: every message, or only those
/// that mention them (and, in a direct conversation, every message: the
/// default), or nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    All,
    #[default]
    Mentions,
    None,
}

impl NotifyLevel {
    pub const EVERY: [NotifyLevel; 3] =
        [NotifyLevel::All, NotifyLevel::Mentions, NotifyLevel::None];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyLevel::All => "all",
            NotifyLevel::Mentions => "mentions",
            NotifyLevel::None => "none",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::EVERY.into_iter().find(|level| level.as_str() == name)
    }

    /// As a person picks it.
    pub fn label(self) -> &'static str {
        match self {
            NotifyLevel::All => "All messages",
            NotifyLevel::Mentions => "Mentions and direct messages",
            NotifyLevel::None => "Nothing",
        }
    }
}

/// What a member's room list shows of one room, as of the room's event
/// `last_seq` and their read marker `last_read_seq`: the counts are a
/// function of those two, and both only grow, so of two summaries of one
/// room the one not behind in either is the newer (a client keeps it and
/// drops the other, whatever order they arrived in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoomActivity {
    pub room_id: i64,
    pub last_seq: i64,
    pub last_activity_at: String,
    pub last_read_seq: i64,
    pub unread_count: i64,
    pub mention_count: i64,
}

impl RoomActivity {
    /// Whether this summary is at least as new as `other` (of the same
    /// room): behind in neither the room's log nor the marker.
    pub fn supersedes(&self, other: &RoomActivity) -> bool {
        self.last_seq >= other.last_seq && self.last_read_seq >= other.last_read_seq
    }
}

impl Room {
    /// The room as its member's list shows it; `None` when the asker is
    /// not a member (no marker, nothing unread).
    pub fn activity(&self) -> Option<RoomActivity> {
        Some(RoomActivity {
            room_id: self.id,
            last_seq: self.last_seq,
            last_activity_at: self.last_activity_at.clone(),
            last_read_seq: self.last_read_seq?,
            unread_count: self.unread_count,
            mention_count: self.mention_count,
        })
    }
}

/// Why someone stopped being in a room: they left, a moderator removed
/// them, or the room was deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    #[default]
    Left,
    Removed,
    Deleted,
}

impl LeaveReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LeaveReason::Left => "left",
            LeaveReason::Removed => "removed",
            LeaveReason::Deleted => "deleted",
        }
    }
}

/// A member of a room, as the member list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Member {
    pub user: Author,
    pub role: Role,
    pub joined_at: String,
    /// Whether they are here, as of the answer (`presence` frames follow).
    #[serde(default)]
    pub presence: Presence,
}

/// Whether someone is here: `online` with a tab open and used in the last
/// few minutes, `away` with one open but unused, `offline` with none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Online,
    Away,
    #[default]
    Offline,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Away => "away",
            Presence::Offline => "offline",
        }
    }

    /// As a person reads it beside a name.
    pub fn label(self) -> &'static str {
        match self {
            Presence::Online => "Online",
            Presence::Away => "Away",
            Presence::Offline => "Offline",
        }
    }
}

/// One person's presence, as a `presence` frame and a direct conversation
/// carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserPresence {
    pub user_id: i64,
    pub status: Presence,
}

/// A pending invitation of the caller to a room. `room` is the room as the
/// invitee sees it before accepting (`joined` false, `my_role` null).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub id: i64,
    pub room: Room,
    pub inviter: Author,
    pub created_at: String,
}

/// A link that lets whoever holds it join a room. `token` and `url` are
/// shown once, when the link is made: only a hash of the token is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InviteLink {
    pub token: String,
    /// Where the link leads: `/invite/<token>` on this server.
    pub url: String,
    pub expires_at: String,
    /// How many joins it allows; null for no limit.
    pub max_uses: Option<i64>,
    pub uses: i64,
}

/// A message in its current state: edits, deletion and reactions applied.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: i64,
    pub room_id: i64,
    /// The seq of the event that posted it: increasing within a room, with
    /// gaps where other events (edits, reactions, members) took a seq.
    pub seq: i64,
    pub author: Author,
    /// Exactly as sent, or as last edited; "" once deleted.
    pub body: String,
    /// The body rendered for display: a chat's subset of Markdown as safe
    /// HTML (no scripts, no images, no raw HTML; links open elsewhere).
    pub body_html: String,
    pub created_at: String,
    pub client_id: Option<String>,
    /// When the body was last edited, if it was.
    pub edited_at: Option<String>,
    /// Deleted messages keep their place (id, seq, author, time) with an
    /// empty body, so a conversation still reads in order.
    pub deleted: bool,
    /// The message this one answers.
    pub reply_to: Option<ReplyTo>,
    /// One entry per emoji, in the order the chips appeared (a chip keeps
    /// its place while anyone is on it).
    pub reactions: Vec<Reaction>,
    /// The room's members it names with `@username` (resolved when it was
    /// stored or last edited); empty once deleted.
    #[serde(default)]
    pub mentions: Vec<i64>,
    /// Whether it mentions everyone in the room (`@room`, owners and
    /// admins only).
    #[serde(default)]
    pub mentions_room: bool,
    /// The files sent with it, in the order they were attached; empty once
    /// deleted (the files are deleted with it).
    #[serde(default)]
    pub attachments: Vec<Upload>,
}

/// A size in bytes as people read it: "512 bytes", "1.5 KB", "25 MB"
/// (binary multiples, as file managers count them).
pub fn file_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes == 1 {
        return "1 byte".into();
    }
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    if size < 10.0 && size.fract() >= 0.05 {
        format!("{size:.1} {}", UNITS[unit])
    } else {
        format!("{size:.0} {}", UNITS[unit])
    }
}

/// A file uploaded to be sent with a message (`POST /api/uploads`), and,
/// once sent, one of the message's `attachments`. Served at `url` to the
/// members of its message's room (before it is sent: to its uploader).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Upload {
    /// Random and unguessable; what a message's `attachments` names.
    pub id: String,
    /// The file's name as uploaded (without any directory).
    pub name: String,
    /// In bytes.
    pub size: i64,
    /// Read from the file's bytes, never taken from the client.
    pub content_type: String,
    /// An image's size in pixels, so a page can reserve its place.
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub url: String,
    /// A small copy of an image (at most 400 pixels a side), if it is one.
    pub thumbnail_url: Option<String>,
}

impl Upload {
    /// Whether it is an image a page may show inline.
    pub fn is_image(&self) -> bool {
        crate::limits::INLINE_IMAGE_TYPES.contains(&self.content_type.as_str())
    }

    /// Where its bytes are served, and its thumbnail's.
    pub fn url_of(id: &str) -> String {
        format!("/api/uploads/{id}/content")
    }

    pub fn thumbnail_url_of(id: &str) -> String {
        format!("/api/uploads/{id}/thumbnail")
    }
}

impl Message {
    /// Its start, as a reply or a notification quotes it: "" once deleted;
    /// files sent alone are named.
    pub fn excerpt(&self) -> String {
        if self.deleted {
            String::new()
        } else if self.body.is_empty() {
            files_excerpt(
                self.attachments.len(),
                self.attachments.first().map(|a| a.name.as_str()),
            )
        } else {
            excerpt(&self.body)
        }
    }

    /// Whether it mentions this user, by name or as everyone.
    pub fn mentions_user(&self, user_id: i64) -> bool {
        self.mentions_room || self.mentions.contains(&user_id)
    }
}

/// Characters of the answered message a reply carries.
pub const EXCERPT_CHARS: usize = 140;

/// Where a notification of a message leads: its room, at the message.
pub fn message_link(room_id: i64, seq: i64) -> String {
    format!("/rooms/{room_id}?seq={seq}")
}

/// The tag of a notification of the message. A tab's notification and a
/// push of the same message carry it, as every tab does, so the browser
/// shows one.
pub fn notification_tag(message_id: i64) -> String {
    format!("chat-message-{message_id}")
}

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it
/// (its `expirationTime` is not used).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewPushSubscription {
    /// The push service's URL for this browser (https).
    #[cfg_attr(feature = "ssr", schema(pattern = "^https?://", max_length = 2000))]
    pub endpoint: String,
    pub keys: PushKeys,
}

/// What a push payload is encrypted to, base64url as the browser gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PushKeys {
    /// The browser's P-256 public key (65 bytes).
    #[cfg_attr(feature = "ssr", schema(pattern = "^[A-Za-z0-9_-]{87}$"))]
    pub p256dh: String,
    /// The browser's authentication secret (16 bytes).
    #[cfg_attr(feature = "ssr", schema(pattern = "^[A-Za-z0-9_-]{22}$"))]
    pub auth: String,
}

/// One of the user's push subscriptions: a browser that is pushed
/// notifications while no tab of it is open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PushSubscription {
    pub id: i64,
    /// The push service's host (`fcm.googleapis.com`); the endpoint itself
    /// is a secret of the browser's.
    pub service: String,
    pub created_at: String,
}

/// What a reply shows of the message it answers: the start of its body.
pub fn excerpt(body: &str) -> String {
    body.chars().take(EXCERPT_CHARS).collect()
}

/// What stands for a message's text when it is files alone: the file's
/// name, or how many there are.
pub fn files_excerpt(count: usize, first_name: Option<&str>) -> String {
    match (count, first_name) {
        (0, _) => String::new(),
        (1, Some(name)) => excerpt(&format!("📎 {name}")),
        (1, None) => "📎 1 file".to_owned(),
        (n, _) => format!("📎 {n} files"),
    }
}

/// What a reply shows of the message it answers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReplyTo {
    pub id: i64,
    pub seq: i64,
    pub author: Author,
    /// The first 140 characters of its current body ("" once deleted; for
    /// files sent alone, "📎" and the file's name, or how many there are).
    pub excerpt: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Reaction {
    /// One emoji (a single grapheme cluster).
    pub emoji: String,
    pub count: i64,
    /// Who reacted, by user id, ascending.
    pub user_ids: Vec<i64>,
    /// The seq of the event that started this chip (its first reaction
    /// since it last had none); chips are listed in this order.
    pub first_seq: i64,
}

impl Message {
    /// Applies a `reaction_added` (`added`) or `reaction_removed` event of
    /// seq `seq`. Idempotent, and order-keeping: a catch-up that replays
    /// reactions over a message already in a later state ends in the same
    /// state as the server (a chip a replay starts takes the event's seq,
    /// as it did on the server; names stay sorted).
    pub fn apply_reaction(&mut self, emoji: &str, user_id: i64, added: bool, seq: i64) {
        let position = self.reactions.iter().position(|r| r.emoji == emoji);
        match (position, added) {
            (Some(i), _) => {
                let reaction = &mut self.reactions[i];
                match (reaction.user_ids.binary_search(&user_id), added) {
                    (Err(at), true) => reaction.user_ids.insert(at, user_id),
                    (Ok(at), false) => {
                        reaction.user_ids.remove(at);
                    }
                    _ => {}
                }
                reaction.count = reaction.user_ids.len() as i64;
                if reaction.user_ids.is_empty() {
                    self.reactions.remove(i);
                }
            }
            (None, true) => {
                let at = self.reactions.partition_point(|r| r.first_seq < seq);
                self.reactions.insert(
                    at,
                    Reaction {
                        emoji: emoji.to_owned(),
                        count: 1,
                        user_ids: vec![user_id],
                        first_seq: seq,
                    },
                );
            }
            (None, false) => {}
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Credentials {
    /// Letters, digits, `_`, `.` and `-`; unique regardless of case.
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9_.\-]*$")
    )]
    pub username: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 8, max_length = 128))]
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    pub token: String,
    pub user: User,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessagePage {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// True when more messages exist beyond this page in the direction asked
    /// (older ones for a page around a seq).
    pub has_more: bool,
    /// For a page around a seq: true when newer messages exist past it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_newer: bool,
}

/// Which slice of a room's history to read. `before_seq` pages backwards
/// (scrolling up), `after_seq` pages forwards (catching up); with both, the
/// messages between them, forwards; with neither, the newest page.
/// `around_seq` (alone) reads the page centred on that seq: a search
/// result or a link opens the room there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct PageQuery {
    /// Only messages with a smaller seq.
    pub before_seq: Option<i64>,
    /// Only messages with a greater seq.
    pub after_seq: Option<i64>,
    /// The page with this seq in its middle: half the page at or before it,
    /// the rest after it.
    pub around_seq: Option<i64>,
    /// Messages per page (default 50).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 200))]
    pub limit: Option<i64>,
}

/// What to search for (`GET /api/search`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct SearchParams {
    /// Words (the last one may be unfinished: it matches as a prefix),
    /// "quoted phrases", and `from:username`. At most 200 characters.
    #[cfg_attr(feature = "ssr", param(max_length = 200))]
    pub q: String,
    /// Only this room.
    pub room_id: Option<i64>,
    /// Only this user's messages (a username, any case).
    pub author: Option<String>,
    /// Only messages sent before this day (`2026-12-01`, UTC; an RFC 3339
    /// time is taken too).
    #[cfg_attr(feature = "ssr", param(format = Date))]
    pub before: Option<String>,
    /// Only messages sent on or after this day (or at or after a time).
    #[cfg_attr(feature = "ssr", param(format = Date))]
    pub after: Option<String>,
    /// Results per page (default 20).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 50))]
    pub limit: Option<i64>,
    /// `next_cursor` of the page before.
    #[cfg_attr(feature = "ssr", param(pattern = "^[0-9]{1,9}$"))]
    pub cursor: Option<String>,
}

/// A room as a search result names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoomRef {
    pub id: i64,
    /// As the searcher sees it (a direct conversation: the others' names).
    pub name: String,
    pub kind: RoomKind,
}

/// A message found, where it is, and the part of it that matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchResult {
    pub message: Message,
    pub room: RoomRef,
    /// The text around the first match, escaped, with each matching word
    /// in `<mark>`: safe to show as HTML.
    pub snippet_html: String,
}

/// A page of search results, best first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchPage {
    pub results: Vec<SearchResult>,
    /// Pass as `cursor` for the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sizes_read_as_people_say_them() {
        assert_eq!(file_size(0), "0 bytes");
        assert_eq!(file_size(1), "1 byte");
        assert_eq!(file_size(1023), "1023 bytes");
        assert_eq!(file_size(1536), "1.5 KB");
        assert_eq!(file_size(10 * 1024), "10 KB");
        assert_eq!(file_size(25 * 1024 * 1024), "25 MB");
        assert_eq!(file_size(3 * 1024 * 1024 * 1024), "3 GB");
    }

    fn message() -> Message {
        Message {
            id: 1,
            room_id: 1,
            seq: 1,
            author: Author {
                id: 1,
                username: "ann".into(),
            },
            body: "hi".into(),
            body_html: String::new(),
            created_at: String::new(),
            client_id: None,
            edited_at: None,
            deleted: false,
            reply_to: None,
            reactions: Vec::new(),
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        }
    }

    fn chips(message: &Message) -> Vec<(&str, Vec<i64>, i64)> {
        message
            .reactions
            .iter()
            .map(|r| (r.emoji.as_str(), r.user_ids.clone(), r.first_seq))
            .collect()
    }

    #[test]
    fn reactions_apply_idempotently_and_keep_their_order() {
        let mut m = message();
        m.apply_reaction("A", 5, true, 2);
        m.apply_reaction("B", 3, true, 3);
        m.apply_reaction("A", 1, true, 4);
        m.apply_reaction("A", 1, true, 4);
        assert_eq!(chips(&m), [("A", vec![1, 5], 2), ("B", vec![3], 3)]);
        m.apply_reaction("A", 5, false, 5);
        m.apply_reaction("A", 1, false, 6);
        m.apply_reaction("A", 1, false, 6);
        assert_eq!(chips(&m), [("B", vec![3], 3)]);
        // Started again, the chip goes by its new seq; an older one would
        // go back before B.
        m.apply_reaction("A", 1, true, 7);
        m.apply_reaction("C", 2, true, 1);
        assert_eq!(
            chips(&m),
            [("C", vec![2], 1), ("B", vec![3], 3), ("A", vec![1], 7)]
        );
        assert_eq!(m.reactions[0].count, 1);
    }
}
