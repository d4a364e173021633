//! Rooms and who is in them. Every room is public: anyone logged in can see
//! the list and join; only members read or post (see [`require_member`]).

use std::collections::{BTreeSet, HashSet};

use sea_query::{Alias, Asterisk, Expr, Order, Query, SelectStatement, SimpleExpr};
use sqlx::AnyConnection;

use super::auth::AuthUser;
use super::db::{Db, is_unique_violation, now_ms, to_rfc3339};
use super::error::{Error, Result};
use super::schema::{Memberships, Rooms};
use super::state::AppState;
use super::text::{Lines, reject_control_chars};
use super::writer::Request;
use crate::model::{Author, Room};

pub const MAX_ROOM_NAME_CHARS: usize = 64;

#[derive(sqlx::FromRow)]
struct RoomRow {
    id: i64,
    name: String,
    created_at: i64,
    last_seq: i64,
    last_activity_at: i64,
    member_count: i64,
    joined: i64,
}

impl From<RoomRow> for Room {
    fn from(row: RoomRow) -> Self {
        Room {
            id: row.id,
            name: row.name,
            created_at: to_rfc3339(row.created_at),
            member_count: row.member_count,
            joined: row.joined != 0,
            last_seq: row.last_seq,
            last_activity_at: to_rfc3339(row.last_activity_at),
        }
    }
}

/// Room names are stored as sent: 1 to 64 characters on one line, not
/// blank. (Uniqueness ignores case and surrounding spaces.)
pub fn validate_room_name(name: &str) -> Result<()> {
    reject_control_chars("name", name, Lines::Single)?;
    if name.trim().is_empty() {
        return Err(Error::validation("name", "Room name cannot be empty."));
    }
    if name.chars().count() > MAX_ROOM_NAME_CHARS {
        return Err(Error::validation(
            "name",
            "Room name must be at most 64 characters.",
        ));
    }
    Ok(())
}

/// `(SELECT COUNT(*) FROM memberships m WHERE m.room_id = rooms.id [AND
/// m.user_id = user])`: a room's members, or whether `user` is one (0 or 1).
fn memberships(user: Option<i64>) -> SimpleExpr {
    let m = Alias::new("m");
    let mut count = Query::select()
        .expr(Expr::col(Asterisk).count())
        .from_as(Memberships::Table, m.clone())
        .and_where(Expr::col((m.clone(), Memberships::RoomId)).equals((Rooms::Table, Rooms::Id)))
        .to_owned();
    if let Some(user) = user {
        count.and_where(Expr::col((m, Memberships::UserId)).eq(user));
    }
    SimpleExpr::SubQuery(None, Box::new(count.into_sub_query_statement()))
}

/// Rooms with their member count and whether `user_id` has joined. Both are
/// integer subqueries so the row decodes the same on SQLite and PostgreSQL.
fn select_rooms(user_id: i64) -> SelectStatement {
    Query::select()
        .columns([
            (Rooms::Table, Rooms::Id),
            (Rooms::Table, Rooms::Name),
            (Rooms::Table, Rooms::CreatedAt),
            (Rooms::Table, Rooms::LastSeq),
            (Rooms::Table, Rooms::LastActivityAt),
        ])
        .expr_as(memberships(None), Alias::new("member_count"))
        .expr_as(memberships(Some(user_id)), Alias::new("joined"))
        .from(Rooms::Table)
        .to_owned()
}

pub async fn list(state: &AppState, auth: &AuthUser) -> Result<Vec<Room>> {
    let select = select_rooms(auth.user.id)
        .order_by((Rooms::Table, Rooms::LastActivityAt), Order::Desc)
        .order_by((Rooms::Table, Rooms::Id), Order::Desc)
        .to_owned();
    let mut conn = state.db.acquire().await?;
    let rows: Vec<RoomRow> = state.db.fetch_all(&mut conn, &select).await?;
    Ok(rows.into_iter().map(Room::from).collect())
}

