//! Dependency order over a validated (acyclic) workspace.

use std::collections::BTreeSet;

use crate::config::Workspace;

/// `names` plus everything they depend on, transitively; dependencies come first.
pub fn with_dependencies(ws: &Workspace, names: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for name in names {
        visit_deps(ws, name, &mut out);
    }
    out
}

fn visit_deps(ws: &Workspace, name: &str, out: &mut Vec<String>) {
    if out.iter().any(|n| n == name) {
        return;
    }
    if let Some(service) = ws.service(name) {
        for dep in &service.depends_on {
            visit_deps(ws, &dep.service, out);
        }
        out.push(name.to_string());
    }
}

/// `names` plus everything that depends on them, transitively; dependents come first, so
/// stopping in this order never pulls a dependency from under a running service.
pub fn with_dependents(ws: &Workspace, names: &[String]) -> Vec<String> {
    let mut set: BTreeSet<String> = names.iter().cloned().collect();
    loop {
        let before = set.len();
        for s in &ws.services {
            if s.depends_on.iter().any(|d| set.contains(&d.service)) {
                set.insert(s.name.clone());
            }
        }
        if set.len() == before {
            break;
        }
    }
    let all: Vec<String> = ws.services.iter().map(|s| s.name.clone()).collect();
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
            quotas: Default::default(),
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
