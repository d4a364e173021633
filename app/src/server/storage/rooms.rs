//! The queries on rooms and memberships.
//!
//! A room row carries the room's event counter (`last_seq`): the writer
//! takes the room's lock by updating that row ([`lock`]), which on
//! PostgreSQL row-locks it until the transaction ends, so whatever the
//! writer reads after it, about this room, stays true until it commits.

use std::collections::{BTreeSet, HashMap};

use sea_query::SimpleExpr;
use sea_query::{
    Alias, Asterisk, Cond, Expr, InsertStatement, OnConflict, Order, Query, SelectStatement,
};
use sqlx::AnyConnection;

use super::db::{Db, is_unique_violation, to_rfc3339};
use super::schema::{Memberships, Mentions, Messages, Rooms, Users};
use crate::limits::MAX_COUNTED;
use crate::model::{NotifyLevel, Presence, Role, Room, RoomActivity, RoomKind, UserPresence};
use crate::server::error::{Error, Result};

#[derive(sqlx::FromRow)]
struct RoomRow {
    id: i64,
    name: String,
    kind: String,
    topic: String,
    created_by: i64,
    created_at: i64,
    last_seq: i64,
    last_activity_at: i64,
    member_count: i64,
    my_role: Option<String>,
    last_read_seq: Option<i64>,
    unread_count: i64,
    mention_count: i64,
    notify: Option<String>,
    muted: Option<i64>,
}

impl From<RoomRow> for Room {
    fn from(row: RoomRow) -> Self {
        let my_role = row.my_role.as_deref().map(role);
        Room {
            id: row.id,
            name: row.name,
            kind: kind(&row.kind),
            topic: row.topic,
            created_at: to_rfc3339(row.created_at),
            owner_id: row.created_by,
            member_count: row.member_count,
            joined: my_role.is_some(),
            my_role,
            last_seq: row.last_seq,
            last_activity_at: to_rfc3339(row.last_activity_at),
            last_read_seq: row.last_read_seq,
            unread_count: row.unread_count,
            mention_count: row.mention_count,
            others: Vec::new(),
            notify: row
                .notify
                .as_deref()
                .and_then(NotifyLevel::parse)
                .unwrap_or_default(),
            muted: row.muted.is_some_and(|muted| muted != 0),
        }
    }
}

/// A stored kind; one this build does not know is treated as private, so
/// a mistake hides a room rather than showing it.
fn kind(stored: &str) -> RoomKind {
    RoomKind::parse(stored).unwrap_or(RoomKind::Private)
}

/// A stored role; one this build does not know grants nothing beyond
/// membership.
fn role(stored: &str) -> Role {
    Role::parse(stored).unwrap_or(Role::Member)
}

/// `(SELECT COUNT(*) FROM memberships m WHERE m.room_id = rooms.id)`: a
/// room's members.
fn member_count() -> SimpleExpr {
    let m = Alias::new("m");
    let count = Query::select()
        .expr(Expr::col(Asterisk).count())
        .from_as(Memberships::Table, m.clone())
        .and_where(Expr::col((m, Memberships::RoomId)).equals((Rooms::Table, Rooms::Id)))
        .to_owned();
    SimpleExpr::SubQuery(None, Box::new(count.into_sub_query_statement()))
}

/// `(SELECT column FROM memberships m WHERE m.room_id = rooms.id AND
/// m.user_id = user)`: a column of the user's membership of the room,
/// NULL if not a member (a lookup of the memberships primary key).
fn membership_of(user_id: i64, column: Memberships) -> SimpleExpr {
    let m = Alias::new("m");
    let select = Query::select()
        .column((m.clone(), column))
        .from_as(Memberships::Table, m.clone())
        .and_where(Expr::col((m.clone(), Memberships::RoomId)).equals((Rooms::Table, Rooms::Id)))
        .and_where(Expr::col((m, Memberships::UserId)).eq(user_id))
        .to_owned();
    SimpleExpr::SubQuery(None, Box::new(select.into_sub_query_statement()))
}

