//! The server under test, as a child process: the real `chat` binary on a
//! fresh SQLite file or as one of several nodes on a PostgreSQL database,
//! or the bare broadcast server (`ceiling`). Running both
//! as separate processes keeps the comparison fair (each pays for its own
//! syscalls and scheduling) and lets us read the server's own memory from
//! `/proc/<pid>/status`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};
use tokio::time::{Instant, sleep};

use crate::postgres::Database;

const START_WAIT: Duration = Duration::from_secs(30);

/// The product server's settings for a run. Abuse guards are configuration;
/// anything a synthetic load would trip is raised here, and the whole list is
/// written into the result so a reader knows what was measured.
pub const PRODUCT_SETTINGS: &[(&str, &str)] = &[
    ("RUST_LOG", "warn,chat=info"),
    ("WS_QUEUE_LIMIT", "256"),
    ("WS_WRITE_TIMEOUT_SECS", "10"),
    // One synthetic user sends far faster than a person, and the
    // connections scenario opens many sockets per user.
    ("SEND_BURST", "1000000"),
    ("REGISTER_MAX_PER_ADDRESS", "1000000"),
    ("WS_MAX_SOCKETS_PER_USER", "100000"),
];

pub struct Target {
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
    /// The product's SQLite file; `None` for the ceiling and on PostgreSQL.
    pub database: Option<PathBuf>,
    /// For a node on PostgreSQL on this machine, the database server's
    /// main process, so that a run meters the database's CPU beside it.
    pub postmaster: Option<u32>,
    _dir: tempfile::TempDir,
}

impl Target {
    /// The chat server binary on a new SQLite file, serving the site in `site`.
    pub async fn product(binary: &Path, site: &Path) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let database = dir.path().join("bench.db");
        let url = format!("sqlite://{}", database.display());
        let mut target = Self::product_on(binary, site, &url, dir).await?;
        target.database = Some(database);
        Ok(target)
    }

    /// The chat server binary as one node on a PostgreSQL database that
    /// other nodes may share.
    pub async fn node(binary: &Path, site: &Path, database: &Database) -> anyhow::Result<Self> {
        let mut target =
            Self::product_on(binary, site, &database.url, tempfile::tempdir()?).await?;
        target.postmaster = database.postmaster;
        Ok(target)
    }

    async fn product_on(
        binary: &Path,
        site: &Path,
        url: &str,
        dir: tempfile::TempDir,
    ) -> anyhow::Result<Self> {
        // cargo-leptos writes the file-name hashes next to the binary when
        // it builds the site with `hash-files`.
        let hashed = binary.with_file_name("hash.txt").exists();
        let mut command = Command::new(binary);
        command
            .env("DATABASE_URL", url)
            .env("LEPTOS_OUTPUT_NAME", "chat")
            .env("LEPTOS_SITE_ROOT", site)
            .env("LEPTOS_HASH_FILES", hashed.to_string())
            .envs(PRODUCT_SETTINGS.iter().copied());
        Self::launch(command, dir).await.with_context(|| {
            format!(
                "starting {} (build it with `cargo leptos build --release --precompress`)",
                binary.display()
            )
        })
    }

    /// The bare broadcast server, run from this same binary.
    pub async fn ceiling() -> anyhow::Result<Self> {
        let mut command = Command::new(std::env::current_exe()?);
        command.arg("ceiling-server");
        Self::launch(command, tempfile::tempdir()?).await
    }

    async fn launch(mut command: Command, dir: tempfile::TempDir) -> anyhow::Result<Self> {
        let log = dir.path().join("server.log");
        let file = std::fs::File::create(&log)?;
        let mut child = command
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("NO_COLOR", "1")
            .stdout(Stdio::from(file.try_clone()?))
            .stderr(Stdio::from(file))
            .kill_on_drop(true)
            .spawn()?;
        let deadline = Instant::now() + START_WAIT;
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = listening_addr(&text) {
                return Ok(Self {
                    addr,
                    child,
                    log,
                    database: None,
                    postmaster: None,
                    _dir: dir,
                });
            }
            if let Some(status) = child.try_wait()? {
                bail!("server exited ({status}) before listening:\n{text}");
            }
            if Instant::now() > deadline {
                bail!("server did not start listening:\n{text}");
            }
            sleep(Duration::from_millis(20)).await;
        }
    }

    /// The server process's id.
    pub fn pid(&self) -> anyhow::Result<u32> {
        self.child.id().context("server is running")
    }

    /// The server's resident memory in bytes.
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        let pid = self.pid()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .context("VmRSS in /proc status")?;
        Ok(kib * 1024)
    }

    /// Waits (up to a minute) until the server has used under 5% of a core
    /// for half a second: an overloaded step must not leave work queued
    /// for the next one to be measured against.
    pub async fn wait_idle(&self) -> anyhow::Result<()> {
        let pid = self.pid()?;
        let ticks = || crate::cpu::ticks(Some(pid));
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut before = ticks()?;
        while Instant::now() < deadline {
            sleep(Duration::from_millis(500)).await;
            let now = ticks()?;
            // Clock ticks are 1/100 s: under 3 in half a second is under 5%.
            if now - before < 3 {
                return Ok(());
            }
            before = now;
        }
        Ok(())
    }

    /// What the server logged, for a failure report.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn listening_addr(log: &str) -> Option<SocketAddr> {
    let (_, rest) = log.split_once("listening on http://")?;
    rest.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listening_line_gives_the_address() {
        let log = "2026-11-25T10:00:00Z  INFO chat: listening on http://127.0.0.1:41234\n";
        assert_eq!(
            listening_addr(log),
            Some("127.0.0.1:41234".parse().unwrap())
        );
        assert_eq!(listening_addr("starting"), None);
    }
}