pub async fn get(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<Room> {
    let select = select_rooms(auth.user.id)
        .and_where(Expr::col((Rooms::Table, Rooms::Id)).eq(room_id))
        .to_owned();
    let mut conn = state.db.acquire().await?;
    let row: Option<RoomRow> = state.db.fetch_optional(&mut conn, &select).await?;
    row.map(Room::from).ok_or(Error::RoomNotFound)
}

/// Creates a room; its creator is its first member.
pub async fn create(state: &AppState, auth: &AuthUser, name: String) -> Result<Room> {
    validate_room_name(&name)?;
    let now = now_ms();
    let insert = Query::insert()
        .into_table(Rooms::Table)
        .columns([
            Rooms::Name,
            Rooms::NameKey,
            Rooms::CreatedBy,
            Rooms::CreatedAt,
            Rooms::LastSeq,
            Rooms::LastActivityAt,
        ])
        .values_panic([
            name.clone().into(),
            name.trim().to_lowercase().into(),
            auth.user.id.into(),
            now.into(),
            0i64.into(),
            now.into(),
        ])
        .returning_col(Rooms::Id)
        .to_owned();
    let mut tx = state.db.begin().await?;
    let (room_id,): (i64,) = match state.db.fetch_one(&mut tx, &insert).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(Error::RoomNameTaken),
        Err(e) => return Err(e.into()),
    };
    state
        .db
        .execute(&mut tx, &insert_membership(room_id, auth.user.id, now))
        .await?;
    tx.commit().await?;
    tracing::info!(room_id, user_id = auth.user.id, "room created");
    get(state, auth, room_id).await
}

/// The membership, unless it exists (then nothing: joining is idempotent).
pub(super) fn insert_membership(
    room_id: i64,
    user_id: i64,
    now: i64,
) -> sea_query::InsertStatement {
    Query::insert()
        .into_table(Memberships::Table)
        .columns([
            Memberships::RoomId,
            Memberships::UserId,
            Memberships::JoinedAt,
        ])
        .values_panic([room_id.into(), user_id.into(), now.into()])
        .on_conflict(
            sea_query::OnConflict::columns([Memberships::RoomId, Memberships::UserId])
                .do_nothing()
                .to_owned(),
        )
        .to_owned()
}

/// Joins a room; joining twice is not an error. A join is an event of the
/// room's log (`member_joined`), so it goes through the writer; a member
/// opening the room again costs one read.
pub async fn join(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<Room> {
    let room = get(state, auth, room_id).await?;
    if room.joined {
        return Ok(room);
    }
    state
        .writer
        .apply(Request::Join {
            room_id,
            user: Author {
                id: auth.user.id,
                username: auth.user.username.clone(),
            },
        })
        .await?;
    get(state, auth, room_id).await
}

/// Leaves a room; the user's open sockets stop receiving it, on every node
/// (the writer announces it in the leave's transaction).
pub async fn leave(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<()> {
    let done = state
        .writer
        .apply(Request::Leave {
            room_id,
            user: Author {
                id: auth.user.id,
                username: auth.user.username.clone(),
            },
        })
        .await?;
    if done.logged {
        // This node at once; the others (PostgreSQL) when the notice arrives.
        state.hub.left_room(auth.user.id, room_id);
    }
    Ok(())
}

/// Fails with `room_not_found` or `not_a_member` unless the user may read and
/// post in the room.
pub async fn require_member(state: &AppState, user_id: i64, room_id: i64) -> Result<()> {
    check_member(&state.db, user_id, room_id).await
}

pub(super) async fn check_member(db: &Db, user_id: i64, room_id: i64) -> Result<()> {
    let select = Query::select()
        .expr_as(memberships(Some(user_id)), Alias::new("member"))
        .from(Rooms::Table)
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .to_owned();
    let mut conn = db.acquire().await?;
    let member: Option<(i64,)> = db.fetch_optional(&mut conn, &select).await?;
    match member {
        None => Err(Error::RoomNotFound),
        Some((0,)) => Err(Error::NotAMember),
        Some(_) => Ok(()),
    }
}

/// Which of these `(room_id, user_id)` pairs are memberships: the check for
/// a whole batch of posts in one query. It reads every room of these users
/// (one range of `memberships_user_id` each) and keeps the pairs asked for.
pub(super) async fn memberships_among(
    db: &Db,
    conn: &mut AnyConnection,
    pairs: &HashSet<(i64, i64)>,
) -> Result<HashSet<(i64, i64)>> {
    if pairs.is_empty() {
        return Ok(HashSet::new());
    }
    let users: BTreeSet<i64> = pairs.iter().map(|&(_, user)| user).collect();
    let select = Query::select()
        .columns([Memberships::RoomId, Memberships::UserId])
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::UserId).is_in(users))
        .to_owned();
    let rows: Vec<(i64, i64)> = db.fetch_all(conn, &select).await?;
    Ok(rows
        .into_iter()
        .filter(|pair| pairs.contains(pair))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_not_blank_and_at_most_64_chars() {
        assert!(validate_room_name("general").is_ok());
        assert!(validate_room_name("   ").is_err());
        assert!(validate_room_name("").is_err());
        assert!(validate_room_name(&format!(" {}", "é".repeat(63))).is_ok());
        assert!(validate_room_name(&format!(" {}", "é".repeat(64))).is_err());
        assert!(validate_room_name(&"x".repeat(65)).is_err());
        assert!(validate_room_name("two\nlines").is_err());
    }
}
