//! Delivery checking: every receiver must see each seq of a room once, in
//! order. A run that measures a fast server which drops or repeats messages
//! has measured nothing, so each receiver keeps a [`SeqTracker`] per room and
//! the run fails if any of them disagrees with what was acknowledged.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::oneshot;
use tokio::time::{Instant, sleep_until};

use crate::socket::{self, Frame};

/// What one receiver saw of one room, against the seqs it was owed.
#[derive(Clone, Debug)]
pub struct SeqTracker {
    /// The seq the next in-order message should carry.
    next: i64,
    /// Seqs skipped over by a later one and not (yet) seen.
    missing: BTreeSet<i64>,
    pub received: u64,
    pub duplicates: u64,
    pub reordered: u64,
}

/// The verdict over one or many trackers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub received: u64,
    pub lost: u64,
    pub duplicates: u64,
    pub reordered: u64,
}

impl Tally {
    pub fn is_clean(&self) -> bool {
        self.lost == 0 && self.duplicates == 0 && self.reordered == 0
    }

    /// What is wrong, said for a report, if anything is.
    pub fn problem(&self, who: &str) -> Option<String> {
        (!self.is_clean()).then(|| {
            format!(
                "{who}: {} lost, {} duplicated, {} out of order",
                self.lost, self.duplicates, self.reordered
            )
        })
    }

    pub fn add(&mut self, other: Tally) {
        self.received += other.received;
        self.lost += other.lost;
        self.duplicates += other.duplicates;
        self.reordered += other.reordered;
    }
}

impl SeqTracker {
    /// A receiver that has everything up to `last_seen` (the `last_seq` of
    /// its `subscribed` frame) and is owed what follows.
    pub fn after(last_seen: i64) -> Self {
        Self {
            next: last_seen + 1,
            missing: BTreeSet::new(),
            received: 0,
            duplicates: 0,
            reordered: 0,
        }
    }

    pub fn see(&mut self, seq: i64) {
        self.received += 1;
        if seq == self.next {
            self.next += 1;
        } else if seq > self.next {
            self.missing.extend(self.next..seq);
            self.next = seq + 1;
        } else if self.missing.remove(&seq) {
            self.reordered += 1;
        } else {
            self.duplicates += 1;
        }
    }

    /// The highest seq seen in order or after a gap.
    pub fn last(&self) -> i64 {
        self.next - 1
    }

    /// True once every seq up to `final_seq` has arrived.
    pub fn has_all(&self, final_seq: i64) -> bool {
        self.last() >= final_seq && self.missing.is_empty()
    }

    /// The verdict once the room's last acknowledged seq is `final_seq`.
    pub fn tally(&self, final_seq: i64) -> Tally {
        let never_reached = (final_seq - self.last()).max(0) as u64;
        Tally {
            received: self.received,
            lost: self.missing.len() as u64 + never_reached,
            duplicates: self.duplicates,
            reordered: self.reordered,
        }
    }
}

/// Reads a room's deliveries (posts and other events) for a whole run; once
/// told the final seq, until it has everything up to it or ten more
/// seconds pass.
pub async fn watch_room(
    mut read: socket::Ws,
    start_seq: i64,
    final_seq: oneshot::Receiver<i64>,
) -> Tally {
    let mut tracker = SeqTracker::after(start_seq);
    let mut final_seq = std::pin::pin!(final_seq);
    let mut known: Option<i64> = None;
    let mut give_up = Instant::now() + Duration::from_secs(24 * 3600);
    while !known.is_some_and(|f| tracker.has_all(f)) {
        tokio::select! {
            text = socket::next_text(&mut read) => match text {
                Ok(Some(text)) => match Frame::scan(&text) {
                    Frame::Message { seq, .. } | Frame::Event { seq, .. } => tracker.see(seq),
                    _ => {}
                },
                _ => break,
            },
            last = &mut final_seq, if known.is_none() => {
                known = Some(last.unwrap_or(start_seq));
                give_up = Instant::now() + Duration::from_secs(10);
            }
            () = sleep_until(give_up) => break,
        }
    }
    tracker.tally(known.unwrap_or(start_seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(start: i64, seqs: &[i64]) -> SeqTracker {
        let mut tracker = SeqTracker::after(start);
        for &seq in seqs {
            tracker.see(seq);
        }
        tracker
    }

    #[test]
    fn in_order_delivery_is_clean() {
        let tracker = seen(10, &[11, 12, 13]);
        assert_eq!(
            tracker.tally(13),
            Tally {
                received: 3,
                ..Tally::default()
            }
        );
        assert!(tracker.has_all(13));
    }

    #[test]
    fn a_missing_tail_is_loss() {
        let tracker = seen(0, &[1, 2]);
        assert_eq!(tracker.tally(5).lost, 3);
        assert!(!tracker.has_all(5));
    }

    #[test]
    fn a_hole_is_loss_until_it_is_filled_late() {
        let holed = seen(0, &[1, 3, 4]);
        assert_eq!(holed.tally(4).lost, 1);
        assert!(!holed.has_all(4));
        let filled = seen(0, &[1, 3, 4, 2]);
        let tally = filled.tally(4);
        assert_eq!((tally.lost, tally.reordered), (0, 1));
        assert!(!tally.is_clean());
        assert!(filled.has_all(4));
    }

    #[test]
    fn repeats_are_duplicates() {
        let tracker = seen(0, &[1, 2, 2, 1, 3]);
        let tally = tracker.tally(3);
        assert_eq!((tally.duplicates, tally.lost, tally.reordered), (2, 0, 0));
    }

    #[test]
    fn seqs_before_the_subscription_point_are_duplicates() {
        // The server promised only seq > 5 live; a 5 is a replay.
        let tracker = seen(5, &[5, 6]);
        assert_eq!(tracker.tally(6).duplicates, 1);
    }

    #[test]
    fn tallies_add_up() {
        let mut total = Tally::default();
        total.add(seen(0, &[1, 1]).tally(1));
        total.add(seen(0, &[2]).tally(2));
        assert_eq!(
            total,
            Tally {
                received: 3,
                lost: 1,
                duplicates: 1,
                reordered: 0
            }
        );
    }
}
