//! Acting on a service's restart policy when it ends on its own: restart at once, wait out
//! a backoff (crash-looping), or give up and escalate.

use std::time::{Duration, Instant};

use super::adopt::signal_name;
use super::launch::Launched;
use super::{Intent, Msg, Supervisor};
use crate::clock::now_ms;
use crate::config::GiveUp;
use crate::heal::restart::Decision;
use crate::heal::triggers::{self, Fired, TriggerKind};
use crate::heal::{HealEvent, HealKind};
use crate::logs::LogQuery;
use crate::logs::store::StoreReader;
use crate::procfs::process::{self, ProcId};
use crate::procfs::wait_status;
use crate::protocol::{Event, NoticeLevel, ServiceState};

/// Log lines attached to a give-up.
const ESCALATION_LINES: usize = 20;
/// Lets the logs worker store the service's last words before they are read (it cycles
/// every 100 ms).
const LOGS_SETTLE: Duration = Duration::from_millis(400);

impl Supervisor {
    /// The service ended on its own: restart it now, after a backoff, or give up.
    pub(super) fn heal(&mut self, name: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        // Only exits nobody asked for: a stop the user asked for ends through `on_stopped`.
        if rt.intent == Intent::Stop {
            return;
        }
        let uptime = rt.status.started_at.map_or(Duration::ZERO, |t| {
            Duration::from_millis(now_ms().saturating_sub(t))
        });
        let how = ending(rt.status.exit_code, rt.status.signal.as_deref());
        let decision = rt.healing.decide(
            &rt.spec.restart,
            rt.status.exit_code,
            uptime,
            Instant::now(),
            fastrand::f64(),
        );
        match decision {
            Decision::Stay => {}
            Decision::RestartIn(delay) if delay.is_zero() => {
                rt.unplanned = true;
                let reason = format!("{how} after {}; restarted", short(uptime));
                let event = HealEvent::new(Some(name), HealKind::Restart, reason);
                self.hub.publish(Event::Heal(event));
                self.request_start(name);
            }
            Decision::RestartIn(delay) => self.restart_later(name, delay, &how),
            Decision::GiveUp { then, reason } => {
                rt.intent = Intent::Idle;
                self.give_up(name, then, format!("{reason} (last: {how})"));
            }
        }
    }

