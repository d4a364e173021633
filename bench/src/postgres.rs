//! A PostgreSQL database of its own for each multi-node run, created on the
//! server the operator points the bench at and dropped afterwards, so runs
//! never measure each other's data.

use anyhow::Context;
use sqlx::{Connection, Executor, PgConnection};

/// Where the bench may create databases (`--postgres`), by default the
/// machine's local server as `make test` uses it.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct Database {
    admin_url: String,
    name: String,
    /// What the servers under test are given as `DATABASE_URL`.
    pub url: String,
}

impl Database {
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("chat_bench_{}_{}", std::process::id(), fastrand::u32(..));
        let mut conn = PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("connecting to PostgreSQL at {}", redacted(admin_url)))?;
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .context("creating the bench database")?;
        let (base, _) = admin_url
            .rsplit_once('/')
            .context("the PostgreSQL URL names a database")?;
        Ok(Self {
            url: format!("{base}/{name}"),
            admin_url: admin_url.to_owned(),
            name,
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

/// The URL without its password, for an error message.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, rest)), Some((_, host))) if rest.contains('@') => {
            let user = rest.split(['@', ':']).next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_password_never_reaches_an_error_message() {
        assert_eq!(
            redacted("postgres://ann:s3cret@db:5432/postgres"),
            "postgres://ann@db:5432/postgres"
        );
        assert_eq!(
            redacted("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
    }
}
