//! Where a test's data lives: a SQLite file in a temporary directory, or,
//! with `CHAT_TEST_BACKEND=postgres`, a fresh PostgreSQL database that is
//! dropped when the test ends. `make test` runs the suites both ways.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor, PgConnection};

/// The server every test database is created on, and dropped from.
pub fn postgres_admin_url() -> String {
    std::env::var("CHAT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn uses_postgres() -> bool {
    std::env::var("CHAT_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

pub struct TestDatabase {
    pub url: String,
    /// Set when the data is in PostgreSQL: the database to drop.
    postgres: Option<String>,
    dir: tempfile::TempDir,
}

impl TestDatabase {
    /// A database on the backend this test run is for.
    pub async fn create() -> Self {
        if uses_postgres() {
            Self::postgres().await
        } else {
            Self::sqlite()
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("chat.db").display());
        Self {
            url,
            postgres: None,
            dir,
        }
    }

    pub async fn postgres() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "chat_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        let admin = postgres_admin_url();
        let mut conn = PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL reachable (CHAT_TEST_POSTGRES_URL)");
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("test database created");
        let (base, _) = admin.rsplit_once('/').expect("database in the admin URL");
        Self {
            url: format!("{base}/{name}"),
            postgres: Some(name),
            dir,
        }
    }

    /// A directory that lives as long as the database (logs, SQLite file).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `sql` on the PostgreSQL server's admin database, with `{db}`
    /// standing for this test's database: for statements about the
    /// database itself, which may refuse connections meanwhile.
    pub async fn server_admin(&self, sql: &str) -> u64 {
        let name = self
            .postgres
            .as_deref()
            .expect("a PostgreSQL test database");
        let mut conn = PgConnection::connect(&postgres_admin_url())
            .await
            .expect("PostgreSQL server reachable");
        let rows = sqlx::query(&sql.replace("{db}", name))
            .fetch_all(&mut conn)
            .await
            .expect("admin statement");
        rows.len() as u64
    }

    /// Runs one statement on this (PostgreSQL) database as the admin user,
    /// returning how many rows it touched or returned.
    pub async fn admin(&self, sql: &str) -> u64 {
        let mut conn = PgConnection::connect(&self.url)
            .await
            .expect("test database reachable");
        let rows = sqlx::query(sql)
            .fetch_all(&mut conn)
            .await
            .expect("admin statement");
        rows.len() as u64
    }
}

impl TestDatabase {
    /// Runs one statement on this database, on either backend, and returns
    /// the first column of each row it returned, as text.
    pub async fn rows(&self, sql: &str) -> Vec<String> {
        use sqlx::Row;
        if self.postgres.is_some() {
            let mut conn = PgConnection::connect(&self.url).await.expect("database");
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.expect(sql);
            rows.iter().map(|row| row.get::<String, _>(0)).collect()
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("database");
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.expect(sql);
            rows.iter().map(|row| row.get::<String, _>(0)).collect()
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any runtime we may block; use a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&postgres_admin_url()).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = conn.execute(drop.as_str()).await;
                }
            });
        })
        .join();
    }
}
