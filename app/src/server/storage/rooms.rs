//! The queries on rooms and memberships.
//!
//! A room row carries the room's event counter (`last_seq`): the writer
//! takes the room's lock by updating that row ([`lock`]), which on
//! PostgreSQL row-locks it until the transaction ends, so whatever the
//! writer reads after it, about this room, stays true until it commits.

use std::collections::{BTreeSet, HashMap, HashSet};

use sea_query::SimpleExpr;
use sea_query::{
    Alias, Asterisk, Expr, InsertStatement, OnConflict, Order, Query, SelectStatement,
};
use sqlx::AnyConnection;

use super::db::{Db, is_unique_violation, to_rfc3339};
use super::schema::{Memberships, Rooms};
use crate::model::Room;
use crate::server::error::{Error, Result};

#[derive(sqlx::FromRow)]
struct RoomRow {
    id: i64,
    name: String,
    created_by: i64,
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
            owner_id: row.created_by,
            member_count: row.member_count,
            joined: row.joined != 0,
            last_seq: row.last_seq,
            last_activity_at: to_rfc3339(row.last_activity_at),
        }
    }
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
            (Rooms::Table, Rooms::CreatedBy),
            (Rooms::Table, Rooms::CreatedAt),
            (Rooms::Table, Rooms::LastSeq),
            (Rooms::Table, Rooms::LastActivityAt),
        ])
        .expr_as(memberships(None), Alias::new("member_count"))
        .expr_as(memberships(Some(user_id)), Alias::new("joined"))
        .from(Rooms::Table)
        .to_owned()
}

/// Every room, as `user_id` sees it, most recently active first.
pub async fn list(db: &Db, conn: &mut AnyConnection, user_id: i64) -> Result<Vec<Room>> {
    let select = select_rooms(user_id)
        .order_by((Rooms::Table, Rooms::LastActivityAt), Order::Desc)
        .order_by((Rooms::Table, Rooms::Id), Order::Desc)
        .to_owned();
    let rows: Vec<RoomRow> = db.fetch_all(conn, &select).await?;
    Ok(rows.into_iter().map(Room::from).collect())
}

/// One room as `user_id` sees it.
pub async fn get(db: &Db, conn: &mut AnyConnection, user_id: i64, room_id: i64) -> Result<Room> {
    let select = select_rooms(user_id)
        .and_where(Expr::col((Rooms::Table, Rooms::Id)).eq(room_id))
        .to_owned();
    let row: Option<RoomRow> = db.fetch_optional(conn, &select).await?;
    row.map(Room::from).ok_or(Error::RoomNotFound)
}

/// Rooms by id as their members see them (`joined` is true), for events
/// that carry the room.
pub async fn as_members_see(
    db: &Db,
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Room>> {
    let ids: BTreeSet<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let select = select_rooms(0)
        .and_where(Expr::col((Rooms::Table, Rooms::Id)).is_in(ids))
        .to_owned();
    let rows: Vec<RoomRow> = db.fetch_all(conn, &select).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let room = Room {
                joined: true,
                ..Room::from(row)
            };
            (room.id, room)
        })
        .collect())
}

/// Renames the room; `false` if it already had that name. A name another
/// room has (ignoring case and surrounding spaces) fails as a unique
/// violation, which the caller turns into `room_name_taken`.
pub async fn rename(db: &Db, tx: &mut AnyConnection, room_id: i64, name: &str) -> Result<bool> {
    let update = Query::update()
        .table(Rooms::Table)
        .value(Rooms::Name, name)
        .value(Rooms::NameKey, name.trim().to_lowercase())
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .and_where(Expr::col(Rooms::Name).ne(name))
        .to_owned();
    Ok(db.execute(tx, &update).await? > 0)
}

/// Creates a room and its creator's membership; a name taken (ignoring
/// case and surrounding spaces) is `room_name_taken`.
pub async fn create(db: &Db, name: &str, creator: i64, now: i64) -> Result<i64> {
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
            name.into(),
            name.trim().to_lowercase().into(),
            creator.into(),
            now.into(),
            0i64.into(),
            now.into(),
        ])
        .returning_col(Rooms::Id)
        .to_owned();
    let mut tx = db.begin().await?;
    let (room_id,): (i64,) = match db.fetch_one(&mut tx, &insert).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(Error::RoomNameTaken),
        Err(e) => return Err(e.into()),
    };
    db.execute(&mut tx, &insert_membership(room_id, creator, now))
        .await?;
    tx.commit().await?;
    Ok(room_id)
}

