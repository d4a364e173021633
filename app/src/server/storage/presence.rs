//! The queries on presence: which nodes are alive (each beats), and which
//! people have a socket open on each and when they last used it.
//!
//! A person's presence is read over the live nodes only, so a node killed
//! outright takes its people with it as soon as its beat is stale, with
//! nobody having to clean up after it first.

use std::collections::HashMap;

use sea_query::{Alias, Expr, Func, JoinType, OnConflict, Query};
use sqlx::AnyConnection;

use super::db::Db;
use super::schema::{Memberships, Nodes, Presence};
use crate::server::error::Result;

/// Rows written or compared in one statement, at most.
const CHUNK: usize = 500;

/// The node is alive as of `now`.
pub async fn beat(db: &Db, conn: &mut AnyConnection, node: &str, now: i64) -> Result<()> {
    let insert = Query::insert()
        .into_table(Nodes::Table)
        .columns([Nodes::Id, Nodes::BeatAt])
        .values_panic([node.into(), now.into()])
        .on_conflict(
            OnConflict::column(Nodes::Id)
                .update_column(Nodes::BeatAt)
                .to_owned(),
        )
        .to_owned();
    db.execute(conn, &insert).await?;
    Ok(())
}

/// Records, for the node, the people in `here` (`(user, active_at)`) and
/// forgets those in `gone`.
pub async fn write(
    db: &Db,
    conn: &mut AnyConnection,
    node: &str,
    here: &[(i64, i64)],
    gone: &[i64],
) -> Result<()> {
    for chunk in here.chunks(CHUNK) {
        let mut insert = Query::insert()
            .into_table(Presence::Table)
            .columns([Presence::NodeId, Presence::UserId, Presence::ActiveAt])
            .on_conflict(
                OnConflict::columns([Presence::NodeId, Presence::UserId])
                    .update_column(Presence::ActiveAt)
                    .to_owned(),
            )
            .to_owned();
        for &(user, active_at) in chunk {
            insert.values_panic([node.into(), user.into(), active_at.into()]);
        }
        db.execute(conn, &insert).await?;
    }
    for chunk in gone.chunks(CHUNK) {
        let delete = Query::delete()
            .from_table(Presence::Table)
            .and_where(Expr::col(Presence::NodeId).eq(node))
            .and_where(Expr::col(Presence::UserId).is_in(chunk.iter().copied()))
            .to_owned();
        db.execute(conn, &delete).await?;
    }
    Ok(())
}

/// When each person with a socket open on a live node (one that beat after
/// `alive_after`) last used one: everyone who is online or away.
pub async fn everyone(
    db: &Db,
    conn: &mut AnyConnection,
    alive_after: i64,
) -> Result<HashMap<i64, i64>> {
    let select = select_active(alive_after);
    let rows: Vec<(i64, i64)> = db.fetch_all(conn, &select).await?;
    Ok(rows.into_iter().collect())
}

/// [`everyone`], among `users` only.
pub async fn of(
    db: &Db,
    conn: &mut AnyConnection,
    users: &[i64],
    alive_after: i64,
) -> Result<HashMap<i64, i64>> {
    let mut found = HashMap::new();
    for chunk in users.chunks(CHUNK) {
        let select = select_active(alive_after)
            .and_where(Expr::col((Presence::Table, Presence::UserId)).is_in(chunk.iter().copied()))
            .to_owned();
        let rows: Vec<(i64, i64)> = db.fetch_all(conn, &select).await?;
        found.extend(rows);
    }
    Ok(found)
}

fn select_active(alive_after: i64) -> sea_query::SelectStatement {
    Query::select()
        .column((Presence::Table, Presence::UserId))
        .expr_as(
            Func::max(Expr::col((Presence::Table, Presence::ActiveAt))),
            Alias::new("active_at"),
        )
        .from(Presence::Table)
        .inner_join(
            Nodes::Table,
            Expr::col((Nodes::Table, Nodes::Id)).equals((Presence::Table, Presence::NodeId)),
        )
        .and_where(Expr::col((Nodes::Table, Nodes::BeatAt)).gt(alive_after))
        .group_by_col((Presence::Table, Presence::UserId))
        .to_owned()
}

/// `(person, watcher)` for each of `watchers` who shares a room with one of
/// `people`: who is to hear of their presence.
pub async fn sharing(
    db: &Db,
    conn: &mut AnyConnection,
    people: &[i64],
    watchers: &[i64],
) -> Result<Vec<(i64, i64)>> {
    let (theirs, mine) = (Alias::new("theirs"), Alias::new("mine"));
    let mut found = Vec::new();
    for people in people.chunks(CHUNK) {
        for watchers in watchers.chunks(CHUNK) {
            let select = Query::select()
                .distinct()
                .column((theirs.clone(), Memberships::UserId))
                .column((mine.clone(), Memberships::UserId))
                .from_as(Memberships::Table, theirs.clone())
                .join_as(
                    JoinType::InnerJoin,
                    Memberships::Table,
                    mine.clone(),
                    Expr::col((mine.clone(), Memberships::RoomId))
                        .equals((theirs.clone(), Memberships::RoomId)),
                )
                .and_where(
                    Expr::col((theirs.clone(), Memberships::UserId)).is_in(people.iter().copied()),
                )
                .and_where(
                    Expr::col((mine.clone(), Memberships::UserId)).is_in(watchers.iter().copied()),
                )
                .and_where(
                    Expr::col((theirs.clone(), Memberships::UserId))
                        .ne(Expr::col((mine.clone(), Memberships::UserId))),
                )
                .to_owned();
            let rows: Vec<(i64, i64)> = db.fetch_all(conn, &select).await?;
            found.extend(rows);
        }
    }
    Ok(found)
}

/// Forgets the node and its people (it is stopping).
pub async fn forget_node(db: &Db, conn: &mut AnyConnection, node: &str) -> Result<()> {
    let people = Query::delete()
        .from_table(Presence::Table)
        .and_where(Expr::col(Presence::NodeId).eq(node))
        .to_owned();
    db.execute(conn, &people).await?;
    let node = Query::delete()
        .from_table(Nodes::Table)
        .and_where(Expr::col(Nodes::Id).eq(node))
        .to_owned();
    db.execute(conn, &node).await?;
    Ok(())
}

/// Forgets the nodes that last beat before `dead_before`, and their
/// people: rows that no longer count, left by nodes that were killed.
pub async fn forget_dead(db: &Db, conn: &mut AnyConnection, dead_before: i64) -> Result<()> {
    let dead = Query::select()
        .column(Nodes::Id)
        .from(Nodes::Table)
        .and_where(Expr::col(Nodes::BeatAt).lt(dead_before))
        .to_owned();
    let people = Query::delete()
        .from_table(Presence::Table)
        .and_where(Expr::col(Presence::NodeId).in_subquery(dead))
        .to_owned();
    db.execute(conn, &people).await?;
    let nodes = Query::delete()
        .from_table(Nodes::Table)
        .and_where(Expr::col(Nodes::BeatAt).lt(dead_before))
        .to_owned();
    db.execute(conn, &nodes).await?;
    Ok(())
}
