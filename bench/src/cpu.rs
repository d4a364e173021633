//! Where the machine's time goes during a run: the server's and the
//! generator's CPU, read from `/proc`. Generator and server share the
//! cores, so a rate is only the server's limit while the generator leaves
//! it room; and CPU per delivery compares two servers (or two builds) at
//! the same load far more steadily than the highest rate each sustains.

use serde::Serialize;
use tokio::time::Instant;

/// Clock ticks per second of `/proc/<pid>/stat` (`sysconf(_SC_CLK_TCK)`,
/// 100 on every Linux the bench runs on).
const TICKS_PER_SECOND: f64 = 100.0;

/// User plus system CPU of a process (`None`: this one), in clock ticks,
/// over all its threads.
pub fn ticks(pid: Option<u32>) -> anyhow::Result<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    Ok(parse_ticks(&std::fs::read_to_string(path)?))
}

/// User plus system CPU, in clock ticks, of every running PostgreSQL
/// process (its backends, the WAL writer, the checkpointer): the
/// database's share of a multi-node run. A backend that exits within the
/// stretch is missed; the servers keep their connections pooled.
pub fn database_ticks() -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc")? {
        let path = entry?.path();
        let is_pid = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            continue;
        }
        // Gone between listing and reading: nothing to count.
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        if command_name(&stat) == Some("postgres") {
            total += parse_ticks(&stat);
        }
    }
    Ok(total)
}

/// The name between the parentheses of a `/proc/<pid>/stat` line.
fn command_name(stat: &str) -> Option<&str> {
    let start = stat.find('(')? + 1;
    let end = stat.rfind(')')?;
    stat.get(start..end)
}

/// utime and stime are the 14th and 15th fields of the line; counted
/// after the ")" that ends the command name, which may hold spaces.
fn parse_ticks(stat: &str) -> u64 {
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// CPU used by the server and the generator over a stretch of a run.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Usage {
    /// Cores' worth of CPU, averaged over the stretch (2.0 = both cores);
    /// for several nodes, all of them together.
    pub server_cores: f64,
    pub generator_cores: f64,
    /// PostgreSQL's processes, when the servers use it.
    pub database_cores: Option<f64>,
    /// Server CPU per delivery made, in microseconds.
    pub server_us_per_delivery: f64,
    pub generator_us_per_delivery: f64,
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "server {:.2} cores ({:.2} µs/delivery), generator {:.2} cores ({:.2} µs/delivery)",
            self.server_cores,
            self.server_us_per_delivery,
            self.generator_cores,
            self.generator_us_per_delivery
        )?;
        if let Some(cores) = self.database_cores {
            write!(f, ", database {cores:.2} cores")?;
        }
        Ok(())
    }
}

/// The start of a stretch.
pub struct Meter {
    server_pids: Vec<u32>,
    server: u64,
    generator: u64,
    /// PostgreSQL's ticks, when it is metered.
    database: Option<u64>,
    at: Instant,
}

impl Meter {
    /// Meters the server processes `server_pids`, this generator and, with
    /// `database`, PostgreSQL.
    pub fn start(server_pids: Vec<u32>, database: bool) -> anyhow::Result<Self> {
        Ok(Self {
            server: servers_ticks(&server_pids)?,
            generator: ticks(None)?,
            database: database.then(database_ticks).transpose()?,
            server_pids,
            at: Instant::now(),
        })
    }

    /// What was used since `start`, `deliveries` being what it bought.
    pub fn stop(&self, deliveries: u64) -> anyhow::Result<Usage> {
        let server = servers_ticks(&self.server_pids)?;
        let generator = ticks(None)?;
        let seconds = self.at.elapsed().as_secs_f64();
        let mut usage = usage(
            server.saturating_sub(self.server),
            generator.saturating_sub(self.generator),
            seconds,
            deliveries,
        );
        if let Some(before) = self.database {
            let used = database_ticks()?.saturating_sub(before);
            usage.database_cores = Some(used as f64 / TICKS_PER_SECOND / seconds.max(f64::EPSILON));
        }
        Ok(usage)
    }
}

fn servers_ticks(pids: &[u32]) -> anyhow::Result<u64> {
    pids.iter().map(|&pid| ticks(Some(pid))).sum()
}

fn usage(server_ticks: u64, generator_ticks: u64, seconds: f64, deliveries: u64) -> Usage {
    let cpu = |ticks: u64| ticks as f64 / TICKS_PER_SECOND;
    let per = |ticks: u64| {
        if deliveries == 0 {
            0.0
        } else {
            cpu(ticks) * 1e6 / deliveries as f64
        }
    };
    Usage {
        server_cores: cpu(server_ticks) / seconds.max(f64::EPSILON),
        generator_cores: cpu(generator_ticks) / seconds.max(f64::EPSILON),
        server_us_per_delivery: per(server_ticks),
        generator_us_per_delivery: per(generator_ticks),
        database_cores: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_utime_plus_stime_even_with_spaces_in_the_name() {
        let stat =
            "4242 (chat (x) y) S 1 4242 4242 0 -1 4194560 2770 0 0 0 345 67 0 0 20 0 9 0 1 2 3";
        assert_eq!(parse_ticks(stat), 345 + 67);
    }

    #[test]
    fn the_command_name_may_hold_parentheses() {
        assert_eq!(command_name("77 (postgres) S 1 2"), Some("postgres"));
        assert_eq!(command_name("78 (a (b)) S 1 2"), Some("a (b)"));
        assert_eq!(command_name("garbage"), None);
    }

    #[test]
    fn this_process_has_a_cpu_reading() {
        assert!(ticks(None).is_ok());
    }

    #[test]
    fn usage_is_cores_over_the_stretch_and_time_per_delivery() {
        // 3 s of server CPU and 1 s of generator CPU over 2 s, 1M deliveries.
        let u = usage(300, 100, 2.0, 1_000_000);
        assert_eq!(u.server_cores, 1.5);
        assert_eq!(u.generator_cores, 0.5);
        assert!((u.server_us_per_delivery - 3.0).abs() < 1e-9);
        assert!((u.generator_us_per_delivery - 1.0).abs() < 1e-9);
        assert_eq!(usage(300, 100, 2.0, 0).server_us_per_delivery, 0.0);
    }
}
