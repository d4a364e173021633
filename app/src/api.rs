//! Server functions: the typed calls the Leptos pages make. Each one is an
//! adapter that finds the caller and calls one service function; the rules
//! live in `server::services`. Login and registration go through the REST API
//! instead, because the React island calls them.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::{
    Author, Invitation, InviteLink, Member, MessagePage, NewPushSubscription, NotifyLevel,
    PushSubscription, Role, Room, RoomKind, SearchPage, SearchParams, User,
};

#[cfg(feature = "ssr")]
use crate::server::services::{direct, invitations, messages, people, push, rooms, search};
#[cfg(feature = "ssr")]
use crate::server::web::context;

/// A room as the room page opens it: joined, with its newest page of history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedRoom {
    pub room: Room,
    pub page: MessagePage,
}

/// The logged-in user, or `None` for a visitor.
#[server(prefix = "/api/fn", endpoint = "me")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    match context::caller().await {
        Ok((_, auth)) => Ok(Some(auth.user)),
        Err(crate::server::Error::Unauthorized) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[server(prefix = "/api/fn", endpoint = "rooms")]
pub async fn list_rooms() -> Result<Vec<Room>, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(rooms::list(&state, &auth).await?)
}

/// Creates a room (public unless asked otherwise, with an optional topic).
#[server(prefix = "/api/fn", endpoint = "create_room")]
pub async fn create_room(
    name: String,
    #[server(default)] kind: RoomKind,
    #[server(default)] topic: String,
) -> Result<Room, AppError> {
    let (state, auth) = context::caller().await?;
    let draft = rooms::RoomDraft { name, kind, topic };
    Ok(rooms::create(&state, &auth, draft).await?)
}

/// A room's members with their roles (members only).
#[server(prefix = "/api/fn", endpoint = "room_members")]
pub async fn room_members(room_id: i64) -> Result<Vec<Member>, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(rooms::members(&state, &auth, room_id).await?)
}

/// Gives a member a role (owners and admins; see the rules).
#[server(prefix = "/api/fn", endpoint = "set_member_role")]
pub async fn set_member_role(room_id: i64, user_id: i64, role: Role) -> Result<Member, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(rooms::set_role(&state, &auth, room_id, user_id, role).await?)
}

/// Removes a member (owners and admins; see the rules).
#[server(prefix = "/api/fn", endpoint = "remove_member")]
pub async fn remove_member(room_id: i64, user_id: i64) -> Result<(), AppError> {
    let (state, auth) = context::caller().await?;
    Ok(rooms::remove(&state, &auth, room_id, user_id).await?)
}

/// Deletes a room for everyone (owners only).
#[server(prefix = "/api/fn", endpoint = "delete_room")]
pub async fn delete_room(room_id: i64) -> Result<(), AppError> {
    let (state, auth) = context::caller().await?;
    Ok(rooms::delete(&state, &auth, room_id).await?)
}

/// Sets what the caller is notified of in a room, and whether it is muted.
#[server(prefix = "/api/fn", endpoint = "set_notifications")]
pub async fn set_notifications(
    room_id: i64,
    level: Option<NotifyLevel>,
    muted: Option<bool>,
) -> Result<Room, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(rooms::set_notifications(&state, &auth, room_id, level, muted).await?)
}

/// Moves the caller's read marker in the room forward to `seq`.
#[server(prefix = "/api/fn", endpoint = "mark_read")]
pub async fn mark_read(room_id: i64, seq: i64) -> Result<(), AppError> {
    let (state, auth) = context::caller().await?;
    Ok(rooms::mark_read(&state, &auth, room_id, seq).await?)
}

/// Starts a direct conversation with these people (1 to 8 others, by
/// username), or finds the one they already have.
#[server(prefix = "/api/fn", endpoint = "start_direct")]
pub async fn start_direct(usernames: Vec<String>) -> Result<Room, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(direct::start(&state, &auth, &usernames).await?.0)
}

/// The people whose username starts with `query`, closest first.
#[server(prefix = "/api/fn", endpoint = "find_people")]
pub async fn find_people(query: String) -> Result<Vec<Author>, AppError> {
    // Signed-in people only.
    let (state, _) = context::caller().await?;
    Ok(people::find(&state, &query).await?)
}

/// Invites someone by username (owners and admins); the standing
/// invitation if they already have one.
#[server(prefix = "/api/fn", endpoint = "invite")]
pub async fn invite(room_id: i64, username: String) -> Result<Invitation, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(invitations::invite(&state, &auth, room_id, &username)
        .await?
        .0)
}

/// The caller's pending invitations, newest first.
#[server(prefix = "/api/fn", endpoint = "invitations")]
pub async fn pending_invitations() -> Result<Vec<Invitation>, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(invitations::pending(&state, &auth).await?)
}

#[server(prefix = "/api/fn", endpoint = "accept_invitation")]
pub async fn accept_invitation(invitation_id: i64) -> Result<Room, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(invitations::accept(&state, &auth, invitation_id).await?)
}

