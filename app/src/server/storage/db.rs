//! The storage connection: one `sqlx::AnyPool` whose backend is chosen by
//! `DATABASE_URL`, and sea-query statements rendered in that backend's dialect.
//!
//! Services build statements with sea-query and run them through [`Db`]; none
//! of them knows which engine answers. Column types are limited to what both
//! SQLite and PostgreSQL decode the same way through `Any`: integers (ids,
//! seqs, times as milliseconds since the Unix epoch, UTC) and text.

use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sea_query::{PostgresQueryBuilder, QueryStatementWriter, SqliteQueryBuilder, Value, Values};
use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, Executor, FromRow};

pub use super::database_url::DatabaseUrl;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects and applies pending migrations.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let (url, backend) = normalize_url(url.expose())?;
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            // An embedded SQLite connection cannot drop, so the ping sqlx
            // sends before handing one out would only cost a round trip to
            // its worker thread on every query. A PostgreSQL one can.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the single writer;
                        // synchronous=FULL makes a commit durable before we
                        // acknowledge it; busy_timeout queues writers instead
                        // of failing them. temp_store=MEMORY keeps the
                        // statement journal of a multi-row insert (needed
                        // only to undo that statement) off the disk: it is
                        // not what makes a commit durable.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                             PRAGMA temp_store = MEMORY;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let db = Self { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), sqlx::Error> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("../migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, Any>, sqlx::Error> {
        self.pool.begin().await
    }

    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<Any>, sqlx::Error> {
        self.pool.acquire().await
    }

    fn render<S: QueryStatementWriter>(&self, stmt: &S) -> (String, Values) {
        match self.backend {
            Backend::Sqlite => stmt.build(SqliteQueryBuilder),
            Backend::Postgres => stmt.build(PostgresQueryBuilder),
        }
    }

    pub async fn execute<S: QueryStatementWriter>(
        &self,
        conn: &mut AnyConnection,
        stmt: &S,
    ) -> Result<u64, sqlx::Error> {
        let (sql, values) = self.render(stmt);
        Ok(bind(sqlx::query(&sql), values)
            .execute(conn)
            .await?
            .rows_affected())
    }

    pub async fn fetch_optional<T, S>(
        &self,
        conn: &mut AnyConnection,
        stmt: &S,
    ) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, AnyRow>,
        S: QueryStatementWriter,
    {
        let (sql, values) = self.render(stmt);
        let row = bind(sqlx::query(&sql), values).fetch_optional(conn).await?;
        row.as_ref().map(T::from_row).transpose()
    }

    /// PostgreSQL `NOTIFY`, sent when the surrounding transaction commits.
    /// (`IS NULL` turns pg_notify's `void` into a column type every driver
    /// can describe.)
    pub async fn notify(
        &self,
        conn: &mut AnyConnection,
        channel: &str,
        payload: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_notify($1, $2) IS NULL")
            .bind(channel)
            .bind(payload)
            .execute(conn)
            .await?;
        Ok(())
    }

    pub async fn fetch_one<T, S>(
        &self,
        conn: &mut AnyConnection,
        stmt: &S,
    ) -> Result<T, sqlx::Error>
    where
        T: for<'r> FromRow<'r, AnyRow>,
        S: QueryStatementWriter,
    {
        self.fetch_optional(conn, stmt)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// The rows of `select`, built into one JSON array by the database and
    /// read from that one value. An embedded SQLite connection hands every
    /// row from its worker thread to the waiting task, a wake-up and often
    /// a context switch each; a page of 50 messages paid that 51 times, and
    /// under load those hand-offs were most of a history request's time.
    /// `columns` are the select's column names (SQLite builds each object
    /// from them; PostgreSQL from the row itself). The order of the array
    /// is not promised: callers sort what they read.
    pub async fn fetch_all_json<T>(
        &self,
        conn: &mut AnyConnection,
        select: &sea_query::SelectStatement,
        columns: &[&str],
    ) -> Result<Vec<T>, sqlx::Error>
    where
        T: serde::de::DeserializeOwned,
    {
        let (inner, values) = self.render(select);
        let sql = match self.backend {
            Backend::Sqlite => {
                // Backquoted: SQLite reads a double-quoted name that is no
                // column as a string, which would hide a misspelt column.
                let fields: Vec<String> = columns.iter().map(|c| format!("'{c}', `{c}`")).collect();
                format!(
                    "SELECT json_group_array(json_object({})) FROM ({inner})",
                    fields.join(", ")
                )
            }
            Backend::Postgres => {
                format!("SELECT COALESCE(json_agg(page), '[]')::text FROM ({inner}) AS page")
            }
        };
        let (json,): (String,) = bind(sqlx::query(&sql), values)
            .fetch_one(conn)
            .await
            .and_then(|row| <(String,)>::from_row(&row))?;
        serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }

    pub async fn fetch_all<T, S>(
        &self,
        conn: &mut AnyConnection,
        stmt: &S,
    ) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, AnyRow>,
        S: QueryStatementWriter,
    {
        let (sql, values) = self.render(stmt);
        let rows = bind(sqlx::query(&sql), values).fetch_all(conn).await?;
        rows.iter().map(T::from_row).collect()
    }
}

