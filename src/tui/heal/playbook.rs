//! Clean-up playbooks in the TUI: `:playbook NAME` plans a run, shows the plan and asks;
//! the real run's report shows the same way. The dialog keeps the text as lines, split once,
//! so drawing and scrolling stay cheap.

use crate::heal::playbook::PlaybookReport;
use crate::protocol::NoticeLevel;

/// What a playbook request is for, echoed back with its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaybookMode {
    /// A dry run whose plan asks whether to run it for real.
    Plan,
    /// A dry run whose plan is only shown (`--dry-run`).
    DryRun,
    Run,
}

impl PlaybookMode {
    pub fn dry_run(self) -> bool {
        self != Self::Run
    }
}

/// A playbook's plan, report or refusal, in a scrollable dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookDialog {
    pub title: String,
    pub lines: Vec<String>,
    /// The playbook `y` runs for real; `None` when the dialog only informs.
    pub runs: Option<String>,
    /// Info, or Error when the run failed or the engine refused it.
    pub level: NoticeLevel,
    /// The first line shown.
    pub scroll: usize,
}

impl PlaybookDialog {
    /// A plan or a report; a plan asked for by [`PlaybookMode::Plan`] offers the real run.
    pub fn report(report: &PlaybookReport, mode: PlaybookMode) -> Self {
        let title = match mode {
            PlaybookMode::Plan => format!("Run playbook {}?", report.playbook),
            PlaybookMode::DryRun => format!("Playbook {} (dry run)", report.playbook),
            PlaybookMode::Run => format!("Playbook {}", report.playbook),
        };
        let failed = !report.succeeded();
        Self {
            title,
            lines: report.text().lines().map(str::to_owned).collect(),
            runs: (mode == PlaybookMode::Plan).then(|| report.playbook.clone()),
            level: if failed {
                NoticeLevel::Error
            } else {
                NoticeLevel::Info
            },
            scroll: 0,
        }
    }

    /// What the engine said when it refused to run the playbook, too long for the status
    /// line (a broken file with its source line and caret).
    pub fn refusal(name: &str, error: &str) -> Self {
        Self {
            title: format!("Playbook {name}"),
            lines: error.lines().map(str::to_owned).collect(),
            runs: None,
            level: NoticeLevel::Error,
            scroll: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heal::playbook::{ActionKind, Outcome, StepAction, StepReport};

    fn report(dry_run: bool, outcome: Outcome) -> PlaybookReport {
        let mut step = StepReport::new("delete ./tmp/**/*.log older than 1d");
        step.actions.push(StepAction {
            outcome,
            ..StepAction::new(ActionKind::Delete, "tmp/old.log")
        });
        PlaybookReport::new("tidy", dry_run, 0, vec![step])
    }

    #[test]
    fn a_plan_offers_the_run_and_a_failure_shows() {
        let plan = PlaybookDialog::report(&report(true, Outcome::Planned), PlaybookMode::Plan);
        assert_eq!(plan.runs.as_deref(), Some("tidy"));
        assert_eq!(plan.lines[1], "1. delete ./tmp/**/*.log older than 1d");
        let only = PlaybookDialog::report(&report(true, Outcome::Planned), PlaybookMode::DryRun);
        assert_eq!(only.runs, None);
        let failing = report(true, Outcome::Failed("denied".into()));
        let failing = PlaybookDialog::report(&failing, PlaybookMode::Plan);
        assert_eq!(failing.level, NoticeLevel::Error);
        let done = PlaybookDialog::report(&report(false, Outcome::Done), PlaybookMode::Run);
        assert_eq!((done.runs, done.level), (None, NoticeLevel::Info));
    }
}
