//! `chat-bench`: drives the chat server over real WebSockets and HTTP on
//! loopback and reports what it measured (docs/benchmarks.md). Every
//! scenario checks delivery while it measures; a run in which anything is
//! lost, doubled, reordered or refused exits non-zero.

mod api;
mod ceiling;
mod check;
mod cpu;
mod pace;
mod postgres;
mod report;
mod scenarios;
mod socket;
mod stats;
mod target;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use api::Api;
use report::{MaxRate, NodesOutcome, Report, Results};
use scenarios::{burst, connections, fanout, first_load, history, mixed, search};
use target::Target;

#[derive(Parser)]
#[command(about = "Load generator for the chat server; see docs/benchmarks.md")]
struct Cli {
    /// The chat server binary (`cargo leptos build --release --precompress`).
    #[arg(long, global = true, default_value = "target/release/chat")]
    server: PathBuf,
    /// The site cargo-leptos built (`cargo leptos build --release --precompress`).
    #[arg(long, global = true, default_value = "target/site")]
    site: PathBuf,
    /// Directory for the JSON result file.
    #[arg(long, global = true, default_value = "target/bench")]
    out: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every scenario at its default size: what `make bench` runs.
    All,
    /// Idle authenticated sockets: server memory per socket, connect rate.
    Connections(ConnectionsArgs),
    /// Rooms × members with senders at a fixed rate, on the chat server.
    Fanout(FanoutArgs),
    /// The same load on the bare broadcast server: this machine's limit.
    Ceiling(FanoutArgs),
    /// The same load on PostgreSQL, on one node and then with the members
    /// split over two nodes: what scaling out costs and buys.
    Nodes(NodesArgs),
    /// Senders in one room as fast as acks allow: persistence throughput.
    Burst(BurstArgs),
    /// Senders posting, reacting, editing and unreacting as fast as acks
    /// allow: what the room event log costs beside posts alone.
    Mixed(MixedArgs),
    /// History page reads from a room with many stored messages.
    History(HistoryArgs),
    /// Full-text searches over a room with many stored messages.
    Search(SearchArgs),
    /// Bytes a browser downloads to show the login and room pages.
    FirstLoad,
    /// Runs the bare broadcast server (started by `ceiling` itself).
    #[command(hide = true)]
    CeilingServer {
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
    },
}

#[derive(Args, Clone)]
struct ConnectionsArgs {
    #[arg(long, default_value_t = 10_000)]
    sockets: usize,
    #[arg(long, default_value_t = 500)]
    users: usize,
    #[arg(long, default_value_t = 100)]
    rooms: usize,
    #[arg(long, default_value_t = 3.0)]
    hold_seconds: f64,
}

#[derive(Args, Clone)]
struct FanoutArgs {
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    /// Members (sockets) per room.
    #[arg(long, default_value_t = 1000)]
    members: usize,
    /// Senders per room, among the members.
    #[arg(long, default_value_t = 10)]
    senders: usize,
    /// Total messages per second; several give one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [100.0, 1000.0])]
    rate: Vec<f64>,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 64)]
    body_bytes: usize,
    /// Then search for the highest sustained rate: from --search-from, 1.5×
    /// a step until one loses, doubles or refuses anything or its p99
    /// exceeds 500 ms; then two bisections between the last rate sustained
    /// and the first not.
    #[arg(long)]
    find_max: bool,
    #[arg(long, default_value_t = 250.0)]
    search_from: f64,
    /// Seconds per step of the search.
    #[arg(long, default_value_t = 4.0)]
    step_seconds: f64,
}

/// `fanout`'s load and search, on PostgreSQL. Fixed rates default to 100
/// msg/s only: 1,000 is past one PostgreSQL node's limit on this machine,
/// and the search says how far.
#[derive(Args, Clone)]
struct NodesArgs {
    /// Node counts to compare, each on a fresh database.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2],
          value_parser = clap::value_parser!(u16).range(1..))]
    nodes: Vec<u16>,
    /// Where the bench may create (and drop) its databases: the server
    /// `make test` uses.
    #[arg(long, env = "CHAT_TEST_POSTGRES_URL", default_value = postgres::DEFAULT_ADMIN_URL)]
    postgres: String,
    #[arg(long, default_value_t = 1000)]
    members: usize,
    #[arg(long, default_value_t = 10)]
    senders: usize,
    #[arg(long, value_delimiter = ',', default_values_t = [100.0])]
    rate: Vec<f64>,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 250.0)]
    search_from: f64,
    #[arg(long, default_value_t = 4.0)]
    step_seconds: f64,
}

