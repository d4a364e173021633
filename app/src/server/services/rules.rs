//! Who may do what in a room, written once. The writer asks [`Rules`]
//! about every change under the room's lock (through the
//! [`Policy`](crate::server::live::writer::Policy) it is given), so the
//! answer still holds when the change commits; nothing else decides it.
//! Reads ask [`may_see`] and [`may_read`] with the standing they looked up.
//!
//! A private room or direct conversation does not exist for anyone outside
//! it: every request about it from a non-member is answered as for a room
//! that does not exist (`room_not_found`), except a request to join a
//! private room, which says an invitation is needed. A public room's
//! non-members see it and are told they are not members.

use crate::limits::{ATTACHMENT_UNAVAILABLE, MAX_REACTIONS};
use crate::model::{Role, RoomKind};
use crate::server::error::{Error, Result};
use crate::server::live::writer::{Facts, Named, Policy, Request, Ticket};
use crate::server::storage::rooms::Settings;
use crate::server::text::validate_emoji;

/// What the rules need to know of a message.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub author_id: i64,
    pub deleted: bool,
    /// Whether the requester moderates the room (owner or admin).
    pub moderator: bool,
}

/// The room's rules, as the writer asks them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rules;

impl Policy for Rules {
    fn judge(&self, request: &Request, facts: &Facts<'_>) -> Result<()> {
        match request {
            Request::Join { .. } => may_join(facts.kind, facts.role, facts.ticket),
            Request::Leave { .. } => may_leave(facts.kind, facts.role),
            Request::Post(draft) => {
                let role = may_read(facts.kind, facts.role)?;
                may_name(facts.kind, role, &draft.named)?;
                if !facts.attachments {
                    return Err(Error::validation("attachments", ATTACHMENT_UNAVAILABLE));
                }
                // A reply answers a message of this room; any other is not
                // there to answer, as for a change to it.
                match (draft.reply_to, facts.replied) {
                    (Some(_), None) => Err(Error::MessageNotFound),
                    _ => Ok(()),
                }
            }
            Request::Update { settings, .. } => {
                let role = may_read(facts.kind, facts.role)?;
                may_change(facts.kind, role, settings)
            }
            Request::SetRole {
                user, member, role, ..
            } => {
                let mine = may_read(facts.kind, facts.role)?;
                let themselves = user.id == member.id;
                may_set_role(
                    facts.kind,
                    mine,
                    themselves,
                    facts.subject,
                    *role,
                    facts.owners,
                )
            }
            Request::Remove { user, member, .. } => {
                let mine = may_read(facts.kind, facts.role)?;
                may_remove(facts.kind, mine, user.id == member.id, facts.subject)
            }
            Request::DeleteRoom { .. } => {
                let mine = may_read(facts.kind, facts.role)?;
                may_delete_room(facts.kind, mine)
            }
            Request::Edit { user, named, .. } => {
                may_edit(target(facts)?, user.id)?;
                // The author may have lost the role that let them name
                // everyone since they posted.
                may_name(facts.kind, facts.role.unwrap_or(Role::Member), named)
            }
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

/// The message a change is about, for a member: the room's own answer for
/// a non-member first, then `message_not_found`.
fn target(facts: &Facts<'_>) -> Result<Target> {
    let role = may_read(facts.kind, facts.role)?;
    let message = facts.message.ok_or(Error::MessageNotFound)?;
    Ok(Target {
        author_id: message.author_id,
        deleted: message.deleted,
        moderator: role.moderates(),
    })
}

/// Whether the room exists for this user at all: a public room for anyone,
/// any other only for its members.
pub fn may_see(kind: RoomKind, role: Option<Role>) -> Result<()> {
    match (kind, role) {
        (RoomKind::Public, _) | (_, Some(_)) => Ok(()),
        _ => Err(Error::RoomNotFound),
    }
}

/// Members read and write a room; a non-member of a public room is told
/// they are not one, and of any other room, that there is no such room.
/// Returns the member's role.
pub fn may_read(kind: RoomKind, role: Option<Role>) -> Result<Role> {
    may_see(kind, role)?;
    role.ok_or(Error::NotAMember)
}

/// Anyone joins a public room; a private room takes an invitation (a
/// pending one, or a link still open); nobody joins a direct conversation
/// (its people are set when it starts). A member joining again changes
/// nothing, whatever pass they hold.
pub fn may_join(kind: RoomKind, role: Option<Role>, ticket: Option<Ticket>) -> Result<()> {
    match (kind, role, ticket) {
        (_, Some(_), _) => Ok(()),
        (RoomKind::Direct, None, _) => Err(Error::RoomNotFound),
        (_, None, Some(Ticket::Valid)) | (RoomKind::Public, None, None) => Ok(()),
        (_, None, Some(Ticket::Expired)) => Err(Error::InviteExpired),
        (_, None, Some(Ticket::Unknown)) => Err(Error::InvitationNotFound),
        (RoomKind::Private, None, None) => Err(Error::InvitationRequired),
    }
}

/// Leaving a room one can see is allowed (leaving one is not in changes
/// nothing), except a direct conversation: its people are set when it
/// starts, so that the same people always find the same conversation.
pub fn may_leave(kind: RoomKind, role: Option<Role>) -> Result<()> {
    may_see(kind, role)?;
    if kind == RoomKind::Direct {
        return Err(Error::Forbidden(
            "A direct conversation cannot be left: its people are set when it starts.",
        ));
    }
    Ok(())
}

/// Only owners delete a room, for everyone; a direct conversation is not
/// anyone's to delete.
pub fn may_delete_room(kind: RoomKind, role: Role) -> Result<()> {
    if kind == RoomKind::Direct {
        return Err(Error::Forbidden("A direct conversation cannot be deleted."));
    }
    if role != Role::Owner {
        return Err(Error::Forbidden("Only the room's owners can delete it."));
    }
    Ok(())
}

/// Owners and admins invite, by name or by link; a direct conversation
/// takes nobody new.
pub fn may_invite(kind: RoomKind, role: Role) -> Result<()> {
    if kind == RoomKind::Direct {
        return Err(Error::Forbidden(
            "Nobody can be added to a direct conversation.",
        ));
    }
    if !role.moderates() {
        return Err(Error::Forbidden(
            "Only the room's owners and admins can invite people.",
        ));
    }
    Ok(())
}

/// Owners and admins rename a room and set its topic; only owners change
/// its kind. A direct conversation has no name, topic or roles to change.
pub fn may_change(kind: RoomKind, role: Role, settings: &Settings) -> Result<()> {
    if kind == RoomKind::Direct {
        return Err(Error::Forbidden(
            "A direct conversation has no name or topic to change.",
        ));
    }
    if settings.kind.is_some() && role != Role::Owner {
        return Err(Error::Forbidden(
            "Only the room's owners can make it public or private.",
        ));
    }
    if !role.moderates() {
        return Err(Error::Forbidden(
            "Only the room's owners and admins can change its name or topic.",
        ));
    }
    Ok(())
}

/// Owners and admins make members admins; only owners make admins members
/// (an admin may step down), and only owners make or unmake owners, never
/// the last one (a room with members always has an owner). Otherwise an
/// admin could demote another admin and then remove them. A direct
/// conversation has no roles.
pub fn may_set_role(
    kind: RoomKind,
    mine: Role,
    themselves: bool,
    theirs: Option<Role>,
    new: Role,
    owners: i64,
) -> Result<()> {
    if kind == RoomKind::Direct {
        return Err(Error::Forbidden("A direct conversation has no roles."));
    }
    if !mine.moderates() {
        return Err(Error::Forbidden(
            "Only the room's owners and admins can change roles.",
        ));
    }
    let theirs = theirs.ok_or(Error::MemberNotFound)?;
    if mine != Role::Owner && (theirs == Role::Owner || new == Role::Owner) {
        return Err(Error::Forbidden("Only owners can make or unmake owners."));
    }
    if mine != Role::Owner && theirs == Role::Admin && new == Role::Member && !themselves {
        return Err(Error::Forbidden(
            "Only owners can make an admin a member again.",
        ));
    }
    if theirs == Role::Owner && new != Role::Owner && owners <= 1 {
        return Err(Error::Forbidden(
            "A room needs an owner: make someone else an owner first.",
        ));
    }
    Ok(())
}

/// Owners remove anyone else; admins remove members. One leaves a room
/// oneself rather than being removed, and nobody is removed from a direct
/// conversation.
pub fn may_remove(
    kind: RoomKind,
    mine: Role,
    themselves: bool,
    theirs: Option<Role>,
) -> Result<()> {
    if kind == RoomKind::Direct {
        return Err(Error::Forbidden(
            "Nobody can be removed from a direct conversation.",
        ));
    }
    if !mine.moderates() {
        return Err(Error::Forbidden(
            "Only the room's owners and admins can remove members.",
        ));
    }
    let theirs = theirs.ok_or(Error::MemberNotFound)?;
    if themselves {
        return Err(Error::Forbidden("To leave the room, leave it."));
    }
    if mine != Role::Owner && theirs != Role::Member {
        return Err(Error::Forbidden("Admins can remove members only."));
    }
    Ok(())
}

/// Anyone names the room's members; only its owners and admins name
/// everyone at once (`@room`), which a direct conversation does not need.
pub fn may_name(kind: RoomKind, role: Role, named: &Named) -> Result<()> {
    if named.room && (kind == RoomKind::Direct || !role.moderates()) {
        return Err(Error::Forbidden(
            "Only a room's owners and admins can mention @room.",
        ));
    }
    Ok(())
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

/// The author deletes their own; the room's owners and admins delete
/// anyone's.
pub fn may_delete(target: Target, user_id: i64) -> Result<()> {
    if user_id == target.author_id || target.moderator {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Only the author or the room's owners and admins can delete a message.",
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
    const BOB: i64 = 3;

    fn by_ann(deleted: bool) -> Target {
        Target {
            author_id: ANN,
            deleted,
            moderator: false,
        }
    }

    fn moderated(target: Target) -> Target {
        Target {
            moderator: true,
            ..target
        }
    }

    #[test]
    fn only_moderators_mention_everyone_and_never_in_a_direct_conversation() {
        let everyone = Named {
            users: Vec::new(),
            room: true,
        };
        let people = Named {
            users: vec![2, 3],
            room: false,
        };
        for kind in [RoomKind::Public, RoomKind::Private] {
            assert!(may_name(kind, Role::Owner, &everyone).is_ok());
            assert!(may_name(kind, Role::Admin, &everyone).is_ok());
            assert!(matches!(
                may_name(kind, Role::Member, &everyone),
                Err(Error::Forbidden(_))
            ));
            assert!(may_name(kind, Role::Member, &people).is_ok());
        }
        assert!(may_name(RoomKind::Direct, Role::Owner, &everyone).is_err());
        assert!(may_name(RoomKind::Direct, Role::Member, &people).is_ok());
    }

    #[test]
    fn the_author_alone_edits_and_not_once_deleted() {
        assert!(may_edit(by_ann(false), ANN).is_ok());
        assert!(matches!(
            may_edit(moderated(by_ann(false)), BOB),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            may_edit(by_ann(true), ANN),
            Err(Error::MessageDeleted)
        ));
    }

    #[test]
    fn owners_and_admins_rename_and_set_the_topic_and_only_owners_change_the_kind() {
        let name = Settings {
            name: Some("new".into()),
            topic: Some("plans".into()),
            kind: None,
        };
        let kind = Settings {
            kind: Some(RoomKind::Private),
            ..Settings::default()
        };
        for room in [RoomKind::Public, RoomKind::Private] {
            assert!(may_change(room, Role::Owner, &name).is_ok());
            assert!(may_change(room, Role::Admin, &name).is_ok());
            assert!(may_change(room, Role::Owner, &kind).is_ok());
            for (role, settings) in [
                (Role::Member, &name),
                (Role::Member, &kind),
                (Role::Admin, &kind),
            ] {
                assert!(matches!(
                    may_change(room, role, settings),
                    Err(Error::Forbidden(_))
                ));
            }
        }
        assert!(matches!(
            may_change(RoomKind::Direct, Role::Owner, &name),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn moderators_set_roles_owners_alone_touch_owners_and_the_last_owner_stays() {
        use Role::{Admin, Member, Owner};
        let public = RoomKind::Public;
        // (mine, themselves, theirs, new, owners)
        let allowed = [
            (Owner, false, Member, Admin, 1),
            (Owner, false, Admin, Member, 1),
            (Owner, false, Member, Owner, 1),
            (Owner, true, Owner, Admin, 2),
            (Admin, false, Member, Admin, 1),
            (Admin, true, Admin, Member, 1),
        ];
        for (mine, themselves, theirs, new, owners) in allowed {
            assert!(
                may_set_role(public, mine, themselves, Some(theirs), new, owners).is_ok(),
                "{mine:?} making a {theirs:?} {new:?}"
            );
        }
        let refused = [
            (Member, false, Member, Admin, 1),
            (Admin, false, Member, Owner, 1),
            (Admin, false, Owner, Member, 2),
            (Admin, false, Admin, Member, 1),
            (Owner, true, Owner, Member, 1),
        ];
        for (mine, themselves, theirs, new, owners) in refused {
            assert!(
                matches!(
                    may_set_role(public, mine, themselves, Some(theirs), new, owners),
                    Err(Error::Forbidden(_))
                ),
                "{mine:?} making a {theirs:?} {new:?}"
            );
        }
        assert!(matches!(
            may_set_role(public, Owner, false, None, Admin, 1),
            Err(Error::MemberNotFound)
        ));
        assert!(matches!(
            may_set_role(RoomKind::Direct, Owner, false, Some(Member), Admin, 1),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn owners_remove_anyone_else_and_admins_remove_members() {
        use Role::{Admin, Member, Owner};
        let public = RoomKind::Public;
        for (mine, theirs) in [
            (Owner, Owner),
            (Owner, Admin),
            (Owner, Member),
            (Admin, Member),
        ] {
            assert!(may_remove(public, mine, false, Some(theirs)).is_ok());
        }
        for (mine, theirs, themselves) in [
            (Admin, Admin, false),
            (Admin, Owner, false),
            (Member, Member, false),
            (Owner, Owner, true),
        ] {
            assert!(matches!(
                may_remove(public, mine, themselves, Some(theirs)),
                Err(Error::Forbidden(_))
            ));
        }
        assert!(matches!(
            may_remove(public, Owner, false, None),
            Err(Error::MemberNotFound)
        ));
        assert!(matches!(
            may_remove(RoomKind::Direct, Owner, false, Some(Member)),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn private_rooms_and_direct_conversations_do_not_exist_for_outsiders() {
        use RoomKind::{Direct, Private, Public};
        assert!(may_see(Public, None).is_ok());
        assert!(matches!(may_read(Public, None), Err(Error::NotAMember)));
        for kind in [Private, Direct] {
            assert!(matches!(may_see(kind, None), Err(Error::RoomNotFound)));
            assert!(matches!(may_read(kind, None), Err(Error::RoomNotFound)));
            assert_eq!(may_read(kind, Some(Role::Member)).ok(), Some(Role::Member));
        }
        assert!(may_join(Public, None, None).is_ok());
        assert!(matches!(
            may_join(Private, None, None),
            Err(Error::InvitationRequired)
        ));
        assert!(matches!(
            may_join(Direct, None, None),
            Err(Error::RoomNotFound)
        ));
        assert!(may_join(Private, Some(Role::Member), None).is_ok());
    }

    #[test]
    fn an_invitation_or_an_open_link_lets_one_into_a_private_room() {
        use RoomKind::{Direct, Private, Public};
        for kind in [Private, Public] {
            assert!(may_join(kind, None, Some(Ticket::Valid)).is_ok());
            assert!(matches!(
                may_join(kind, None, Some(Ticket::Expired)),
                Err(Error::InviteExpired)
            ));
            assert!(matches!(
                may_join(kind, None, Some(Ticket::Unknown)),
                Err(Error::InvitationNotFound)
            ));
            // A member holding a dead pass is in already.
            assert!(may_join(kind, Some(Role::Member), Some(Ticket::Expired)).is_ok());
        }
        assert!(matches!(
            may_join(Direct, None, Some(Ticket::Valid)),
            Err(Error::RoomNotFound)
        ));
        for kind in [Private, Public] {
            assert!(may_invite(kind, Role::Owner).is_ok());
            assert!(may_invite(kind, Role::Admin).is_ok());
            assert!(matches!(
                may_invite(kind, Role::Member),
                Err(Error::Forbidden(_))
            ));
        }
        assert!(matches!(
            may_invite(Direct, Role::Owner),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn anyone_leaves_a_room_they_see_but_nobody_a_direct_conversation() {
        use RoomKind::{Direct, Private, Public};
        assert!(may_leave(Public, None).is_ok());
        assert!(may_leave(Public, Some(Role::Owner)).is_ok());
        assert!(may_leave(Private, Some(Role::Member)).is_ok());
        assert!(matches!(may_leave(Private, None), Err(Error::RoomNotFound)));
        assert!(matches!(may_leave(Direct, None), Err(Error::RoomNotFound)));
        assert!(matches!(
            may_leave(Direct, Some(Role::Member)),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn only_owners_delete_a_room_and_nobody_a_direct_conversation() {
        use RoomKind::{Direct, Private, Public};
        for kind in [Public, Private] {
            assert!(may_delete_room(kind, Role::Owner).is_ok());
            for role in [Role::Admin, Role::Member] {
                assert!(matches!(
                    may_delete_room(kind, role),
                    Err(Error::Forbidden(_))
                ));
            }
        }
        assert!(matches!(
            may_delete_room(Direct, Role::Owner),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn the_author_and_the_moderators_delete() {
        assert!(may_delete(by_ann(false), ANN).is_ok());
        assert!(may_delete(moderated(by_ann(false)), BOB).is_ok());
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