/// The user's role in the room, NULL if not a member.
fn role_of(user_id: i64) -> SimpleExpr {
    membership_of(user_id, Memberships::Role)
}

/// Which of the messages `user` has not read count.
#[derive(Clone, Copy)]
enum Unread {
    All,
    /// Those that mention them, by name or `@room`.
    Mentions,
}

/// How many messages of others, not deleted, `user` has not read in the
/// room `room` (all, or those mentioning them), up to [`MAX_COUNTED`]: a
/// range of `messages_room_seq` past their read `marker` (none when the
/// marker is NULL: not a member) that stops at the cap, each mention
/// looked up by its primary key.
fn unread_count(
    room: SimpleExpr,
    user: SimpleExpr,
    marker: SimpleExpr,
    which: Unread,
) -> SimpleExpr {
    let mut unread = Query::select()
        .expr(Expr::val(1))
        .from(Messages::Table)
        .and_where(Expr::col((Messages::Table, Messages::RoomId)).eq(room))
        .and_where(Expr::col((Messages::Table, Messages::Seq)).gt(marker))
        .and_where(Expr::col((Messages::Table, Messages::AuthorId)).ne(user.clone()))
        .and_where(Expr::col((Messages::Table, Messages::Deleted)).eq(0))
        .to_owned();
    if let Unread::Mentions = which {
        let named = Query::select()
            .expr(Expr::val(1))
            .from(Mentions::Table)
            .and_where(
                Expr::col((Mentions::Table, Mentions::MessageId))
                    .equals((Messages::Table, Messages::Id)),
            )
            .and_where(Expr::col((Mentions::Table, Mentions::UserId)).eq(user))
            .to_owned();
        unread.cond_where(
            Cond::any()
                .add(Expr::col((Messages::Table, Messages::MentionsRoom)).ne(0))
                .add(Expr::exists(named)),
        );
    }
    unread.limit(MAX_COUNTED);
    let count = Query::select()
        .expr(Expr::col(Asterisk).count())
        .from_subquery(unread, Alias::new("unread"))
        .to_owned();
    SimpleExpr::SubQuery(None, Box::new(count.into_sub_query_statement()))
}

/// `user_id`'s unread count in each room selected.
fn unread_of(user_id: i64, which: Unread) -> SimpleExpr {
    unread_count(
        Expr::col((Rooms::Table, Rooms::Id)).into(),
        Expr::val(user_id).into(),
        membership_of(user_id, Memberships::LastReadSeq),
        which,
    )
}

/// Rooms with their member count (an integer subquery, so the row decodes
/// the same on SQLite and PostgreSQL) and `user_id`'s role in each.
fn select_rooms(user_id: i64) -> SelectStatement {
    Query::select()
        .columns([
            (Rooms::Table, Rooms::Id),
            (Rooms::Table, Rooms::Name),
            (Rooms::Table, Rooms::Kind),
            (Rooms::Table, Rooms::Topic),
            (Rooms::Table, Rooms::CreatedBy),
            (Rooms::Table, Rooms::CreatedAt),
            (Rooms::Table, Rooms::LastSeq),
            (Rooms::Table, Rooms::LastActivityAt),
        ])
        .expr_as(member_count(), Alias::new("member_count"))
        .expr_as(role_of(user_id), Alias::new("my_role"))
        .expr_as(
            membership_of(user_id, Memberships::LastReadSeq),
            Alias::new("last_read_seq"),
        )
        .expr_as(unread_of(user_id, Unread::All), Alias::new("unread_count"))
        .expr_as(
            unread_of(user_id, Unread::Mentions),
            Alias::new("mention_count"),
        )
        .expr_as(
            membership_of(user_id, Memberships::Notify),
            Alias::new("notify"),
        )
        .expr_as(
            membership_of(user_id, Memberships::Muted),
            Alias::new("muted"),
        )
        .from(Rooms::Table)
        .to_owned()
}