/// The membership, unless it exists (then nothing: joining is idempotent).
fn insert_membership(room_id: i64, user_id: i64, now: i64) -> InsertStatement {
    Query::insert()
        .into_table(Memberships::Table)
        .columns([
            Memberships::RoomId,
            Memberships::UserId,
            Memberships::JoinedAt,
        ])
        .values_panic([room_id.into(), user_id.into(), now.into()])
        .on_conflict(
            OnConflict::columns([Memberships::RoomId, Memberships::UserId])
                .do_nothing()
                .to_owned(),
        )
        .to_owned()
}

/// Adds the membership; `false` if it already existed.
pub async fn add_member(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    user_id: i64,
    now: i64,
) -> Result<bool> {
    Ok(db
        .execute(conn, &insert_membership(room_id, user_id, now))
        .await?
        > 0)
}

/// Removes the membership; `false` if there was none.
pub async fn remove_member(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    user_id: i64,
) -> Result<bool> {
    let delete = Query::delete()
        .from_table(Memberships::Table)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .and_where(Expr::col(Memberships::UserId).eq(user_id))
        .to_owned();
    Ok(db.execute(conn, &delete).await? > 0)
}

/// `room_not_found` or `not_a_member`, unless `user_id` is a member.
pub async fn check_member(db: &Db, user_id: i64, room_id: i64) -> Result<()> {
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

/// Which of these users are members of the room.
pub async fn members_among(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    users: impl IntoIterator<Item = i64>,
) -> Result<HashSet<i64>> {
    let users: BTreeSet<i64> = users.into_iter().collect();
    let select = Query::select()
        .column(Memberships::UserId)
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .and_where(Expr::col(Memberships::UserId).is_in(users))
        .to_owned();
    let rows: Vec<(i64,)> = db.fetch_all(conn, &select).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Which of these `(room_id, user_id)` pairs are memberships, in one query:
/// it reads every room of these users (one range of `memberships_user_id`
/// each) and keeps the pairs asked for.
pub async fn memberships_among(
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

/// The seq of the room's newest event, 0 when it has none.
pub async fn last_seq(db: &Db, room_id: i64) -> Result<i64> {
    let select = Query::select()
        .column(Rooms::LastSeq)
        .from(Rooms::Table)
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .to_owned();
    let mut conn = db.acquire().await?;
    let row: Option<(i64,)> = db.fetch_optional(&mut conn, &select).await?;
    row.map(|(seq,)| seq).ok_or(Error::RoomNotFound)
}

/// What the writer learns of a room as it locks it.
#[derive(Clone, Copy, Debug)]
pub struct Locked {
    pub last_seq: i64,
    /// The room's owner (its creator).
    pub owner_id: i64,
}

/// Takes the room's row lock for the rest of the transaction (a no-op
/// UPDATE, which row-locks on PostgreSQL; SQLite's one writer holds the
/// whole database already). `None` if there is no such room.
pub async fn lock(db: &Db, tx: &mut AnyConnection, room_id: i64) -> Result<Option<Locked>> {
    let lock = Query::update()
        .table(Rooms::Table)
        .value(Rooms::LastSeq, Expr::col(Rooms::LastSeq))
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .returning(Query::returning().columns([Rooms::LastSeq, Rooms::CreatedBy]))
        .to_owned();
    let row: Option<(i64, i64)> = db.fetch_optional(tx, &lock).await?;
    Ok(row.map(|(last_seq, owner_id)| Locked { last_seq, owner_id }))
}

/// Moves the room's counter to `seq`, and its activity time to `active_at`
/// when given (a post, not a reaction, makes a room active).
pub async fn advance(
    db: &Db,
    tx: &mut AnyConnection,
    room_id: i64,
    seq: i64,
    active_at: Option<i64>,
) -> Result<()> {
    let mut advance = Query::update()
        .table(Rooms::Table)
        .value(Rooms::LastSeq, seq)
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .to_owned();
    if let Some(now) = active_at {
        advance.value(Rooms::LastActivityAt, now);
    }
    db.execute(tx, &advance).await?;
    Ok(())
}
