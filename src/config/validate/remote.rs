//! `depends_on: { operation/db: healthy }`: a service of another workspace. Only the form is
//! checked here: the other workspace's file may live anywhere, its services and their
//! readiness probes are its engine's to answer for at run time, and a cycle through two
//! workspaces shows as both waiting (each status names what it waits for).

use serde_saphyr::Spanned;

use super::super::values;
use super::{Checker, NAME_RULE};

impl Checker<'_> {
    /// `target` holds a `/`: it must be `workspace/service`, both valid names, and not this
    /// workspace.
    pub(super) fn remote_dependency(&mut self, name: &str, target: &Spanned<String>) {
        let (at, text) = (&target.referenced, target.value.as_str());
        let parts: Vec<&str> = text.split('/').collect();
        let [workspace, service] = parts[..] else {
            let message = format!("`{name}` depends on `{text}`: expected `workspace/service`");
            let hint = "one `/` between the other workspace's name and its service's name";
            self.report(at, message, Some(hint.to_owned()));
            return;
        };
        for (what, part) in [("workspace", workspace), ("service", service)] {
            if !values::is_name(part) {
                let message = format!("`{name}` depends on `{text}`: invalid {what} name `{part}`");
                self.report(at, message, Some(NAME_RULE.to_owned()));
                return;
            }
        }
        if workspace == self.workspace {
            let message = format!("`{name}` depends on `{text}`, a service of its own workspace");
            let hint = format!("write `{service}` for a service of this workspace");
            self.report(at, message, Some(hint));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Condition, load_str};

    /// (line, column, message, hint) of each problem with `api` depending on `target`.
    fn problems(target: &str) -> Vec<(u64, u64, String, Option<String>)> {
        let yaml = format!(
            "workspace: hvac\nservices:\n  api:\n    command: ./api\n    depends_on: {{ {target}: healthy }}\n"
        );
        match load_str(&yaml, Path::new("univers.yaml"), Path::new("/tmp")) {
            Ok(_) => Vec::new(),
            Err(err) => err
                .problems()
                .iter()
                .map(|p| (p.line, p.column, p.message.clone(), p.hint.clone()))
                .collect(),
        }
    }

    #[test]
    fn another_workspace_s_service_loads_with_its_condition() {
        let yaml = "workspace: hvac\nservices:\n  api:\n    command: ./api\n    depends_on: { operation/db: healthy, cache: started }\n  cache:\n    command: ./cache\n";
        let ws = load_str(yaml, Path::new("univers.yaml"), Path::new("/tmp")).expect("valid");
        let deps = &ws.service("api").expect("api").depends_on;
        assert_eq!(deps[0].service, "operation/db");
        assert_eq!(deps[0].condition, Condition::Healthy);
        assert_eq!(deps[0].remote(), Some(("operation", "db")));
        assert_eq!(deps[1].remote(), None);
    }

    #[test]
    fn a_bad_form_is_reported_where_it_is_written() {
        let form = Some("one `/` between the other workspace's name and its service's name".into());
        assert_eq!(
            problems("operation/db/x"),
            [(
                5,
                19,
                "`api` depends on `operation/db/x`: expected `workspace/service`".into(),
                form
            )]
        );
        let rule = Some("use only letters, digits, `_` and `-`".to_owned());
        assert_eq!(
            problems("operation/"),
            [(
                5,
                19,
                "`api` depends on `operation/`: invalid service name ``".into(),
                rule.clone()
            )]
        );
        assert_eq!(
            problems("\"op eration/db\""),
            [(
                5,
                19,
                "`api` depends on `op eration/db`: invalid workspace name `op eration`".into(),
                rule
            )]
        );
    }

    #[test]
    fn its_own_workspace_is_written_without_the_prefix() {
        assert_eq!(
            problems("hvac/api"),
            [(
                5,
                19,
                "`api` depends on `hvac/api`, a service of its own workspace".into(),
                Some("write `api` for a service of this workspace".into())
            )]
        );
    }
}
