//! Probes (exec, tcp, http, process) and the loop that runs one against a service, with
//! Kubernetes' timing: `initial_delay`, `interval`, `timeout`, `success_threshold`,
//! `failure_threshold` (plus Docker's `start_period`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::clock::now_ms;
use crate::config::{Check, Secrets};
use crate::protocol::{Health, ProbeKind, ProbeStatus};

mod net;
mod run;

pub use net::{http, tcp};
pub use run::check;

/// Where a probe runs: exec probes see the service's cwd and env; process probes its PID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeContext {
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
    /// The service's main process.
    pub pid: Option<u32>,
    /// Kept out of the probe's target and output (a failing command may print them).
    pub secrets: Secrets,
}

/// One run of a probe, sent to the supervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    pub service: String,
    pub status: ProbeStatus,
    /// The state changed with this run (the supervisor acts and records an event).
    pub changed: bool,
}

/// A probe that has not run yet: what the supervisor shows until [`watch`] reports, and
/// where `watch` starts.
pub fn unknown(kind: ProbeKind, check: &Check, ctx: &ProbeContext) -> ProbeStatus {
    ProbeStatus {
        kind,
        target: ctx.secrets.redact(&check.probe.target()).into_owned(),
        state: Health::Unknown,
        last_ok: None,
        latency_us: None,
        checked_at: None,
        output: None,
        failures: 0,
    }
}

/// Probe `check` until the receiver is dropped, reporting every run. Until the first pass,
/// probes run on a fast ramp (50 ms doubling up to `interval`), so dependents start as
/// soon as the service is ready, not an interval later.
pub async fn watch(
    service: String,
    kind: ProbeKind,
    check: Check,
    ctx: ProbeContext,
    reports: mpsc::UnboundedSender<ProbeReport>,
) {
    let started = tokio::time::Instant::now();
    let mut verdict = Verdict::new(&check);
    let mut status = unknown(kind, &check, &ctx);
    tokio::time::sleep(check.initial_delay).await;
    let mut delay = Duration::ZERO;
    loop {
        tokio::time::sleep(delay).await;
        delay = if status.state == Health::Unknown {
            (delay * 2).clamp(Duration::from_millis(50), check.interval)
        } else {
            check.interval
        };
        let began = Instant::now();
        let result = run::check(&check.probe, check.timeout, &ctx).await;
        status.latency_us = Some(u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX));
        status.checked_at = Some(now_ms());
        status.last_ok = Some(result.is_ok());
        status.output = result.err().map(|e| ctx.secrets.redact(&e).into_owned());
        let in_grace = started.elapsed() < check.start_period;
        let next = verdict.record(status.last_ok == Some(true), in_grace);
        status.failures = verdict.failures;
        let changed = next != status.state;
        status.state = next;
        let report = ProbeReport {
            service: service.clone(),
            status: status.clone(),
            changed,
        };
        if reports.send(report).is_err() {
            return;
        }
    }
}

/// Consecutive passes and failures against the thresholds.
#[derive(Debug, Clone)]
struct Verdict {
    state: Health,
    passes: u32,
    failures: u32,
    success_threshold: u32,
    failure_threshold: u32,
}

impl Verdict {
    fn new(check: &Check) -> Self {
        Self {
            state: Health::Unknown,
            passes: 0,
            failures: 0,
            success_threshold: check.success_threshold.max(1),
            failure_threshold: check.failure_threshold.max(1),
        }
    }

    /// The state after one more run. Failures before the first pass within the start
    /// period do not count.
    fn record(&mut self, ok: bool, in_grace: bool) -> Health {
        if ok {
            self.failures = 0;
            self.passes += 1;
            // The first pass of a fresh service counts at once (a dependent waits for it).
            if self.passes >= self.success_threshold || self.state == Health::Unknown {
                self.state = Health::Healthy;
            }
        } else if !(in_grace && self.state == Health::Unknown) {
            self.passes = 0;
            self.failures += 1;
            if self.failures >= self.failure_threshold {
                self.state = Health::Unhealthy;
            }
        }
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Probe;

    fn check(success: u32, failure: u32) -> Check {
        Check {
            probe: Probe::Process,
            initial_delay: Duration::ZERO,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            success_threshold: success,
            failure_threshold: failure,
            start_period: Duration::ZERO,
        }
    }

    #[test]
    fn thresholds_count_consecutive_runs() {
        let mut v = Verdict::new(&check(2, 3));
        assert_eq!(v.record(true, false), Health::Healthy);
        assert_eq!(v.record(false, false), Health::Healthy);
        assert_eq!(v.record(false, false), Health::Healthy);
        assert_eq!(v.record(false, false), Health::Unhealthy);
        // One pass is not enough to recover with `success_threshold: 2`.
        assert_eq!(v.record(true, false), Health::Unhealthy);
        assert_eq!(v.record(false, false), Health::Unhealthy);
        assert_eq!(v.record(true, false), Health::Unhealthy);
        assert_eq!(v.record(true, false), Health::Healthy);
    }

    #[test]
    fn failures_in_the_start_period_do_not_count_until_the_first_pass() {
        let mut v = Verdict::new(&check(1, 1));
        assert_eq!(v.record(false, true), Health::Unknown);
        assert_eq!(v.record(false, true), Health::Unknown);
        assert_eq!(v.record(true, true), Health::Healthy);
        assert_eq!(v.record(false, true), Health::Unhealthy);
        let mut late = Verdict::new(&check(1, 2));
        assert_eq!(late.record(false, false), Health::Unknown);
        assert_eq!(late.record(false, false), Health::Unhealthy);
    }
}