/// The public rooms and every room `user_id` is a member of, as they see
/// them, most recently active first: the rooms the services' visibility
/// rule can show them (the services apply the rule itself to the answer).
/// The public half is a scan of `rooms_kind`; the other, of the user's
/// memberships (`memberships_user_id`).
pub async fn list(db: &Db, conn: &mut AnyConnection, user_id: i64) -> Result<Vec<Room>> {
    let mine = Query::select()
        .column(Memberships::RoomId)
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::UserId).eq(user_id))
        .to_owned();
    let select = select_rooms(user_id)
        .cond_where(
            Cond::all()
                .add(Expr::col((Rooms::Table, Rooms::DeletedAt)).is_null())
                .add(
                    Cond::any()
                        .add(Expr::col((Rooms::Table, Rooms::Kind)).eq(RoomKind::Public.as_str()))
                        .add(Expr::col((Rooms::Table, Rooms::Id)).in_subquery(mine)),
                ),
        )
        .order_by((Rooms::Table, Rooms::LastActivityAt), Order::Desc)
        .order_by((Rooms::Table, Rooms::Id), Order::Desc)
        .to_owned();
    let rows: Vec<RoomRow> = db.fetch_all(conn, &select).await?;
    let mut rooms: Vec<Room> = rows.into_iter().map(Room::from).collect();
    title_direct(db, conn, user_id, &mut rooms).await?;
    Ok(rooms)
}

/// One room as `user_id` would see it, whether or not they may: the
/// services decide that.
pub async fn get(db: &Db, conn: &mut AnyConnection, user_id: i64, room_id: i64) -> Result<Room> {
    let select = select_rooms(user_id)
        .and_where(Expr::col((Rooms::Table, Rooms::Id)).eq(room_id))
        .and_where(Expr::col((Rooms::Table, Rooms::DeletedAt)).is_null())
        .to_owned();
    let row: Option<RoomRow> = db.fetch_optional(conn, &select).await?;
    let mut room = row.map(Room::from).ok_or(Error::RoomNotFound)?;
    title_direct(db, conn, user_id, std::slice::from_mut(&mut room)).await?;
    Ok(room)
}

/// Names each direct conversation among `rooms` for `viewer`: by the other
/// people in it, alphabetically ("ann, ben"); by the viewer alone once
/// nobody else is left. A viewer (not `0`, nobody's view) is also given the
/// others' ids in `others`, offline until the services say otherwise. One
/// query, and none when there is no direct conversation.
async fn title_direct(
    db: &Db,
    conn: &mut AnyConnection,
    viewer: i64,
    rooms: &mut [Room],
) -> Result<()> {
    let direct: BTreeSet<i64> = rooms
        .iter()
        .filter(|room| room.kind == RoomKind::Direct)
        .map(|room| room.id)
        .collect();
    if direct.is_empty() {
        return Ok(());
    }
    let select = Query::select()
        .column((Memberships::Table, Memberships::RoomId))
        .column((Users::Table, Users::Id))
        .column((Users::Table, Users::Username))
        .from(Memberships::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((Memberships::Table, Memberships::UserId)),
        )
        .and_where(Expr::col((Memberships::Table, Memberships::RoomId)).is_in(direct))
        .order_by((Users::Table, Users::UsernameKey), Order::Asc)
        .to_owned();
    let rows: Vec<(i64, i64, String)> = db.fetch_all(conn, &select).await?;
    let mut people: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (room_id, user_id, username) in rows {
        people.entry(room_id).or_default().push((user_id, username));
    }
    for room in rooms
        .iter_mut()
        .filter(|room| room.kind == RoomKind::Direct)
    {
        let Some(people) = people.get(&room.id) else {
            continue;
        };
        let others: Vec<&str> = people
            .iter()
            .filter(|(id, _)| *id != viewer)
            .map(|(_, name)| name.as_str())
            .collect();
        if !others.is_empty() {
            room.name = others.join(", ");
        } else if let Some((_, me)) = people.first() {
            room.name = me.clone();
        }
        if viewer != 0 {
            let mut ids: Vec<i64> = people
                .iter()
                .map(|&(id, _)| id)
                .filter(|&id| id != viewer)
                .collect();
            ids.sort_unstable();
            room.others = ids
                .into_iter()
                .map(|user_id| UserPresence {
                    user_id,
                    status: Presence::Offline,
                })
                .collect();
        }
    }
    Ok(())
}

