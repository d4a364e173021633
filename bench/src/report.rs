//! The result of a run: one JSON file with the machine, the commit, the
//! server's settings and every outcome, plus the human summary that compares
//! the outcomes with the performance budget in docs/benchmarks.md.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::scenarios::{burst, connections, fanout, first_load, history, mixed, search};
use crate::target::PRODUCT_SETTINGS;

#[derive(Default, Serialize)]
pub struct Results {
    pub connections: Option<connections::Outcome>,
    /// The product at fixed rates.
    pub fanout: Vec<fanout::Outcome>,
    /// The bare server at the same rates.
    pub ceiling: Vec<fanout::Outcome>,
    pub fanout_max: Option<MaxRate>,
    pub ceiling_max: Option<MaxRate>,
    /// The same load on PostgreSQL, per node count.
    pub nodes: Vec<NodesOutcome>,
    /// Scenarios of `all` that could not run, and why.
    pub not_run: Vec<String>,
    /// One per size and way (unsubscribed, subscribed).
    pub burst: Vec<burst::Outcome>,
    pub mixed: Option<mixed::Outcome>,
    pub history: Option<history::Outcome>,
    pub search: Option<search::Outcome>,
    pub first_load: Option<first_load::Outcome>,
}

/// The highest rate a server sustained (`fanout::Outcome::sustained`) and
/// the steps that found it.
#[derive(Serialize)]
pub struct MaxRate {
    pub sustained_rate: f64,
    pub sustained_deliveries_per_second: f64,
    pub steps: Vec<fanout::Outcome>,
}

/// `fanout` on PostgreSQL with the members spread over `nodes` servers.
#[derive(Serialize)]
pub struct NodesOutcome {
    pub nodes: usize,
    pub fixed: Vec<fanout::Outcome>,
    pub max: Option<MaxRate>,
}

#[derive(Serialize)]
pub struct Report<'a> {
    pub commit: String,
    pub machine: Machine,
    pub started_at: String,
    pub command: Vec<String>,
    pub server_settings: Vec<(&'static str, &'static str)>,
    pub results: &'a Results,
    pub budget: Vec<Budget>,
    pub problems: Vec<String>,
    pub passed: bool,
}

#[derive(Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_kib: u64,
    pub kernel: String,
}

#[derive(Serialize)]
pub struct Budget {
    pub what: &'static str,
    pub target: String,
    pub measured: String,
    pub met: bool,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let field = |text: &str, key: &str| {
            text.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model: field(&cpuinfo, "model name"),
            memory_kib: field(&meminfo, "MemTotal")
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    }
}

/// The commit measured, marked `-dirty` when the tree has changes.
pub fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let head = git(&["rev-parse", "--short", "HEAD"]);
    if git(&["status", "--porcelain", "--untracked-files=no"]).is_empty() {
        head
    } else {
        format!("{head}-dirty")
    }
}

/// Which outcomes break a correctness rule. Steps of a maximum-rate search
/// are expected to fail once past the server's limit (it cuts off readers it
/// cannot serve), so there only doubled or reordered messages count.
pub fn problems(results: &Results) -> Vec<String> {
    let mut out = results.not_run.clone();
    let mut add = |scenario: &str, problems: &[String]| {
        out.extend(problems.iter().map(|p| format!("{scenario}: {p}")));
    };
    if let Some(o) = &results.connections {
        add("connections", &o.problems);
    }
    for o in &results.fanout {
        add(&format!("fanout at {}/s", o.load.rate), &o.problems);
    }
    for o in &results.ceiling {
        add(&format!("ceiling at {}/s", o.load.rate), &o.problems);
    }
    for n in &results.nodes {
        for o in &n.fixed {
            add(
                &format!("{} nodes at {}/s", n.nodes, o.load.rate),
                &o.problems,
            );
        }
    }
    let searches = [
        ("fanout".to_owned(), &results.fanout_max),
        ("ceiling".to_owned(), &results.ceiling_max),
    ]
    .into_iter()
    .chain(
        results
            .nodes
            .iter()
            .map(|n| (format!("{} nodes", n.nodes), &n.max)),
    );
    for (name, max) in searches {
        for step in max.iter().flat_map(|m| &m.steps) {
            if step.check.duplicates + step.check.reordered > 0 {
                add(
                    &name,
                    &[format!(
                        "search at {}/s: {} duplicated, {} out of order",
                        step.load.rate, step.check.duplicates, step.check.reordered
                    )],
                );
            }
        }
    }
    for o in &results.burst {
        add("burst", &o.problems);
    }
    if let Some(o) = &results.mixed {
        add("mixed", &o.problems);
    }
    if let Some(o) = &results.history {
        add("history", &o.problems);
    }
    if let Some(o) = &results.search {
        add("search", &o.problems);
    }
    if let Some(o) = &results.first_load {
        add("first load", &o.problems);
    }
    out
}

