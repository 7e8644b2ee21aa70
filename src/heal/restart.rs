//! Restart policies: whether a service that ended on its own comes back, and when. The
//! first restart after a stable run is immediate; repeated failures back off exponentially
//! with jitter (systemd / Kubernetes style), and `max: N within T` gives up.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::config::{GiveUp, Restart, RestartPolicy};
use crate::procfs::wait_status;

/// Backoff when the policy names none (`backoff: 1s..5m`).
pub const DEFAULT_BACKOFF: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(300));
/// A run this long counts as stable: the next failure restarts at once (PM2 uses 30 s).
pub const STABLE_AFTER: Duration = Duration::from_secs(30);
/// ± this share of each delay, so services that crashed together do not restart in lockstep.
const JITTER: f64 = 0.1;

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The policy does not restart after this exit.
    Stay,
    RestartIn(Duration),
    /// `max` restarts within the window were used up; `then` says what follows.
    GiveUp {
        then: GiveUp,
        reason: String,
    },
}

/// What a service's restart history needs to remember.
#[derive(Debug, Clone, Default)]
pub struct RestartState {
    /// Failures in a row without a stable run between them.
    failures: u32,
    /// When each restart was decided, for `max: N within T`.
    recent: VecDeque<Instant>,
}

impl RestartState {
    /// Decide after the service's process ended with `exit_code` (`None`: killed by a
    /// signal) having run for `uptime`. `unit` in [0, 1) picks the jitter.
    pub fn decide(
        &mut self,
        policy: &Restart,
        exit_code: Option<i32>,
        uptime: Duration,
        now: Instant,
        unit: f64,
    ) -> Decision {
        let wanted = match policy.policy {
            RestartPolicy::No => false,
            RestartPolicy::OnFailure => exit_code != Some(0),
            RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
        };
        if !wanted {
            return Decision::Stay;
        }
        if uptime >= STABLE_AFTER {
            self.failures = 0;
        }
        if let Some((max, window)) = policy.max {
            self.forget_before(now, window);
            if self.recent.len() >= max as usize && policy.then != GiveUp::KeepTrying {
                let reason = format!(
                    "gave up: {max} restarts within {}",
                    crate::config::duration::format(window)
                );
                return Decision::GiveUp {
                    then: policy.then,
                    reason,
                };
            }
        }
        let delay = self.delay(policy.backoff.unwrap_or(DEFAULT_BACKOFF), unit);
        self.failures += 1;
        self.recent.push_back(now);
        Decision::RestartIn(delay)
    }

    /// The exits [`Self::decide`] would restart at once from now on, for the service's
    /// runner to restart without asking; `None` when none would be (policy `no`, `max`
    /// used up). Restarts only age out of the window, so what holds now holds later.
    pub fn immediate(&mut self, policy: &Restart, now: Instant) -> Option<Arm> {
        let failures_only = match policy.policy {
            RestartPolicy::No => return None,
            RestartPolicy::OnFailure => true,
            RestartPolicy::Always | RestartPolicy::UnlessStopped => false,
        };
        if let Some((max, window)) = policy.max {
            self.forget_before(now, window);
            if self.recent.len() >= max as usize && policy.then != GiveUp::KeepTrying {
                return None;
            }
        }
        let (base, _) = policy.backoff.unwrap_or(DEFAULT_BACKOFF);
        // After failures only a stable run earns an immediate restart (unless there is no
        // backoff at all).
        let min_uptime = if self.failures == 0 || base.is_zero() {
            Duration::ZERO
        } else {
            STABLE_AFTER
        };
        Some(Arm {
            failures_only,
            min_uptime_ms: u64::try_from(min_uptime.as_millis()).unwrap_or(u64::MAX),
        })
    }

    fn forget_before(&mut self, now: Instant, window: Duration) {
        while self
            .recent
            .front()
            .is_some_and(|&t| now.duration_since(t) > window)
        {
            self.recent.pop_front();
        }
    }

    /// Nothing for the first failure after a stable run, then base × 2ⁿ up to the cap.
    fn delay(&self, (base, cap): (Duration, Duration), unit: f64) -> Duration {
        if self.failures == 0 {
            return Duration::ZERO;
        }
        let doublings = (self.failures - 1).min(31);
        let nominal = base.saturating_mul(1 << doublings).min(cap);
        nominal.mul_f64(1.0 + JITTER * (2.0 * unit.clamp(0.0, 1.0) - 1.0))
    }

    /// A start by the user begins a fresh history.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// The exits the runner may restart by itself: what the restart policy would restart
/// immediately (backoff and `max` decisions stay with the engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arm {
    /// `on-failure`: an exit with code 0 is not restarted.
    pub failures_only: bool,
    /// A run shorter than this is left to the engine (it backs off).
    pub min_uptime_ms: u64,
}

