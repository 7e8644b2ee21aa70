//! What applying a config would change: services added, removed and changed (with the
//! fields that differ), which of them would be acted on, and the unified diff of the
//! effective YAML.

use std::collections::BTreeSet;

use similar::TextDiff;

use crate::config::{Effective, Service, Workspace};
use crate::protocol::{ChangeKind, ConfigPlan, ServiceChange, Snapshot};
use crate::supervisor::apply::needs_restart;

/// The plan of going from `current` to `next`, with `now` telling what runs.
pub fn plan(current: &Effective, next: &Effective, now: &Snapshot) -> ConfigPlan {
    let up = now.services.iter().any(|s| s.state.is_active());
    let running = |name: &str| now.service(name).is_some_and(|s| s.state.is_active());
    let confirm = next.environment().is_some_and(|env| {
        next.workspace
            .environments
            .iter()
            .any(|e| e.name == env && e.confirm)
    });
    ConfigPlan {
        environment: next.environment().map(str::to_owned),
        from: current.environment().map(str::to_owned),
        hash: next.hash.clone(),
        changes: changes(&current.workspace, &next.workspace, &running, up),
        diff: unified(
            &current.text,
            &next.text,
            &label(current.environment(), "running"),
            &label(next.environment(), "new"),
        ),
        confirm,
    }
}

fn label(environment: Option<&str>, what: &str) -> String {
    match environment {
        Some(env) => format!("{what} ({env})"),
        None => what.to_owned(),
    }
}

/// Service by service, in the new definition's order, removed ones last.
pub fn changes(
    old: &Workspace,
    new: &Workspace,
    running: &dyn Fn(&str) -> bool,
    up: bool,
) -> Vec<ServiceChange> {
    let mut out = Vec::new();
    for service in &new.services {
        match old.service(&service.name) {
            None => out.push(ServiceChange {
                service: service.name.clone(),
                kind: ChangeKind::Added,
                fields: Vec::new(),
                acts: up,
            }),
            Some(before) if before != service => out.push(ServiceChange {
                service: service.name.clone(),
                kind: ChangeKind::Changed,
                fields: fields(before, service),
                acts: needs_restart(before, service) && running(&service.name),
            }),
            Some(_) => {}
        }
    }
    for service in &old.services {
        if new.service(&service.name).is_none() {
            out.push(ServiceChange {
                service: service.name.clone(),
                kind: ChangeKind::Removed,
                fields: Vec::new(),
                acts: running(&service.name),
            });
        }
    }
    out
}

/// The names of the fields that differ; env variables one by one.
fn fields(a: &Service, b: &Service) -> Vec<String> {
    let mut out = Vec::new();
    let mut differs = |name: &str, same: bool| {
        if !same {
            out.push(name.to_owned());
        }
    };
    differs("command", a.command == b.command);
    differs("cwd", a.cwd == b.cwd);
    differs("depends_on", a.depends_on == b.depends_on);
    differs("tags", a.tags == b.tags);
    differs("stop", a.stop == b.stop);
    differs("restart", a.restart == b.restart);
    differs("readiness", a.readiness == b.readiness);
    differs("liveness", a.liveness == b.liveness);
    differs("triggers", a.triggers == b.triggers);
    // The same values, one of them now (or no longer) a secret.
    differs("env", a.env != b.env || a.secret_env == b.secret_env);
    let keys: BTreeSet<&String> = a.env.keys().chain(b.env.keys()).collect();
    for key in keys {
        if a.env.get(key) != b.env.get(key) {
            out.push(format!("env.{key}"));
        }
    }
    out
}

/// `diff -u` of two texts; empty when they are equal.
pub fn unified(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    if old == new {
        return String::new();
    }
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(yaml: &str) -> Workspace {
        crate::config::load_str(
            yaml,
            std::path::Path::new("u.yaml"),
            std::path::Path::new("/"),
        )
        .expect("valid")
    }

    #[test]
    fn changes_name_the_fields_and_what_would_restart() {
        let old = ws(
            "workspace: w\nservices:\n  a: {command: x, env: {L: info}}\n  \
                      b: {command: y}\n  c: {command: z}\n",
        );
        let new = ws(
            "workspace: w\nservices:\n  a: {command: x, env: {L: debug, N: 1}}\n  \
                      b: {command: y, tags: [t]}\n  d: {command: q}\n",
        );
        let running = |name: &str| name != "b";
        let got = changes(&old, &new, &running, true);
        let summary: Vec<(String, ChangeKind, Vec<String>, bool)> = got
            .into_iter()
            .map(|c| (c.service, c.kind, c.fields, c.acts))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "a".into(),
                    ChangeKind::Changed,
                    vec!["env.L".into(), "env.N".into()],
                    true
                ),
                ("b".into(), ChangeKind::Changed, vec!["tags".into()], false),
                ("d".into(), ChangeKind::Added, vec![], true),
                ("c".into(), ChangeKind::Removed, vec![], true),
            ]
        );
    }

    #[test]
    fn unified_diff_has_headers_and_is_empty_for_equal_texts() {
        assert_eq!(unified("a\n", "a\n", "x", "y"), "");
        let diff = unified(
            "a: 1\nb: 2\n",
            "a: 1\nb: 3\n",
            "running (dev)",
            "new (prod)",
        );
        assert!(
            diff.starts_with("--- running (dev)\n+++ new (prod)\n@@"),
            "{diff}"
        );
        assert!(diff.contains("-b: 2\n+b: 3\n"), "{diff}");
    }
}
