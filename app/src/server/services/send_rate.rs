//! How fast one user may post, however they post: a token bucket per user,
//! shared by all their sockets and the REST API, holding `burst` sends and
//! refilling evenly over `window` (by default 20 at once, then 2 a second).
//! Per user rather than per connection, so opening more sockets or posting
//! over HTTP gains nothing.
//!
//! A send over the allowance is answered with `rate_limited` and a wait,
//! and nothing is stored, so a client that waits and resends loses
//! nothing. One that ignores that and keeps sending, a whole burst's worth
//! refused in a row, is told [`Error::KeptSending`]; its socket is closed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::server::error::{Error, Result};

/// Users with a bucket before idle (full) ones are swept: a bound on memory.
const SWEEP_AT: usize = 100_000;

#[derive(Clone, Debug)]
pub struct SendLimits {
    /// Messages one user may send at once. `SEND_BURST`.
    pub burst: u32,
    /// How long the allowance takes to refill. `SEND_WINDOW_SECS`.
    pub window: Duration,
}

impl Default for SendLimits {
    fn default() -> Self {
        Self {
            burst: 20,
            window: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct SendLimiter {
    limits: SendLimits,
    users: Arc<Mutex<HashMap<i64, SendRate>>>,
}

impl SendLimiter {
    pub fn new(limits: SendLimits) -> Self {
        Self {
            limits,
            users: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, SendRate>> {
        // Every operation leaves the map consistent: poisoning is ignored.
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one send from `user_id`'s allowance, or says why not.
    pub fn take(&self, user_id: i64) -> Result<()> {
        let now = Instant::now();
        let mut users = self.lock();
        if users.len() >= SWEEP_AT {
            users.retain(|_, rate| !rate.is_full(now));
        }
        let rate = users
            .entry(user_id)
            .or_insert_with(|| SendRate::new(self.limits.burst, self.limits.window, now));
        match rate.take(now) {
            Verdict::Allowed => Ok(()),
            Verdict::Refused(retry_after) => Err(Error::RateLimited { retry_after }),
            Verdict::Abusive(retry_after) => Err(Error::KeptSending { retry_after }),
        }
    }
}

struct SendRate {
    burst: f64,
    per_second: f64,
    tokens: f64,
    refilled_at: Instant,
    refused_in_a_row: u32,
    abuse_after: u32,
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Allowed,
    /// Try again after this long.
    Refused(Duration),
    /// Refused too often without pause: close the socket. (REST is told
    /// the same wait as a refusal.)
    Abusive(Duration),
}

impl SendRate {
    fn new(burst: u32, window: Duration, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            burst,
            per_second: burst / window.as_secs_f64().max(0.001),
            tokens: burst,
            refilled_at: now,
            refused_in_a_row: 0,
            abuse_after: burst as u32,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled_at);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.burst);
        self.refilled_at = now;
    }

    /// Whether the bucket would be full at `now`: an idle user, forgettable.
    fn is_full(&self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled_at);
        self.tokens + elapsed.as_secs_f64() * self.per_second >= self.burst
    }

    fn take(&mut self, now: Instant) -> Verdict {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.refused_in_a_row = 0;
            return Verdict::Allowed;
        }
        self.refused_in_a_row += 1;
        let wait = Duration::from_secs_f64((1.0 - self.tokens) / self.per_second);
        if self.refused_in_a_row > self.abuse_after {
            return Verdict::Abusive(wait);
        }
        Verdict::Refused(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let start = Instant::now();
        let mut rate = SendRate::new(20, Duration::from_secs(10), start);
        for _ in 0..20 {
            assert_eq!(rate.take(start), Verdict::Allowed);
        }
        let Verdict::Refused(wait) = rate.take(start) else {
            panic!("the 21st send at once is refused");
        };
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-6, "{wait:?}");
        // Two a second come back.
        assert_eq!(
            rate.take(start + Duration::from_millis(500)),
            Verdict::Allowed
        );
        assert!(matches!(
            rate.take(start + Duration::from_millis(600)),
            Verdict::Refused(_)
        ));
        assert_eq!(
            rate.take(start + Duration::from_millis(1000)),
            Verdict::Allowed
        );
        // An idle socket has its whole burst again, and no more.
        let later = start + Duration::from_secs(60);
        for _ in 0..20 {
            assert_eq!(rate.take(later), Verdict::Allowed);
        }
        assert!(matches!(rate.take(later), Verdict::Refused(_)));
    }

    #[test]
    fn the_allowance_is_per_user() {
        let limiter = SendLimiter::new(SendLimits {
            burst: 2,
            window: Duration::from_secs(60),
        });
        assert!(limiter.take(1).is_ok());
        assert!(limiter.take(1).is_ok());
        assert!(matches!(limiter.take(1), Err(Error::RateLimited { .. })));
        assert!(limiter.take(2).is_ok(), "another user has their own");
        assert!(matches!(limiter.take(1), Err(Error::RateLimited { .. })));
        assert!(matches!(limiter.take(1), Err(Error::KeptSending { .. })));
    }

    #[test]
    fn ignoring_refusals_is_abuse_but_waiting_is_not() {
        let start = Instant::now();
        let mut patient = SendRate::new(3, Duration::from_secs(3), start);
        let mut now = start;
        for _ in 0..100 {
            match patient.take(now) {
                Verdict::Allowed => {}
                Verdict::Refused(wait) => now += wait,
                Verdict::Abusive(_) => panic!("a client that waits is never abusive"),
            }
        }
        let mut flood = SendRate::new(3, Duration::from_secs(3), start);
        let verdicts: Vec<_> = (0..7).map(|_| flood.take(start)).collect();
        assert_eq!(
            verdicts[..3],
            [Verdict::Allowed, Verdict::Allowed, Verdict::Allowed]
        );
        assert!(
            verdicts[3..6]
                .iter()
                .all(|v| matches!(v, Verdict::Refused(_)))
        );
        assert!(matches!(verdicts[6], Verdict::Abusive(wait) if wait > Duration::ZERO));
    }
}