/// Rooms by id as their members see them (`joined` is true, `my_role`
/// null: an event reaches every member alike), for events that carry the
/// room.
pub async fn as_members_see(
    db: &Db,
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Room>> {
    // Nobody's view: a direct conversation is titled by all its people.
    titled_for(db, conn, 0, ids).await
}

/// Rooms by id, with direct conversations titled for `viewer` (by the
/// others in them), as [`as_members_see`] has them otherwise.
pub async fn titled_for(
    db: &Db,
    conn: &mut AnyConnection,
    viewer: i64,
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
    let mut rooms: Vec<Room> = rows
        .into_iter()
        .map(|row| Room {
            joined: true,
            my_role: None,
            ..Room::from(row)
        })
        .collect();
    title_direct(db, conn, viewer, &mut rooms).await?;
    Ok(rooms.into_iter().map(|room| (room.id, room)).collect())
}

/// A change to a room's settings; `None` leaves that one as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub name: Option<String>,
    pub topic: Option<String>,
    pub kind: Option<RoomKind>,
}

/// Applies the settings that differ from the room's; `false` if none did.
/// A name another room has (ignoring case and surrounding spaces) fails as
/// a unique violation, which the caller turns into `room_name_taken`.
pub async fn update(
    db: &Db,
    tx: &mut AnyConnection,
    room_id: i64,
    settings: &Settings,
) -> Result<bool> {
    let mut changed = false;
    if let Some(name) = &settings.name {
        let update = Query::update()
            .table(Rooms::Table)
            .value(Rooms::Name, name.as_str())
            .value(Rooms::NameKey, name.trim().to_lowercase())
            .and_where(Expr::col(Rooms::Id).eq(room_id))
            .and_where(Expr::col(Rooms::Name).ne(name.as_str()))
            .to_owned();
        changed |= db.execute(tx, &update).await? > 0;
    }
    if let Some(topic) = &settings.topic {
        let update = Query::update()
            .table(Rooms::Table)
            .value(Rooms::Topic, topic.as_str())
            .and_where(Expr::col(Rooms::Id).eq(room_id))
            .and_where(Expr::col(Rooms::Topic).ne(topic.as_str()))
            .to_owned();
        changed |= db.execute(tx, &update).await? > 0;
    }
    if let Some(kind) = settings.kind {
        let update = Query::update()
            .table(Rooms::Table)
            .value(Rooms::Kind, kind.as_str())
            .and_where(Expr::col(Rooms::Id).eq(room_id))
            .and_where(Expr::col(Rooms::Kind).ne(kind.as_str()))
            .to_owned();
        changed |= db.execute(tx, &update).await? > 0;
    }
    Ok(changed)
}

/// A room to create.
pub struct NewRoom<'a> {
    pub name: &'a str,
    pub kind: RoomKind,
    pub topic: &'a str,
    pub creator: i64,
}

/// Creates a room and its creator's membership, as its owner; a name taken
/// (ignoring case and surrounding spaces) is `room_name_taken`.
pub async fn create(db: &Db, new: NewRoom<'_>, now: i64) -> Result<i64> {
    let insert = insert_room(&new, &new.name.trim().to_lowercase(), now);
    let mut tx = db.begin().await?;
    let (room_id,): (i64,) = match db.fetch_one(&mut tx, &insert).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(Error::RoomNameTaken),
        Err(e) => return Err(e.into()),
    };
    db.execute(
        &mut tx,
        &insert_membership(room_id, new.creator, Role::Owner, 0, now),
    )
    .await?;
    tx.commit().await?;
    Ok(room_id)
}

/// The key that makes a direct conversation one per set of people: its
/// people's ids in order, after a control character no room name can hold
/// (see the direct-conversations migration).
pub fn direct_key(people: &BTreeSet<i64>) -> String {
    let ids: Vec<String> = people.iter().map(i64::to_string).collect();
    format!("\u{1}direct {}", ids.join(","))
}

