//! Latency recording. Each task records into its own histogram (no shared
//! lock on the hot path); they are merged when a run ends.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies in microseconds, from 1 µs to one minute, 3 significant digits.
#[derive(Clone)]
pub struct Latency(Histogram<u64>);

/// The percentiles we report, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Default for Latency {
    fn default() -> Self {
        Self(Histogram::new_with_bounds(1, 60_000_000, 3).expect("static histogram bounds"))
    }
}

impl Latency {
    pub fn record(&mut self, latency: Duration) {
        let micros = (latency.as_micros() as u64).clamp(1, 60_000_000);
        // Clamped into the bounds above, so it cannot fail.
        let _ = self.0.record(micros);
    }

    pub fn merge(&mut self, other: &Latency) {
        // Same bounds on both sides, so it cannot fail.
        let _ = self.0.add(&other.0);
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    pub fn percentiles(&self) -> Percentiles {
        let ms = |q: f64| self.0.value_at_quantile(q) as f64 / 1000.0;
        Percentiles {
            count: self.0.len(),
            p50_ms: ms(0.50),
            p90_ms: ms(0.90),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: self.0.max() as f64 / 1000.0,
        }
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p90 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2} ({} samples)",
            self.p50_ms, self.p90_ms, self.p99_ms, self.p999_ms, self.max_ms, self.count
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_recorded_values() {
        let mut a = Latency::default();
        let mut b = Latency::default();
        for ms in 1..=90 {
            a.record(Duration::from_millis(ms));
        }
        for ms in 91..=100 {
            b.record(Duration::from_millis(ms));
        }
        a.merge(&b);
        let p = a.percentiles();
        assert_eq!(p.count, 100);
        assert!((p.p50_ms - 50.0).abs() < 0.1, "{p}");
        assert!((p.p99_ms - 99.0).abs() < 0.1, "{p}");
        assert!((p.max_ms - 100.0).abs() < 0.1, "{p}");
    }
}
