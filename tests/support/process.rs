//! The real server binary as a child process, for faults that only a
//! separate process can suffer: `kill -9`, SIGTERM, a restart on the same
//! port and database file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// How long the server may take to start listening.
const START_WAIT: Duration = Duration::from_secs(30);

pub struct ServerProcess {
    pub addr: SocketAddr,
    child: Child,
    database_url: String,
    env: Vec<(String, String)>,
    dir: PathBuf,
    starts: u32,
}

impl ServerProcess {
    /// Starts the server on a free port with its log in `dir`, plus any
    /// extra environment (limits the test needs).
    pub async fn start(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Self {
        let database_url = database_url.to_owned();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let (child, addr) = launch(dir, 0, &database_url, &env, "127.0.0.1:0").await;
        Self {
            addr,
            child,
            database_url,
            env,
            dir: dir.to_owned(),
            starts: 1,
        }
    }

    /// What the current process has logged so far.
    pub fn log(&self) -> String {
        let path = self.dir.join(format!("server-{}.log", self.starts - 1));
        std::fs::read_to_string(path).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("server still running")
    }

    /// SIGKILL: no shutdown code runs, as in a crash or power loss.
    pub async fn kill_9(&mut self) {
        self.child.start_kill().expect("SIGKILL sent");
        self.child.wait().await.expect("killed server reaped");
    }

    /// SIGTERM, as an orchestrator stops a node.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM delivered");
    }

    /// Waits for the process to exit on its own; `None` if it did not.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()
            .map(|status| status.expect("server reaped"))
    }

    /// Starts the server again on the same port and database.
    pub async fn restart(&mut self) {
        if self.child.try_wait().expect("server status").is_none() {
            self.kill_9().await;
        }
        let addr = self.addr.to_string();
        let (child, _) = launch(&self.dir, self.starts, &self.database_url, &self.env, &addr).await;
        self.child = child;
        self.starts += 1;
    }
}

/// Spawns the binary with its log in `dir/server-N.log` and waits for the
/// address it reports listening on.
async fn launch(
    dir: &Path,
    start: u32,
    database_url: &str,
    env: &[(String, String)],
    addr: &str,
) -> (Child, SocketAddr) {
    let log_path = dir.join(format!("server-{start}.log"));
    let deadline = tokio::time::Instant::now() + START_WAIT;
    loop {
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat"))
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", addr)
            .env("LEPTOS_OUTPUT_NAME", "chat")
            .env("RUST_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            // These tests prove delivery under load; the abuse limits have
            // their own tests (tests/api/limits.rs).
            .env("SEND_BURST", "1000000")
            .env("REGISTER_MAX_PER_ADDRESS", "1000000")
            .env("WS_MAX_SOCKETS_PER_USER", "10000")
            // Files beside the database, not in the working directory.
            .env(
                "STORAGE_URL",
                format!("file://{}", dir.join("files").display()),
            )
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("server binary starts");
        loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if let Some(addr) = listening_addr(&text) {
                return (child, addr);
            }
            if let Some(status) = child.try_wait().expect("server status") {
                // The old process may still hold the port for a moment.
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "server exited ({status}) before listening:\n{text}"
                );
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "server did not start listening:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn listening_addr(log: &str) -> Option<SocketAddr> {
    let (_, rest) = log.split_once("listening on http://")?;
    rest.split_whitespace().next()?.parse().ok()
}
