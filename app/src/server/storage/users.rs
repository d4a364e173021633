//! The queries on accounts. Usernames are unique ignoring case
//! (`username_key`); the password is stored only as its argon2id hash.

use sea_query::extension::sqlite::SqliteBinOper;
use sea_query::{Expr, LikeExpr, Order, Query};

use super::db::{Backend, Db, is_unique_violation, to_rfc3339};
use super::schema::Users;
use crate::model::{Author, User};
use crate::server::error::{Error, Result};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    created_at: i64,
    password_hash: String,
}

/// A user with the hash their password is checked against.
pub struct Account {
    pub user: User,
    pub password_hash: String,
}

/// Creates an account; a username taken (ignoring case) is `username_taken`.
pub async fn create(db: &Db, username: &str, password_hash: String, now: i64) -> Result<User> {
    let insert = Query::insert()
        .into_table(Users::Table)
        .columns([
            Users::Username,
            Users::UsernameKey,
            Users::PasswordHash,
            Users::CreatedAt,
        ])
        .values_panic([
            username.into(),
            username.to_lowercase().into(),
            password_hash.into(),
            now.into(),
        ])
        .returning_col(Users::Id)
        .to_owned();
    let mut conn = db.acquire().await?;
    let (id,): (i64,) = match db.fetch_one(&mut conn, &insert).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(Error::UsernameTaken),
        Err(e) => return Err(e.into()),
    };
    Ok(User {
        id,
        username: username.to_owned(),
        created_at: to_rfc3339(now),
    })
}

/// Whether anyone has an account yet.
pub async fn any(db: &Db) -> Result<bool> {
    let select = Query::select()
        .column(Users::Id)
        .from(Users::Table)
        .limit(1)
        .to_owned();
    let mut conn = db.acquire().await?;
    let row: Option<(i64,)> = db.fetch_optional(&mut conn, &select).await?;
    Ok(row.is_some())
}

/// The account whose username is `key` ignoring case.
pub async fn by_username_key(db: &Db, key: &str) -> Result<Option<Account>> {
    let select = Query::select()
        .columns([
            Users::Id,
            Users::Username,
            Users::CreatedAt,
            Users::PasswordHash,
        ])
        .from(Users::Table)
        .and_where(Expr::col(Users::UsernameKey).eq(key))
        .to_owned();
    let mut conn = db.acquire().await?;
    let row: Option<UserRow> = db.fetch_optional(&mut conn, &select).await?;
    Ok(row.map(|row| Account {
        user: User {
            id: row.id,
            username: row.username,
            created_at: to_rfc3339(row.created_at),
        },
        password_hash: row.password_hash,
    }))
}

/// A user as a message or event names them; `None` if there is no such
/// user.
pub async fn author(db: &Db, user_id: i64) -> Result<Option<Author>> {
    let select = Query::select()
        .columns([Users::Id, Users::Username])
        .from(Users::Table)
        .and_where(Expr::col(Users::Id).eq(user_id))
        .to_owned();
    let mut conn = db.acquire().await?;
    let row: Option<(i64, String)> = db.fetch_optional(&mut conn, &select).await?;
    Ok(row.map(|(id, username)| Author { id, username }))
}

/// The users whose usernames are these keys (lower case); a key nobody has
/// is missing from the answer.
pub async fn by_keys(db: &Db, keys: &[String]) -> Result<Vec<(String, Author)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let select = Query::select()
        .columns([Users::UsernameKey, Users::Id, Users::Username])
        .from(Users::Table)
        .and_where(Expr::col(Users::UsernameKey).is_in(keys.iter().map(String::as_str)))
        .to_owned();
    let mut conn = db.acquire().await?;
    let rows: Vec<(String, i64, String)> = db.fetch_all(&mut conn, &select).await?;
    Ok(rows
        .into_iter()
        .map(|(key, id, username)| (key, Author { id, username }))
        .collect())
}

/// Up to `limit` users whose username starts with `prefix` (a lower-case
/// key made only of the characters usernames have, so it holds no pattern
/// character but `_`), the shortest first, then alphabetically: typing a
/// whole name puts that person at the top. A prefix scan of the username
/// index on either backend (see the direct-conversations migration).
pub async fn starting_with(db: &Db, prefix: &str, limit: u64) -> Result<Vec<Author>> {
    let key = Expr::col(Users::UsernameKey);
    let matches = match db.backend() {
        Backend::Sqlite => key.binary(SqliteBinOper::Glob, format!("{prefix}*")),
        Backend::Postgres => {
            key.like(LikeExpr::new(format!("{}%", prefix.replace('_', r"\_"))).escape('\\'))
        }
    };
    let select = Query::select()
        .columns([Users::Id, Users::Username])
        .from(Users::Table)
        .and_where(matches)
        .order_by_expr(Expr::cust("LENGTH(username_key)"), Order::Asc)
        .order_by(Users::UsernameKey, Order::Asc)
        .limit(limit)
        .to_owned();
    let mut conn = db.acquire().await?;
    let rows: Vec<(i64, String)> = db.fetch_all(&mut conn, &select).await?;
    Ok(rows
        .into_iter()
        .map(|(id, username)| Author { id, username })
        .collect())
}
