//! The queries on sessions. A session is stored under the SHA-256 of its
//! token (`token_hash`), never the token itself, so a copy of the database
//! cannot be replayed as logins.

use sea_query::{Expr, Query};
use sqlx::AnyConnection;

use super::db::{Db, to_rfc3339};
use super::schema::{Sessions, Users};
use crate::model::{Author, User};
use crate::server::error::Result;

/// The caller a live session stands for.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: User,
    /// SHA-256 of the token: identifies the session for logout.
    pub session: String,
}

impl AuthUser {
    /// The caller as events and messages name them.
    pub fn author(&self) -> Author {
        Author {
            id: self.user.id,
            username: self.user.username.clone(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    username: String,
    created_at: i64,
    expires_at: i64,
}

pub async fn create(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    let insert = Query::insert()
        .into_table(Sessions::Table)
        .columns([
            Sessions::TokenHash,
            Sessions::UserId,
            Sessions::CreatedAt,
            Sessions::ExpiresAt,
        ])
        .values_panic([
            token_hash.into(),
            user_id.into(),
            now.into(),
            expires_at.into(),
        ])
        .to_owned();
    let mut conn = db.acquire().await?;
    db.execute(&mut conn, &insert).await?;
    Ok(())
}

/// The session `token_hash` and when it expires, unless it has by `now`.
pub async fn find(
    db: &Db,
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<(AuthUser, i64)>> {
    let select = Query::select()
        .columns([
            (Users::Table, Users::Id),
            (Users::Table, Users::Username),
            (Users::Table, Users::CreatedAt),
        ])
        .column((Sessions::Table, Sessions::ExpiresAt))
        .from(Sessions::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((Sessions::Table, Sessions::UserId)),
        )
        .and_where(Expr::col((Sessions::Table, Sessions::TokenHash)).eq(token_hash))
        .and_where(Expr::col((Sessions::Table, Sessions::ExpiresAt)).gt(now))
        .to_owned();
    let row: Option<SessionRow> = db.fetch_optional(conn, &select).await?;
    Ok(row.map(|row| {
        let auth = AuthUser {
            user: User {
                id: row.id,
                username: row.username,
                created_at: to_rfc3339(row.created_at),
            },
            session: token_hash.to_owned(),
        };
        (auth, row.expires_at)
    }))
}

/// Moves the session's expiry to `expires_at`.
pub async fn renew(
    db: &Db,
    conn: &mut AnyConnection,
    token_hash: &str,
    expires_at: i64,
) -> Result<()> {
    let renew = Query::update()
        .table(Sessions::Table)
        .value(Sessions::ExpiresAt, expires_at)
        .and_where(Expr::col(Sessions::TokenHash).eq(token_hash))
        .to_owned();
    db.execute(conn, &renew).await?;
    Ok(())
}

pub async fn delete(db: &Db, tx: &mut AnyConnection, token_hash: &str) -> Result<()> {
    let delete = Query::delete()
        .from_table(Sessions::Table)
        .and_where(Expr::col(Sessions::TokenHash).eq(token_hash))
        .to_owned();
    db.execute(tx, &delete).await?;
    Ok(())
}

/// Deletes every session of the user; returns exactly those it removed
/// (RETURNING), even if a login committed meanwhile.
pub async fn delete_all_of(db: &Db, tx: &mut AnyConnection, user_id: i64) -> Result<Vec<String>> {
    let delete = Query::delete()
        .from_table(Sessions::Table)
        .and_where(Expr::col(Sessions::UserId).eq(user_id))
        .returning_col(Sessions::TokenHash)
        .to_owned();
    let ended: Vec<(String,)> = db.fetch_all(tx, &delete).await?;
    Ok(ended.into_iter().map(|(s,)| s).collect())
}
