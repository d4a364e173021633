//! Invitations: the way into a private room. An owner or admin invites
//! someone by username (the invitee sees it live and in their list, and
//! accepts or declines) or makes a link that lets whoever holds it in,
//! until it expires, is used up or is revoked.
//!
//! Accepting is a join, so it goes through the writer, which checks the
//! invitation or link and uses it up under the room's lock: a declined
//! invitation or a revoked link stops working at once, and a link allowing
//! one more use lets exactly one more person in, on any number of nodes.
//!
//! Link tokens are 128 random bits, shown once; only their SHA-256 is
//! stored, and a looked-up hash is compared again in constant time.

use crate::limits::{INVITE_LINK_DEFAULT_HOURS, INVITE_LINK_HOURS, INVITE_LINK_MAX_USES};
use crate::model::{Invitation, InviteLink, Room};
use crate::protocol::ServerFrame;
use crate::server::error::{Error, Result};
use crate::server::live::fanout;
use crate::server::live::writer::{Pass, Request};
use crate::server::services::auth::sessions::{hash_token, random_token};
use crate::server::services::rooms::get;
use crate::server::services::rules;
use crate::server::state::AppState;
use crate::server::storage::db::{now_ms, to_rfc3339};
use crate::server::storage::invitations::{self, InvitationRow, NewLink};
use crate::server::storage::sessions::AuthUser;
use crate::server::storage::{rooms, users};

