//! The configuration center in the TUI: the environments pane with the preview of a switch,
//! the revision history, and the text dialogs for diffs and load errors. Plans and history
//! come from the engine through the link; at most one plan is asked at a time and the
//! newest selection wins, so holding `j` over the list sends two requests, not ten.

mod dialog;
pub mod environments;
mod frame;
pub mod history;
mod keys;

pub use dialog::{TextDialog, TextKind, TypedName, change_items, plan_summary};
pub use frame::{contrast, environment_colour, is_production};

use crate::protocol::{ConfigPlan, ConfigStatus, Revision};

/// Something asked of the engine: waiting, answered, or refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// The config a plan was computed against: an answer for an older one is stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Basis {
    revision: Option<u64>,
    hash: Option<String>,
    pending: Option<String>,
}

impl Basis {
    pub fn of(status: &ConfigStatus) -> Self {
        Self {
            revision: status.revision,
            hash: status.hash.clone(),
            pending: status.pending.as_ref().map(|p| p.hash.clone()),
        }
    }
}

/// A plan with its diff split into lines once, so drawing and scrolling stay cheap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanText {
    pub plan: ConfigPlan,
    pub lines: Vec<String>,
}

impl PlanText {
    pub fn new(plan: ConfigPlan) -> Self {
        let lines = plan.diff.lines().map(str::to_owned).collect();
        Self { plan, lines }
    }
}

/// What switching to one environment would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub environment: String,
    basis: Basis,
    pub plan: Fetch<PlanText>,
}

/// The environments and history panes' own state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigView {
    /// Row of the selected environment; `None` until the pane first opens on the active one.
    env_row: Option<usize>,
    pub preview: Option<Preview>,
    /// First diff line the preview shows.
    pub preview_scroll: usize,
    /// The plan asked and not answered yet.
    in_flight: Option<(String, Basis)>,
    pub history: Option<Fetch<Vec<Revision>>>,
    pub history_row: usize,
    /// The applied revision the history was asked at; a new one asks again.
    history_at: Option<Option<u64>>,
    /// The revision whose revert plan is awaited; other answers are dropped.
    pub reverting: Option<u64>,
}

impl ConfigView {
    /// Select the active environment the first time the pane opens.
    pub fn open(&mut self, status: &ConfigStatus, active: Option<&str>) {
        if self.env_row.is_none() {
            let row = active.and_then(|a| status.environments.iter().position(|e| e.name == a));
            self.env_row = Some(row.unwrap_or(0));
        }
    }

    pub fn env_row(&self, count: usize) -> Option<usize> {
        (count > 0).then(|| self.env_row.unwrap_or(0).min(count - 1))
    }

    pub fn move_env(&mut self, delta: isize, count: usize) {
        let row = self.env_row(count).unwrap_or(0);
        let last = count.saturating_sub(1);
        self.env_row = Some(row.saturating_add_signed(delta).min(last));
        self.preview_scroll = 0;
    }

    pub fn scroll_preview(&mut self, delta: isize, page: usize) {
        let lines = match &self.preview {
            Some(Preview {
                plan: Fetch::Ready(text),
                ..
            }) => text.lines.len(),
            _ => 0,
        };
        let max = lines.saturating_sub(page);
        self.preview_scroll = self.preview_scroll.saturating_add_signed(delta).min(max);
    }

    /// The environment whose plan to ask for now, if any: the selection, when its preview
    /// is missing or stale and no other plan is on its way.
    pub fn plan_to_ask(&mut self, status: &ConfigStatus) -> Option<String> {
        let row = self.env_row(status.environments.len())?;
        let name = &status.environments[row].name;
        let basis = Basis::of(status);
        let current = self
            .preview
            .as_ref()
            .is_some_and(|p| p.environment == *name && p.basis == basis);
        if !current {
            self.preview = Some(Preview {
                environment: name.clone(),
                basis: basis.clone(),
                plan: Fetch::Loading,
            });
        }
        let loading = self
            .preview
            .as_ref()
            .is_some_and(|p| p.plan == Fetch::Loading);
        if !loading || self.in_flight.is_some() {
            return None;
        }
        self.in_flight = Some((name.clone(), basis));
        Some(name.clone())
    }

