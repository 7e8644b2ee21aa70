//! What a playbook run did, or would do: the same report for a dry run and a real one,
//! sent as JSON by the engine and printed by the CLI with [`PlaybookReport::text`].

use serde::{Deserialize, Serialize};

use crate::format;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybookReport {
    pub playbook: String,
    pub dry_run: bool,
    /// Unix ms.
    pub started_at: u64,
    /// Unix ms.
    pub finished_at: u64,
    pub steps: Vec<StepReport>,
    /// What deleting and truncating freed; in a dry run, what they would free.
    pub freed_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// The step as written: `delete ./logs/**/*.log.* older than 7d`.
    pub step: String,
    /// In the order they were (or would be) done.
    pub actions: Vec<StepAction>,
    /// Why nothing is to be done, when nothing is: `api.log is 3.0K, not over 100MiB`.
    #[serde(default)]
    pub note: Option<String>,
    /// Why the step could not run (a path resolving out of the roots, an unknown service).
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepAction {
    pub kind: ActionKind,
    /// A file path, a command or a service.
    pub target: String,
    /// The file's size.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// `9 days old`, `-> worker.log.2`, a command's last output.
    #[serde(default)]
    pub detail: Option<String>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Delete,
    Truncate,
    Rename,
    /// The empty file a rotation leaves in place of the rotated one.
    Create,
    Run,
    Restart,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A dry run: this would be done.
    Planned,
    Done,
    Failed(String),
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Truncate => "truncate",
            Self::Rename => "rename",
            Self::Create => "create",
            Self::Run => "run",
            Self::Restart => "restart",
        }
    }

    fn frees(self) -> bool {
        matches!(self, Self::Delete | Self::Truncate)
    }
}

impl StepAction {
    pub fn new(kind: ActionKind, target: impl Into<String>) -> Self {
        Self {
            kind,
            target: target.into(),
            bytes: None,
            detail: None,
            outcome: Outcome::Planned,
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_))
    }

    /// Bytes this action freed, or would free in a dry run.
    fn freed(&self) -> u64 {
        let counts = matches!(self.outcome, Outcome::Planned | Outcome::Done);
        if counts && self.kind.frees() {
            self.bytes.unwrap_or(0)
        } else {
            0
        }
    }
}

impl StepReport {
    pub fn new(step: impl Into<String>) -> Self {
        Self {
            step: step.into(),
            actions: Vec::new(),
            note: None,
            error: None,
        }
    }

    pub fn failed(&self) -> bool {
        self.error.is_some() || self.actions.iter().any(StepAction::failed)
    }
}

impl PlaybookReport {
    pub fn new(playbook: &str, dry_run: bool, started_at: u64, steps: Vec<StepReport>) -> Self {
        let freed_bytes = steps
            .iter()
            .flat_map(|s| &s.actions)
            .map(StepAction::freed)
            .sum();
        Self {
            playbook: playbook.to_owned(),
            dry_run,
            started_at,
            finished_at: crate::clock::now_ms(),
            steps,
            freed_bytes,
        }
    }

    /// Whether every step ran and every action succeeded.
    pub fn succeeded(&self) -> bool {
        !self.steps.iter().any(StepReport::failed)
    }

    /// One line for a heal event or a status line: `cleanup: 12 actions, 1.2G freed`.
    pub fn summary(&self) -> String {
        let actions: usize = self.steps.iter().map(|s| s.actions.len()).sum();
        let failed = self.steps.iter().filter(|s| s.failed()).count();
        let freed = format::bytes(self.freed_bytes as f64);
        let (verb, freed_word) = if self.dry_run {
            ("planned", "would free")
        } else {
            ("done", "freed")
        };
        let mut line = format!(
            "{}: {actions} action{} {verb}, {freed} {freed_word}",
            self.playbook,
            plural(actions)
        );
        if failed > 0 {
            line.push_str(&format!(", {failed} step{} failed", plural(failed)));
        }
        line
    }

