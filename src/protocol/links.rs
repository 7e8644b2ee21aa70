//! Dependency links read from the services' statuses, the same way by every frontend: what a
//! stop takes down with it, and which services of other workspaces lose a dependency.

use std::collections::BTreeSet;

use super::snapshot::ServiceStatus;

/// `names` and every service that depends on them, transitively: what stopping `names`
/// stops. No names: every service (`uc down`).
pub fn stopping(services: &[ServiceStatus], names: &[String]) -> BTreeSet<String> {
    if names.is_empty() {
        return services.iter().map(|s| s.name.clone()).collect();
    }
    let mut set: BTreeSet<String> = names.iter().cloned().collect();
    loop {
        let more: Vec<String> = services
            .iter()
            .filter(|s| !set.contains(&s.name))
            .filter(|s| s.depends_on.iter().any(|d| set.contains(d)))
            .map(|s| s.name.clone())
            .collect();
        if more.is_empty() {
            return set;
        }
        set.extend(more);
    }
}

/// A service of another workspace, still active, whose dependency a stop takes away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stranded {
    /// `hvac/api`.
    pub dependent: String,
    /// The service of this workspace it depends on (`db`).
    pub needs: String,
}

impl std::fmt::Display for Stranded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let workspace = self.dependent.split('/').next().unwrap_or_default();
        write!(
            f,
            "{} depends on {} (workspace {workspace} keeps it running)",
            self.dependent, self.needs
        )
    }
}

/// The active services of other workspaces that depend on one of `stopping` that is active:
/// stopping what is not running takes nothing away.
pub fn stranded(services: &[ServiceStatus], stopping: &BTreeSet<String>) -> Vec<Stranded> {
    services
        .iter()
        .filter(|s| s.state.is_active() && stopping.contains(&s.name))
        .flat_map(|s| {
            s.needed_by.iter().filter(|d| d.active).map(|d| Stranded {
                dependent: d.service.clone(),
                needs: s.name.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Dependent, ServiceState};

    fn service(name: &str, deps: &[&str], needed_by: &[(&str, bool)]) -> ServiceStatus {
        ServiceStatus {
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            needed_by: needed_by
                .iter()
                .map(|(s, active)| Dependent {
                    service: s.to_string(),
                    active: *active,
                })
                .collect(),
            state: ServiceState::Running,
            ..ServiceStatus::new(name)
        }
    }

    #[test]
    fn a_stop_strands_the_active_dependents_elsewhere_of_what_it_stops() {
        let services = [
            service("db", &[], &[("hvac/api", true), ("hvac/web", false)]),
            service("cache", &["db"], &[("hvac/worker", true)]),
            service("mail", &[], &[("hvac/notify", true)]),
        ];
        let mut stopped = service("queue", &[], &[("hvac/jobs", true)]);
        stopped.state = ServiceState::Stopped;
        let services = [services.as_slice(), &[stopped]].concat();
        let stops = stopping(&services, &["db".to_owned()]);
        assert_eq!(stops, BTreeSet::from(["db".to_owned(), "cache".to_owned()]));
        let names: Vec<String> = stranded(&services, &stops)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            names,
            [
                "hvac/api depends on db (workspace hvac keeps it running)",
                "hvac/worker depends on cache (workspace hvac keeps it running)"
            ]
        );
        assert_eq!(stopping(&services, &[]).len(), 4);
        assert_eq!(stranded(&services, &stopping(&services, &[])).len(), 3);
    }
}
