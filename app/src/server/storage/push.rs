//! The queries of Web Push: the keys the server makes for itself, and the
//! browsers' push subscriptions.
//!
//! A subscription belongs to the session that made it (a foreign key with
//! a cascade), so logging out ends a browser's pushes without anyone
//! remembering to; and only subscriptions of unexpired sessions are pushed
//! to, so a session that lapsed stops them too.

use sea_query::{Expr, OnConflict, Order, Query};
use sqlx::AnyConnection;

use super::db::Db;
use super::schema::{PushSubscriptions, ServerKeys, Sessions};
use crate::server::error::Result;

/// The key called `name`, made by `make` and stored if there is none yet.
/// Nodes starting together may each make one: the first stored wins, and
/// every node reads that one back.
pub async fn server_key(
    db: &Db,
    conn: &mut AnyConnection,
    name: &str,
    make: impl FnOnce() -> String,
    now: i64,
) -> Result<String> {
    let select = Query::select()
        .column(ServerKeys::Value)
        .from(ServerKeys::Table)
        .and_where(Expr::col(ServerKeys::Name).eq(name))
        .to_owned();
    if let Some((value,)) = db.fetch_optional::<(String,), _>(conn, &select).await? {
        return Ok(value);
    }
    let insert = Query::insert()
        .into_table(ServerKeys::Table)
        .columns([ServerKeys::Name, ServerKeys::Value, ServerKeys::CreatedAt])
        .values_panic([name.into(), make().into(), now.into()])
        .on_conflict(OnConflict::column(ServerKeys::Name).do_nothing().to_owned())
        .to_owned();
    db.execute(conn, &insert).await?;
    let (value,): (String,) = db.fetch_one(conn, &select).await?;
    Ok(value)
}

/// A subscription as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub id: i64,
    pub user_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub created_at: i64,
}

/// What a browser gave to subscribe.
pub struct NewSubscription<'a> {
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

fn select_subscriptions() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            (PushSubscriptions::Table, PushSubscriptions::Id),
            (PushSubscriptions::Table, PushSubscriptions::UserId),
            (PushSubscriptions::Table, PushSubscriptions::Endpoint),
            (PushSubscriptions::Table, PushSubscriptions::P256dh),
            (PushSubscriptions::Table, PushSubscriptions::Auth),
            (PushSubscriptions::Table, PushSubscriptions::CreatedAt),
        ])
        .from(PushSubscriptions::Table)
        .to_owned()
}

/// Stores the browser's subscription for the session, or, if its endpoint
/// is known, makes it this session's with the keys given (a browser has
/// one subscription per site, whoever logs in on it). Keeps the id.
pub async fn subscribe(
    db: &Db,
    conn: &mut AnyConnection,
    user_id: i64,
    session_hash: &str,
    new: &NewSubscription<'_>,
    now: i64,
) -> Result<SubscriptionRow> {
    let insert = Query::insert()
        .into_table(PushSubscriptions::Table)
        .columns([
            PushSubscriptions::UserId,
            PushSubscriptions::SessionHash,
            PushSubscriptions::Endpoint,
            PushSubscriptions::P256dh,
            PushSubscriptions::Auth,
            PushSubscriptions::CreatedAt,
        ])
        .values_panic([
            user_id.into(),
            session_hash.into(),
            new.endpoint.into(),
            new.p256dh.into(),
            new.auth.into(),
            now.into(),
        ])
        .on_conflict(
            OnConflict::column(PushSubscriptions::Endpoint)
                .update_columns([
                    PushSubscriptions::UserId,
                    PushSubscriptions::SessionHash,
                    PushSubscriptions::P256dh,
                    PushSubscriptions::Auth,
                ])
                .to_owned(),
        )
        .to_owned();
    db.execute(conn, &insert).await?;
    let select = select_subscriptions()
        .and_where(Expr::col(PushSubscriptions::Endpoint).eq(new.endpoint))
        .to_owned();
    Ok(db.fetch_one(conn, &select).await?)
}

/// The user's subscriptions, oldest first (`push_subscriptions_user`).
pub async fn of_user(
    db: &Db,
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Vec<SubscriptionRow>> {
    let select = select_subscriptions()
        .and_where(Expr::col(PushSubscriptions::UserId).eq(user_id))
        .order_by(PushSubscriptions::Id, Order::Asc)
        .to_owned();
    Ok(db.fetch_all(conn, &select).await?)
}

/// The subscriptions of `users` whose session is still valid at `now`.
pub async fn to_push(
    db: &Db,
    conn: &mut AnyConnection,
    users: &[i64],
    now: i64,
) -> Result<Vec<SubscriptionRow>> {
    let mut found = Vec::new();
    for chunk in users.chunks(500) {
        let select = select_subscriptions()
            .inner_join(
                Sessions::Table,
                Expr::col((Sessions::Table, Sessions::TokenHash))
                    .equals((PushSubscriptions::Table, PushSubscriptions::SessionHash)),
            )
            .and_where(
                Expr::col((PushSubscriptions::Table, PushSubscriptions::UserId))
                    .is_in(chunk.iter().copied()),
            )
            .and_where(Expr::col((Sessions::Table, Sessions::ExpiresAt)).gt(now))
            .to_owned();
        found.extend(db.fetch_all::<SubscriptionRow, _>(conn, &select).await?);
    }
    Ok(found)
}

/// Deletes the user's subscription `id`; `false` if they have none by it.
pub async fn delete(db: &Db, conn: &mut AnyConnection, user_id: i64, id: i64) -> Result<bool> {
    let delete = Query::delete()
        .from_table(PushSubscriptions::Table)
        .and_where(Expr::col(PushSubscriptions::Id).eq(id))
        .and_where(Expr::col(PushSubscriptions::UserId).eq(user_id))
        .to_owned();
    Ok(db.execute(conn, &delete).await? > 0)
}

/// Deletes the subscription the push service said is gone, unless the
/// browser subscribed again since (with new keys for the same endpoint).
pub async fn forget(db: &Db, conn: &mut AnyConnection, id: i64, p256dh: &str) -> Result<()> {
    let delete = Query::delete()
        .from_table(PushSubscriptions::Table)
        .and_where(Expr::col(PushSubscriptions::Id).eq(id))
        .and_where(Expr::col(PushSubscriptions::P256dh).eq(p256dh))
        .to_owned();
    db.execute(conn, &delete).await?;
    Ok(())
}
