//! Slowing password guessing without handing attackers a way to lock people
//! out of their own accounts.
//!
//! Failed logins are counted per (username, client address) and per client
//! address. The first stops one machine from guessing one account's
//! password; the second stops one machine from spraying a few guesses at
//! many accounts. Nothing counts a username's failures from everyone, so a
//! stranger failing as `ann` from their own address never locks ann out
//! from hers. Each count runs in a window that starts at its first failure;
//! when the window is over the slate is clean, so no block lasts longer
//! than one window, and the refusal says how long to wait (`Retry-After`).
//!
//! Registrations are counted per address too: each one costs an argon2
//! hash and a row, so one address may create only so many accounts per
//! window.
//!
//! IPv6 clients are counted per /64, the block one subscriber usually
//! holds, so rotating through one's own addresses gains nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::server::error::{Error, Result};

/// More counters than this and expired ones are swept: a bound on memory
/// that a flood of failures from many addresses cannot push far.
const SWEEP_AT: usize = 100_000;

#[derive(Clone, Debug)]
pub struct LoginLimits {
    /// Failures for one username from one address per window.
    /// `LOGIN_MAX_FAILURES`.
    pub per_account: u32,
    /// Failures from one address, any username, per window.
    /// `LOGIN_MAX_FAILURES_PER_ADDRESS`.
    pub per_address: u32,
    /// `LOGIN_WINDOW_SECS`.
    pub window: Duration,
    /// Registration attempts from one address per window.
    /// `REGISTER_MAX_PER_ADDRESS`.
    pub registrations_per_address: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_account: 10,
            per_address: 100,
            window: Duration::from_secs(5 * 60),
            registrations_per_address: 20,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Account(String, IpAddr),
    Address(IpAddr),
    Registrations(IpAddr),
}

struct Window {
    failures: u32,
    started: Instant,
}

#[derive(Clone)]
pub struct LoginLimiter {
    limits: LoginLimits,
    windows: Arc<Mutex<HashMap<Key, Window>>>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            windows: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Window>> {
        // Every operation leaves the map consistent: poisoning is ignored.
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn keys(&self, username: &str, addr: IpAddr) -> [(Key, u32); 2] {
        let addr = network(addr);
        [
            (
                Key::Account(username.to_owned(), addr),
                self.limits.per_account,
            ),
            (Key::Address(addr), self.limits.per_address),
        ]
    }

    /// How long until `key`'s count, at `max` or over, runs out; `None`
    /// if it is under `max` or its window is over.
    fn blocked(
        &self,
        windows: &HashMap<Key, Window>,
        key: &Key,
        max: u32,
        now: Instant,
    ) -> Option<Duration> {
        let window = windows.get(key)?;
        let left = self
            .limits
            .window
            .checked_sub(now.duration_since(window.started))?;
        (window.failures >= max && !left.is_zero()).then_some(left)
    }

    /// Adds one to `key`'s count, starting a new window if the last is over.
    fn count(&self, windows: &mut HashMap<Key, Window>, key: Key, now: Instant) {
        if windows.len() >= SWEEP_AT {
            let limit = self.limits.window;
            windows.retain(|_, w| now.duration_since(w.started) < limit);
        }
        let window = windows.entry(key).or_insert(Window {
            failures: 0,
            started: now,
        });
        if now.duration_since(window.started) >= self.limits.window {
            *window = Window {
                failures: 0,
                started: now,
            };
        }
        window.failures += 1;
    }

    /// Refuses a login attempt while either count is used up, saying how
    /// long until the longer block ends.
    pub fn check(&self, username: &str, addr: IpAddr) -> Result<()> {
        let now = Instant::now();
        let windows = self.lock();
        let wait = self
            .keys(username, addr)
            .into_iter()
            .filter_map(|(key, max)| self.blocked(&windows, &key, max, now))
            .max();
        match wait {
            Some(retry_after) => Err(Error::RateLimited { retry_after }),
            None => Ok(()),
        }
    }

    pub fn failed(&self, username: &str, addr: IpAddr) {
        let now = Instant::now();
        let mut windows = self.lock();
        for (key, _) in self.keys(username, addr) {
            self.count(&mut windows, key, now);
        }
    }

    /// Counts a registration attempt from `addr`, or refuses it if the
    /// address has used up its registrations for this window.
    pub fn register(&self, addr: IpAddr) -> Result<()> {
        let now = Instant::now();
        let key = Key::Registrations(network(addr));
        let mut windows = self.lock();
        let max = self.limits.registrations_per_address;
        if let Some(retry_after) = self.blocked(&windows, &key, max, now) {
            return Err(Error::RateLimited { retry_after });
        }
        self.count(&mut windows, key, now);
        Ok(())
    }

    /// A good password clears that account's count from that address; the
    /// address's own count stays, or one known login would reset a spray.
    pub fn succeeded(&self, username: &str, addr: IpAddr) {
        let [(account, _), _] = self.keys(username, addr);
        self.lock().remove(&account);
    }
}

/// The address as counted: IPv6 by its /64, IPv4 (and IPv4-mapped) whole.
fn network(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let segments = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(
                    segments[0],
                    segments[1],
                    segments[2],
                    segments[3],
                    0,
                    0,
                    0,
                    0,
                ))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn limiter(per_account: u32, per_address: u32, window: Duration) -> LoginLimiter {
        LoginLimiter::new(LoginLimits {
            per_account,
            per_address,
            window,
            registrations_per_address: 2,
        })
    }

