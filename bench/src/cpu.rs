//! Where the machine's time goes during a run: the server's, the
//! generator's and (with several nodes) PostgreSQL's CPU, read from
//! `/proc`. Generator and server share the cores, so a rate is only the
//! server's limit while the generator leaves it room; and CPU per delivery compares two servers (or two builds) at
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

/// User plus system CPU, in clock ticks, of a PostgreSQL server: its main
/// process, every live child (backends, the WAL writer, the
/// checkpointer) and every child already reaped (which the kernel adds to
/// the parent's `cutime`/`cstime`), so a backend that exits mid-run is
/// still counted.
pub fn database_ticks(postmaster: u32) -> anyhow::Result<u64> {
    let own = std::fs::read_to_string(format!("/proc/{postmaster}/stat"))?;
    let mut total = parse_ticks(&own) + parse_reaped_ticks(&own);
    for entry in std::fs::read_dir("/proc")? {
        let path = entry?.path();
        let is_pid = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        // Gone between listing and reading: counted in the parent's reaped.
        let stat = match is_pid.then(|| std::fs::read_to_string(path.join("stat"))) {
            Some(Ok(stat)) => stat,
            _ => continue,
        };
        if parse_parent(&stat) == Some(postmaster) {
            total += parse_ticks(&stat);
        }
    }
    Ok(total)
}

/// The parent of `pid`, if it runs on this machine.
pub fn parent(pid: u32) -> Option<u32> {
    parse_parent(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The fields after the ")" that ends the command name (which may hold
/// spaces and parentheses): state, ppid, ….
fn fields(stat: &str) -> impl Iterator<Item = &str> {
    stat.rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
}

fn field(stat: &str, i: usize) -> u64 {
    fields(stat)
        .nth(i)
        .and_then(|f| f.parse::<u64>().ok())
        .unwrap_or(0)
}

fn parse_parent(stat: &str) -> Option<u32> {
    fields(stat).nth(1)?.parse().ok()
}

/// cutime and cstime: the CPU of children waited for.
fn parse_reaped_ticks(stat: &str) -> u64 {
    field(stat, 13) + field(stat, 14)
}

/// utime and stime, the 14th and 15th fields of the line.
fn parse_ticks(stat: &str) -> u64 {
    field(stat, 11) + field(stat, 12)
}

/// CPU used by the server and the generator over a stretch of a run.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Usage {
    /// Cores' worth of CPU, averaged over the stretch (2.0 = both cores);
    /// for several nodes, all of them together.
    pub server_cores: f64,
    pub generator_cores: f64,
    /// PostgreSQL's processes, when the servers use it and it runs on
    /// this machine.
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
    /// PostgreSQL's main process and its ticks, when it is metered.
    database: Option<(u32, u64)>,
    at: Instant,
}

impl Meter {
    /// Meters the server processes `server_pids`, this generator and, when
    /// its main process is given, PostgreSQL.
    pub fn start(server_pids: Vec<u32>, postmaster: Option<u32>) -> anyhow::Result<Self> {
        Ok(Self {
            server: servers_ticks(&server_pids)?,
            generator: ticks(None)?,
            database: postmaster
                .map(|pid| anyhow::Ok((pid, database_ticks(pid)?)))
                .transpose()?,
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
        if let Some((postmaster, before)) = self.database {
            let used = database_ticks(postmaster)?.saturating_sub(before);
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
    fn parent_and_reaped_children_come_after_the_name() {
        let stat =
            "4242 (post (x) gres) S 77 4242 4242 0 -1 4194560 2770 0 0 0 345 67 5 6 20 0 9 0 1 2 3";
        assert_eq!(parse_parent(stat), Some(77));
        assert_eq!(parse_reaped_ticks(stat), 5 + 6);
        assert_eq!(parse_parent("garbage"), None);
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
