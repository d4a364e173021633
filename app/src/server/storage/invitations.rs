//! The queries on invitations: pending ones by username, and invite links.
//!
//! A row of `invitations` is exactly a live invitation: accepting,
//! declining and joining by any other way delete it. An invite link is
//! looked up by the SHA-256 of its token (the token is never stored) and is
//! kept after it is revoked, so that it answers "expired", not "unknown".

use sea_query::{Expr, OnConflict, Order, Query};
use sqlx::AnyConnection;
use subtle::ConstantTimeEq;

use super::db::Db;
use super::schema::{Invitations, InviteLinks, Users};
use crate::model::Author;
use crate::server::error::Result;

/// A pending invitation as stored, with its inviter.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: i64,
    pub room_id: i64,
    pub invitee_id: i64,
    pub inviter_id: i64,
    pub inviter_name: String,
    pub created_at: i64,
}

impl InvitationRow {
    pub fn inviter(&self) -> Author {
        Author {
            id: self.inviter_id,
            username: self.inviter_name.clone(),
        }
    }
}

/// Invites `invitee_id` to the room, unless they already are: the
/// invitation (new or standing) and whether it is new.
pub async fn invite(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    invitee_id: i64,
    inviter_id: i64,
    now: i64,
) -> Result<(InvitationRow, bool)> {
    let insert = Query::insert()
        .into_table(Invitations::Table)
        .columns([
            Invitations::RoomId,
            Invitations::InviteeId,
            Invitations::InviterId,
            Invitations::CreatedAt,
        ])
        .values_panic([
            room_id.into(),
            invitee_id.into(),
            inviter_id.into(),
            now.into(),
        ])
        .on_conflict(
            OnConflict::columns([Invitations::RoomId, Invitations::InviteeId])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    let created = db.execute(conn, &insert).await? > 0;
    let select = select_invitations()
        .and_where(Expr::col((Invitations::Table, Invitations::RoomId)).eq(room_id))
        .and_where(Expr::col((Invitations::Table, Invitations::InviteeId)).eq(invitee_id))
        .to_owned();
    let row: InvitationRow = db.fetch_one(conn, &select).await?;
    Ok((row, created))
}

fn select_invitations() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            (Invitations::Table, Invitations::Id),
            (Invitations::Table, Invitations::RoomId),
            (Invitations::Table, Invitations::InviteeId),
            (Invitations::Table, Invitations::InviterId),
            (Invitations::Table, Invitations::CreatedAt),
        ])
        .expr_as(
            Expr::col((Users::Table, Users::Username)),
            sea_query::Alias::new("inviter_name"),
        )
        .from(Invitations::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id))
                .equals((Invitations::Table, Invitations::InviterId)),
        )
        .to_owned()
}

/// The user's pending invitations, newest first (`invitations_invitee`).
pub async fn pending_for(
    db: &Db,
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Vec<InvitationRow>> {
    let select = select_invitations()
        .and_where(Expr::col((Invitations::Table, Invitations::InviteeId)).eq(user_id))
        .order_by((Invitations::Table, Invitations::Id), Order::Desc)
        .to_owned();
    Ok(db.fetch_all(conn, &select).await?)
}

/// One invitation, if it is still pending.
pub async fn get(db: &Db, conn: &mut AnyConnection, id: i64) -> Result<Option<InvitationRow>> {
    let select = select_invitations()
        .and_where(Expr::col((Invitations::Table, Invitations::Id)).eq(id))
        .to_owned();
    Ok(db.fetch_optional(conn, &select).await?)
}

/// Deletes the invitation if it is `invitee_id`'s; `false` if there was
/// none (declined already, accepted, or never theirs).
pub async fn decline(db: &Db, conn: &mut AnyConnection, id: i64, invitee_id: i64) -> Result<bool> {
    let delete = Query::delete()
        .from_table(Invitations::Table)
        .and_where(Expr::col(Invitations::Id).eq(id))
        .and_where(Expr::col(Invitations::InviteeId).eq(invitee_id))
        .to_owned();
    Ok(db.execute(conn, &delete).await? > 0)
}

/// Deletes the user's invitation to the room, as they join it by whatever
/// way; its id, if there was one.
pub async fn settle(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    user_id: i64,
) -> Result<Option<i64>> {
    let delete = Query::delete()
        .from_table(Invitations::Table)
        .and_where(Expr::col(Invitations::RoomId).eq(room_id))
        .and_where(Expr::col(Invitations::InviteeId).eq(user_id))
        .returning_col(Invitations::Id)
        .to_owned();
    let row: Option<(i64,)> = db.fetch_optional(conn, &delete).await?;
    Ok(row.map(|(id,)| id))
}

/// Removes the room's invitations and links, as the room is deleted.
pub async fn delete_for_room(db: &Db, conn: &mut AnyConnection, room_id: i64) -> Result<()> {
    let invitations = Query::delete()
        .from_table(Invitations::Table)
        .and_where(Expr::col(Invitations::RoomId).eq(room_id))
        .to_owned();
    db.execute(conn, &invitations).await?;
    let links = Query::delete()
        .from_table(InviteLinks::Table)
        .and_where(Expr::col(InviteLinks::RoomId).eq(room_id))
        .to_owned();
    db.execute(conn, &links).await?;
    Ok(())
}

/// An invite link as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LinkRow {
    pub id: i64,
    pub room_id: i64,
    pub token_hash: String,
    pub expires_at: i64,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<i64>,
}

