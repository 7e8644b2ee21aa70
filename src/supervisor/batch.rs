//! Batch start / stop / restart: the services a selection names (names, globs like
//! `api-*`, tags as `@backend`) and the plan — what starts, stops or restarts, in which
//! order. One pure function over the snapshot's services, ordering with [`deps`] as the
//! supervisor does, so `uc … --dry-run`, the TUI's confirmation and the engine's run agree:
//! the plan's [`Plan::command`] is what the engine is then sent, and it orders the same way.
//!
//! A batch is for one workspace's engine; a frontend acting on marks in several workspaces
//! makes one [`Batch`] per workspace and sends each plan's command to that engine.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::deps::{self, Graph};
use crate::protocol::{Command, CommandError, ServiceState, ServiceStatus};

/// What a batch does to each service it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Start,
    Stop,
    Restart,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::Restart => "restart",
        }
    }
}

/// A batch for one workspace's engine: what to do, to which services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The workspace whose engine runs it; `None` for the one at hand.
    #[serde(default)]
    pub workspace: Option<String>,
    pub verb: Verb,
    /// Names, globs (`api-*`) and tags (`@backend`); empty = every service.
    pub targets: Vec<String>,
}

/// Why a service is in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "why", content = "of")]
pub enum Why {
    /// The selection names it.
    Selected,
    /// A selected service that starts needs it.
    Dependency(String),
    /// It depends on a service that stops, so it stops too although not selected.
    Dependent(String),
}

/// One thing the batch does, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub service: String,
    pub verb: Verb,
    #[serde(flatten)]
    pub why: Why,
}

/// What a batch will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub verb: Verb,
    /// The services the selection names, in dependency order.
    pub selected: Vec<String>,
    /// What starts, stops or restarts: providers start first, dependents stop first.
    pub steps: Vec<Step>,
    /// Selected services with nothing to do (already running, already stopped).
    pub unchanged: Vec<String>,
}

impl Plan {
    /// The engine command that runs this plan.
    pub fn command(&self) -> Command {
        let services = self.selected.clone();
        match self.verb {
            Verb::Start => Command::Start {
                services,
                tags: Vec::new(),
            },
            Verb::Stop => Command::Stop { services },
            Verb::Restart => Command::Restart { services },
        }
    }

    /// Services that stop although not selected: what the user is warned about.
    pub fn dependents(&self) -> Vec<String> {
        (self.steps.iter())
            .filter(|s| matches!(s.why, Why::Dependent(_)))
            .map(|s| s.service.clone())
            .collect()
    }

    /// One line per step: `stop web (depends on api)`.
    pub fn lines(&self) -> Vec<String> {
        self.steps.iter().map(Step::describe).collect()
    }
}

impl Step {
    pub fn describe(&self) -> String {
        let (verb, name) = (self.verb.as_str(), &self.service);
        match &self.why {
            Why::Selected => format!("{verb} {name}"),
            Why::Dependency(of) => format!("{verb} {name} (needed by {of})"),
            Why::Dependent(of) => format!("{verb} {name} (depends on {of})"),
        }
    }
}

/// The services `targets` name, in config order; every target must name at least one.
/// `field` prefixes the index of a bad target in the error (`services[2]`).
fn select(
    services: &[ServiceStatus],
    targets: &[String],
    field: &str,
) -> Result<Vec<String>, CommandError> {
    if targets.is_empty() {
        return Ok(services.names().into_iter().map(str::to_string).collect());
    }
    let mut chosen = BTreeSet::new();
    for (i, target) in targets.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let matched = matching(services, target).map_err(|e| CommandError::field(&at, e))?;
        if matched.is_empty() {
            return Err(no_match(services, target, &at));
        }
        chosen.extend(matched);
    }
    Ok((services.iter())
        .filter(|s| chosen.contains(s.name.as_str()))
        .map(|s| s.name.clone())
        .collect())
}

/// The names one target selects.
fn matching<'a>(services: &'a [ServiceStatus], target: &str) -> Result<Vec<&'a str>, String> {
    if let Some(tag) = target.strip_prefix('@') {
        return Ok((services.iter())
            .filter(|s| s.tags.iter().any(|t| t == tag))
            .map(|s| s.name.as_str())
            .collect());
    }
    if target.contains(['*', '?', '[']) {
        let glob = globset::Glob::new(target)
            .map_err(|e| format!("`{target}` is not a glob: {}", e.kind()))?
            .compile_matcher();
        return Ok((services.iter())
            .filter(|s| glob.is_match(&s.name))
            .map(|s| s.name.as_str())
            .collect());
    }
    Ok((services.iter())
        .filter(|s| s.name == target)
        .map(|s| s.name.as_str())
        .collect())
}