/// Accepts `sqlite://path`, `sqlite:path` and `postgres://…`; a SQLite file
/// is created when missing.
fn normalize_url(url: &str) -> Result<(String, Backend), sqlx::Error> {
    if url.starts_with("sqlite:") {
        let url = if url.contains("mode=") {
            url.to_owned()
        } else if url.contains('?') {
            format!("{url}&mode=rwc")
        } else {
            format!("{url}?mode=rwc")
        };
        Ok((url, Backend::Sqlite))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok((url.to_owned(), Backend::Postgres))
    } else {
        Err(sqlx::Error::Configuration(
            // The scheme alone: the rest may hold a password.
            format!(
                "DATABASE_URL must start with sqlite: or postgres:, got {}",
                DatabaseUrl::new(url)
                    .scheme()
                    .map_or("something else".to_owned(), |s| format!("{s:?}"))
            )
            .into(),
        ))
    }
}

fn bind<'q>(
    mut query: Query<'q, Any, AnyArguments<'q>>,
    values: Values,
) -> Query<'q, Any, AnyArguments<'q>> {
    for value in values {
        query = match value {
            Value::Bool(v) => query.bind(v),
            Value::TinyInt(v) => query.bind(v.map(i32::from)),
            Value::SmallInt(v) => query.bind(v.map(i32::from)),
            Value::Int(v) => query.bind(v),
            Value::BigInt(v) => query.bind(v),
            Value::TinyUnsigned(v) => query.bind(v.map(i32::from)),
            Value::SmallUnsigned(v) => query.bind(v.map(i32::from)),
            Value::Unsigned(v) => query.bind(v.map(i64::from)),
            Value::BigUnsigned(v) => query.bind(v.map(|v| i64::try_from(v).unwrap_or(i64::MAX))),
            Value::Float(v) => query.bind(v),
            Value::Double(v) => query.bind(v),
            Value::String(v) => query.bind(v.map(|s| *s)),
            Value::Char(v) => query.bind(v.map(String::from)),
            Value::Bytes(v) => query.bind(v.map(|b| *b)),
        };
    }
    query
}

/// How far this process's clock is set from the system's. Always zero in
/// a server; the demo seeder (`server::demo`) sets it to write a week of
/// history in a second, through the same code as live messages.
static CLOCK_SHIFT_MS: AtomicI64 = AtomicI64::new(0);

/// Milliseconds since the Unix epoch, UTC: how every time is stored.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis() + CLOCK_SHIFT_MS.load(Ordering::Relaxed)
}

/// Makes [`now_ms`] answer `at` now (and later, as time passes from it).
/// For the demo seeder only, which runs in a process of its own
/// (`chat demo`): a serving process never calls it.
pub(in crate::server) fn set_clock(at: i64) {
    let shift = at - chrono::Utc::now().timestamp_millis();
    CLOCK_SHIFT_MS.store(shift, Ordering::Relaxed);
}

/// The wire form of a stored time: RFC 3339, UTC, milliseconds.
pub fn to_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// True when a write failed on a UNIQUE constraint.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc_with_millis() {
        assert_eq!(to_rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(
            normalize_url("sqlite://chat.db").unwrap().0,
            "sqlite://chat.db?mode=rwc"
        );
        assert_eq!(
            normalize_url("sqlite::memory:?cache=shared").unwrap().0,
            "sqlite::memory:?cache=shared&mode=rwc"
        );
        assert!(normalize_url("mysql://x").is_err());
    }
}