    #[test]
    fn one_address_creates_only_so_many_accounts_per_window() {
        let limiter = limiter(10, 100, Duration::from_millis(80));
        let addr = ip("203.0.113.9");
        assert!(limiter.register(addr).is_ok());
        assert!(limiter.register(addr).is_ok());
        retry_after(limiter.register(addr));
        assert!(limiter.register(ip("203.0.113.10")).is_ok());
        // Logins from there are a separate matter.
        assert!(limiter.check("ann", addr).is_ok());
        std::thread::sleep(Duration::from_millis(90));
        assert!(limiter.register(addr).is_ok());
    }

    fn retry_after(result: Result<()>) -> Duration {
        match result {
            Err(Error::RateLimited { retry_after }) => retry_after,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn one_address_guessing_one_account_is_stopped() {
        let limiter = limiter(3, 100, Duration::from_secs(300));
        let attacker = ip("203.0.113.9");
        for _ in 0..3 {
            assert!(limiter.check("ann", attacker).is_ok());
            limiter.failed("ann", attacker);
        }
        let wait = retry_after(limiter.check("ann", attacker));
        assert!(wait <= Duration::from_secs(300) && wait > Duration::from_secs(290));
        // Ann, elsewhere, is not locked out by the attacker.
        assert!(limiter.check("ann", ip("198.51.100.7")).is_ok());
        // The attacker may still try other names, up to the address limit.
        assert!(limiter.check("bob", attacker).is_ok());
    }

    #[test]
    fn one_address_spraying_many_accounts_is_stopped() {
        let limiter = limiter(100, 5, Duration::from_secs(300));
        let attacker = ip("203.0.113.9");
        for n in 0..5 {
            limiter.failed(&format!("user{n}"), attacker);
        }
        retry_after(limiter.check("someone-else", attacker));
        assert!(limiter.check("someone-else", ip("203.0.113.10")).is_ok());
    }

    #[test]
    fn a_block_ends_with_its_window() {
        let limiter = limiter(1, 100, Duration::from_millis(50));
        let addr = ip("203.0.113.9");
        limiter.failed("ann", addr);
        retry_after(limiter.check("ann", addr));
        std::thread::sleep(Duration::from_millis(60));
        assert!(limiter.check("ann", addr).is_ok());
        // A failure after the window starts a new count from one.
        limiter.failed("ann", addr);
        retry_after(limiter.check("ann", addr));
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let limiter = limiter(2, 3, Duration::from_secs(300));
        let addr = ip("203.0.113.9");
        limiter.failed("ann", addr);
        limiter.failed("ann", addr);
        retry_after(limiter.check("ann", addr));
        limiter.succeeded("ann", addr);
        assert!(limiter.check("ann", addr).is_ok());
        limiter.failed("bob", addr);
        retry_after(limiter.check("carl", addr));
    }

    #[test]
    fn ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let limiter = limiter(1, 100, Duration::from_secs(300));
        limiter.failed("ann", ip("2001:db8:1:2::1"));
        retry_after(limiter.check("ann", ip("2001:db8:1:2:ffff::9")));
        assert!(limiter.check("ann", ip("2001:db8:1:3::1")).is_ok());
        limiter.failed("bob", ip("192.0.2.1"));
        retry_after(limiter.check("bob", ip("::ffff:192.0.2.1")));
    }
}
