//! A PostgreSQL database of its own for each multi-node run, created on the
//! server the operator points the bench at and dropped afterwards, so runs
//! never measure each other's data.

use anyhow::Context;
use sqlx::{Connection, Executor, PgConnection};
use url::Url;

/// Where the bench may create databases (`--postgres`), by default the
/// machine's local server as `make test` uses it.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct Database {
    admin_url: String,
    name: String,
    /// What the servers under test are given as `DATABASE_URL`.
    pub url: String,
    /// The server's main process, when it runs on this machine: its CPU
    /// and its children's are the database's share of a run.
    pub postmaster: Option<u32>,
}

impl Database {
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("chat_bench_{}_{}", std::process::id(), fastrand::u32(..));
        let url = with_database(admin_url, &name)?;
        let mut conn = PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("connecting to PostgreSQL at {}", redacted(admin_url)))?;
        let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut conn)
            .await?;
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .context("creating the bench database")?;
        Ok(Self {
            url,
            admin_url: admin_url.to_owned(),
            name,
            postmaster: u32::try_from(backend).ok().and_then(crate::cpu::parent),
        })
    }

    /// Drops the database once the servers using it have stopped.
    pub async fn drop(self) -> anyhow::Result<()> {
        let mut conn = PgConnection::connect(&self.admin_url).await?;
        conn.execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await?;
        Ok(())
    }
}

/// The admin URL with its database (the path) replaced by `name`; its
/// query (host socket, TLS mode) kept.
fn with_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let mut url = Url::parse(admin_url)
        .with_context(|| format!("--postgres is not a URL: {}", redacted(admin_url)))?;
    url.set_path(&format!("/{name}"));
    Ok(url.into())
}

/// The URL without its password or query, for an error message.
fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut url) => {
            let _ = url.set_password(None);
            url.set_query(None);
            url.into()
        }
        Err(_) => "(an unreadable URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_reaches_an_error_message() {
        assert_eq!(
            redacted("postgres://ann:s3cret@db:5432/postgres"),
            "postgres://ann@db:5432/postgres"
        );
        assert_eq!(
            redacted("postgres://db/postgres?password=s3cret"),
            "postgres://db/postgres"
        );
        assert_eq!(
            redacted("postgres://ann:s3@cret@db/x"),
            "postgres://ann@db/x"
        );
        assert_eq!(redacted("not a url"), "(an unreadable URL)");
    }

    #[test]
    fn the_bench_database_replaces_the_path_only() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "b1").unwrap(),
            "postgres://postgres@127.0.0.1:5432/b1"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?host=/var/run/postgresql", "b1").unwrap(),
            "postgres://u@h/b1?host=/var/run/postgresql"
        );
        assert_eq!(
            with_database("postgres://u@h", "b1").unwrap(),
            "postgres://u@h/b1"
        );
    }
}
