//! When to try a failed notification again.

use std::time::Duration;

/// Exponential backoff with jitter: `base`, doubling per failure up to `max`, each delay
/// moved by up to ±`jitter` (a fraction) so channels that failed together do not retry in
/// lockstep; given up once a notification has waited `give_up_after`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    pub jitter: f64,
    pub give_up_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            // A receiver back after an outage gets its backlog within a minute; one probe a
            // minute per channel is no load on a receiver that is down.
            max: Duration::from_secs(60),
            jitter: 0.2,
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl Backoff {
    /// The wait after the `failures`-th failure in a row (1 for the first); `unit` in
    /// [0, 1) picks the jitter (`fastrand::f64()` in the worker, fixed in tests).
    pub fn delay(&self, failures: u32, unit: f64) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        let nominal = self.base.saturating_mul(1 << doublings).min(self.max);
        let spread = self.jitter.clamp(0.0, 1.0) * (2.0 * unit.clamp(0.0, 1.0) - 1.0);
        nominal.mul_f64(1.0 + spread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff::default();
        let middle: Vec<u64> = (1..=10).map(|n| b.delay(n, 0.5).as_secs()).collect();
        assert_eq!(middle, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        assert_eq!(b.delay(1000, 0.5), Duration::from_secs(60));
        assert_eq!(b.delay(0, 0.5), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let b = Backoff::default();
        for failures in 1..40 {
            let nominal = b.delay(failures, 0.5).as_secs_f64();
            for _ in 0..50 {
                let d = b.delay(failures, fastrand::f64()).as_secs_f64();
                assert!(
                    d >= nominal * 0.8 - 1e-9 && d <= nominal * 1.2 + 1e-9,
                    "{d} vs {nominal}"
                );
            }
            assert!((b.delay(failures, 0.0).as_secs_f64() - nominal * 0.8).abs() < 1e-6);
        }
    }

    #[test]
    fn short_backoffs_for_tests() {
        let b = Backoff {
            base: Duration::from_millis(10),
            max: Duration::from_millis(40),
            jitter: 0.0,
            ..Backoff::default()
        };
        let all: Vec<u128> = (1..=5).map(|n| b.delay(n, 0.9).as_millis()).collect();
        assert_eq!(all, [10, 20, 40, 40, 40]);
    }
}
