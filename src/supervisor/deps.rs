//! Dependency order over a validated (acyclic) workspace, or over the snapshot's services
//! (what the TUI and the CLI hold): both are a [`Graph`].

use std::collections::BTreeSet;

use crate::config::Workspace;
use crate::protocol::ServiceStatus;

/// Services and what each depends on, in config order. A dependency that is not one of
/// the services (another workspace's) is not followed.
pub trait Graph {
    fn names(&self) -> Vec<&str>;
    fn depends_on(&self, name: &str) -> Vec<&str>;
}

impl Graph for Workspace {
    fn names(&self) -> Vec<&str> {
        self.services.iter().map(|s| s.name.as_str()).collect()
    }

    fn depends_on(&self, name: &str) -> Vec<&str> {
        self.service(name).map_or_else(Vec::new, |s| {
            s.depends_on.iter().map(|d| d.service.as_str()).collect()
        })
    }
}

impl Graph for [ServiceStatus] {
    fn names(&self) -> Vec<&str> {
        self.iter().map(|s| s.name.as_str()).collect()
    }

    fn depends_on(&self, name: &str) -> Vec<&str> {
        self.iter()
            .find(|s| s.name == name)
            .map_or_else(Vec::new, |s| {
                s.depends_on.iter().map(String::as_str).collect()
            })
    }
}

/// `names` plus everything they depend on, transitively; dependencies come first.
pub fn with_dependencies(ws: &(impl Graph + ?Sized), names: &[String]) -> Vec<String> {
    let known: BTreeSet<&str> = ws.names().into_iter().collect();
    let mut out = Vec::new();
    for name in names {
        visit_deps(ws, &known, name, &mut out);
    }
    out
}

fn visit_deps(
    ws: &(impl Graph + ?Sized),
    known: &BTreeSet<&str>,
    name: &str,
    out: &mut Vec<String>,
) {
    if out.iter().any(|n| n == name) || !known.contains(name) {
        return;
    }
    for dep in ws.depends_on(name) {
        visit_deps(ws, known, dep, out);
    }
    out.push(name.to_string());
}

/// `names` plus everything that depends on them, transitively; dependents come first, so
/// stopping in this order never pulls a dependency from under a running service.
pub fn with_dependents(ws: &(impl Graph + ?Sized), names: &[String]) -> Vec<String> {
    let all: Vec<String> = ws.names().into_iter().map(str::to_string).collect();
    let mut set: BTreeSet<String> = names.iter().cloned().collect();
    loop {
        let before = set.len();
        for s in &all {
            if ws.depends_on(s).iter().any(|d| set.contains(*d)) {
                set.insert(s.clone());
            }
        }
        if set.len() == before {
            break;
        }
    }
    let mut order = with_dependencies(ws, &all);
    order.retain(|n| set.contains(n));
    order.reverse();
    order
}

/// Direct dependents of `name`.
pub fn dependents<'a>(ws: &'a Workspace, name: &str) -> impl Iterator<Item = &'a str> {
    let name = name.to_string();
    ws.services
        .iter()
        .filter(move |s| s.depends_on.iter().any(|d| d.service == name))
        .map(|s| s.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Condition, Dependency, Service};
    use std::path::PathBuf;

    fn ws(edges: &[(&str, &[&str])]) -> Workspace {
        Workspace {
            name: "t".into(),
            file: None,
            dir: PathBuf::from("/"),
            theme: None,
            environment: None,
            environments: Vec::new(),
            logs: Default::default(),
            webhooks: Default::default(),
            access: Default::default(),
            quotas: Default::default(),
            assistant: Default::default(),
            secrets: Default::default(),
            services: edges
                .iter()
                .map(|(name, deps)| Service {
                    name: name.to_string(),
                    command: "true".into(),
                    cwd: PathBuf::from("/"),
                    env: Default::default(),
                    secret_env: Default::default(),
                    depends_on: deps
                        .iter()
                        .map(|d| Dependency {
                            service: d.to_string(),
                            condition: Condition::Started,
                        })
                        .collect(),
                    tags: vec![],
                    ports: vec![],
                    stop: Default::default(),
                    restart: Default::default(),
                    readiness: None,
                    liveness: None,
                    triggers: Default::default(),
                    deploy: None,
                })
                .collect(),
            metrics: Default::default(),
            alerts: Default::default(),
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dependencies_come_first() {
        let w = ws(&[
            ("web", &["api"]),
            ("api", &["db", "cache"]),
            ("db", &[]),
            ("cache", &[]),
        ]);
        assert_eq!(
            with_dependencies(&w, &names(&["web"])),
            names(&["db", "cache", "api", "web"])
        );
    }

    #[test]
    fn dependents_come_first_when_stopping() {
        let w = ws(&[
            ("web", &["api"]),
            ("api", &["db"]),
            ("db", &[]),
            ("other", &[]),
        ]);
        assert_eq!(
            with_dependents(&w, &names(&["db"])),
            names(&["web", "api", "db"])
        );
        assert_eq!(dependents(&w, "api").collect::<Vec<_>>(), ["web"]);
    }
}
