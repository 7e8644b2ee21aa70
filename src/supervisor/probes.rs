//! Running a service's probes and acting on them: readiness sets `health` (and so opens
//! `depends_on: healthy`), a failing liveness probe restarts the service under its restart
//! policy.

use std::time::{Duration, Instant};

use super::Supervisor;
use crate::clock::now_ms;
use crate::heal::probe::{self, ProbeContext, ProbeReport};
use crate::heal::restart::Decision;
use crate::heal::{HealEvent, HealKind};
use crate::protocol::{Health, NoticeLevel, ProbeKind, ProbeStatus, ServiceState};

/// Probe results without a state change are published at most this often (latency).
const REFRESH: Duration = Duration::from_secs(5);

impl Supervisor {
    pub(super) fn start_probes(&mut self, name: &str) {
        let paths = self.paths.clone();
        let workspace = self.ws.name.clone();
        let reports = self.probe_tx.clone();
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.stop_probes();
        let ctx = ProbeContext {
            cwd: rt.spec.cwd.clone(),
            env: super::launch::service_env(&rt.spec, &workspace, &paths, &rt.instance),
            pid: rt.root.map(|r| r.pid),
            secrets: self.ws.secrets.clone(),
        };
        let checks = [
            (ProbeKind::Readiness, rt.spec.readiness.clone()),
            (ProbeKind::Liveness, rt.spec.liveness.clone()),
        ];
        for (kind, check) in checks {
            let Some(check) = check else { continue };
            if kind == ProbeKind::Readiness {
                rt.status.health = Some(Health::Unknown);
            }
            rt.status.probes.push(probe::unknown(kind, &check, &ctx));
            let task = tokio::spawn(probe::watch(
                name.to_string(),
                kind,
                check,
                ctx.clone(),
                reports.clone(),
            ));
            rt.probe_tasks.push(task.abort_handle());
        }
        rt.probes_published = None;
    }

    pub(super) fn on_probe(&mut self, report: ProbeReport) {
        let name = report.service.clone();
        let Some(rt) = self.services.get_mut(&name) else {
            return;
        };
        // A report from a probe task aborted after it sent (the service stopped).
        if rt.probe_tasks.is_empty() || rt.status.state != ServiceState::Running {
            return;
        }
        let status = report.status;
        let kind = status.kind;
        match rt.status.probes.iter_mut().find(|p| p.kind == kind) {
            Some(slot) => *slot = status.clone(),
            None => rt.status.probes.push(status.clone()),
        }
        if kind == ProbeKind::Readiness {
            rt.status.health = Some(status.state);
        }
        let stale = rt.probes_published.is_none_or(|t| t.elapsed() >= REFRESH);
        if !report.changed {
            if stale {
                rt.probes_published = Some(Instant::now());
                self.publish(&name);
            }
            return;
        }
        rt.probes_published = Some(Instant::now());
        self.probe_changed(&name, &status);
        self.publish(&name);
    }

    fn probe_changed(&mut self, name: &str, status: &ProbeStatus) {
        let word = match status.state {
            Health::Healthy => "passing",
            Health::Unhealthy => "failing",
            Health::Unknown => "unknown",
        };
        let kind = status.kind.as_str();
        let reason = format!("{kind} probe {word} ({})", status.target);
        let mut event = HealEvent::new(Some(name), HealKind::Probe, reason);
        event.detail = status.output.clone();
        self.hub.publish(crate::protocol::Event::Heal(event));
        if status.state != Health::Unhealthy {
            return;
        }
        let output = status.output.clone().unwrap_or_default();
        self.hub.notice(
            NoticeLevel::Warn,
            Some(name),
            format!("{name}: {kind} probe failing: {output}"),
        );
        if status.kind == ProbeKind::Liveness {
            self.liveness_failed(name, &output);
        }
    }

    /// Kubernetes' answer to a failed liveness probe: the process is killed and the restart
    /// policy decides what follows (with its backoff and `max`). Policy `no` leaves it alone.
    fn liveness_failed(&mut self, name: &str, output: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        let uptime = rt.status.started_at.map_or(Duration::ZERO, |t| {
            Duration::from_millis(now_ms().saturating_sub(t))
        });
        let why = format!("liveness probe failed: {output}");
        let decision = rt.healing.decide(
            &rt.spec.restart,
            None,
            uptime,
            Instant::now(),
            fastrand::f64(),
        );
        match decision {
            Decision::Stay => {}
            Decision::RestartIn(delay) => {
                rt.restart_after_stop = true;
                rt.unplanned = true;
                rt.restart_delay = Some(delay);
                let event = HealEvent::new(Some(name), HealKind::Restart, why);
                self.hub.publish(crate::protocol::Event::Heal(event));
                self.request_stop(&[name.to_string()]);
            }
            Decision::GiveUp { then, reason } => {
                self.request_stop(&[name.to_string()]);
                self.give_up(name, then, format!("{reason} ({why})"));
            }
        }
    }
}