impl NodesArgs {
    fn fanout(&self) -> FanoutArgs {
        FanoutArgs {
            rooms: 1,
            members: self.members,
            senders: self.senders,
            rate: self.rate.clone(),
            seconds: self.seconds,
            find_max: true,
            search_from: self.search_from,
            step_seconds: self.step_seconds,
            ..FanoutArgs::default()
        }
    }
}

#[derive(Args, Clone)]
struct BurstArgs {
    /// Senders; several give one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [200])]
    senders: Vec<usize>,
    /// Senders also watch the room, as browsers do.
    #[arg(long)]
    subscribed: bool,
    /// Each size both ways, unsubscribed then subscribed (`make bench`).
    #[arg(long, conflicts_with = "subscribed")]
    both: bool,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 64)]
    body_bytes: usize,
}

#[derive(Args, Clone)]
struct MixedArgs {
    #[arg(long, default_value_t = 16)]
    senders: usize,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 64)]
    body_bytes: usize,
}

#[derive(Args, Clone)]
struct HistoryArgs {
    #[arg(long, default_value_t = 1_000_000)]
    messages: i64,
    #[arg(long, default_value_t = 2000.0)]
    rate: f64,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 50)]
    page: i64,
}

#[derive(Args, Clone)]
struct SearchArgs {
    #[arg(long, default_value_t = 1_000_000)]
    messages: i64,
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Thousands of sockets on each side; the server inherits the limit.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("could not raise the open file limit: {e}");
    }
    if let Command::CeilingServer { addr } = cli.command {
        return match ceiling::serve(addr).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ceiling server: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let started_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut results = Results::default();
    if let Err(e) = run(&cli, &mut results).await {
        eprintln!("bench failed: {e:#}");
        return ExitCode::FAILURE;
    }
    let problems = report::problems(&results);
    let budget = report::budget(&results);
    let report = Report {
        commit: report::commit(),
        machine: report::Machine::read(),
        started_at,
        command: std::env::args().collect(),
        server_settings: report::settings(),
        results: &results,
        passed: problems.is_empty(),
        budget,
        problems,
    };
    println!("\n== budget ==");
    for b in &report.budget {
        let mark = if b.met { "met " } else { "MISS" };
        println!("[{mark}] {}: {} (target {})", b.what, b.measured, b.target);
    }
    let nodes = report::nodes_summary(&results);
    if !nodes.is_empty() {
        println!("\n== nodes on PostgreSQL ==");
        nodes.iter().for_each(|line| println!("{line}"));
    }
    match report::write(&cli.out, &report) {
        Ok(path) => println!("\nresult: {}", path.display()),
        Err(e) => eprintln!("could not write the result: {e:#}"),
    }
    if report.passed {
        ExitCode::SUCCESS
    } else {
        eprintln!("\nCORRECTNESS FAILED:");
        for p in &report.problems {
            eprintln!("  {p}");
        }
        ExitCode::FAILURE
    }
}

async fn run(cli: &Cli, results: &mut Results) -> anyhow::Result<()> {
    match &cli.command {
        Command::All => {
            results.connections = Some(run_connections(cli, &ConnectionsArgs::default()).await?);
            let fanout = FanoutArgs {
                find_max: true,
                ..FanoutArgs::default()
            };
            (results.ceiling, results.ceiling_max) = run_fanout(cli, &fanout, false).await?;
            (results.fanout, results.fanout_max) = run_fanout(cli, &fanout, true).await?;
            // Needs PostgreSQL: without it, the other scenarios still run.
            match run_nodes(cli, &NodesArgs::default()).await {
                Ok(nodes) => results.nodes = nodes,
                Err(e) => {
                    eprintln!("nodes: {e:#}");
                    results.not_run.push(format!("nodes: {e:#}"));
                }
            }
            let burst = BurstArgs {
                senders: vec![16, 200],
                both: true,
                ..BurstArgs::default()
            };
            results.burst = run_burst(cli, &burst).await?;
            results.mixed = Some(run_mixed(cli, &MixedArgs::default()).await?);
            results.history = Some(run_history(cli, &HistoryArgs::default()).await?);
            results.search = Some(run_search(cli, &SearchArgs::default()).await?);
            results.first_load = Some(run_first_load(cli).await?);
        }
        Command::Connections(args) => results.connections = Some(run_connections(cli, args).await?),
        Command::Fanout(args) => {
            (results.fanout, results.fanout_max) = run_fanout(cli, args, true).await?
        }
        Command::Ceiling(args) => {
            (results.ceiling, results.ceiling_max) = run_fanout(cli, args, false).await?
        }
        Command::Nodes(args) => results.nodes = run_nodes(cli, args).await?,
        Command::Burst(args) => results.burst = run_burst(cli, args).await?,
        Command::Mixed(args) => results.mixed = Some(run_mixed(cli, args).await?),
        Command::History(args) => results.history = Some(run_history(cli, args).await?),
        Command::Search(args) => results.search = Some(run_search(cli, args).await?),
        Command::FirstLoad => results.first_load = Some(run_first_load(cli).await?),
        Command::CeilingServer { .. } => unreachable!("handled in main"),
    }
    Ok(())
}

