//! `search`: full-text searches over a room with a million stored messages
//! (seeded as `history` seeds it), at a fixed request rate, of three
//! kinds: a topic word that about a thousand messages have (the typical
//! search: a word, ranked), a phrase one message has ("number 123456"),
//! and a prefix being typed that about eleven thousand have ("topic41").
//! Each answer is checked: it has results, and each one says what was
//! searched for. The latency says whether the index, not a scan, answers.

use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::history::{TOPICS, seed};
use crate::api::{Api, User};
use crate::pace::Pacer;
use crate::stats::{Latency, Percentiles};
use crate::target::Target;

const MAX_IN_FLIGHT: usize = 512;

#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub messages: i64,
    pub rate: f64,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub params: Params,
    pub seed_seconds: f64,
    pub requests: u64,
    pub requests_per_second: f64,
    /// Every search.
    pub latency: Percentiles,
    /// Each kind alone.
    pub word: Percentiles,
    pub phrase: Percentiles,
    pub prefix: Percentiles,
    pub wrong: u64,
    pub failed: u64,
    pub not_issued: u64,
    pub problems: Vec<String>,
}

#[derive(Clone, Copy)]
enum Kind {
    Word,
    Phrase,
    Prefix,
}

pub async fn run(target: &Target, api: &Api, params: &Params) -> anyhow::Result<Outcome> {
    let user = api.register("search").await?;
    let room_id = api.create_room(&user, "search").await?;
    let seeding = Instant::now();
    seed(target, room_id, user.id, params.messages).await?;
    let seed_seconds = seeding.elapsed().as_secs_f64();

    let mut pacer = Pacer::new(params.rate);
    let mut tasks = JoinSet::new();
    let mut tally = Tally::default();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(params.seconds);
    let mut turn = 0usize;
    while Instant::now() < until {
        for _ in 0..pacer.due().await {
            if tasks.len() >= MAX_IN_FLIGHT {
                tally.not_issued += 1;
                continue;
            }
            turn += 1;
            let kind = [Kind::Word, Kind::Phrase, Kind::Prefix][turn % 3];
            let (q, wanted) = query(kind, params.messages);
            tasks.spawn(search(api.clone(), user.clone(), kind, q, wanted));
        }
        while let Some(done) = tasks.try_join_next() {
            tally.absorb(done?);
        }
    }
    while let Some(done) = tasks.join_next().await {
        tally.absorb(done?);
    }
    let elapsed = started.elapsed();
    let mut problems = tally.problems;
    if tally.wrong + tally.failed > 0 {
        problems.insert(
            0,
            format!(
                "{} wrong answers, {} failed requests",
                tally.wrong, tally.failed
            ),
        );
    }
    if tally.not_issued > 0 {
        problems.push(format!(
            "{} requests could not be issued on time",
            tally.not_issued
        ));
    }
    let mut all = Latency::default();
    for kind in &tally.kinds {
        all.merge(kind);
    }
    Ok(Outcome {
        params: params.clone(),
        seed_seconds,
        requests: all.count(),
        requests_per_second: all.count() as f64 / elapsed.as_secs_f64(),
        latency: all.percentiles(),
        word: tally.kinds[0].percentiles(),
        phrase: tally.kinds[1].percentiles(),
        prefix: tally.kinds[2].percentiles(),
        wrong: tally.wrong,
        failed: tally.failed,
        not_issued: tally.not_issued,
        problems,
    })
}

/// A query of this kind, and the word every result must contain.
fn query(kind: Kind, messages: i64) -> (String, String) {
    match kind {
        Kind::Word => {
            let topic = format!("topic{}", fastrand::i64(0..TOPICS));
            (format!("{topic} "), topic)
        }
        Kind::Phrase => {
            let n = fastrand::i64(1..=messages);
            (format!("\"number {n}\""), format!("number {n} "))
        }
        Kind::Prefix => ("topic41".into(), "topic41".into()),
    }
}

async fn search(
    api: Api,
    user: User,
    kind: Kind,
    q: String,
    wanted: String,
) -> (Kind, Duration, Verdict) {
    let sent = Instant::now();
    let result = api.search(&user, &q).await;
    let took = sent.elapsed();
    let verdict = match result {
        Err(e) => Verdict::Failed(e.to_string()),
        Ok(bodies) if bodies.is_empty() => Verdict::Wrong(format!("{q:?} found nothing")),
        Ok(bodies) => match bodies.iter().find(|b| !format!("{b} ").contains(&wanted)) {
            Some(body) => Verdict::Wrong(format!("{q:?} found {body:?}")),
            None => Verdict::Right,
        },
    };
    (kind, took, verdict)
}

enum Verdict {
    Right,
    Wrong(String),
    Failed(String),
}

#[derive(Default)]
struct Tally {
    kinds: [Latency; 3],
    wrong: u64,
    failed: u64,
    not_issued: u64,
    problems: Vec<String>,
}

impl Tally {
    fn absorb(&mut self, (kind, took, verdict): (Kind, Duration, Verdict)) {
        self.kinds[kind as usize].record(took);
        let problem = match verdict {
            Verdict::Right => return,
            Verdict::Wrong(problem) => {
                self.wrong += 1;
                problem
            }
            Verdict::Failed(problem) => {
                self.failed += 1;
                problem
            }
        };
        if self.problems.len() < 5 {
            self.problems.push(problem);
        }
    }
}
