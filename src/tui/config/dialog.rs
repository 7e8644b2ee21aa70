//! The words of a plan (what changes, what restarts), the dialog that shows a diff or the
//! problems of an edit, and the name a switch to a protected environment waits for.

use crate::protocol::{ChangeKind, ConfigPlan, ServiceChange};
use crate::tui::input::Input;

/// How a text dialog colours its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A summary, then a unified diff: `+` green, `-` red, `@@` dim.
    Diff,
    /// Problems of an edit that does not load.
    Errors,
}

/// A scrollable dialog of text: a revision's diff, the pending edit's, the load errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextDialog {
    pub title: String,
    pub kind: TextKind,
    pub lines: Vec<String>,
    /// The first line shown.
    pub scroll: usize,
    /// The revision whose diff is still on its way (the dialog says "loading…").
    pub waiting: Option<u64>,
}

impl TextDialog {
    /// `head` (what changes) above the diff, split into lines once.
    pub fn diff(title: impl Into<String>, head: Vec<String>, diff: &str) -> Self {
        let mut lines = head;
        if !lines.is_empty() {
            lines.push(String::new());
        }
        match diff {
            "" => lines.push("(the effective configs are the same)".into()),
            diff => lines.extend(diff.lines().map(str::to_owned)),
        }
        Self {
            title: title.into(),
            kind: TextKind::Diff,
            lines,
            scroll: 0,
            waiting: None,
        }
    }

    pub fn errors(errors: &[String]) -> Self {
        Self {
            title: "Config edit not applied".into(),
            kind: TextKind::Errors,
            lines: errors
                .iter()
                .flat_map(|e| e.lines())
                .map(str::to_owned)
                .collect(),
            scroll: 0,
            waiting: None,
        }
    }

    /// A revision's diff, before it arrives.
    pub fn loading(title: impl Into<String>, revision: u64) -> Self {
        Self {
            waiting: Some(revision),
            ..Self::diff(title, vec!["loading…".into()], "")
        }
    }

    /// The diff this dialog waits for arrived (or the engine's reason it did not).
    pub fn fill(&mut self, result: Result<String, String>) {
        let filled = match result {
            Ok(diff) => Self::diff("", vec![], &diff),
            Err(error) => Self::errors(&[format!("cannot read the diff: {error}")]),
        };
        self.kind = filled.kind;
        self.lines = filled.lines;
        self.scroll = 0;
        self.waiting = None;
    }
}

/// The name to type before a switch to an environment that asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedName {
    pub expected: String,
    pub input: Input,
    /// `Enter` was pressed on another text: the dialog says so until the text changes.
    pub refused: bool,
}

impl TypedName {
    pub fn new(expected: impl Into<String>) -> Self {
        Self {
            expected: expected.into(),
            input: Input::default(),
            refused: false,
        }
    }

    pub fn matches(&self) -> bool {
        self.input.text() == self.expected
    }
}

/// `2 services change (api restarts, cache starts)`, or `nothing changes`.
pub fn plan_summary(plan: &ConfigPlan) -> String {
    let count = plan.changes.len();
    if count == 0 {
        return "no service changes".into();
    }
    let noun = if count == 1 {
        "service changes"
    } else {
        "services change"
    };
    let acts: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.acts)
        .map(|c| format!("{} {}", c.service, effect(c.kind)))
        .collect();
    match acts.as_slice() {
        [] => format!("{count} {noun}, none restarts"),
        acts => format!("{count} {noun} ({})", acts.join(", ")),
    }
}

/// One line per changed service: `api changed (env.LOG_LEVEL, command) — restarts`.
pub fn change_items(plan: &ConfigPlan) -> Vec<String> {
    plan.changes.iter().map(change_item).collect()
}

fn change_item(change: &ServiceChange) -> String {
    let fields = match change.fields.as_slice() {
        [] => String::new(),
        fields => format!(" ({})", fields.join(", ")),
    };
    let effect = if change.acts {
        effect(change.kind)
    } else {
        "no restart"
    };
    format!(
        "{} {}{fields} — {effect}",
        change.service,
        change.kind.as_str()
    )
}

/// What applying does to a running service of this kind of change.
fn effect(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "starts",
        ChangeKind::Removed => "stops",
        ChangeKind::Changed => "restarts",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(service: &str, kind: ChangeKind, fields: &[&str], acts: bool) -> ServiceChange {
        ServiceChange {
            service: service.into(),
            kind,
            fields: fields.iter().map(|f| f.to_string()).collect(),
            acts,
        }
    }

    #[test]
    fn plans_read_as_sentences() {
        let plan = ConfigPlan {
            changes: vec![
                change(
                    "api",
                    ChangeKind::Changed,
                    &["env.LOG_LEVEL", "command"],
                    true,
                ),
                change("docs", ChangeKind::Changed, &["tags"], false),
                change("cache", ChangeKind::Added, &[], true),
            ],
            ..ConfigPlan::default()
        };
        assert_eq!(
            plan_summary(&plan),
            "3 services change (api restarts, cache starts)"
        );
        assert_eq!(
            change_items(&plan),
            [
                "api changed (env.LOG_LEVEL, command) — restarts",
                "docs changed (tags) — no restart",
                "cache added — starts",
            ]
        );
        assert_eq!(plan_summary(&ConfigPlan::default()), "no service changes");
    }

    #[test]
    fn a_loading_dialog_fills_in() {
        let mut dialog = TextDialog::loading("Revision 3", 3);
        assert_eq!(dialog.lines[0], "loading…");
        dialog.fill(Ok("@@ -1 +1 @@\n-a\n+b".into()));
        assert_eq!((dialog.waiting, dialog.lines.len()), (None, 3));
        dialog.fill(Err("no revision 3".into()));
        assert_eq!(dialog.kind, TextKind::Errors);
    }
}
