//! Open-loop pacing. Senders must offer a fixed rate whatever the server
//! does, or a slow server would slow the load down and look fast (coordinated
//! omission). Timers tick at millisecond granularity, so the pacer works out
//! how many operations are due by now rather than sleeping between each one.

use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior, interval};

pub struct Pacer {
    rate: f64,
    issued: u64,
    start: Instant,
    tick: tokio::time::Interval,
}

impl Pacer {
    pub fn new(per_second: f64) -> Self {
        let mut tick = interval(Duration::from_millis(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        Self {
            rate: per_second,
            issued: 0,
            start: Instant::now(),
            tick,
        }
    }

    /// Waits for the next tick and returns how many operations are due.
    pub async fn due(&mut self) -> u64 {
        self.tick.tick().await;
        let owed = owed(self.rate, self.start.elapsed()) - self.issued;
        self.issued += owed;
        owed
    }
}

/// Operations a pacer at `rate` per second has issued after `elapsed`.
fn owed(rate: f64, elapsed: Duration) -> u64 {
    (rate * elapsed.as_secs_f64()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owed_follows_the_rate_at_any_granularity() {
        assert_eq!(owed(2000.0, Duration::from_millis(1)), 2);
        assert_eq!(owed(100.0, Duration::from_millis(9)), 0);
        assert_eq!(owed(100.0, Duration::from_millis(10)), 1);
        assert_eq!(owed(1_000_000.0, Duration::from_secs(3)), 3_000_000);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pacer_issues_exactly_its_rate_over_time() {
        let mut pacer = Pacer::new(1500.0);
        let mut total = 0;
        while pacer.start.elapsed() < Duration::from_secs(2) {
            total += pacer.due().await;
        }
        assert!((2999..=3001).contains(&total), "issued {total}");
    }
}