#[server(prefix = "/api/fn", endpoint = "decline_invitation")]
pub async fn decline_invitation(invitation_id: i64) -> Result<(), AppError> {
    let (state, auth) = context::caller().await?;
    Ok(invitations::decline(&state, &auth, invitation_id).await?)
}

/// Makes an invite link (owners and admins); the token is shown this once.
#[server(prefix = "/api/fn", endpoint = "create_invite_link")]
pub async fn create_invite_link(
    room_id: i64,
    #[server(default)] expires_in_hours: Option<i64>,
    #[server(default)] max_uses: Option<i64>,
) -> Result<InviteLink, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(invitations::create_link(&state, &auth, room_id, expires_in_hours, max_uses).await?)
}

#[server(prefix = "/api/fn", endpoint = "revoke_invite_link")]
pub async fn revoke_invite_link(room_id: i64, token: String) -> Result<(), AppError> {
    let (state, auth) = context::caller().await?;
    Ok(invitations::revoke_link(&state, &auth, room_id, &token).await?)
}

/// Joins the room an invite link leads to.
#[server(prefix = "/api/fn", endpoint = "accept_invite_link")]
pub async fn accept_invite_link(token: String) -> Result<Room, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(invitations::accept_link(&state, &auth, &token).await?)
}

/// Renames a room (its owners and admins); members see it through the
/// room's log.
#[server(prefix = "/api/fn", endpoint = "rename_room")]
pub async fn rename_room(room_id: i64, name: String) -> Result<Room, AppError> {
    let (state, auth) = context::caller().await?;
    let settings = crate::server::storage::rooms::Settings {
        name: Some(name),
        ..Default::default()
    };
    Ok(rooms::update(&state, &auth, room_id, settings).await?)
}

#[server(prefix = "/api/fn", endpoint = "join_room")]
pub async fn join_room(room_id: i64) -> Result<Room, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(rooms::join(&state, &auth, room_id).await?)
}

/// Opening a room joins it if it is public (see `rooms::open`) and
/// returns the newest page.
#[server(prefix = "/api/fn", endpoint = "open_room")]
pub async fn open_room(room_id: i64) -> Result<OpenedRoom, AppError> {
    let (state, auth) = context::caller().await?;
    let room = rooms::open(&state, &auth, room_id).await?;
    let page = messages::read_page(&state, room_id, crate::model::PageQuery::default()).await?;
    Ok(OpenedRoom { room, page })
}

/// A page of history: the messages before `before_seq` (scrolling up),
/// after `after_seq` (filling a gap, up to `before_seq` when given), or
/// around `around_seq` (opening the room at a message far back).
#[server(prefix = "/api/fn", endpoint = "history")]
pub async fn history(
    room_id: i64,
    #[server(default)] before_seq: Option<i64>,
    #[server(default)] after_seq: Option<i64>,
    #[server(default)] around_seq: Option<i64>,
) -> Result<MessagePage, AppError> {
    let (state, auth) = context::caller().await?;
    let query = crate::model::PageQuery {
        before_seq,
        after_seq,
        around_seq,
        ..crate::model::PageQuery::default()
    };
    Ok(messages::page(&state, &auth, room_id, query).await?)
}

/// Ends this session (`everywhere`: every session of this user, on every
/// device) and removes the cookie.
#[server(prefix = "/api/fn", endpoint = "logout")]
pub async fn logout(#[server(default)] everywhere: bool) -> Result<(), AppError> {
    use crate::server::services::auth;
    use crate::server::web::credentials;
    use leptos_axum::ResponseOptions;

    let (state, auth_user) = context::caller().await?;
    if everywhere {
        auth::logout_everywhere(&state, &auth_user).await?;
    } else {
        auth::logout(&state, &auth_user).await?;
    }
    if let Some(response) = use_context::<ResponseOptions>() {
        let cookie = credentials::clear_session_cookie(state.settings.cookie_secure);
        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
            response.insert_header(http::header::SET_COOKIE, value);
        }
    }
    Ok(())
}

/// The key this browser subscribes to pushes with.
#[server(prefix = "/api/fn", endpoint = "push_key")]
pub async fn push_key() -> Result<String, AppError> {
    let (state, _) = context::caller().await?;
    Ok(push::key(&state).to_owned())
}

/// Pushes to this browser, for this session, while no tab is open.
#[server(prefix = "/api/fn", endpoint = "push_subscribe")]
pub async fn push_subscribe(
    subscription: NewPushSubscription,
) -> Result<PushSubscription, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(push::subscribe(&state, &auth, &subscription).await?)
}

/// Searches the messages of the caller's rooms (`GET /api/search`).
#[server(prefix = "/api/fn", endpoint = "search")]
pub async fn search_messages(params: SearchParams) -> Result<SearchPage, AppError> {
    let (state, auth) = context::caller().await?;
    Ok(search::search(&state, &auth, params).await?)
}