async fn run_connections(
    cli: &Cli,
    args: &ConnectionsArgs,
) -> anyhow::Result<connections::Outcome> {
    let target = Target::product(&cli.server, &cli.site).await?;
    let params = connections::Params {
        sockets: args.sockets,
        users: args.users,
        rooms: args.rooms,
        hold_seconds: args.hold_seconds,
    };
    println!(
        "== connections: {} sockets, {} users, {} rooms ==",
        args.sockets, args.users, args.rooms
    );
    let outcome = connections::run(&target, &Api::new(target.addr), &params).await;
    report_failure(&target, outcome.is_err());
    let outcome = outcome?;
    println!(
        "connected in {:.2} s ({:.0}/s); server RSS {:.1} → {:.1} MiB = {:.2} KiB per socket; {:?}",
        outcome.connect_seconds,
        outcome.connects_per_second,
        outcome.rss_before_bytes as f64 / 1048576.0,
        outcome.rss_after_bytes as f64 / 1048576.0,
        outcome.rss_per_socket_bytes / 1024.0,
        outcome.problems
    );
    target.stop().await;
    Ok(outcome)
}

/// The product on SQLite, or the bare server, under `args`.
async fn run_fanout(
    cli: &Cli,
    args: &FanoutArgs,
    product: bool,
) -> anyhow::Result<(Vec<fanout::Outcome>, Option<MaxRate>)> {
    let name = if product { "fanout" } else { "ceiling" };
    let target = if product {
        Target::product(&cli.server, &cli.site).await?
    } else {
        Target::ceiling().await?
    };
    let measured = measure_fanout(name, &[&target], product, args).await;
    report_failure(&target, measured.is_err());
    target.stop().await;
    measured
}

/// For each node count, a fresh PostgreSQL database with that many servers
/// on it, under the same load as `fanout`.
async fn run_nodes(cli: &Cli, args: &NodesArgs) -> anyhow::Result<Vec<NodesOutcome>> {
    let mut outcomes = Vec::new();
    for &nodes in &args.nodes {
        let nodes = usize::from(nodes);
        let database = postgres::Database::create(&args.postgres).await?;
        let measured = measure_nodes(cli, args, nodes, &database).await;
        // A database left behind is a nuisance, not a reason to lose the
        // measurement.
        if let Err(e) = database.drop().await {
            eprintln!("could not drop the bench database: {e:#}");
        }
        let (fixed, max) = measured?;
        outcomes.push(NodesOutcome { nodes, fixed, max });
    }
    Ok(outcomes)
}

/// `nodes` servers on `database`, under `args`' load. A server started
/// before a failure is killed when it is dropped.
async fn measure_nodes(
    cli: &Cli,
    args: &NodesArgs,
    nodes: usize,
    database: &postgres::Database,
) -> anyhow::Result<(Vec<fanout::Outcome>, Option<MaxRate>)> {
    let mut servers = Vec::with_capacity(nodes);
    for _ in 0..nodes {
        servers.push(Target::node(&cli.server, &cli.site, database).await?);
    }
    let name = format!("nodes ({nodes} on PostgreSQL)");
    let refs: Vec<&Target> = servers.iter().collect();
    let measured = measure_fanout(&name, &refs, true, &args.fanout()).await;
    for server in servers {
        report_failure(&server, measured.is_err());
        server.stop().await;
    }
    measured
}

/// Bisections of the search's last bracket.
const REFINE: usize = 2;

