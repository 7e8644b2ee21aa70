//! Turning commands into intents. The actual starting and stopping happens in `schedule`.

use tokio::sync::oneshot;

use super::{Exit, Intent, Supervisor, deps};
use crate::protocol::{Command, CommandError, Reply, ServiceState};

type Answer = oneshot::Sender<Result<Reply, CommandError>>;

impl Supervisor {
    /// Handle one command; `Some` when the supervisor should stop serving.
    pub(super) fn on_command(&mut self, command: Command, reply: Answer) -> Option<Exit> {
        let result = match command {
            Command::Start { services, tags } => self.start(&services, &tags),
            Command::Stop { services } => self.stop(&services),
            Command::Restart { services } => self.restart(&services),
            Command::Down => {
                let all: Vec<String> = self.services.keys().cloned().collect();
                self.request_stop(&deps::with_dependents(&self.ws, &all));
                self.down = Some(reply);
                return None;
            }
            Command::Shutdown => {
                self.save_records();
                let _ = reply.send(Ok(Reply {
                    message: "engine stopping; services keep running".into(),
                    services: Vec::new(),
                    seq: self.hub.seq(),
                }));
                return Some(Exit::Shutdown);
            }
            // The server hands these to the alerting worker; one reaching here is a bug, and
            // an error is better than silence.
            Command::Ack { .. }
            | Command::Silence { .. }
            | Command::Expire { .. }
            | Command::UseEnvironment { .. }
            | Command::ApplyConfig { .. }
            | Command::RevertConfig { .. } => Err(CommandError::field(
                "command",
                "alert and config commands are not served by the supervisor",
            )),
        };
        let seq = self.hub.seq();
        let _ = reply.send(result.map(|r| Reply { seq, ..r }));
        None
    }

    /// Unknown names are refused whole, naming the field, with a suggestion.
    fn check_names(&self, field: &str, names: &[String]) -> Result<(), CommandError> {
        for name in names {
            if !self.services.contains_key(name) {
                let hint = crate::config::suggest(name, self.services.keys().map(String::as_str))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(CommandError::field(
                    field,
                    format!("unknown service `{name}`{hint}"),
                ));
            }
        }
        Ok(())
    }

    fn start(&mut self, services: &[String], tags: &[String]) -> Result<Reply, CommandError> {
        self.check_names("services", services)?;
        let mut names: Vec<String> = services.to_vec();
        for tag in tags {
            let tagged: Vec<String> = self
                .ws
                .services
                .iter()
                .filter(|s| s.tags.contains(tag))
                .map(|s| s.name.clone())
                .collect();
            if tagged.is_empty() {
                return Err(CommandError::field(
                    "tags",
                    format!("no service has tag `{tag}`"),
                ));
            }
            names.extend(tagged);
        }
        if services.is_empty() && tags.is_empty() {
            // A blue-green service's colour that does not serve runs only in a deploy.
            names = (self.services.iter())
                .filter(|(_, rt)| !rt.spec.deploy.as_ref().is_some_and(|d| d.standby()))
                .map(|(name, _)| name.clone())
                .collect();
        }
        let order = deps::with_dependencies(&self.ws, &names);
        self.check_quotas(&order)?;
        for name in &order {
            self.user_start(name);
        }
        Ok(Reply {
            message: format!("starting {}", order.join(", ")),
            services: order,
            seq: 0,
        })
    }

    fn stop(&mut self, services: &[String]) -> Result<Reply, CommandError> {
        self.check_names("services", services)?;
        let names = if services.is_empty() {
            self.services.keys().cloned().collect()
        } else {
            services.to_vec()
        };
        let order = deps::with_dependents(&self.ws, &names);
        let acting = self.request_stop(&order);
        Ok(Reply {
            message: if acting.is_empty() {
                "nothing to stop".into()
            } else {
                format!("stopping {}", acting.join(", "))
            },
            services: acting,
            seq: 0,
        })
    }

    fn restart(&mut self, services: &[String]) -> Result<Reply, CommandError> {
        if services.is_empty() {
            return Err(CommandError::field("services", "name at least one service"));
        }
        self.check_names("services", services)?;
        let down: Vec<String> = (services.iter())
            .filter(|n| !self.services[n.as_str()].status.state.is_active())
            .flat_map(|n| deps::with_dependencies(&self.ws, std::slice::from_ref(n)))
            .collect();
        self.check_quotas(&down)?;
        for name in services {
            let active = self.services[name.as_str()].status.state.is_active();
            if active {
                if let Some(rt) = self.services.get_mut(name) {
                    rt.restart_after_stop = true;
                    rt.unplanned = false;
                }
                self.request_stop(std::slice::from_ref(name));
            } else {
                for dep in deps::with_dependencies(&self.ws, std::slice::from_ref(name)) {
                    self.user_start(&dep);
                }
            }
        }
        Ok(Reply {
            message: format!("restarting {}", services.join(", ")),
            services: services.to_vec(),
            seq: 0,
        })
    }

    /// A start the user asked for: a service that gave up or waits out a backoff starts
    /// now, with a fresh restart history.
    pub(super) fn user_start(&mut self, name: &str) {
        if let Some(rt) = self.services.get_mut(name) {
            rt.cancel_restart();
            rt.unplanned = false;
            if !rt.status.state.is_active() {
                rt.healing.reset();
            }
        }
        self.request_start(name);
    }

    pub(super) fn request_start(&mut self, name: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        match rt.status.state {
            ServiceState::Running | ServiceState::Starting => {
                // A pending stop of a service still launching is called off.
                rt.intent = Intent::Start;
            }
            ServiceState::Stopping => {
                rt.restart_after_stop = true;
            }
            ServiceState::Stopped
            | ServiceState::Exited
            | ServiceState::Failed
            | ServiceState::CrashLooping
            | ServiceState::GaveUp => {
                rt.intent = Intent::Start;
                rt.status.restart_at = None;
                self.set_state(name, ServiceState::Starting, None);
            }
        }
    }

    /// Mark services to stop (in the given, dependents-first order); returns those that had
    /// anything to stop.
    pub(super) fn request_stop(&mut self, order: &[String]) -> Vec<String> {
        let mut acting = Vec::new();
        for name in order {
            let Some(rt) = self.services.get_mut(name) else {
                continue;
            };
            match rt.status.state {
                ServiceState::Running | ServiceState::Stopping => {
                    rt.intent = Intent::Stop;
                    acting.push(name.clone());
                    self.set_state(name, ServiceState::Stopping, None);
                }
                ServiceState::Starting if rt.busy => {
                    // Launching now: stop as soon as the launch reports back.
                    rt.intent = Intent::Stop;
                    acting.push(name.clone());
                }
                ServiceState::Starting => {
                    rt.intent = Intent::Idle;
                    acting.push(name.clone());
                    self.set_state(name, ServiceState::Stopped, Some("start cancelled".into()));
                }
                ServiceState::Stopped
                | ServiceState::Exited
                | ServiceState::Failed
                | ServiceState::GaveUp => {
                    rt.restart_after_stop = false;
                    rt.cancel_restart();
                    rt.stop_triggers();
                    rt.intent = Intent::Idle;
                }
                ServiceState::CrashLooping => {
                    // A service waiting out its restart backoff stays down.
                    rt.restart_after_stop = false;
                    rt.stop_triggers();
                    rt.cancel_restart();
                    rt.intent = Intent::Idle;
                    acting.push(name.clone());
                    self.set_state(name, ServiceState::Stopped, Some("stopped by you".into()));
                }
            }
        }
        acting
    }
}