    /// The runner restarted the service by itself, being armed for this exit: count the
    /// restart as the policy's own (backoff and `max` see it) and follow the new process.
    pub(super) fn runner_restarted(
        &mut self,
        name: &str,
        old: ProcId,
        new: ProcId,
        status: i32,
        uptime: Duration,
    ) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        if rt.root != Some(old) {
            return;
        }
        if rt.busy || rt.intent == Intent::Stop {
            // A stop under way finds the new process by its instance and stops it too.
            rt.root = Some(new);
            rt.status.pid = Some(new.pid);
            return;
        }
        rt.end_run();
        rt.unplanned = true;
        let (code, signal) = wait_status(status);
        let _ = rt.healing.decide(
            &rt.spec.restart,
            code,
            uptime,
            Instant::now(),
            fastrand::f64(),
        );
        let Some(pane) = rt.pane.clone() else {
            return;
        };
        let signal = signal.map(signal_name);
        self.notice_end(name, code, signal.as_deref(), "");
        let how = ending(code, signal.as_deref());
        let reason = format!("{how} after {}; restarted", short(uptime));
        let event = HealEvent::new(Some(name), HealKind::Restart, reason);
        self.hub.publish(Event::Heal(event));
        let started_at = match new.start_ticks {
            0 => now_ms(),
            ticks => process::started_at_ms(ticks),
        };
        let launched = Launched {
            pane,
            root: new,
            started_at,
            runner: None,
        };
        self.on_launched(name, Ok(launched));
        // Still running: `on_launched` saw no change of state to publish.
        self.publish(name);
    }

    /// Wait out `delay` before starting the service again: it is crash-looping meanwhile.
    pub(super) fn restart_later(&mut self, name: &str, delay: Duration, how: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.cancel_restart();
        // Cleared by a stop from the user, which then keeps the service down.
        rt.intent = Intent::Start;
        let tx = self.tx.clone();
        let service = name.to_string();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(Msg::RestartDue { name: service });
        });
        rt.restart_timer = Some(timer.abort_handle());
        rt.status.restart_at = Some(now_ms() + u64::try_from(delay.as_millis()).unwrap_or(0));
        let reason = format!("{how}; restarting in {}", short(delay));
        let event = HealEvent::new(Some(name), HealKind::Backoff, reason.clone());
        self.hub.publish(Event::Heal(event));
        self.set_state(name, ServiceState::CrashLooping, Some(reason));
    }

    /// `max` restarts were used up: the service stays down until the user starts it. With
    /// `then: alert` the event carries the service's last log lines and raises an alert.
    pub(super) fn give_up(&mut self, name: &str, then: GiveUp, reason: String) {
        if let Some(rt) = self.services.get_mut(name) {
            rt.cancel_restart();
        }
        let level = if then == GiveUp::Alert {
            NoticeLevel::Error
        } else {
            NoticeLevel::Warn
        };
        self.hub
            .notice(level, Some(name), format!("{name}: {reason}"));
        let state = self.services.get(name).map(|rt| rt.status.state);
        if !state.is_some_and(ServiceState::is_active) {
            self.set_state(name, ServiceState::GaveUp, Some(reason.clone()));
        } else if let Some(rt) = self.services.get_mut(name) {
            // Stopping after a failed liveness probe: `on_stopped` would say "stopped".
            rt.gave_up = Some(reason.clone());
        }
        let mut event = HealEvent::new(Some(name), HealKind::GaveUp, reason);
        event.escalate = then == GiveUp::Alert;
        let hub = self.hub.clone();
        let store = self.paths.log_store();
        let service = name.to_owned();
        tokio::spawn(async move {
            tokio::time::sleep(LOGS_SETTLE).await;
            event.logs = tokio::task::spawn_blocking(move || last_lines(&store, &service))
                .await
                .unwrap_or_default();
            hub.publish(Event::Heal(event));
        });
    }

    pub(super) fn start_triggers(&mut self, name: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        if rt.lasting_triggers.is_empty() {
            rt.lasting_triggers =
                triggers::spawn_lasting(name, &rt.spec.triggers, &self.trigger_tx);
        }
        if let Some(task) = rt.run_trigger.take() {
            task.abort();
        }
        if rt.root.is_some() {
            rt.run_trigger =
                triggers::spawn_for_run(name, &rt.spec.triggers, &self.hub, &self.trigger_tx);
        }
    }

    /// `max_memory`, `watch` or `cron_restart` fired: restart a running service; a changed
    /// file also brings back one that crashed or gave up (fix, save, and it runs again).
    pub(super) fn on_trigger(&mut self, fired: Fired) {
        if fired.kind == TriggerKind::Quota {
            return self.stop_over_quota(&fired.service, fired.reason);
        }
        let name = fired.service.as_str();
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        if rt.intent == Intent::Stop || rt.busy {
            return;
        }
        let down = matches!(
            rt.status.state,
            ServiceState::Exited
                | ServiceState::CrashLooping
                | ServiceState::GaveUp
                | ServiceState::Failed
        );
        let event = HealEvent::new(Some(name), HealKind::Restart, fired.reason.clone());
        match rt.status.state {
            ServiceState::Running => {
                rt.restart_after_stop = true;
                // A process tree over its memory limit misbehaved; a saved file or a
                // schedule is a restart someone planned.
                rt.unplanned = fired.kind == TriggerKind::Memory;
                self.hub.publish(Event::Heal(event));
                self.hub.notice(
                    NoticeLevel::Info,
                    Some(name),
                    format!("{name}: restarting, {}", fired.reason),
                );
                self.request_stop(&[name.to_owned()]);
            }
            _ if down && fired.kind == TriggerKind::Watch => {
                self.hub.publish(Event::Heal(event));
                self.user_start(name);
            }
            _ => {}
        }
    }

    /// A backoff ended: start the service unless the user changed their mind meanwhile.
    pub(super) fn restart_due(&mut self, name: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.restart_timer = None;
        if rt.intent == Intent::Start
            && matches!(
                rt.status.state,
                ServiceState::CrashLooping | ServiceState::Stopped
            )
        {
            rt.status.restart_at = None;
            rt.unplanned = true;
            let event = HealEvent::new(Some(name), HealKind::Restart, "backoff over; restarted");
            self.hub.publish(Event::Heal(event));
            self.request_start(name);
        }
    }
}

/// The service's newest stored log lines, oldest first.
fn last_lines(store: &std::path::Path, service: &str) -> Vec<String> {
    let query = LogQuery {
        sources: vec![service.to_owned()],
        limit: Some(ESCALATION_LINES),
        ..LogQuery::default()
    };
    StoreReader::open(store)
        .query(&query)
        .map(|lines| lines.into_iter().map(|l| l.text).collect())
        .unwrap_or_default()
}

/// `150ms` below a second, else whole seconds: `2s`, `1m 30s`.
/// How a run ended, for heal events: `exited with code 1`, `killed by SIGKILL`.
fn ending(code: Option<i32>, signal: Option<&str>) -> String {
    match (code, signal) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => format!("killed by {signal}"),
        (None, None) => "ended".to_owned(),
    }
}

fn short(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{}ms", d.as_millis());
    }
    // Rounded, not cut: a 3 s backoff jittered to 2.9 s still reads "3s".
    let secs = (d + Duration::from_millis(500)).as_secs();
    crate::config::duration::format(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_rounded_to_the_second() {
        let ms = Duration::from_millis;
        assert_eq!(short(ms(2_700)), "3s", "a jittered 3 s backoff");
        assert_eq!(short(ms(3_300)), "3s");
        assert_eq!(short(ms(1_400)), "1s");
        assert_eq!(short(ms(90_600)), "1m 31s");
        assert_eq!(short(ms(250)), "250ms");
    }
}
