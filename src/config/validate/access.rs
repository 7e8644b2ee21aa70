//! The `access:` section: Unix user and group names, roles, environments and the actions
//! their rules name.

use indexmap::IndexMap;
use serde_saphyr::Spanned;

use super::super::access::{Access, Action, EnvironmentRules, Role};
use super::super::schema::AccessSpec;
use super::super::suggest;
use super::Checker;

impl Checker<'_> {
    pub(super) fn access(&mut self, spec: Option<&AccessSpec>) -> Access {
        let Some(spec) = spec else {
            return Access::default();
        };
        let users = self.grants(&spec.users, "user");
        let groups = self.grants(&spec.groups, "group");
        let environments = (spec.environments.iter())
            .map(|(env, rules)| self.environment_rules(env, rules))
            .collect();
        let mut access = Access {
            declared: true,
            users,
            groups,
            group: None,
            environments,
        };
        access.group = self.socket_group(spec, &access);
        access
    }

    fn grants(
        &mut self,
        grants: &IndexMap<Spanned<String>, Spanned<String>>,
        what: &str,
    ) -> Vec<(String, Role)> {
        let mut out = Vec::new();
        for (name, role) in grants {
            self.unix_name(name, what);
            if let Some(role) = self.role(role) {
                out.push((name.value.clone(), role));
            }
        }
        out
    }

    fn unix_name(&mut self, name: &Spanned<String>, what: &str) {
        let ok = !name.value.is_empty()
            && !name.value.starts_with('-')
            && (name.value.chars()).all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if !ok {
            let message = format!("invalid Unix {what} name `{}`", name.value);
            let hint = Some("use letters, digits, `_`, `-` and `.`".to_owned());
            self.report(&name.referenced, message, hint);
        }
    }

    fn role(&mut self, role: &Spanned<String>) -> Option<Role> {
        let parsed = Role::parse(&role.value);
        if parsed.is_none() {
            let names = Role::ALL.map(Role::name);
            let hint = match suggest(&role.value, names) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("write one of {}", names.join(", ")),
            };
            let message = format!("unknown role `{}`", role.value);
            self.report(&role.referenced, message, Some(hint));
        }
        parsed
    }

    fn environment_rules(
        &mut self,
        env: &Spanned<String>,
        rules: &IndexMap<Spanned<String>, Spanned<String>>,
    ) -> EnvironmentRules {
        if !self.environments.contains(&env.value) {
            let message = format!("unknown environment `{}`", env.value);
            let known = self.environments.iter().map(String::as_str);
            let hint = match suggest(&env.value, known) {
                Some(close) => format!("did you mean `{close}`?"),
                None if self.environments.is_empty() => "declare it under `environments:`".into(),
                None => format!("environments: {}", self.environments.join(", ")),
            };
            self.report(&env.referenced, message, Some(hint));
        }
        let mut out = Vec::new();
        for (action, role) in rules {
            let parsed = Action::parse(&action.value);
            if parsed.is_none() {
                let names = Action::ALL.map(Action::name);
                let hint = match suggest(&action.value, names) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("actions: {}", names.join(", ")),
                };
                let message = format!("unknown action `{}`", action.value);
                self.report(&action.referenced, message, Some(hint));
            }
            if let (Some(action), Some(role)) = (parsed, self.role(role)) {
                out.push((action, role));
            }
        }
        EnvironmentRules {
            environment: env.value.clone(),
            rules: out,
        }
    }

    /// The group of the shared socket directory: named, or the only granted group.
    fn socket_group(&mut self, spec: &AccessSpec, access: &Access) -> Option<String> {
        if let Some(group) = &spec.group {
            self.unix_name(group, "group");
            return Some(group.value.clone());
        }
        if let [(group, _)] = access.groups.as_slice() {
            return Some(group.clone());
        }
        if let Some((user, _)) = spec.users.first() {
            let message = "granting users needs the group that owns the shared socket";
            let hint = "write `access: { group: NAME }` with a Unix group every granted user is in";
            self.report(&user.referenced, message, Some(hint.to_owned()));
        } else if let Some((group, _)) = spec.groups.get_index(1) {
            let message = "several groups are granted: name the one owning the shared socket";
            let hint = "write `access: { group: NAME }`";
            self.report(&group.referenced, message, Some(hint.to_owned()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::access::{Action, Role};

    fn load(access: &str) -> Result<crate::config::Workspace, String> {
        let text = format!("workspace: w\nenvironments: [prod]\nservices: {{}}\naccess:\n{access}");
        crate::config::load_str(&text, Path::new("u.yaml"), Path::new("/tmp"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn grants_and_rules_are_read() {
        let ws =
            load("  groups: { ops: operator }\n  environments: { prod: { stop: deployer } }\n")
                .unwrap();
        assert!(ws.access.declared);
        assert_eq!(ws.access.group.as_deref(), Some("ops"), "the only group");
        assert_eq!(ws.access.groups, vec![("ops".into(), Role::Operator)]);
        assert_eq!(ws.access.rule("prod", Action::Stop), Some(Role::Deployer));
        assert_eq!(ws.access.rule("prod", Action::Restart), None);
    }

    #[test]
    fn granting_users_needs_the_group_of_the_socket() {
        let err = load("  users: { ana: viewer }\n").unwrap_err();
        assert!(err.contains("u.yaml:5:12"), "{err}");
        assert!(
            err.contains("needs the group that owns the shared socket"),
            "{err}"
        );
        let err = load("  users: { ana: viewer, bad/name: admin }\n  group: g\n").unwrap_err();
        assert!(err.contains("invalid Unix user name `bad/name`"), "{err}");
    }
}