/// The caller may invite people to the room (`rules::may_invite`).
async fn require_inviter(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<()> {
    let standing = rooms::standing(&state.db, auth.user.id, room_id)
        .await?
        .ok_or(Error::RoomNotFound)?;
    let role = rules::may_read(standing.kind, standing.role)?;
    rules::may_invite(standing.kind, role)
}

/// The invitation as its invitee sees it.
async fn as_invitee_sees(state: &AppState, row: InvitationRow) -> Result<Invitation> {
    let mut conn = state.db.acquire().await?;
    let room = rooms::get(&state.db, &mut conn, row.invitee_id, row.room_id).await?;
    Ok(Invitation {
        id: row.id,
        inviter: row.inviter(),
        created_at: to_rfc3339(row.created_at),
        room,
    })
}

/// Invites the user named `username` (any case) to the room; inviting
/// someone already invited answers with that invitation, and `false`.
pub async fn invite(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    username: &str,
) -> Result<(Invitation, bool)> {
    require_inviter(state, auth, room_id).await?;
    let invitee = users::by_username_key(&state.db, &username.trim().to_lowercase())
        .await?
        .ok_or_else(|| Error::no_user(username))?
        .user;
    let standing = rooms::standing(&state.db, invitee.id, room_id).await?;
    if standing.is_some_and(|s| s.role.is_some()) {
        return Err(Error::AlreadyMember);
    }
    let mut conn = state.db.acquire().await?;
    let (row, created) = invitations::invite(
        &state.db,
        &mut conn,
        room_id,
        invitee.id,
        auth.user.id,
        now_ms(),
    )
    .await?;
    drop(conn);
    let invitation = as_invitee_sees(state, row).await?;
    if created {
        tracing::info!(
            room_id,
            invitee = invitee.id,
            inviter = auth.user.id,
            "invited"
        );
        let frame = ServerFrame::Invited {
            invitation: invitation.clone(),
        };
        fanout::tell_user(&state.db, &state.hub, invitee.id, &frame).await?;
    }
    Ok((invitation, created))
}

/// The caller's pending invitations, newest first.
pub async fn pending(state: &AppState, auth: &AuthUser) -> Result<Vec<Invitation>> {
    let mut conn = state.db.acquire().await?;
    let rows = invitations::pending_for(&state.db, &mut conn, auth.user.id).await?;
    drop(conn);
    let mut pending = Vec::with_capacity(rows.len());
    for row in rows {
        pending.push(as_invitee_sees(state, row).await?);
    }
    Ok(pending)
}

/// Accepts one of the caller's invitations: they join the room.
pub async fn accept(state: &AppState, auth: &AuthUser, invitation_id: i64) -> Result<Room> {
    let mut conn = state.db.acquire().await?;
    let row = invitations::get(&state.db, &mut conn, invitation_id)
        .await?
        .filter(|row| row.invitee_id == auth.user.id)
        .ok_or(Error::InvitationNotFound)?;
    drop(conn);
    let join = Request::Join {
        room_id: row.room_id,
        user: auth.author(),
        pass: Some(Pass::Invitation(invitation_id)),
    };
    state.writer.apply(join).await?;
    closed(state, auth, invitation_id).await;
    get(state, auth, row.room_id).await
}

/// Declines one of the caller's invitations; it stops working at once.
pub async fn decline(state: &AppState, auth: &AuthUser, invitation_id: i64) -> Result<()> {
    let mut conn = state.db.acquire().await?;
    if !invitations::decline(&state.db, &mut conn, invitation_id, auth.user.id).await? {
        return Err(Error::InvitationNotFound);
    }
    drop(conn);
    closed(state, auth, invitation_id).await;
    Ok(())
}

/// Tells the caller's other tabs the invitation is answered. It is done
/// whatever happens here: a tab that misses this reads the list again.
async fn closed(state: &AppState, auth: &AuthUser, invitation_id: i64) {
    let frame = ServerFrame::InvitationClosed { invitation_id };
    if let Err(e) = fanout::tell_user(&state.db, &state.hub, auth.user.id, &frame).await {
        tracing::warn!(error = %e, invitation_id, "could not tell the tabs of an answered invitation");
    }
}

/// 128 random bits, URL-safe (22 characters).
fn new_link_token() -> String {
    random_token::<16>()
}

/// Where a link token leads in the browser.
pub fn link_path(token: &str) -> String {
    format!("/invite/{token}")
}

/// Makes an invite link to the room, working for `expires_in_hours` (7
/// days when not given) and, if given, `max_uses` joins.
pub async fn create_link(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    expires_in_hours: Option<i64>,
    max_uses: Option<i64>,
) -> Result<InviteLink> {
    let hours = expires_in_hours.unwrap_or(INVITE_LINK_DEFAULT_HOURS);
    if !INVITE_LINK_HOURS.contains(&hours) {
        return Err(Error::validation(
            "expires_in_hours",
            format!(
                "A link works for {} to {} hours.",
                INVITE_LINK_HOURS.start(),
                INVITE_LINK_HOURS.end()
            ),
        ));
    }
    if max_uses.is_some_and(|uses| !INVITE_LINK_MAX_USES.contains(&uses)) {
        return Err(Error::validation(
            "max_uses",
            format!(
                "A link allows {} to {} uses, or no limit.",
                INVITE_LINK_MAX_USES.start(),
                INVITE_LINK_MAX_USES.end()
            ),
        ));
    }
    require_inviter(state, auth, room_id).await?;
    let token = new_link_token();
    let now = now_ms();
    let expires_at = now + hours * 3_600_000;
    let new = NewLink {
        room_id,
        token_hash: &hash_token(&token),
        creator: auth.user.id,
        expires_at,
        max_uses,
    };
    invitations::create_link(&state.db, new, now).await?;
    tracing::info!(
        room_id,
        user_id = auth.user.id,
        hours,
        ?max_uses,
        "invite link made"
    );
    Ok(InviteLink {
        url: link_path(&token),
        token,
        expires_at: to_rfc3339(expires_at),
        max_uses,
        uses: 0,
    })
}

/// Revokes one of the room's links; it stops working at once.
pub async fn revoke_link(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    token: &str,
) -> Result<()> {
    require_inviter(state, auth, room_id).await?;
    if !invitations::revoke_link(&state.db, room_id, &hash_token(token), now_ms()).await? {
        return Err(Error::InvitationNotFound);
    }
    tracing::info!(room_id, user_id = auth.user.id, "invite link revoked");
    Ok(())
}

/// Joins the room a link leads to (a member already in it just gets it).
pub async fn accept_link(state: &AppState, auth: &AuthUser, token: &str) -> Result<Room> {
    let hash = hash_token(token);
    let mut conn = state.db.acquire().await?;
    let link = invitations::link(&state.db, &mut conn, &hash)
        .await?
        .ok_or(Error::InvitationNotFound)?;
    drop(conn);
    let join = Request::Join {
        room_id: link.room_id,
        user: auth.author(),
        pass: Some(Pass::Link(hash)),
    };
    state.writer.apply(join).await?;
    get(state, auth, link.room_id).await
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    #[test]
    fn link_tokens_are_128_random_bits() {
        let (a, b) = (new_link_token(), new_link_token());
        assert_ne!(a, b);
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&a)
            .unwrap();
        assert_eq!(bytes.len(), 16);
        assert_eq!(link_path(&a), format!("/invite/{a}"));
    }
}
