//! Who may do what in a room, written once. The writer asks [`Rules`]
//! about every change under the room's lock (through the
//! [`Policy`](crate::server::live::writer::Policy) it is given), so the
//! answer still holds when the change commits; nothing else decides it.
//! Reads ask [`may_read`] with the membership they looked up.

use crate::limits::MAX_REACTIONS;
use crate::server::error::{Error, Result};
use crate::server::live::writer::{Facts, Policy, Request};
use crate::server::text::validate_emoji;

/// What the rules need to know of a message.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub author_id: i64,
    pub deleted: bool,
    /// The room's owner (its creator).
    pub owner_id: i64,
}

/// The room's rules, as the writer asks them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rules;

impl Policy for Rules {
    fn judge(&self, request: &Request, facts: &Facts<'_>) -> Result<()> {
        match request {
            // Every room is public: anyone may join, and leave.
            Request::Join { .. } | Request::Leave { .. } => Ok(()),
            Request::Post(draft) => {
                may_read(facts.member)?;
                // A reply answers a message of this room. One that names
                // any other is bad input in the body, not a missing
                // resource: the room in the path is there, so no 404.
                match (draft.reply_to, facts.replied) {
                    (Some(_), None) => Err(Error::validation(
                        "reply_to",
                        "There is no such message in this room to reply to.",
                    )),
                    _ => Ok(()),
                }
            }
            Request::Rename { user, .. } => {
                may_read(facts.member)?;
                may_rename(facts.owner_id, user.id)
            }
            Request::Edit { user, .. } => may_edit(target(facts)?, user.id),
            Request::Delete { user, .. } => may_delete(target(facts)?, user.id),
            Request::React {
                emoji, added: true, ..
            } => {
                let target = target(facts)?;
                let mut in_use: Vec<String> = facts
                    .message
                    .iter()
                    .flat_map(|m| m.reactions.iter().map(|(e, _, _)| e.clone()))
                    .collect();
                in_use.sort();
                in_use.dedup();
                may_react(target, &in_use, emoji)
            }
            // Taking one's reaction back needs only a real emoji.
            Request::React { emoji, .. } => {
                target(facts)?;
                validate_emoji(emoji)
            }
        }
    }
}

/// The message a change is about, for a member: `not_a_member` first, then
/// `message_not_found`.
fn target(facts: &Facts<'_>) -> Result<Target> {
    may_read(facts.member)?;
    let message = facts.message.ok_or(Error::MessageNotFound)?;
    Ok(Target {
        author_id: message.author_id,
        deleted: message.deleted,
        owner_id: facts.owner_id,
    })
}

/// Members read and write a room; anyone else is told they are not one.
pub fn may_read(member: bool) -> Result<()> {
    if member {
        Ok(())
    } else {
        Err(Error::NotAMember)
    }
}

/// Only the room's owner renames it.
pub fn may_rename(owner_id: i64, user_id: i64) -> Result<()> {
    if user_id == owner_id {
        Ok(())
    } else {
        Err(Error::Forbidden("Only the room's owner can rename it."))
    }
}

/// Only the author edits, and only while the message exists.
pub fn may_edit(target: Target, user_id: i64) -> Result<()> {
    if target.author_id != user_id {
        return Err(Error::Forbidden("Only the author can edit a message."));
    }
    if target.deleted {
        return Err(Error::MessageDeleted);
    }
    Ok(())
}

/// The author deletes their own; the room's owner deletes anyone's.
pub fn may_delete(target: Target, user_id: i64) -> Result<()> {
    if user_id == target.author_id || user_id == target.owner_id {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Only the author or the room's owner can delete a message.",
        ))
    }
}

/// Any member reacts to a message that exists, with one emoji, and at most
/// [`MAX_REACTIONS`] different ones on it.
pub fn may_react(target: Target, emoji_in_use: &[String], emoji: &str) -> Result<()> {
    validate_emoji(emoji)?;
    if target.deleted {
        return Err(Error::MessageDeleted);
    }
    if emoji_in_use.len() >= MAX_REACTIONS && !emoji_in_use.iter().any(|e| e == emoji) {
        return Err(Error::TooManyReactions {
            limit: MAX_REACTIONS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: i64 = 1;
    const OWNER: i64 = 2;
    const BOB: i64 = 3;

    fn by_ann(deleted: bool) -> Target {
        Target {
            author_id: ANN,
            deleted,
            owner_id: OWNER,
        }
    }

    #[test]
    fn the_author_alone_edits_and_not_once_deleted() {
        assert!(may_edit(by_ann(false), ANN).is_ok());
        assert!(matches!(
            may_edit(by_ann(false), OWNER),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            may_edit(by_ann(true), ANN),
            Err(Error::MessageDeleted)
        ));
    }

    #[test]
    fn only_the_owner_renames() {
        assert!(may_rename(OWNER, OWNER).is_ok());
        assert!(matches!(may_rename(OWNER, ANN), Err(Error::Forbidden(_))));
    }

    #[test]
    fn the_author_and_the_owner_delete() {
        assert!(may_delete(by_ann(false), ANN).is_ok());
        assert!(may_delete(by_ann(false), OWNER).is_ok());
        assert!(matches!(
            may_delete(by_ann(false), BOB),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn a_twenty_first_emoji_is_refused_but_a_used_one_is_not() {
        let used: Vec<String> = (0..20)
            .map(|i| char::from_u32(0x1F600 + i).unwrap().to_string())
            .collect();
        assert!(may_react(by_ann(false), &used[..19], "🎉").is_ok());
        assert!(matches!(
            may_react(by_ann(false), &used, "🎉"),
            Err(Error::TooManyReactions { .. })
        ));
        assert!(may_react(by_ann(false), &used, &used[3]).is_ok());
        assert!(matches!(
            may_react(by_ann(true), &[], "👍"),
            Err(Error::MessageDeleted)
        ));
        assert!(matches!(
            may_react(by_ann(false), &[], "ok"),
            Err(Error::NotAnEmoji)
        ));
    }
}