/// Fixed rates, then (with `--find-max`) a search for the highest rate the
/// servers sustain. The same population for all of it, so setup is paid once.
async fn measure_fanout(
    name: &str,
    servers: &[&Target],
    product: bool,
    args: &FanoutArgs,
) -> anyhow::Result<(Vec<fanout::Outcome>, Option<MaxRate>)> {
    let population = if product {
        println!(
            "== {name}: registering {} users ==",
            args.rooms * args.members
        );
        fanout::Population::register(&Api::new(servers[0].addr), args.rooms, args.members).await?
    } else {
        fanout::Population::anonymous(args.rooms, args.members)
    };
    let load = |rate: f64, seconds: f64| fanout::Load {
        rooms: args.rooms,
        members: args.members,
        senders: args.senders,
        rate,
        seconds,
        body_bytes: args.body_bytes,
    };
    let wait_idle = async || {
        for server in servers {
            server.wait_idle().await?;
        }
        anyhow::Ok(())
    };
    let mut fixed = Vec::new();
    for &rate in &args.rate {
        wait_idle().await?;
        let outcome = fanout::run(servers, &population, &load(rate, args.seconds)).await?;
        print_fanout(name, &outcome);
        fixed.push(outcome);
    }
    let mut max = None;
    if args.find_max {
        let mut rate = args.search_from;
        let mut search = MaxRate {
            sustained_rate: 0.0,
            sustained_deliveries_per_second: 0.0,
            steps: Vec::new(),
        };
        // Up ×1.5 a step until a rate is not sustained, then halve the
        // bracket (geometrically) REFINE times: the result is within ×1.11
        // of the true limit, so two servers' ratio means something.
        let mut failed: Option<f64> = None;
        let mut refined = 0;
        for _ in 0..16 + REFINE {
            wait_idle().await?;
            let outcome = fanout::run(servers, &population, &load(rate, args.step_seconds)).await?;
            print_fanout(&format!("{name} search"), &outcome);
            let sustained = outcome.sustained();
            if sustained {
                search.sustained_rate = rate;
                search.sustained_deliveries_per_second = outcome.deliveries_per_second;
            } else {
                failed = Some(rate);
            }
            search.steps.push(outcome);
            let Some(limit) = failed else {
                rate *= 1.5;
                continue;
            };
            let next = (search.sustained_rate * limit).sqrt().round();
            if refined == REFINE || next <= search.sustained_rate || next >= limit {
                break;
            }
            refined += 1;
            rate = next;
        }
        println!(
            "{name}: highest sustained rate {:.0} msg/s",
            search.sustained_rate
        );
        max = Some(search);
    }
    Ok((fixed, max))
}

fn print_fanout(name: &str, o: &fanout::Outcome) {
    println!(
        "{name} {}×{} at {:.0} msg/s: {:.0} deliveries/s; deliver {}; ack {}; {}; {}",
        o.load.rooms,
        o.load.members,
        o.load.rate,
        o.deliveries_per_second,
        o.latency,
        o.ack_latency,
        o.cpu,
        if o.problems.is_empty() {
            "no loss".to_owned()
        } else {
            o.problems.join("; ")
        }
    );
}

/// One run per size and way (unsubscribed, subscribed), each on a fresh
/// server so that no run inherits another's room.
async fn run_burst(cli: &Cli, args: &BurstArgs) -> anyhow::Result<Vec<burst::Outcome>> {
    let ways: &[bool] = if args.both {
        &[false, true]
    } else if args.subscribed {
        &[true]
    } else {
        &[false]
    };
    let mut outcomes = Vec::new();
    for &senders in &args.senders {
        for &subscribed in ways {
            let target = Target::product(&cli.server, &cli.site).await?;
            println!(
                "== burst: {senders} senders{} for {} s ==",
                if subscribed { ", subscribed" } else { "" },
                args.seconds
            );
            let params = burst::Params {
                senders,
                subscribed,
                seconds: args.seconds,
                body_bytes: args.body_bytes,
            };
            let outcome = burst::run(&target, &Api::new(target.addr), &params).await;
            report_failure(&target, outcome.is_err());
            let outcome = outcome?;
            println!(
                "{} acked = {:.0}/s; ack {}; {} resumed after 4008; {:?}",
                outcome.acked,
                outcome.acked_per_second,
                outcome.ack_latency,
                outcome.resumed,
                outcome.problems
            );
            target.stop().await;
            outcomes.push(outcome);
        }
    }
    Ok(outcomes)
}