impl LinkRow {
    /// Whether the link still lets someone in at `now`.
    pub fn open(&self, now: i64) -> bool {
        self.revoked_at.is_none()
            && now < self.expires_at
            && self.max_uses.is_none_or(|max| self.uses < max)
    }
}

/// What a new link is.
pub struct NewLink<'a> {
    pub room_id: i64,
    pub token_hash: &'a str,
    pub creator: i64,
    pub expires_at: i64,
    pub max_uses: Option<i64>,
}

pub async fn create_link(db: &Db, new: NewLink<'_>, now: i64) -> Result<()> {
    let insert = Query::insert()
        .into_table(InviteLinks::Table)
        .columns([
            InviteLinks::RoomId,
            InviteLinks::TokenHash,
            InviteLinks::CreatedBy,
            InviteLinks::CreatedAt,
            InviteLinks::ExpiresAt,
            InviteLinks::MaxUses,
        ])
        .values_panic([
            new.room_id.into(),
            new.token_hash.into(),
            new.creator.into(),
            now.into(),
            new.expires_at.into(),
            new.max_uses.into(),
        ])
        .to_owned();
    let mut conn = db.acquire().await?;
    db.execute(&mut conn, &insert).await?;
    Ok(())
}

/// The link whose token hashes to `token_hash` (the `token_hash` index),
/// its stored hash compared again in constant time, so the answer's timing
/// tells nothing of how much of a guess was right.
pub async fn link(db: &Db, conn: &mut AnyConnection, token_hash: &str) -> Result<Option<LinkRow>> {
    let select = Query::select()
        .columns([
            InviteLinks::Id,
            InviteLinks::RoomId,
            InviteLinks::TokenHash,
            InviteLinks::ExpiresAt,
            InviteLinks::MaxUses,
            InviteLinks::Uses,
            InviteLinks::RevokedAt,
        ])
        .from(InviteLinks::Table)
        .and_where(Expr::col(InviteLinks::TokenHash).eq(token_hash))
        .to_owned();
    let row: Option<LinkRow> = db.fetch_optional(conn, &select).await?;
    Ok(row.filter(|link| bool::from(link.token_hash.as_bytes().ct_eq(token_hash.as_bytes()))))
}

/// Counts one join by the link.
pub async fn use_link(db: &Db, conn: &mut AnyConnection, token_hash: &str) -> Result<()> {
    let update = Query::update()
        .table(InviteLinks::Table)
        .value(InviteLinks::Uses, Expr::col(InviteLinks::Uses).add(1))
        .and_where(Expr::col(InviteLinks::TokenHash).eq(token_hash))
        .to_owned();
    db.execute(conn, &update).await?;
    Ok(())
}

/// Revokes the room's link; `false` if the room has no such link.
pub async fn revoke_link(db: &Db, room_id: i64, token_hash: &str, now: i64) -> Result<bool> {
    let update = Query::update()
        .table(InviteLinks::Table)
        .value(InviteLinks::RevokedAt, now)
        .and_where(Expr::col(InviteLinks::RoomId).eq(room_id))
        .and_where(Expr::col(InviteLinks::TokenHash).eq(token_hash))
        .and_where(Expr::col(InviteLinks::RevokedAt).is_null())
        .to_owned();
    let mut conn = db.acquire().await?;
    Ok(db.execute(&mut conn, &update).await? > 0)
}