/// The performance budget of docs/benchmarks.md, for what this run measured.
pub fn budget(results: &Results) -> Vec<Budget> {
    let mut out = Vec::new();
    if let Some(c) = &results.connections {
        out.push(Budget {
            what: "connections: server RSS per idle socket",
            target: "≤ 8 KiB".into(),
            measured: format!(
                "{:.1} KiB over {} sockets",
                c.rss_per_socket_bytes / 1024.0,
                c.params.sockets
            ),
            met: c.rss_per_socket_bytes <= 8.0 * 1024.0 && c.problems.is_empty(),
        });
    }
    let at = |list: &[fanout::Outcome], rate: f64| {
        list.iter()
            .find(|o| o.load.rate == rate && o.load.rooms == 1)
            .cloned()
    };
    if let Some(f) = at(&results.fanout, 100.0) {
        out.push(Budget {
            what: "fanout 1×1000 at 100 msg/s: p99 send→deliver",
            target: "≤ 20 ms, no loss".into(),
            measured: format!("{:.2} ms, {} lost", f.latency.p99_ms, f.check.lost),
            met: f.latency.p99_ms <= 20.0 && f.problems.is_empty(),
        });
    }
    if let (Some(f), Some(c)) = (at(&results.fanout, 1000.0), at(&results.ceiling, 1000.0)) {
        let ratio = f.latency.p99_ms / c.latency.p99_ms;
        out.push(Budget {
            what: "fanout 1×1000 at 1000 msg/s: p99 vs ceiling",
            target: "≤ 1.25× ceiling, no loss".into(),
            measured: format!(
                "{:.2} ms vs {:.2} ms = {ratio:.2}×, {} lost",
                f.latency.p99_ms, c.latency.p99_ms, f.check.lost
            ),
            met: ratio <= 1.25 && f.problems.is_empty(),
        });
    }
    if let (Some(f), Some(c)) = (&results.fanout_max, &results.ceiling_max) {
        let ratio = f.sustained_rate / c.sustained_rate.max(1.0);
        out.push(Budget {
            what: "highest sustained fanout rate vs ceiling",
            target: "≥ 0.8× ceiling".into(),
            measured: format!(
                "{:.0} vs {:.0} msg/s ({:.0} vs {:.0} deliveries/s) = {ratio:.2}×",
                f.sustained_rate,
                c.sustained_rate,
                f.sustained_deliveries_per_second,
                c.sustained_deliveries_per_second
            ),
            met: ratio >= 0.8,
        });
    }
    let burst = |senders: usize, subscribed: bool| {
        results
            .burst
            .iter()
            .find(|b| b.params.senders == senders && b.params.subscribed == subscribed)
    };
    if let Some(b) = burst(200, false) {
        out.push(Budget {
            what: "burst: acked messages/s and p99 ack",
            target: "≥ 20,000/s, p99 ≤ 20 ms".into(),
            measured: format!(
                "{:.0}/s, p99 {:.2} ms ({} senders)",
                b.acked_per_second, b.ack_latency.p99_ms, b.params.senders
            ),
            met: b.acked_per_second >= 20_000.0
                && b.ack_latency.p99_ms <= 20.0
                && b.problems.is_empty(),
        });
    }
    if let (Some(watching), Some(not)) = (burst(16, true), burst(16, false)) {
        let ratio = not.acked_per_second / watching.acked_per_second.max(1.0);
        out.push(Budget {
            what: "burst, 16 senders watching their room: p99 ack, throughput vs not watching",
            target: "p99 ≤ 10 ms, within 1.5×".into(),
            measured: format!(
                "p99 {:.2} ms; {:.0}/s vs {:.0}/s = {ratio:.2}×",
                watching.ack_latency.p99_ms, watching.acked_per_second, not.acked_per_second
            ),
            met: watching.ack_latency.p99_ms <= 10.0
                && ratio <= 1.5
                && watching.problems.is_empty(),
        });
    }
    if let (Some(m), Some(posts)) = (&results.mixed, burst(16, false)) {
        let ratio = posts.acked_per_second / m.acked_per_second.max(1.0);
        out.push(Budget {
            what: "mixed, 16 senders posting, editing and reacting: p99 ack, requests/s vs posts alone",
            target: "p99 ≤ 10 ms, within 1.5×".into(),
            measured: format!(
                "p99 {:.2} ms; {:.0}/s vs {:.0}/s = {ratio:.2}×",
                m.ack_latency.p99_ms, m.acked_per_second, posts.acked_per_second
            ),
            met: m.ack_latency.p99_ms <= 10.0 && ratio <= 1.5 && m.problems.is_empty(),
        });
    }
    if let Some(h) = &results.history {
        out.push(Budget {
            what: "history: page of 50 from a 1M-message room",
            target: "p99 < 2 ms at 2,000 req/s".into(),
            measured: format!(
                "p99 {:.2} ms at {:.0} req/s over {} messages",
                h.latency.p99_ms, h.requests_per_second, h.params.messages
            ),
            met: h.latency.p99_ms < 2.0 && h.requests_per_second >= 1900.0 && h.problems.is_empty(),
        });
    }
    if let Some(s) = &results.search {
        out.push(Budget {
            what: "search in a 1M-message room: a word, a phrase, a prefix",
            target: "p99 < 50 ms at 50 searches/s".into(),
            measured: format!(
                "p99 {:.2} ms (word p50 {:.2}, p99 {:.2}; phrase p99 {:.2}; prefix p99 {:.2}) at {:.0} req/s over {} messages",
                s.latency.p99_ms, s.word.p50_ms, s.word.p99_ms, s.phrase.p99_ms, s.prefix.p99_ms, s.requests_per_second, s.params.messages
            ),
            met: s.latency.p99_ms < 50.0 && s.requests_per_second >= 47.5 && s.problems.is_empty(),
        });
    }
    if let Some(room) = results
        .first_load
        .as_ref()
        .and_then(|f| f.page("/rooms/{id}"))
    {
        let assets_ok = results.first_load.as_ref().is_some_and(|f| f.assets_ok());
        out.push(Budget {
            what: "first load of the room page (HTML + CSS + JS + WASM)",
            target: "< 250 KB compressed; static files compressed and cacheable".into(),
            measured: format!(
                "{:.1} KB{}",
                room.total_bytes as f64 / 1000.0,
                if assets_ok {
                    ""
                } else {
                    "; some static files not compressed or cacheable"
                }
            ),
            met: room.total_bytes < 250_000 && assets_ok,
        });
    }
    out
}

/// Scaling out has no budget of its own: each node count's figures, for
/// docs/benchmarks.md to compare (one node on PostgreSQL is the baseline).
pub fn nodes_summary(results: &Results) -> Vec<String> {
    results
        .nodes
        .iter()
        .map(|n| {
            let fixed = n
                .fixed
                .iter()
                .map(|o| {
                    format!(
                        "at {:.0} msg/s p99 {:.2} ms ({})",
                        o.load.rate, o.latency.p99_ms, o.cpu
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let max = n.max.as_ref().map_or(String::new(), |m| {
                format!(
                    "; highest sustained {:.0} msg/s ({:.0} deliveries/s)",
                    m.sustained_rate, m.sustained_deliveries_per_second
                )
            });
            format!("{} node(s): {fixed}{max}", n.nodes)
        })
        .collect()
}

pub fn settings() -> Vec<(&'static str, &'static str)> {
    PRODUCT_SETTINGS.to_vec()
}

/// Writes the report as `<dir>/bench-<time>.json` and returns the path.
pub fn write(dir: &Path, report: &Report) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = format!("bench-{}.json", report.started_at.replace(':', ""));
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(report)?)?;
    Ok(path)
}