/// The direct conversation of exactly these people, if it was started.
pub async fn direct_between(db: &Db, people: &BTreeSet<i64>) -> Result<Option<i64>> {
    let select = Query::select()
        .column(Rooms::Id)
        .from(Rooms::Table)
        .and_where(Expr::col(Rooms::NameKey).eq(direct_key(people)))
        .and_where(Expr::col(Rooms::DeletedAt).is_null())
        .to_owned();
    let mut conn = db.acquire().await?;
    let row: Option<(i64,)> = db.fetch_optional(&mut conn, &select).await?;
    Ok(row.map(|(id,)| id))
}

/// Starts the direct conversation of these people (the starter among them),
/// all of them members with no role above another; `None` if it exists
/// already, perhaps started a moment ago by someone else.
pub async fn start_direct(
    db: &Db,
    people: &[crate::model::Author],
    starter: i64,
    now: i64,
) -> Result<Option<i64>> {
    let ids: BTreeSet<i64> = people.iter().map(|person| person.id).collect();
    let mut names: Vec<&str> = people.iter().map(|p| p.username.as_str()).collect();
    names.sort_by_key(|name| name.to_lowercase());
    let name = names.join(", ");
    let new = NewRoom {
        name: &name,
        kind: RoomKind::Direct,
        topic: "",
        creator: starter,
    };
    let insert = insert_room(&new, &direct_key(&ids), now);
    let mut tx = db.begin().await?;
    let (room_id,): (i64,) = match db.fetch_one(&mut tx, &insert).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    for id in ids {
        db.execute(
            &mut tx,
            &insert_membership(room_id, id, Role::Member, 0, now),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Some(room_id))
}

/// The room's row, with no event yet, returning its id.
fn insert_room(new: &NewRoom<'_>, name_key: &str, now: i64) -> InsertStatement {
    Query::insert()
        .into_table(Rooms::Table)
        .columns([
            Rooms::Name,
            Rooms::NameKey,
            Rooms::Kind,
            Rooms::Topic,
            Rooms::CreatedBy,
            Rooms::CreatedAt,
            Rooms::LastSeq,
            Rooms::LastActivityAt,
        ])
        .values_panic([
            new.name.into(),
            name_key.into(),
            new.kind.as_str().into(),
            new.topic.into(),
            new.creator.into(),
            now.into(),
            0i64.into(),
            now.into(),
        ])
        .returning_col(Rooms::Id)
        .to_owned()
}

/// The membership, read up to `read_seq`, unless it exists (then nothing:
/// joining is idempotent).
fn insert_membership(
    room_id: i64,
    user_id: i64,
    role: Role,
    read_seq: i64,
    now: i64,
) -> InsertStatement {
    Query::insert()
        .into_table(Memberships::Table)
        .columns([
            Memberships::RoomId,
            Memberships::UserId,
            Memberships::JoinedAt,
            Memberships::Role,
            Memberships::LastReadSeq,
        ])
        .values_panic([
            room_id.into(),
            user_id.into(),
            now.into(),
            role.as_str().into(),
            read_seq.into(),
        ])
        .on_conflict(
            OnConflict::columns([Memberships::RoomId, Memberships::UserId])
                .do_nothing()
                .to_owned(),
        )
        .to_owned()
}

/// Deletes the room for everyone, in the writer's transaction: marks it
/// deleted, frees its name, and removes its memberships, invitations and
/// invite links (its messages are emptied by `messages::purge_room`).
/// `false` if it was deleted already.
pub async fn delete(db: &Db, tx: &mut AnyConnection, room_id: i64, now: i64) -> Result<bool> {
    // A key no name can have (names hold no control character), so the
    // name is free and a deleted room never collides with a new one.
    let update = Query::update()
        .table(Rooms::Table)
        .value(Rooms::DeletedAt, now)
        .value(Rooms::NameKey, format!("\u{7f}deleted {room_id}"))
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .and_where(Expr::col(Rooms::DeletedAt).is_null())
        .to_owned();
    if db.execute(tx, &update).await? == 0 {
        return Ok(false);
    }
    let memberships = Query::delete()
        .from_table(Memberships::Table)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .to_owned();
    db.execute(tx, &memberships).await?;
    super::invitations::delete_for_room(db, tx, room_id).await?;
    Ok(true)
}

/// The room's kind, deleted or not; `None` if it never existed.
pub async fn kind_of(db: &Db, conn: &mut AnyConnection, room_id: i64) -> Result<Option<RoomKind>> {
    let select = Query::select()
        .column(Rooms::Kind)
        .from(Rooms::Table)
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .to_owned();
    let row: Option<(String,)> = db.fetch_optional(conn, &select).await?;
    Ok(row.map(|(stored,)| kind(&stored)))
}

/// The ids of the room's members.
pub async fn member_ids(db: &Db, conn: &mut AnyConnection, room_id: i64) -> Result<Vec<i64>> {
    let select = Query::select()
        .column(Memberships::UserId)
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .to_owned();
    let rows: Vec<(i64,)> = db.fetch_all(conn, &select).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    user_id: i64,
    room_id: i64,
    last_seq: i64,
    last_activity_at: i64,
    last_read_seq: i64,
    unread_count: i64,
    mention_count: i64,
}

/// The room as each of these users' room list shows it, for those of them
/// who are members, read in one statement (so each summary is exact as of
/// its `last_seq`): one lookup of each membership, and a range of the
/// room's messages past each marker.
pub async fn activity(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    users: &[i64],
) -> Result<Vec<(i64, RoomActivity)>> {
    let of_member = |which| {
        unread_count(
            Expr::col((Rooms::Table, Rooms::Id)).into(),
            Expr::col((Memberships::Table, Memberships::UserId)).into(),
            Expr::col((Memberships::Table, Memberships::LastReadSeq)).into(),
            which,
        )
    };
    let mut found = Vec::with_capacity(users.len());
    // Bounded so a statement's parameters stay well under SQLite's limit.
    for users in users.chunks(500) {
        let select = Query::select()
            .column((Memberships::Table, Memberships::UserId))
            .column((Memberships::Table, Memberships::LastReadSeq))
            .columns([
                (Rooms::Table, Rooms::LastSeq),
                (Rooms::Table, Rooms::LastActivityAt),
            ])
            .expr_as(Expr::col((Rooms::Table, Rooms::Id)), Alias::new("room_id"))
            .expr_as(of_member(Unread::All), Alias::new("unread_count"))
            .expr_as(of_member(Unread::Mentions), Alias::new("mention_count"))
            .from(Memberships::Table)
            .inner_join(
                Rooms::Table,
                Expr::col((Rooms::Table, Rooms::Id))
                    .equals((Memberships::Table, Memberships::RoomId)),
            )
            .and_where(Expr::col((Memberships::Table, Memberships::RoomId)).eq(room_id))
            .and_where(
                Expr::col((Memberships::Table, Memberships::UserId)).is_in(users.iter().copied()),
            )
            .and_where(Expr::col((Rooms::Table, Rooms::DeletedAt)).is_null())
            .to_owned();
        let rows: Vec<ActivityRow> = db.fetch_all(conn, &select).await?;
        found.extend(rows.into_iter().map(|row| {
            (
                row.user_id,
                RoomActivity {
                    room_id: row.room_id,
                    last_seq: row.last_seq,
                    last_activity_at: to_rfc3339(row.last_activity_at),
                    last_read_seq: row.last_read_seq,
                    unread_count: row.unread_count,
                    mention_count: row.mention_count,
                },
            )
        }));
    }
    Ok(found)
}

/// Adds the membership, read up to the join's own seq (what was said
/// before is not news to a newcomer); `false` if it already existed.
pub async fn add_member(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    user_id: i64,
    join_seq: i64,
    now: i64,
) -> Result<bool> {
    let insert = insert_membership(room_id, user_id, Role::Member, join_seq, now);
    Ok(db.execute(conn, &insert).await? > 0)
}

/// Moves the user's read marker in the room forward to `seq`; `false` if
/// it was there or further already, or they are not a member.
pub async fn mark_read(db: &Db, room_id: i64, user_id: i64, seq: i64) -> Result<bool> {
    let update = Query::update()
        .table(Memberships::Table)
        .value(Memberships::LastReadSeq, seq)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .and_where(Expr::col(Memberships::UserId).eq(user_id))
        .and_where(Expr::col(Memberships::LastReadSeq).lt(seq))
        .to_owned();
    let mut conn = db.acquire().await?;
    Ok(db.execute(&mut conn, &update).await? > 0)
}

/// Sets what the member is notified of in the room, and whether they muted
/// it (`None` leaves each as it is).
pub async fn set_notify(
    db: &Db,
    room_id: i64,
    user_id: i64,
    level: Option<NotifyLevel>,
    muted: Option<bool>,
) -> Result<()> {
    let mut values = Vec::new();
    if let Some(level) = level {
        values.push((Memberships::Notify, level.as_str().into()));
    }
    if let Some(muted) = muted {
        values.push((Memberships::Muted, i64::from(muted).into()));
    }
    if values.is_empty() {
        return Ok(());
    }
    let update = Query::update()
        .table(Memberships::Table)
        .values(values)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .and_where(Expr::col(Memberships::UserId).eq(user_id))
        .to_owned();
    let mut conn = db.acquire().await?;
    db.execute(&mut conn, &update).await?;
    Ok(())
}

/// Who is to be told of a new message in the room, and why: members other
/// than its author who did not mute it, with level `all`, or named in it
/// (`mentioned`, everyone for `@room`) with level `mentions`, or in a
/// direct conversation with a level other than `none`. The usual post (no
/// mention, nobody at `all`) costs one look at an empty partial index.
pub async fn to_notify(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    author_id: i64,
    named: Named<'_>,
) -> Result<Vec<i64>> {
    let levels: Vec<&str> = match named {
        Named::Everyone => vec!["all", "mentions"],
        Named::Some(_) => vec!["all"],
    };
    let mut wanted = Cond::any().add(Expr::col(Memberships::Notify).is_in(levels));
    if let Named::Some(people) = named
        && !people.is_empty()
    {
        wanted = wanted.add(
            Cond::all()
                .add(Expr::col(Memberships::Notify).eq("mentions"))
                .add(Expr::col(Memberships::UserId).is_in(people.iter().copied())),
        );
    }
    let select = Query::select()
        .column(Memberships::UserId)
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .and_where(Expr::col(Memberships::UserId).ne(author_id))
        .and_where(Expr::col(Memberships::Muted).eq(0))
        .cond_where(wanted)
        .to_owned();
    let rows: Vec<(i64,)> = db.fetch_all(conn, &select).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Whom a message names, for [`to_notify`].
#[derive(Clone, Copy, Debug)]
pub enum Named<'a> {
    /// `@room`, or a direct conversation: every member.
    Everyone,
    Some(&'a [i64]),
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

/// What a user is to a room: what every access decision is made on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub kind: RoomKind,
    /// `None` when not a member.
    pub role: Option<Role>,
}

/// The room's kind and `user_id`'s role in it; `None` if there is no such
/// room (or it was deleted).
pub async fn standing(db: &Db, user_id: i64, room_id: i64) -> Result<Option<Standing>> {
    let select = Query::select()
        .column(Rooms::Kind)
        .expr_as(role_of(user_id), Alias::new("my_role"))
        .from(Rooms::Table)
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .and_where(Expr::col(Rooms::DeletedAt).is_null())
        .to_owned();
    let mut conn = db.acquire().await?;
    let row: Option<(String, Option<String>)> = db.fetch_optional(&mut conn, &select).await?;
    Ok(row.map(|(stored_kind, stored_role)| Standing {
        kind: kind(&stored_kind),
        role: stored_role.as_deref().map(role),
    }))
}

/// The roles of those of these users who are members of the room.
pub async fn roles_among(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
    users: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Role>> {
    let users: BTreeSet<i64> = users.into_iter().collect();
    let select = Query::select()
        .columns([Memberships::UserId, Memberships::Role])
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .and_where(Expr::col(Memberships::UserId).is_in(users))
        .to_owned();
    let rows: Vec<(i64, String)> = db.fetch_all(conn, &select).await?;
    Ok(rows
        .into_iter()
        .map(|(user, stored)| (user, role(&stored)))
        .collect())
}

/// A room's members with their role and when they joined, owners first,
/// then admins, then members, each by joining order.
pub async fn members(
    db: &Db,
    conn: &mut AnyConnection,
    room_id: i64,
) -> Result<Vec<(crate::model::Author, Role, i64)>> {
    let select = Query::select()
        .columns([
            (Memberships::Table, Memberships::UserId),
            (Memberships::Table, Memberships::Role),
            (Memberships::Table, Memberships::JoinedAt),
        ])
        .column((Users::Table, Users::Username))
        .from(Memberships::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((Memberships::Table, Memberships::UserId)),
        )
        .and_where(Expr::col((Memberships::Table, Memberships::RoomId)).eq(room_id))
        .order_by((Memberships::Table, Memberships::JoinedAt), Order::Asc)
        .order_by((Memberships::Table, Memberships::UserId), Order::Asc)
        .to_owned();
    let rows: Vec<(i64, String, i64, String)> = db.fetch_all(conn, &select).await?;
    let mut members: Vec<_> = rows
        .into_iter()
        .map(|(id, stored, joined_at, username)| {
            (
                crate::model::Author { id, username },
                role(&stored),
                joined_at,
            )
        })
        .collect();
    // Stable: joining order is kept within a role.
    members.sort_by_key(|(_, role, _)| std::cmp::Reverse(*role));
    Ok(members)
}

/// Sets a member's role; `false` if they had it already or are no member.
pub async fn set_role(
    db: &Db,
    tx: &mut AnyConnection,
    room_id: i64,
    user_id: i64,
    role: Role,
) -> Result<bool> {
    let update = Query::update()
        .table(Memberships::Table)
        .value(Memberships::Role, role.as_str())
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .and_where(Expr::col(Memberships::UserId).eq(user_id))
        .and_where(Expr::col(Memberships::Role).ne(role.as_str()))
        .to_owned();
    Ok(db.execute(tx, &update).await? > 0)
}

/// How many owners the room has.
pub async fn owner_count(db: &Db, tx: &mut AnyConnection, room_id: i64) -> Result<i64> {
    let select = Query::select()
        .expr(Expr::col(Asterisk).count())
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .and_where(Expr::col(Memberships::Role).eq(Role::Owner.as_str()))
        .to_owned();
    let (count,): (i64,) = db.fetch_one(tx, &select).await?;
    Ok(count)
}

/// Who a room passes to when its last owner leaves: the longest-standing
/// admin, else the longest-standing member; `None` if nobody is left or an
/// owner remains.
pub async fn successor(
    db: &Db,
    tx: &mut AnyConnection,
    room_id: i64,
) -> Result<Option<crate::model::Author>> {
    // Every leave asks; only a room left without an owner reads its members.
    if owner_count(db, tx, room_id).await? > 0 {
        return Ok(None);
    }
    let remaining = members(db, tx, room_id).await?;
    Ok(remaining.into_iter().next().map(|(user, _, _)| user))
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
    pub kind: RoomKind,
}

/// Takes the room's row lock for the rest of the transaction (a no-op
/// UPDATE, which row-locks on PostgreSQL; SQLite's one writer holds the
/// whole database already). `None` if there is no such room (or it was
/// deleted).
pub async fn lock(db: &Db, tx: &mut AnyConnection, room_id: i64) -> Result<Option<Locked>> {
    let lock = Query::update()
        .table(Rooms::Table)
        .value(Rooms::LastSeq, Expr::col(Rooms::LastSeq))
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .and_where(Expr::col(Rooms::DeletedAt).is_null())
        .returning(Query::returning().columns([Rooms::LastSeq, Rooms::Kind]))
        .to_owned();
    let row: Option<(i64, String)> = db.fetch_optional(tx, &lock).await?;
    Ok(row.map(|(last_seq, stored)| Locked {
        last_seq,
        kind: kind(&stored),
    }))
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