fn no_match(services: &[ServiceStatus], target: &str, at: &str) -> CommandError {
    let error = if let Some(tag) = target.strip_prefix('@') {
        CommandError::field(at, format!("no service is tagged `{tag}`"))
    } else if target.contains(['*', '?', '[']) {
        CommandError::field(at, format!("no service matches `{target}`"))
    } else {
        let hint = crate::config::suggest(target, services.iter().map(|s| s.name.as_str()))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return CommandError::field(at, format!("unknown service `{target}`{hint}"));
    };
    let names: Vec<&str> = services.names();
    error.with_hint(format!("services: {}", names.join(", ")))
}

impl Batch {
    /// What this batch does to `services` (the engine's, as they are now).
    pub fn plan(&self, services: &[ServiceStatus]) -> Result<Plan, CommandError> {
        let selected = select(services, &self.targets, "services")?;
        let selected = deps::with_dependencies(services, &selected)
            .into_iter()
            .filter(|n| selected.contains(n))
            .collect();
        Ok(plan_selected(services, self.verb, selected))
    }
}

/// Plan `verb` on `selected` (known names).
pub fn plan_selected(services: &[ServiceStatus], verb: Verb, selected: Vec<String>) -> Plan {
    let mut plan = Plan {
        verb,
        selected,
        steps: Vec::new(),
        unchanged: Vec::new(),
    };
    match verb {
        Verb::Stop => plan_stop(services, &mut plan),
        Verb::Start => {
            let order = deps::with_dependencies(services, &plan.selected);
            plan_start(services, &order, &mut plan);
        }
        Verb::Restart => plan_restart(services, &mut plan),
    }
    plan
}

fn state(services: &[ServiceStatus], name: &str) -> ServiceState {
    (services.iter().find(|s| s.name == name)).map_or(ServiceState::Stopped, |s| s.state)
}

/// What a stop acts on (`request_stop`): a live process, a launch, a backoff pending.
fn stops(state: ServiceState) -> bool {
    state.is_active() || state == ServiceState::CrashLooping
}

fn plan_stop(services: &[ServiceStatus], plan: &mut Plan) {
    let order = deps::with_dependents(services, &plan.selected);
    for name in &order {
        let selected = plan.selected.contains(name);
        if !stops(state(services, name)) {
            if selected {
                plan.unchanged.push(name.clone());
            }
            continue;
        }
        let why = if selected {
            Why::Selected
        } else {
            let of = services
                .depends_on(name)
                .into_iter()
                .find(|d| order.iter().any(|n| n == d));
            Why::Dependent(of.unwrap_or_default().to_string())
        };
        plan.steps.push(Step {
            service: name.clone(),
            verb: Verb::Stop,
            why,
        });
    }
}

/// Whether `name` depends, transitively, on one of `targets`.
fn reaches(services: &[ServiceStatus], name: &str, targets: &[String]) -> bool {
    deps::with_dependencies(services, &[name.to_string()])
        .iter()
        .any(|n| n != name && targets.contains(n))
}

/// Start steps for `order` (dependencies first): what is not running or starting yet.
fn plan_start(services: &[ServiceStatus], order: &[String], plan: &mut Plan) {
    let up = |name: &str| {
        matches!(
            state(services, name),
            ServiceState::Running | ServiceState::Starting
        )
    };
    for name in order {
        let selected = plan.selected.contains(name);
        match (up(name), selected) {
            (true, true) => plan.unchanged.push(name.clone()),
            (true, false) => {}
            (false, _) => {
                let why = if selected {
                    Why::Selected
                } else {
                    let of = (plan.selected.iter())
                        .find(|s| !up(s) && reaches(services, s, std::slice::from_ref(name)));
                    Why::Dependency(of.cloned().unwrap_or_default())
                };
                plan.steps.push(Step {
                    service: name.clone(),
                    verb: Verb::Start,
                    why,
                });
            }
        }
    }
}

/// A running service restarts alone (its dependents ride it out); one that is not running
/// starts, with what it depends on, as `Command::Restart` does.
fn plan_restart(services: &[ServiceStatus], plan: &mut Plan) {
    let idle: Vec<String> = (plan.selected.iter())
        .filter(|n| !state(services, n).is_active())
        .cloned()
        .collect();
    let order = deps::with_dependencies(services, &plan.selected);
    let needed = deps::with_dependencies(services, &idle);
    for name in order {
        if plan.selected.contains(&name) && state(services, &name).is_active() {
            plan.steps.push(Step {
                service: name,
                verb: Verb::Restart,
                why: Why::Selected,
            });
        } else if needed.contains(&name) {
            plan_start(services, std::slice::from_ref(&name), plan);
        }
    }
}

#[cfg(test)]
mod tests;
