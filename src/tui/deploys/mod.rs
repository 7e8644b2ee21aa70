//! The deploys pane: each service's latest deploy as a timeline of its stages (the running
//! one lit, live from `Event::Deploy`), its log tail, and the service's older deploys from
//! the engine's history (`GET /api/v1/deploys`), asked for each time the pane opens.

mod keys;
pub mod pane;

use crate::deploy::model::{DeployState, Deployment, Stage, StageRun, StageStatus};

/// Deploys of the history kept, across the workspace's services.
pub const KEPT: usize = 100;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeploysView {
    /// Row of the selected service in the pane's list.
    pub selected: usize,
    /// Recorded deploys, newest first; live ones are folded in as their events arrive.
    history: Vec<Deployment>,
}

impl DeploysView {
    pub fn move_by(&mut self, delta: isize, rows: usize) {
        let last = rows.saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn on_history(&mut self, history: Vec<Deployment>) {
        let live: Vec<Deployment> = std::mem::take(&mut self.history);
        self.history = history;
        // A deploy the stream brought while the history was on its way is newer than its row.
        for deploy in live {
            self.fold(&deploy);
        }
    }

    /// A deploy's new state: replaces its row, or is the newest one.
    pub fn fold(&mut self, deploy: &Deployment) {
        match self.history.iter_mut().find(|d| d.id == deploy.id) {
            Some(row) => *row = deploy.clone(),
            None => self.history.insert(0, deploy.clone()),
        }
        self.history.sort_by_key(|d| std::cmp::Reverse(d.id));
        self.history.truncate(KEPT);
    }

    /// `service`'s deploys before its latest one, newest first.
    pub fn older<'a>(
        &'a self,
        service: &'a str,
        latest: Option<u64>,
    ) -> impl Iterator<Item = &'a Deployment> {
        (self.history.iter()).filter(move |d| d.service == service && Some(d.id) != latest)
    }

    /// The release a rollback without one goes back to, as the engine picks it: the one
    /// the current release (the newest deploy that succeeded) replaced. Not the latest
    /// deploy's `previous`: after a rolled-back deploy that is the release serving now.
    pub fn rollback_target(&self, service: &str) -> Option<&str> {
        (self.history.iter())
            .find(|d| d.service == service && d.state == DeployState::Succeeded)
            .and_then(|d| d.previous.as_deref())
    }

    /// What `service` last deployed from a branch or tag (not a pushed commit's sha).
    pub fn last_ref(&self, service: &str) -> Option<&str> {
        (self.history.iter())
            .find(|d| d.service == service && d.trigger == "manual")
            .map(|d| d.git_ref.as_str())
    }
}

/// The stage whose log the pane shows: the running one, else the one that failed, else the
/// last one.
pub fn shown_stage(deploy: &Deployment) -> Option<&StageRun> {
    let running = deploy
        .stages
        .iter()
        .rfind(|s| s.status == StageStatus::Running);
    let failed = || {
        deploy
            .stages
            .iter()
            .rfind(|s| s.status == StageStatus::Failed)
    };
    running.or_else(failed).or(deploy.stages.last())
}

/// The stages a deploy goes through, for the timeline's rows not reached yet.
pub const STAGES: [Stage; 5] = [
    Stage::Fetch,
    Stage::Build,
    Stage::Switch,
    Stage::Gate,
    Stage::Soak,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::model::DeployState;

    fn deploy(id: u64, service: &str, state: DeployState) -> Deployment {
        Deployment {
            id,
            service: service.into(),
            trigger: "manual".into(),
            by: "t".into(),
            git_ref: "main".into(),
            commit: None,
            release: None,
            previous: None,
            state,
            stages: vec![],
            cause: None,
            started_at: id,
            ended_at: None,
            switched: false,
            colours: None,
            approval: None,
        }
    }

    #[test]
    fn live_deploys_replace_their_rows_and_survive_the_history() {
        let mut view = DeploysView::default();
        view.fold(&deploy(3, "api", DeployState::Running));
        view.on_history(vec![
            deploy(2, "api", DeployState::Succeeded),
            deploy(1, "db", DeployState::Failed),
        ]);
        view.fold(&deploy(3, "api", DeployState::Succeeded));
        let ids: Vec<u64> = view.older("api", None).map(|d| d.id).collect();
        assert_eq!(ids, [3, 2]);
        assert_eq!(view.older("api", Some(3)).count(), 1);
        assert_eq!(
            view.older("api", Some(3)).next().map(|d| d.state),
            Some(DeployState::Succeeded)
        );
    }

    #[test]
    fn the_selection_stays_in_the_list() {
        let mut view = DeploysView::default();
        view.move_by(5, 3);
        assert_eq!(view.selected, 2);
        view.move_by(isize::MIN, 3);
        assert_eq!(view.selected, 0);
    }
}