impl Arm {
    /// Whether an exit with the raw wait `status` after `uptime_ms` is restarted.
    pub fn covers(&self, status: i32, uptime_ms: u64) -> bool {
        let success = wait_status(status) == (Some(0), None);
        uptime_ms >= self.min_uptime_ms && !(self.failures_only && success)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(policy: RestartPolicy) -> Restart {
        Restart {
            policy,
            backoff: Some((Duration::from_secs(1), Duration::from_secs(8))),
            max: None,
            then: GiveUp::Stop,
        }
    }

    #[test]
    fn on_failure_restarts_failures_only_and_backs_off() {
        let p = policy(RestartPolicy::OnFailure);
        let mut state = RestartState::default();
        let t0 = Instant::now();
        let quick = Duration::from_secs(1);
        assert_eq!(state.decide(&p, Some(0), quick, t0, 0.5), Decision::Stay);
        let delays: Vec<Decision> = (0..6)
            .map(|i| state.decide(&p, Some(1), quick, t0 + Duration::from_secs(i), 0.5))
            .collect();
        let secs = |d: u64| Decision::RestartIn(Duration::from_secs(d));
        assert_eq!(
            delays,
            [secs(0), secs(1), secs(2), secs(4), secs(8), secs(8)]
        );
        // A stable run resets the backoff: the next failure restarts at once.
        let stable = state.decide(&p, None, STABLE_AFTER, t0, 0.5);
        assert_eq!(stable, Decision::RestartIn(Duration::ZERO));
    }

    #[test]
    fn max_within_a_window_gives_up_unless_told_to_keep_trying() {
        let mut p = policy(RestartPolicy::Always);
        p.max = Some((3, Duration::from_secs(60)));
        let mut state = RestartState::default();
        let t0 = Instant::now();
        let quick = Duration::from_millis(100);
        for i in 0..3 {
            let d = state.decide(&p, Some(0), quick, t0 + Duration::from_secs(i), 0.5);
            assert!(matches!(d, Decision::RestartIn(_)), "{d:?}");
        }
        let d = state.decide(&p, Some(1), quick, t0 + Duration::from_secs(3), 0.5);
        assert!(
            matches!(&d, Decision::GiveUp { then: GiveUp::Stop, reason } if reason == "gave up: 3 restarts within 1m"),
            "{d:?}"
        );
        // Out of the window, restarts are allowed again.
        let later = state.decide(&p, Some(1), quick, t0 + Duration::from_secs(70), 0.5);
        assert!(matches!(later, Decision::RestartIn(_)), "{later:?}");

        p.then = GiveUp::KeepTrying;
        let mut state = RestartState::default();
        for i in 0..10 {
            let d = state.decide(&p, Some(1), quick, t0 + Duration::from_secs(i), 0.5);
            assert!(matches!(d, Decision::RestartIn(_)), "{d:?}");
        }
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let p = policy(RestartPolicy::Always);
        let mut state = RestartState::default();
        let t0 = Instant::now();
        state.decide(&p, Some(1), Duration::ZERO, t0, 0.5);
        let low = state.clone().decide(&p, Some(1), Duration::ZERO, t0, 0.0);
        let high = state.decide(&p, Some(1), Duration::ZERO, t0, 0.999);
        assert_eq!(low, Decision::RestartIn(Duration::from_millis(900)));
        assert!(
            matches!(high, Decision::RestartIn(d) if d > Duration::from_millis(1090) && d <= Duration::from_millis(1100))
        );
    }

    #[test]
    fn a_runner_is_armed_for_what_would_restart_at_once() {
        let mut p = policy(RestartPolicy::OnFailure);
        p.max = Some((2, Duration::from_secs(60)));
        let mut state = RestartState::default();
        let t0 = Instant::now();
        let at_once = |failures_only, min_uptime_ms| Arm {
            failures_only,
            min_uptime_ms,
        };
        assert_eq!(state.immediate(&p, t0), Some(at_once(true, 0)));
        state.decide(&p, Some(1), Duration::ZERO, t0, 0.5);
        // Now only a stable run restarts at once; the next quick failure backs off.
        assert_eq!(state.immediate(&p, t0), Some(at_once(true, 30_000)));
        state.decide(&p, Some(1), Duration::ZERO, t0, 0.5);
        assert_eq!(
            state.immediate(&p, t0),
            None,
            "max used up: the engine decides"
        );
        let later = t0 + Duration::from_secs(61);
        assert_eq!(state.immediate(&p, later), Some(at_once(true, 30_000)));

        p.policy = RestartPolicy::No;
        assert_eq!(RestartState::default().immediate(&p, t0), None);
        let mut none = policy(RestartPolicy::Always);
        none.backoff = Some((Duration::ZERO, Duration::ZERO));
        let mut state = RestartState::default();
        state.decide(&none, None, Duration::ZERO, t0, 0.5);
        assert_eq!(state.immediate(&none, t0), Some(at_once(false, 0)));
    }
}