async fn run_mixed(cli: &Cli, args: &MixedArgs) -> anyhow::Result<mixed::Outcome> {
    let target = Target::product(&cli.server, &cli.site).await?;
    println!(
        "== mixed: {} senders posting, reacting, editing for {} s ==",
        args.senders, args.seconds
    );
    let params = mixed::Params {
        senders: args.senders,
        seconds: args.seconds,
        body_bytes: args.body_bytes,
    };
    let outcome = mixed::run(&target, &Api::new(target.addr), &params).await;
    report_failure(&target, outcome.is_err());
    let outcome = outcome?;
    println!(
        "{} acked = {:.0}/s ({:.0} posts/s); ack {}; {:?}",
        outcome.acked,
        outcome.acked_per_second,
        outcome.posts_per_second,
        outcome.ack_latency,
        outcome.problems
    );
    target.stop().await;
    Ok(outcome)
}

async fn run_history(cli: &Cli, args: &HistoryArgs) -> anyhow::Result<history::Outcome> {
    let target = Target::product(&cli.server, &cli.site).await?;
    println!(
        "== history: {} messages, {} req/s ==",
        args.messages, args.rate
    );
    let params = history::Params {
        messages: args.messages,
        rate: args.rate,
        seconds: args.seconds,
        page: args.page,
    };
    let outcome = history::run(&target, &Api::new(target.addr), &params).await;
    report_failure(&target, outcome.is_err());
    let outcome = outcome?;
    println!(
        "seeded in {:.1} s; {:.0} req/s; {}; {:?}",
        outcome.seed_seconds, outcome.requests_per_second, outcome.latency, outcome.problems
    );
    target.stop().await;
    Ok(outcome)
}

async fn run_search(cli: &Cli, args: &SearchArgs) -> anyhow::Result<search::Outcome> {
    let target = Target::product(&cli.server, &cli.site).await?;
    println!(
        "== search: {} messages, {} req/s ==",
        args.messages, args.rate
    );
    let params = search::Params {
        messages: args.messages,
        rate: args.rate,
        seconds: args.seconds,
    };
    let outcome = search::run(&target, &Api::new(target.addr), &params).await;
    report_failure(&target, outcome.is_err());
    let outcome = outcome?;
    println!(
        "seeded in {:.1} s; {:.0} req/s; all {}; word {}; phrase {}; prefix {}; {:?}",
        outcome.seed_seconds,
        outcome.requests_per_second,
        outcome.latency,
        outcome.word,
        outcome.phrase,
        outcome.prefix,
        outcome.problems
    );
    target.stop().await;
    Ok(outcome)
}

async fn run_first_load(cli: &Cli) -> anyhow::Result<first_load::Outcome> {
    let target = Target::product(&cli.server, &cli.site).await?;
    println!("== first load: {} ==", cli.site.display());
    let outcome = first_load::run(&Api::new(target.addr)).await;
    report_failure(&target, outcome.is_err());
    let outcome = outcome?;
    for page in &outcome.pages {
        println!("{}: {:.1} KB", page.page, page.total_bytes as f64 / 1000.0);
        for file in &page.files {
            println!(
                "  {:>9.1} KB  {:<5} {:<36} {}",
                file.bytes as f64 / 1000.0,
                file.content_encoding.as_deref().unwrap_or("-"),
                file.cache_control.as_deref().unwrap_or("-"),
                file.path
            );
        }
    }
    target.stop().await;
    Ok(outcome)
}

/// When a scenario errs, what the server said is the first clue.
fn report_failure(target: &Target, failed: bool) {
    if failed {
        eprintln!("server log (last lines):\n{}", target.log_tail());
    }
}

impl Default for ConnectionsArgs {
    fn default() -> Self {
        Self::parse_defaults()
    }
}

impl Default for FanoutArgs {
    fn default() -> Self {
        Self::parse_defaults()
    }
}

impl Default for NodesArgs {
    fn default() -> Self {
        Self::parse_defaults()
    }
}

impl Default for BurstArgs {
    fn default() -> Self {
        Self::parse_defaults()
    }
}

impl Default for MixedArgs {
    fn default() -> Self {
        Self::parse_defaults()
    }
}

impl Default for HistoryArgs {
    fn default() -> Self {
        Self::parse_defaults()
    }
}

impl Default for SearchArgs {
    fn default() -> Self {
        Self::parse_defaults()
    }
}

/// The defaults declared on the clap arguments, as one value.
trait ParseDefaults: Sized {
    fn parse_defaults() -> Self;
}

impl<T: Args> ParseDefaults for T
where
    T: clap::FromArgMatches,
{
    fn parse_defaults() -> Self {
        let command = T::augment_args(clap::Command::new("defaults"));
        let matches = command.get_matches_from(["defaults"]);
        T::from_arg_matches(&matches).expect("argument defaults are valid")
    }
}
