//! Acting on a service's restart policy when it ends on its own.

use std::time::{Duration, Instant};

use super::{Intent, Msg, Supervisor};
use crate::config::GiveUp;
use crate::engine::{NoticeLevel, ServiceState, now_ms};
use crate::heal::restart::Decision;

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
        let decision = rt.healing.decide(
            &rt.spec.restart,
            rt.status.exit_code,
            uptime,
            Instant::now(),
            fastrand::f64(),
        );
        match decision {
            Decision::Stay => {}
            Decision::RestartIn(delay) if delay.is_zero() => self.request_start(name),
            Decision::RestartIn(delay) => {
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
                let reason = format!(
                    "restarting in {}",
                    humantime::format_duration(Duration::from_secs(delay.as_secs().max(1)))
                );
                let state = rt.status.state;
                self.set_state(name, state, Some(reason));
            }
            Decision::GiveUp { then, reason } => {
                rt.intent = Intent::Idle;
                let level = if then == GiveUp::Alert {
                    NoticeLevel::Error
                } else {
                    NoticeLevel::Warn
                };
                self.hub
                    .notice(level, Some(name), format!("{name}: {reason}"));
                self.set_state(name, ServiceState::Failed, Some(reason));
            }
        }
    }

    /// A backoff ended: start the service unless the user changed their mind meanwhile.
    pub(super) fn restart_due(&mut self, name: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.restart_timer = None;
        if rt.intent == Intent::Start && rt.status.state == ServiceState::Exited {
            self.request_start(name);
        }
    }
}
