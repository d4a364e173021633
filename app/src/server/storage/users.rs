//! The queries on accounts. Usernames are unique ignoring case
//! (`username_key`); the password is stored only as its argon2id hash.

use sea_query::{Expr, Query};

use super::db::{Db, is_unique_violation, to_rfc3339};
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
