//! The workspace file on disk and the config running: an edit that does not load
//! (`config_invalid`, with the loader's `file:line:col`) and a valid edit not applied yet
//! (`config_not_applied`, with what applying it would change and restart). Both are read
//! from the configuration center's status, which follows the files as they are saved.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::protocol::ChangeKind;

use super::Facts;

/// Lines of a pending edit's diff shown as evidence.
const DIFF_LINES: usize = 20;

pub fn invalid(facts: &Facts) -> Vec<Finding> {
    let errors = &facts.snapshot.config.errors;
    let Some(first) = errors.first() else {
        return Vec::new();
    };
    let more = match errors.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    vec![Finding {
        analyzer: "config_invalid".into(),
        severity: Severity::Warning,
        rank: 0,
        service: None,
        cause: format!(
            "the edited {} does not load, the running config stays: {first}{more}",
            file(facts)
        ),
        evidence: errors
            .iter()
            .map(|e| Evidence {
                kind: EvidenceKind::Config,
                text: e.clone(),
                at_ms: None,
            })
            .collect(),
        actions: vec![],
        since_ms: None,
    }]
}

pub fn not_applied(facts: &Facts) -> Vec<Finding> {
    let Some(plan) = facts
        .snapshot
        .config
        .pending
        .as_ref()
        .filter(|p| !p.is_empty())
    else {
        return Vec::new();
    };
    let changed: Vec<String> = plan
        .changes
        .iter()
        .map(|c| match c.kind {
            ChangeKind::Changed if !c.fields.is_empty() => {
                format!("{} ({})", c.service, c.fields.join(", "))
            }
            kind => format!("{} ({})", c.service, kind.as_str()),
        })
        .collect();
    let acts: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.acts)
        .map(|c| c.service.as_str())
        .collect();
    let mut cause = format!("{} was edited but not applied", file(facts));
    if !changed.is_empty() {
        cause += &format!(": {}", changed.join(", "));
    }
    if !acts.is_empty() {
        cause += &format!("; applying it restarts or starts {}", acts.join(", "));
    }
    let mut evidence: Vec<Evidence> = plan
        .diff
        .lines()
        .take(DIFF_LINES)
        .map(|l| Evidence {
            kind: EvidenceKind::Config,
            text: l.to_owned(),
            at_ms: None,
        })
        .collect();
    let hidden = plan.diff.lines().count().saturating_sub(DIFF_LINES);
    if hidden > 0 {
        evidence.push(Evidence {
            kind: EvidenceKind::Config,
            text: format!("… {hidden} more lines (uc config plan)"),
            at_ms: None,
        });
    }
    vec![Finding {
        analyzer: "config_not_applied".into(),
        severity: Severity::Info,
        rank: 0,
        service: None,
        cause,
        evidence,
        actions: vec![Suggestion::ApplyConfig],
        since_ms: None,
    }]
}

/// The workspace file's name as the user knows it.
fn file(facts: &Facts) -> String {
    facts
        .snapshot
        .config_file
        .as_deref()
        .and_then(|path| std::path::Path::new(path).file_name())
        .map_or_else(
            || "workspace file".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ConfigPlan, ConfigStatus, ServiceChange, Snapshot};

    fn facts(config: ConfigStatus) -> Facts {
        Facts {
            snapshot: Snapshot {
                config_file: Some("/home/u/shop/univers.yaml".into()),
                config,
                ..Snapshot::default()
            },
            ..Facts::default()
        }
    }

    #[test]
    fn an_edit_that_does_not_load_names_file_line_and_column() {
        let f = invalid(&facts(ConfigStatus {
            errors: vec![
                "univers.yaml:4:5: unknown field `comand`, did you mean `command`?".into(),
                "univers.yaml:9:1: x".into(),
            ],
            ..ConfigStatus::default()
        }));
        assert_eq!(
            f[0].cause,
            "the edited univers.yaml does not load, the running config stays: \
             univers.yaml:4:5: unknown field `comand`, did you mean `command`? (and 1 more)"
        );
        assert_eq!(f[0].evidence.len(), 2);
        assert!(not_applied(&facts(ConfigStatus::default())).is_empty());
        assert!(invalid(&facts(ConfigStatus::default())).is_empty());
    }

    #[test]
    fn a_pending_edit_says_what_changes_and_restarts() {
        let plan = ConfigPlan {
            hash: "h".into(),
            changes: vec![
                ServiceChange {
                    service: "api".into(),
                    kind: ChangeKind::Changed,
                    fields: vec!["command".into(), "env.LOG".into()],
                    acts: true,
                },
                ServiceChange {
                    service: "cache".into(),
                    kind: ChangeKind::Added,
                    fields: vec![],
                    acts: false,
                },
            ],
            diff: "-  command: a\n+  command: b\n".into(),
            ..ConfigPlan::default()
        };
        let f = not_applied(&facts(ConfigStatus {
            pending: Some(plan),
            ..ConfigStatus::default()
        }));
        assert_eq!(
            f[0].cause,
            "univers.yaml was edited but not applied: api (command, env.LOG), cache (added); \
             applying it restarts or starts api"
        );
        assert_eq!(f[0].evidence[1].text, "+  command: b");
        assert_eq!(f[0].actions, [Suggestion::ApplyConfig]);
    }
}
