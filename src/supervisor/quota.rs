//! The workspace's quotas at the supervisor: a start the user asks for that would pass the
//! services quota, or that comes while memory or CPU is at its quota, is refused whole; a
//! service the quota watcher names for passing the memory quota is stopped.

use super::{Intent, Runtime, Supervisor};
use crate::config::Quota;
use crate::protocol::quota::{QuotaKind, Usage, exceeded};
use crate::protocol::{CommandError, NoticeLevel};

/// Running, starting or stopping on its own accord, or stopping to come back (a restart):
/// not one that is going for good.
fn counted(rt: &Runtime) -> bool {
    rt.status.state.is_active() && (rt.intent != Intent::Stop || rt.restart_after_stop)
}

fn usage<T: crate::config::Amount>(used: f64, quota: &Quota<T>) -> Usage {
    Usage {
        used,
        limit: quota.amount(),
        at: quota.at.clone(),
    }
}

impl Supervisor {
    /// Refuses starting `names` (those not up already) beyond a quota.
    pub(super) fn check_quotas(&self, names: &[String]) -> Result<(), CommandError> {
        let quotas = &self.ws.quotas;
        let new = (names.iter())
            .filter(|n| self.services.get(n.as_str()).is_some_and(|rt| !counted(rt)))
            .collect::<std::collections::HashSet<_>>()
            .len();
        if new == 0 {
            return Ok(());
        }
        let refuse = |kind, usage: Usage| Err(exceeded(kind, &usage, &self.ws.name));
        if let Some(quota) = &quotas.services {
            let running = self.services.values().filter(|rt| counted(rt)).count();
            if running + new > quota.limit as usize {
                return refuse(QuotaKind::Services, usage(running as f64, quota));
            }
        }
        if quotas.memory.is_none() && quotas.cpu.is_none() {
            return Ok(());
        }
        let Some(sample) = self.hub.snapshot().metrics else {
            return Ok(());
        };
        if let Some(quota) = &quotas.memory {
            let used = sample.services.iter().map(|s| s.rss).sum::<u64>() as f64;
            if used >= quota.limit as f64 {
                return refuse(QuotaKind::Memory, usage(used, quota));
            }
        }
        if let Some(quota) = &quotas.cpu {
            let used = sample
                .services
                .iter()
                .map(|s| f64::from(s.cpu_pct))
                .sum::<f64>()
                / 100.0;
            if used >= quota.limit {
                return refuse(QuotaKind::Cpu, usage(used, quota));
            }
        }
        Ok(())
    }

    /// The memory quota was passed and `name` uses the most: it is stopped, and stays down
    /// until someone starts it.
    pub(super) fn stop_over_quota(&mut self, name: &str, reason: String) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        if !counted(rt) {
            return;
        }
        rt.restart_after_stop = false;
        rt.stopped_for = Some(reason.clone());
        self.hub.notice(
            NoticeLevel::Error,
            Some(name),
            format!("{name}: stopped, {reason}"),
        );
        self.request_stop(&[name.to_owned()]);
    }
}