    /// The report for a terminal: a heading, then each step and its actions in aligned
    /// columns (kind, size, target, detail, outcome).
    pub fn text(&self) -> String {
        let widths = Widths::of(self);
        let mut out = self.summary();
        out.push_str(if self.dry_run { " (dry run)\n" } else { "\n" });
        for (number, step) in self.steps.iter().enumerate() {
            out.push_str(&format!("{}. {}\n", number + 1, step.step));
            for action in &step.actions {
                out.push_str(&widths.line(action));
                out.push('\n');
            }
            for (label, text) in [("", &step.note), ("error: ", &step.error)] {
                if let Some(text) = text {
                    out.push_str(&format!("   {label}{text}\n"));
                }
            }
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Column widths shared by every step, so the whole report lines up.
struct Widths {
    kind: usize,
    size: usize,
    target: usize,
    detail: usize,
}

impl Widths {
    fn of(report: &PlaybookReport) -> Self {
        let actions = || report.steps.iter().flat_map(|s| &s.actions);
        let widest = |f: &dyn Fn(&StepAction) -> usize| actions().map(f).max().unwrap_or(0);
        Self {
            kind: widest(&|a| a.kind.as_str().len()),
            size: widest(&|a| size(a).chars().count()),
            target: widest(&|a| a.target.chars().count()),
            detail: widest(&|a| a.detail.as_deref().map_or(0, |d| d.chars().count())),
        }
    }

    fn line(&self, action: &StepAction) -> String {
        let outcome = match &action.outcome {
            Outcome::Planned => String::new(),
            Outcome::Done => "done".to_owned(),
            Outcome::Failed(why) => format!("failed: {why}"),
        };
        let line = format!(
            "   {:<kw$}  {:>sw$}  {:<tw$}  {:<dw$}  {outcome}",
            action.kind.as_str(),
            size(action),
            action.target,
            action.detail.as_deref().unwrap_or(""),
            kw = self.kind,
            sw = self.size,
            tw = self.target,
            dw = self.detail,
        );
        line.trim_end().to_owned()
    }
}

fn size(action: &StepAction) -> String {
    action
        .bytes
        .map(|b| format::bytes(b as f64))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(kind: ActionKind, target: &str, bytes: Option<u64>, outcome: Outcome) -> StepAction {
        StepAction {
            bytes,
            outcome,
            ..StepAction::new(kind, target)
        }
    }

    fn report() -> PlaybookReport {
        let mut delete = StepReport::new("delete ./logs/**/*.log.* older than 7d");
        delete.actions = vec![
            action(
                ActionKind::Delete,
                "/w/logs/a.log.1",
                Some(2048),
                Outcome::Done,
            ),
            action(
                ActionKind::Delete,
                "/w/logs/deep/b.log.2",
                Some(3 << 20),
                Outcome::Failed("permission denied".into()),
            ),
        ];
        delete.actions[0].detail = Some("9 days old".into());
        let mut truncate = StepReport::new("truncate ./logs/api.log over 100MiB");
        truncate.note = Some("api.log is 3.0K, not over 100MiB".into());
        let mut restart = StepReport::new("restart apii");
        restart.error = Some("unknown service `apii`".into());
        PlaybookReport {
            finished_at: 2,
            ..PlaybookReport::new("cleanup", false, 1, vec![delete, truncate, restart])
        }
    }

    #[test]
    fn only_what_was_done_counts_as_freed() {
        let report = report();
        assert_eq!(report.freed_bytes, 2048);
        assert!(!report.succeeded());
        assert_eq!(
            report.summary(),
            "cleanup: 2 actions done, 2.0K freed, 2 steps failed"
        );
    }

    #[test]
    fn text_lines_up() {
        let expected = "\
cleanup: 2 actions done, 2.0K freed, 2 steps failed
1. delete ./logs/**/*.log.* older than 7d
   delete  2.0K  /w/logs/a.log.1       9 days old  done
   delete  3.0M  /w/logs/deep/b.log.2              failed: permission denied
2. truncate ./logs/api.log over 100MiB
   api.log is 3.0K, not over 100MiB
3. restart apii
   error: unknown service `apii`
";
        assert_eq!(report().text(), expected);
    }

    #[test]
    fn survives_json() {
        let report = report();
        let json = serde_json::to_string(&report).expect("serializes");
        assert!(json.contains(r#""outcome":{"failed":"permission denied"}"#));
        let back: PlaybookReport = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, report);
    }
}
