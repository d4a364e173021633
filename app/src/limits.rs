//! Every bound on what a user may send, defined once: the server enforces
//! these, and the WASM client checks the same numbers where it can answer
//! before a round trip (a message too long as it is typed, a room name too
//! long before it is sent).

use std::ops::RangeInclusive;

/// Characters in a message body.
pub const MAX_BODY_CHARS: usize = 4000;
pub const BODY_TOO_LONG: &str = "Message must be at most 4000 characters.";

/// Characters in a send's `client_id`.
pub const MAX_CLIENT_ID_CHARS: usize = 64;

/// Characters in a room name.
pub const MAX_ROOM_NAME_CHARS: usize = 64;
pub const ROOM_NAME_TOO_LONG: &str = "Room name must be at most 64 characters.";

/// Characters in a room's topic (one line; empty for none).
pub const MAX_ROOM_TOPIC_CHARS: usize = 250;
pub const ROOM_TOPIC_TOO_LONG: &str = "Topic must be at most 250 characters.";

/// Characters in a username, and in a password.
pub const USERNAME_CHARS: RangeInclusive<usize> = 3..=32;
pub const PASSWORD_CHARS: RangeInclusive<usize> = 8..=128;
pub const USERNAME_LENGTH: &str = "Username must be 3 to 32 characters long.";
pub const USERNAME_ALPHABET: &str = "Username may only contain letters, digits, '_', '.' and '-'.";

/// The characters a username may hold: ASCII letters and digits, `_`, `.`
/// and `-` (none of them special in a SQL `GLOB` pattern, and only `_` in
/// a `LIKE` one).
pub fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// `@room` names everyone in a room, so nobody may be called that.
pub const RESERVED_USERNAMES: [&str; 1] = ["room"];
pub const USERNAME_RESERVED: &str = "That username is reserved.";

/// Unread messages and mentions are counted up to this many per room (a
/// list shows "99+" past 99), so a room nobody has read for a year costs
/// no more to summarize than one read this morning.
pub const MAX_COUNTED: u64 = 100;

/// People one message may name (`@room` reaches everyone).
pub const MAX_MENTIONS: usize = 50;
pub const TOO_MANY_MENTIONS: &str =
    "A message can mention at most 50 people; @room reaches everyone in the room.";

/// Distinct emoji on one message.
pub const MAX_REACTIONS: usize = 20;

/// Messages in a history page: when not asked, and at most.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// How long an invite link works: 7 days unless asked otherwise, at most 30.
pub const INVITE_LINK_DEFAULT_HOURS: i64 = 24 * 7;
pub const INVITE_LINK_HOURS: RangeInclusive<i64> = 1..=24 * 30;
/// The most joins one invite link may be made for.
pub const INVITE_LINK_MAX_USES: RangeInclusive<i64> = 1..=10_000;

/// People a direct conversation is started with, besides its starter.
pub const DIRECT_OTHERS: RangeInclusive<usize> = 1..=8;
pub const DIRECT_OTHERS_OUT_OF_RANGE: &str = "A direct conversation is with 1 to 8 other people.";

/// Files one message may carry.
pub const MAX_ATTACHMENTS: usize = 10;
pub const TOO_MANY_ATTACHMENTS: &str = "A message can carry at most 10 files.";

pub const ATTACHMENT_UNAVAILABLE: &str = "An attachment must be one of your own uploads, not yet sent (or it was deleted after a day unsent).";

/// Characters kept of an uploaded file's name.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// The image types shown inline (and given a thumbnail); any other file is
/// a download.
pub const INLINE_IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// A thumbnail's longest side, in pixels.
pub const THUMBNAIL_SIDE: u32 = 400;

/// People a username search answers with, at most.
pub const USER_SEARCH_RESULTS: u64 = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_quote_the_limits() {
        assert!(BODY_TOO_LONG.contains(&MAX_BODY_CHARS.to_string()));
        assert!(ROOM_NAME_TOO_LONG.contains(&MAX_ROOM_NAME_CHARS.to_string()));
        assert!(ROOM_TOPIC_TOO_LONG.contains(&MAX_ROOM_TOPIC_CHARS.to_string()));
        assert!(TOO_MANY_ATTACHMENTS.contains(&MAX_ATTACHMENTS.to_string()));
        assert!(DIRECT_OTHERS_OUT_OF_RANGE.contains(&DIRECT_OTHERS.start().to_string()));
        assert!(DIRECT_OTHERS_OUT_OF_RANGE.contains(&DIRECT_OTHERS.end().to_string()));
        assert!(USERNAME_LENGTH.contains(&USERNAME_CHARS.start().to_string()));
        assert!(USERNAME_LENGTH.contains(&USERNAME_CHARS.end().to_string()));
    }
}
