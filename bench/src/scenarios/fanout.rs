//! `fanout` (and `ceiling`, the same load on the bare server): R rooms × M
//! members, each member one socket subscribed to its room; S of them send at
//! a fixed total rate. Every member checks that it gets each seq of its room
//! once and in order, and times each delivery from the stamp in its body.
//! `nodes` runs the same load with the members spread over several servers
//! sharing one PostgreSQL database.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use futures::{FutureExt, SinkExt, StreamExt, stream};
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::api::Api;
use crate::check::{SeqTracker, Tally};
use crate::cpu::{Meter, Usage};
use crate::pace::Pacer;
use crate::socket::{self, Frame, Ws};
use crate::stats::{Latency, Percentiles};
use crate::target::Target;

/// A server that falls behind still delivers everything within the drain
/// window, later and later; a p99 under this says it kept up.
pub const SUSTAINED_P99_MS: f64 = 500.0;
/// How long after the last send every delivery must have arrived.
const DRAIN: Duration = Duration::from_secs(10);
const CONNECT_CONCURRENCY: usize = 64;

#[derive(Clone, Debug, Serialize)]
pub struct Load {
    pub rooms: usize,
    pub members: usize,
    /// Senders per room.
    pub senders: usize,
    /// Messages per second offered, over all rooms.
    pub rate: f64,
    pub seconds: f64,
    pub body_bytes: usize,
}

/// Who takes part: per room, its id and one token per member (`None` on the
/// ceiling, which has no accounts).
pub struct Population {
    rooms: Vec<(i64, Vec<Option<String>>)>,
}

impl Population {
    /// Registers R × M users through the API, one room each per M of them.
    pub async fn register(api: &Api, rooms: usize, members: usize) -> anyhow::Result<Self> {
        let mut out = Vec::with_capacity(rooms);
        for r in 0..rooms {
            let users = api.register_many(&format!("f{r}m"), members).await?;
            let room_id = api.create_room(&users[0], &format!("fanout {r}")).await?;
            api.join_all(&users[1..], room_id).await?;
            out.push((room_id, users.into_iter().map(|u| Some(u.token)).collect()));
        }
        Ok(Self { rooms: out })
    }

