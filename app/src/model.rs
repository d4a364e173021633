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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Author {
    pub id: i64,
    pub username: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Room {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub member_count: i64,
    /// Whether the user asking is a member.
    pub joined: bool,
    /// Seq of the newest message, 0 for an empty room.
    pub last_seq: i64,
    /// Time of the newest message, or of creation for an empty room.
    pub last_activity_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: i64,
    pub room_id: i64,
    /// Per-room position: starts at 1, no gaps, no repeats.
    pub seq: i64,
    pub author: Author,
    /// Exactly as sent.
    pub body: String,
    /// The body rendered for display: a chat's subset of Markdown as safe
    /// HTML (no scripts, no images, no raw HTML; links open elsewhere).
    pub body_html: String,
    pub created_at: String,
    pub client_id: Option<String>,
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
    /// True when more messages exist beyond this page in the direction asked.
    pub has_more: bool,
}

/// Which slice of a room's history to read. `before_seq` pages backwards
/// (scrolling up), `after_seq` pages forwards (catching up); with both, the
/// messages between them, forwards; with neither, the newest page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct PageQuery {
    /// Only messages with a smaller seq.
    pub before_seq: Option<i64>,
    /// Only messages with a greater seq.
    pub after_seq: Option<i64>,
    /// Messages per page (default 50).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 200))]
    pub limit: Option<i64>,
}
