//! Where a start, stop or restart sent from the TUI has got to, so the status line ends with
//! where the services got ("api stopped"), not with what the engine accepted ("stopping
//! api"). The engine's reply names every service the command moves; the command is done
//! when the snapshot shows each of them there, whichever came first, reply or events.

use crate::protocol::{Command, Reply, ServiceState, ServiceStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Goal {
    Running,
    Stopped,
    Restarted,
}

/// The newest such command; a newer one replaces it.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    goal: Goal,
    /// The services the command named; empty for all.
    named: Vec<String>,
    /// Every service's PID when the command was sent: a restart is a new process.
    pids: Vec<(String, Option<u32>)>,
    /// From the reply: the services to wait for.
    moving: Option<Vec<String>>,
}

impl Progress {
    /// For a command that moves services; `None` for any other.
    pub fn new(command: &Command, services: &[ServiceStatus]) -> Option<Self> {
        let (goal, named) = match command {
            Command::Start { services, .. } => (Goal::Running, services),
            Command::Stop { services } => (Goal::Stopped, services),
            Command::Restart { services } => (Goal::Restarted, services),
            _ => return None,
        };
        Some(Self {
            goal,
            named: named.clone(),
            pids: services.iter().map(|s| (s.name.clone(), s.pid)).collect(),
            moving: None,
        })
    }

    /// Whether `reply` answers this command: it moves a service the command named (or
    /// any, for all). Replies to other commands (acks, silences) move none.
    pub fn answered_by(&self, reply: &Reply) -> bool {
        !reply.services.is_empty()
            && (self.named.is_empty() || reply.services.iter().any(|s| self.named.contains(s)))
    }

    pub fn on_reply(&mut self, reply: &Reply) {
        self.moving = Some(reply.services.clone());
    }

    /// Once the reply came and every service it named got there: the status line's words.
    pub fn done(&self, services: &[ServiceStatus]) -> Option<String> {
        let moving = self.moving.as_ref()?;
        let there = |name: &String| {
            services
                .iter()
                .find(|s| &s.name == name)
                .is_none_or(|s| self.reached(s))
        };
        if moving.is_empty() || !moving.iter().all(there) {
            return None;
        }
        let word = match self.goal {
            Goal::Running => "running",
            Goal::Stopped => "stopped",
            Goal::Restarted => "restarted",
        };
        Some(format!("{} {word}", moving.join(", ")))
    }

    fn reached(&self, status: &ServiceStatus) -> bool {
        match self.goal {
            Goal::Stopped => !status.state.is_active(),
            Goal::Running => status.state == ServiceState::Running,
            Goal::Restarted => {
                let before = self.pids.iter().find(|(n, _)| *n == status.name);
                status.state == ServiceState::Running
                    && before.is_none_or(|(_, pid)| *pid != status.pid)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, state: ServiceState, pid: Option<u32>) -> ServiceStatus {
        ServiceStatus {
            state,
            pid,
            ..ServiceStatus::new(name)
        }
    }

    fn reply(services: &[&str]) -> Reply {
        Reply {
            message: String::new(),
            services: services.iter().map(ToString::to_string).collect(),
            seq: 0,
        }
    }

    #[test]
    fn a_stop_is_done_when_every_service_it_moved_stopped() {
        let running = [
            status("api", ServiceState::Running, Some(1)),
            status("web", ServiceState::Running, Some(2)),
        ];
        let command = Command::Stop {
            services: vec!["api".into()],
        };
        let mut progress = Progress::new(&command, &running).expect("moves services");
        assert!(!progress.answered_by(&reply(&[])), "an ack's reply");
        assert!(progress.answered_by(&reply(&["web", "api"])));
        progress.on_reply(&reply(&["web", "api"]));
        assert_eq!(progress.done(&running), None);
        let half = [
            status("api", ServiceState::Stopping, Some(1)),
            status("web", ServiceState::Stopped, None),
        ];
        assert_eq!(progress.done(&half), None);
        let stopped = [
            status("api", ServiceState::Stopped, None),
            status("web", ServiceState::Stopped, None),
        ];
        assert_eq!(progress.done(&stopped).as_deref(), Some("web, api stopped"));
    }

    #[test]
    fn a_restart_waits_for_a_new_process() {
        let before = [status("api", ServiceState::Running, Some(1))];
        let command = Command::Restart {
            services: vec!["api".into()],
        };
        let mut progress = Progress::new(&command, &before).expect("moves services");
        progress.on_reply(&reply(&["api"]));
        assert_eq!(progress.done(&before), None);
        let again = [status("api", ServiceState::Running, Some(2))];
        assert_eq!(progress.done(&again).as_deref(), Some("api restarted"));
    }

    #[test]
    fn nothing_is_done_before_the_reply() {
        let stopped = [status("api", ServiceState::Stopped, None)];
        let command = Command::Start {
            services: vec!["api".into()],
            tags: vec![],
        };
        let mut progress = Progress::new(&command, &stopped).expect("moves services");
        let running = [status("api", ServiceState::Running, Some(3))];
        assert_eq!(progress.done(&running), None);
        progress.on_reply(&reply(&["api"]));
        assert_eq!(progress.done(&running).as_deref(), Some("api running"));
    }
}