    /// Rooms 1..=R with anonymous members, for the ceiling.
    pub fn anonymous(rooms: usize, members: usize) -> Self {
        Self {
            rooms: (1..=rooms as i64)
                .map(|id| (id, vec![None; members]))
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub load: Load,
    pub sent: u64,
    pub acked: u64,
    pub send_errors: u64,
    /// Sockets the server closed during the run (4008: too slow).
    pub closed: u64,
    pub deliveries: u64,
    pub deliveries_per_second: f64,
    pub latency: Percentiles,
    pub ack_latency: Percentiles,
    pub check: Tally,
    /// From the first send until the last delivery arrived.
    pub cpu: Usage,
    pub problems: Vec<String>,
}

impl Outcome {
    /// Every send issued on time and answered, every delivery made once and
    /// in order, no socket cut off, and the server kept up: the rate is
    /// sustained.
    pub fn sustained(&self) -> bool {
        self.problems.is_empty() && self.latency.p99_ms <= SUSTAINED_P99_MS
    }
}

/// What each member's reader hands back.
#[derive(Default)]
struct Seen {
    tally: Tally,
    latency: Latency,
    ack_latency: Latency,
    closed: bool,
    error: Option<String>,
}

#[derive(Clone)]
struct Done {
    final_seq: Arc<Vec<i64>>,
    deadline: Instant,
}

struct Shared {
    acked: AtomicU64,
    send_errors: AtomicU64,
    /// Per room (by index), the highest acknowledged seq.
    final_seq: Vec<AtomicI64>,
}

/// Runs `load` with each room's members spread over `servers` in turn
/// (nodes of one deployment; one server for `fanout` and `ceiling`). The
/// senders are a room's first members, so with two nodes or more they are
/// spread too, as long as a room has more than one.
pub async fn run(
    servers: &[&Target],
    population: &Population,
    load: &Load,
) -> anyhow::Result<Outcome> {
    anyhow::ensure!(!servers.is_empty(), "a fan-out run needs a server");
    let shared = Arc::new(Shared {
        acked: AtomicU64::new(0),
        send_errors: AtomicU64::new(0),
        final_seq: population.rooms.iter().map(|_| AtomicI64::new(0)).collect(),
    });
    // Members connect and subscribe; each then has a reader task.
    let members: Vec<(usize, usize, &Option<String>)> = population
        .rooms
        .iter()
        .enumerate()
        .flat_map(|(r, (_, tokens))| tokens.iter().enumerate().map(move |(m, t)| (r, m, t)))
        .collect();
    let connected: Vec<(usize, usize, Ws, i64)> = stream::iter(members)
        .enumerate()
        .map(|(n, (r, m, token))| async move {
            let room_id = population.rooms[r].0;
            let server = servers[m % servers.len()];
            let mut ws = socket::connect(server.addr, token.as_deref(), n).await?;
            let last_seq = socket::subscribe(&mut ws, room_id).await?;
            anyhow::Ok((r, m, ws, last_seq))
        })
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()
        .context("connecting members")?;
    for (r, _, _, last_seq) in &connected {
        shared.final_seq[*r].fetch_max(*last_seq, Ordering::Relaxed);
    }

    // `done` carries the final seq per room once sending is over, and the
    // time by which they must have arrived.
    let (done_tx, done_rx) = watch::channel::<Option<Done>>(None);
    let mut senders = Vec::new();
    let mut readers = Vec::new();
    // Client ids must be new in every run against the same server: a
    // repeated one is (rightly) answered with the message stored before.
    let run_id = socket::stamp();
    for (r, m, ws, last_seq) in connected {
        let room_id = population.rooms[r].0;
        let sends = (m < load.senders).then(|| {
            let (tx, rx) = mpsc::channel::<()>(4096);
            senders.push(tx);
            Sends {
                due: rx,
                room_id,
                prefix: format!("{run_id}r{r}s{m}"),
                body_bytes: load.body_bytes,
                n: 0,
            }
        });
        readers.push(tokio::spawn(member(
            ws,
            sends,
            r,
            last_seq,
            shared.clone(),
            done_rx.clone(),
        )));
    }

    let pids = servers
        .iter()
        .map(|s| s.pid())
        .collect::<anyhow::Result<_>>()?;
    let meter = Meter::start(pids, servers.iter().find_map(|s| s.postmaster))?;
    let started = Instant::now();
    let mut pacer = Pacer::new(load.rate);
    let mut sent = 0u64;
    let mut backlogged = 0u64;
    let until = started + Duration::from_secs_f64(load.seconds);
    while Instant::now() < until {
        for _ in 0..pacer.due().await {
            let sender = &senders[sent as usize % senders.len()];
            if sender.try_send(()).is_err() {
                backlogged += 1;
            }
            sent += 1;
        }
    }
    let send_window = started.elapsed();
    drop(senders);

    // Every send is owed an ack (or an error) before the final seqs are known.
    let deadline = Instant::now() + DRAIN;
    let answered =
        || shared.acked.load(Ordering::Relaxed) + shared.send_errors.load(Ordering::Relaxed);
    while answered() < sent - backlogged && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let finals: Vec<i64> = shared
        .final_seq
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .collect();
    let _ = done_tx.send(Some(Done {
        final_seq: Arc::new(finals),
        deadline: Instant::now() + DRAIN,
    }));

    let mut all = Seen::default();
    let mut closed = 0;
    let mut problems = Vec::new();
    for reader in readers {
        let seen = reader.await?;
        all.tally.add(seen.tally);
        all.latency.merge(&seen.latency);
        all.ack_latency.merge(&seen.ack_latency);
        closed += u64::from(seen.closed);
        if let Some(error) = seen.error
            && problems.len() < 5
        {
            problems.push(error);
        }
    }
    let acked = shared.acked.load(Ordering::Relaxed);
    let send_errors = shared.send_errors.load(Ordering::Relaxed);
    if !all.tally.is_clean() {
        problems.push(format!(
            "delivery check failed: {} lost, {} duplicated, {} out of order",
            all.tally.lost, all.tally.duplicates, all.tally.reordered
        ));
    }
    if backlogged > 0 {
        problems.push(format!("{backlogged} sends could not be issued on time"));
    }
    if acked + send_errors < sent - backlogged {
        problems.push(format!(
            "{} sends never answered",
            sent - acked - send_errors
        ));
    }
    if send_errors > 0 {
        problems.push(format!("{send_errors} sends refused"));
    }
    if closed > 0 {
        problems.push(format!("{closed} sockets closed by the server"));
    }
    let deliveries = all.latency.count();
    let cpu = meter.stop(deliveries)?;
    Ok(Outcome {
        load: load.clone(),
        sent,
        acked,
        send_errors,
        closed,
        deliveries,
        deliveries_per_second: deliveries as f64 / send_window.as_secs_f64(),
        latency: all.latency.percentiles(),
        ack_latency: all.ack_latency.percentiles(),
        check: all.tally,
        cpu,
        problems,
    })
}

/// A sender's share of the load: a send is due whenever `due` yields.
struct Sends {
    due: mpsc::Receiver<()>,
    room_id: i64,
    prefix: String,
    body_bytes: usize,
    n: u64,
}

impl Sends {
    fn frame(&mut self) -> tokio_tungstenite::tungstenite::Message {
        self.n += 1;
        let client_id = format!("{}-{}", self.prefix, self.n);
        socket::send_frame(self.room_id, &client_id, self.body_bytes)
    }
}

/// One member's socket, owned by one task (no split halves to lock): it
/// reads and checks deliveries and, for a sender, sends when one is due.
/// Frames already read are handled in one go, without going back through
/// `select!`: the generator shares the cores with the server it measures,
/// so it must spend as little as it can per delivery.
async fn member(
    mut ws: Ws,
    mut sends: Option<Sends>,
    room: usize,
    last_seq: i64,
    shared: Arc<Shared>,
    mut done: watch::Receiver<Option<Done>>,
) -> Seen {
    let mut reader = Reader {
        seen: Seen::default(),
        tracker: SeqTracker::after(last_seq),
        room,
        last_seq,
        shared,
    };
    let mut final_seq: Option<i64> = None;
    // Far off until the run says when to give up on missing deliveries.
    let give_up = tokio::time::sleep(Duration::from_secs(24 * 3600));
    tokio::pin!(give_up);
    loop {
        if final_seq.is_some_and(|f| reader.tracker.has_all(f)) {
            break;
        }
        tokio::select! {
            Some(()) = async { sends.as_mut()?.due.recv().await }, if sends.is_some() => {
                let frame = sends.as_mut().map(Sends::frame);
                if let Some(frame) = frame
                    && let Err(e) = ws.send(frame).await
                {
                    reader.seen.closed = true;
                    reader.seen.error = Some(e.to_string());
                    break;
                }
            }
            text = socket::next_text(&mut ws) => {
                let mut next = Some(text);
                while let Some(text) = next.take() {
                    match text {
                        Ok(Some(text)) => reader.take(&text),
                        Ok(None) => { reader.seen.closed = true; break; }
                        Err(e) => { reader.seen.closed = true; reader.seen.error = Some(e.to_string()); break; }
                    }
                    next = socket::next_text(&mut ws).now_or_never();
                }
                if reader.seen.closed {
                    break;
                }
            }
            changed = done.changed() => {
                if changed.is_err() { break; }
                if let Some(d) = done.borrow().as_ref() {
                    final_seq = Some(d.final_seq[room]);
                    give_up.as_mut().reset(d.deadline);
                }
            }
            () = &mut give_up => break,
        }
    }
    let final_seq = final_seq.unwrap_or(reader.tracker.last());
    let mut seen = reader.seen;
    seen.tally = reader.tracker.tally(final_seq);
    seen
}

/// What a member makes of the frames it reads.
struct Reader {
    seen: Seen,
    tracker: SeqTracker,
    room: usize,
    /// The room's seq when the member subscribed.
    last_seq: i64,
    shared: Arc<Shared>,
}

impl Reader {
    fn take(&mut self, text: &str) {
        match Frame::scan(text) {
            Frame::Message { seq, stamp, .. } => {
                self.tracker.see(seq);
                self.seen.latency.record(socket::since(stamp));
            }
            Frame::Ack { seq, .. } if seq <= self.last_seq => {
                // An ack for a message stored before this run began.
                self.shared.send_errors.fetch_add(1, Ordering::Relaxed);
                self.seen
                    .error
                    .get_or_insert_with(|| format!("acked with an old seq: {text}"));
            }
            Frame::Ack { seq, stamp, .. } => {
                self.seen.ack_latency.record(socket::since(stamp));
                self.shared.acked.fetch_add(1, Ordering::Relaxed);
                self.shared.final_seq[self.room].fetch_max(seq, Ordering::Relaxed);
            }
            Frame::Error => {
                self.shared.send_errors.fetch_add(1, Ordering::Relaxed);
                self.seen.error.get_or_insert_with(|| text.to_owned());
            }
            Frame::Subscribed { .. } | Frame::Event { .. } | Frame::Other => {}
        }
    }
}