    /// A plan arrived; kept when it is the one the preview waits for.
    pub fn on_plan(&mut self, environment: &str, result: Result<ConfigPlan, String>) {
        let Some((asked, basis)) = self.in_flight.take() else {
            return;
        };
        if let Some(preview) = &mut self.preview
            && asked == environment
            && preview.environment == environment
            && preview.basis == basis
        {
            preview.plan = match result {
                Ok(plan) => Fetch::Ready(PlanText::new(plan)),
                Err(error) => Fetch::Failed(error),
            };
        }
    }

    /// Whether the history should be asked again: never asked, or the applied revision
    /// changed since. Marks it asked.
    pub fn history_to_ask(&mut self, revision: Option<u64>) -> bool {
        if self.history_at == Some(revision) {
            return false;
        }
        self.history_at = Some(revision);
        if !matches!(self.history, Some(Fetch::Ready(_))) {
            self.history = Some(Fetch::Loading);
        }
        true
    }

    /// Ask again the next time the history shows (it may have grown meanwhile).
    pub fn forget_history(&mut self) {
        self.history_at = None;
    }

    pub fn on_history(&mut self, result: Result<Vec<Revision>, String>) {
        self.history = Some(match result {
            Ok(revisions) => {
                self.history_row = self.history_row.min(revisions.len().saturating_sub(1));
                Fetch::Ready(revisions)
            }
            Err(error) => Fetch::Failed(error),
        });
    }

    pub fn revisions(&self) -> &[Revision] {
        match &self.history {
            Some(Fetch::Ready(revisions)) => revisions,
            _ => &[],
        }
    }

    pub fn selected_revision(&self) -> Option<&Revision> {
        self.revisions().get(self.history_row)
    }

    pub fn move_revision(&mut self, delta: isize) {
        let last = self.revisions().len().saturating_sub(1);
        self.history_row = self.history_row.saturating_add_signed(delta).min(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::EnvironmentInfo;

    fn status(revision: u64) -> ConfigStatus {
        let env = |name: &str| EnvironmentInfo {
            name: name.into(),
            theme: None,
            confirm: false,
        };
        ConfigStatus {
            environments: vec![env("dev"), env("staging"), env("prod")],
            revision: Some(revision),
            ..ConfigStatus::default()
        }
    }

    fn plan(diff: &str) -> ConfigPlan {
        ConfigPlan {
            diff: diff.into(),
            ..ConfigPlan::default()
        }
    }

    #[test]
    fn one_plan_at_a_time_and_the_newest_selection_wins() {
        let mut view = ConfigView::default();
        let first = status(1);
        view.open(&first, Some("staging"));
        assert_eq!(view.plan_to_ask(&first).as_deref(), Some("staging"));
        view.move_env(1, 3);
        assert_eq!(view.plan_to_ask(&first), None);
        // The answer for the old selection is dropped; the new one is asked next.
        view.on_plan("staging", Ok(plan("-a\n+b")));
        assert_eq!(view.preview.as_ref().unwrap().plan, Fetch::Loading);
        assert_eq!(view.plan_to_ask(&first).as_deref(), Some("prod"));
        view.on_plan("prod", Ok(plan("-a\n+b")));
        assert!(matches!(
            view.preview.as_ref().unwrap().plan,
            Fetch::Ready(_)
        ));
        assert_eq!(view.plan_to_ask(&first), None);
        // A new revision makes the preview stale.
        assert_eq!(view.plan_to_ask(&status(2)).as_deref(), Some("prod"));
    }

    #[test]
    fn history_is_asked_again_after_a_new_revision() {
        let mut view = ConfigView::default();
        assert!(view.history_to_ask(Some(1)));
        assert!(!view.history_to_ask(Some(1)));
        view.on_history(Ok(vec![]));
        assert!(view.history_to_ask(Some(2)));
        assert!(matches!(view.history, Some(Fetch::Ready(_))));
    }
}
