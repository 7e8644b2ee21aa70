//! What a release must show: the gate (consecutive passes of a check within a timeout) and
//! the soak (no crash, no failing check for a while). Checks are `heal::probe`'s; the
//! service's state comes from the hub, so an exit is seen as soon as the supervisor sees it.

use std::time::Duration;

use tokio::time::{Instant, sleep};

use crate::config::{Gate, Probe, Secrets, Service};
use crate::heal::probe::{self, ProbeContext};
use crate::protocol::{Hub, ServiceState};

/// A check that has not answered within this long counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the supervisor may take to report a process that is gone from `/proc`.
const EXIT_SEEN_WITHIN: Duration = Duration::from_secs(2);

/// Where the checks run and whose state they watch.
pub struct Watched<'a> {
    pub hub: &'a Hub,
    pub service: &'a Service,
    pub secrets: &'a Secrets,
}

impl Watched<'_> {
    /// The service's main process while it runs, or why it does not.
    fn running(&self) -> Result<Option<u32>, String> {
        let snapshot = self.hub.snapshot();
        let Some(status) = snapshot.service(&self.service.name) else {
            return Err("the service is gone from the workspace".to_owned());
        };
        match status.state {
            ServiceState::Running | ServiceState::Starting => Ok(status.pid),
            state => {
                let how = match (status.exit_code, &status.signal) {
                    (Some(code), _) => format!(" (exit code {code})"),
                    (None, Some(signal)) => format!(" ({signal})"),
                    (None, None) => String::new(),
                };
                Err(format!("the service is {}{how}", state.as_str()))
            }
        }
    }

    /// Why a check of process `pid` failed: when the process has just ended, its end (as the
    /// supervisor reports it once it has seen it), not the refused connection it left behind.
    async fn exit_or(&self, pid: Option<u32>, failed: String) -> String {
        let Some(pid) = pid else {
            return failed;
        };
        if crate::procfs::process::read_stat(pid).is_some_and(|stat| !stat.is_zombie()) {
            return failed;
        }
        let seen_by = Instant::now() + EXIT_SEEN_WITHIN;
        while Instant::now() < seen_by {
            if let Err(why) = self.running() {
                return why;
            }
            sleep(Duration::from_millis(20)).await;
        }
        format!("the service's process {pid} exited ({failed})")
    }

    async fn check(
        &self,
        probe: &Probe,
        timeout: Duration,
        pid: Option<u32>,
    ) -> Result<(), String> {
        let ctx = ProbeContext {
            cwd: self.service.cwd.clone(),
            env: self.service.env.clone(),
            pid,
            secrets: self.secrets.clone(),
        };
        let result = probe::check(probe, timeout, &ctx).await;
        result.map_err(|e| self.secrets.redact(&e).into_owned())
    }

    /// `needed` consecutive passes, `interval` apart, within `timeout`; each run is a line
    /// of `log`, handed to `progress` as it grows. The process ending fails at once.
    pub async fn passes(
        &self,
        gate: &Gate,
        needed: u32,
        interval: Duration,
        log: &mut String,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> Result<(), String> {
        let began = Instant::now();
        let deadline = began + gate.timeout;
        let mut passes = 0;
        let mut last = String::new();
        loop {
            let pid = self.running()?;
            let timeout = CHECK_TIMEOUT.min(deadline.saturating_duration_since(Instant::now()));
            let at = began.elapsed().as_millis();
            match self
                .check(&gate.probe, timeout.max(Duration::from_millis(100)), pid)
                .await
            {
                Ok(()) => {
                    passes += 1;
                    log.push_str(&format!(
                        "+{at}ms {}: pass {passes}/{needed}\n",
                        gate.probe.target()
                    ));
                    if passes >= needed {
                        return Ok(());
                    }
                }
                Err(e) => {
                    passes = 0;
                    log.push_str(&format!("+{at}ms {}: {e}\n", gate.probe.target()));
                    last = e;
                }
            }
            progress(log);
            if Instant::now() + interval > deadline {
                let within = humantime::format_duration(gate.timeout);
                return Err(format!(
                    "the gate did not see {needed} passes in a row within {within}: {last}"
                ));
            }
            sleep(interval).await;
        }
    }

    /// For `soak`: the process keeps running (the same one) and every check passes.
    pub async fn soak(&self, gate: &Gate, soak: Duration, log: &mut String) -> Result<(), String> {
        let deadline = Instant::now() + soak;
        let pid = self.running()?;
        // The process is looked at often; the check runs every gate interval.
        let look = gate.interval.min(Duration::from_millis(100));
        let mut next_check = Instant::now();
        while Instant::now() < deadline {
            let now_pid = self.running()?;
            if now_pid != pid {
                return Err("the service restarted during the soak".to_owned());
            }
            if Instant::now() >= next_check {
                if let Err(e) = self.check(&gate.probe, CHECK_TIMEOUT, pid).await {
                    let failed = format!("{} failed during the soak: {e}", gate.probe.target());
                    return Err(self.exit_or(pid, failed).await);
                }
                next_check = Instant::now() + gate.interval;
            }
            sleep(look.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
        log.push_str(&format!(
            "ran {} without a failure\n",
            humantime::format_duration(soak)
        ));
        Ok(())
    }
}
