//! The configuration center's half of the app: the environments pane and its preview, the
//! revision history, switching, reverting and applying an edit, each after a confirmation
//! that lists what restarts. A protected environment (`confirm: true`) wants its name typed.
//! The engine checks everything again; its refusals reach the status line in its words.

use ratatui::crossterm::event::KeyCode;

use crate::protocol::{Command, ConfigPlan, NoticeLevel};
use crate::tui::App;
use crate::tui::action::Action;
use crate::tui::chrome::text_dialog;
use crate::tui::config::environments;
use crate::tui::config::{Fetch, TextDialog, TypedName, change_items, plan_summary};
use crate::tui::keys::KeyPress;
use crate::tui::link::{ConfigQuery, Request};
use crate::tui::state::{Confirm, Pane, Popup};

impl App {
    /// What the config keys do, in the config panes and (the edit's keys) everywhere.
    pub(in crate::tui) fn act_on_config(&mut self, action: Action) {
        let pane = self.state.pane;
        match action {
            Action::EnvironmentsView if pane == Pane::Environments => {
                self.state.pane = Pane::Services;
            }
            Action::EnvironmentsView => self.open_environments(),
            Action::ConfigHistory if pane == Pane::ConfigHistory => {
                self.state.pane = Pane::Environments;
            }
            Action::ConfigHistory => {
                self.state.config.forget_history();
                self.state.pane = Pane::ConfigHistory;
            }
            Action::UseEnvironment => self.confirm_switch(),
            Action::ShowDiff if pane == Pane::ConfigHistory => self.show_revision_diff(),
            Action::ShowDiff => self.show_preview_diff(),
            Action::Revert => self.plan_revert(),
            Action::ApplyConfig => self.confirm_apply(),
            Action::PendingDiff => self.show_pending_diff(),
            Action::ConfigErrors => self.show_config_errors(),
            _ => {}
        }
    }

    fn open_environments(&mut self) {
        let Some(snapshot) = &self.state.snapshot else {
            self.state
                .set_status(NoticeLevel::Warn, "waiting for the engine's first snapshot");
            return;
        };
        let active = snapshot.environment.as_deref();
        self.state.config.open(&snapshot.config, active);
        self.state.pane = Pane::Environments;
    }

    /// Ask for what the config pane on screen misses: the selected environment's plan (one
    /// at a time), the history when it is new or a revision was applied since.
    pub(in crate::tui) fn request_config_data(&mut self) {
        let Some(status) = self.state.snapshot.as_ref().map(|s| &s.config) else {
            return;
        };
        let request = match self.state.pane {
            Pane::Environments => self.state.config.plan_to_ask(status).map(ConfigQuery::Plan),
            Pane::ConfigHistory => self
                .state
                .config
                .history_to_ask(status.revision)
                .then_some(ConfigQuery::History),
            _ => None,
        };
        if let Some(request) = request {
            self.send(Request::Config(request));
        }
    }

    /// Pages scroll the preview beside the environments list, whose rows are few.
    pub(in crate::tui) fn scroll_preview(&mut self, delta: isize) {
        let page = environments::preview_rows(&self.state);
        self.state.config.scroll_preview(delta, page);
    }

    pub(in crate::tui) fn scroll_text(&mut self, delta: isize) {
        let screen = self.state.screen;
        if let Some(Popup::Text(dialog)) = self.state.top_popup_mut() {
            let max = text_dialog::max_scroll(dialog.lines.len(), screen);
            dialog.scroll = dialog.scroll.saturating_add_signed(delta).min(max);
        }
    }

    /// Characters and editing keys go to the name a confirmation waits for; `enter` and
    /// `esc` stay the dialog's.
    pub(in crate::tui) fn handle_typed_name(&mut self, press: KeyPress) -> bool {
        let Some(Popup::Confirm(Confirm {
            typed: Some(typed), ..
        })) = self.state.popups.last_mut()
        else {
            return false;
        };
        let edits = press.typed_char().is_some()
            || matches!(
                press.code,
                KeyCode::Backspace
                    | KeyCode::Delete
                    | KeyCode::Left
                    | KeyCode::Right
                    | KeyCode::Home
                    | KeyCode::End
            );
        if edits {
            typed.input.handle(press);
            typed.refused = false;
        }
        edits
    }

    /// A confirmation whose name is not typed right stays open.
    pub(in crate::tui) fn refuse_untyped(&mut self, expected: &str) {
        let text = format!("type `{expected}` exactly to confirm");
        self.state.set_status(NoticeLevel::Warn, text);
    }

    fn confirm_switch(&mut self) {
        let Some(snapshot) = &self.state.snapshot else {
            return;
        };
        let status = &snapshot.config;
        let row = self.state.config.env_row(status.environments.len());
        let Some(info) = row.and_then(|r| status.environments.get(r)) else {
            let text = "the workspace declares no environments";
            self.state.set_status(NoticeLevel::Warn, text);
            return;
        };
        let name = info.name.clone();
        if snapshot.environment.as_deref() == Some(name.as_str()) {
            let text = format!("{name} is the active environment already");
            self.state.set_status(NoticeLevel::Info, text);
            return;
        }
        let plan = match &self.state.config.preview {
            Some(preview) if preview.environment == name => match &preview.plan {
                Fetch::Ready(text) => Some(&text.plan),
                Fetch::Loading | Fetch::Failed(_) => None,
            },
            _ => None,
        };
        let protected = info.confirm || plan.is_some_and(|p| p.confirm);
        let command = Command::UseEnvironment {
            environment: name.clone(),
            by: self.state.user.clone(),
        };
        let confirm = plan_confirm(
            format!("Switch to {name}?"),
            plan,
            command,
            protected,
            &name,
        );
        self.state.popups.push(Popup::Confirm(confirm));
    }

    fn confirm_apply(&mut self) {
        let Some(snapshot) = &self.state.snapshot else {
            return;
        };
        let Some(pending) = &snapshot.config.pending else {
            let text = "no edit of the config files is waiting to be applied";
            self.state.set_status(NoticeLevel::Info, text);
            return;
        };
        let environment = pending
            .environment
            .clone()
            .or_else(|| snapshot.environment.clone())
            .unwrap_or_default();
        let command = Command::ApplyConfig {
            hash: Some(pending.hash.clone()),
            by: self.state.user.clone(),
        };
        let title = "Apply the edited config?".to_string();
        let confirm = plan_confirm(title, Some(pending), command, pending.confirm, &environment);
        self.state.popups.push(Popup::Confirm(confirm));
    }

    fn plan_revert(&mut self) {
        let Some(revision) = self.state.config.selected_revision() else {
            self.state
                .set_status(NoticeLevel::Warn, "no revision is selected");
            return;
        };
        let id = revision.id;
        let applied = self.state.config_status().and_then(|c| c.revision);
        if applied == Some(id) {
            let text = format!("revision {id} is the applied one");
            self.state.set_status(NoticeLevel::Info, text);
            return;
        }
        if self.send(Request::Config(ConfigQuery::RevertPlan(id))) {
            self.state.config.reverting = Some(id);
            let text = format!("planning the revert to revision {id}…");
            self.state.set_status(NoticeLevel::Info, text);
        }
    }

    /// The revert plan arrived: ask, naming what restarts.
    pub(in crate::tui) fn on_revert_plan(
        &mut self,
        revision: u64,
        result: Result<ConfigPlan, String>,
    ) {
        if self.state.config.reverting != Some(revision) {
            return;
        }
        self.state.config.reverting = None;
        let plan = match result {
            Ok(plan) => plan,
            Err(error) => {
                let text = format!("cannot revert to revision {revision}: {error}");
                self.state.set_status(NoticeLevel::Error, text);
                return;
            }
        };
        let environment = plan.environment.clone().unwrap_or_default();
        let protected = plan.confirm
            || self
                .state
                .config_status()
                .and_then(|c| c.environment(&environment))
                .is_some_and(|e| e.confirm);
        let command = Command::RevertConfig {
            revision,
            by: self.state.user.clone(),
        };
        let title = format!("Revert to revision {revision}?");
        let confirm = plan_confirm(title, Some(&plan), command, protected, &environment);
        self.state.status = None;
        self.state.popups.push(Popup::Confirm(confirm));
    }

    fn show_preview_diff(&mut self) {
        let Some(preview) = &self.state.config.preview else {
            return;
        };
        let dialog = match &preview.plan {
            Fetch::Ready(text) => {
                plan_dialog(format!("Switch to {}", preview.environment), &text.plan)
            }
            Fetch::Loading => {
                let text = "the preview is still loading";
                self.state.set_status(NoticeLevel::Info, text);
                return;
            }
            Fetch::Failed(error) => {
                let text = format!("no preview: {error}");
                self.state.set_status(NoticeLevel::Error, text);
                return;
            }
        };
        self.state.popups.push(Popup::Text(dialog));
    }

    fn show_revision_diff(&mut self) {
        let Some(id) = self.state.config.selected_revision().map(|r| r.id) else {
            self.state
                .set_status(NoticeLevel::Warn, "no revision is selected");
            return;
        };
        if self.send(Request::Config(ConfigQuery::Diff(id))) {
            let dialog = TextDialog::loading(format!("Revision {id} → applied"), id);
            self.state.popups.push(Popup::Text(dialog));
        }
    }

    pub(in crate::tui) fn on_revision_diff(
        &mut self,
        revision: u64,
        result: Result<String, String>,
    ) {
        let waiting = self.state.popups.iter_mut().find_map(|p| match p {
            Popup::Text(dialog) if dialog.waiting == Some(revision) => Some(dialog),
            _ => None,
        });
        if let Some(dialog) = waiting {
            dialog.fill(result);
        }
    }

    fn show_pending_diff(&mut self) {
        let pending = self.state.config_status().and_then(|c| c.pending.as_ref());
        let Some(plan) = pending else {
            let text = "no edit of the config files is waiting to be applied";
            self.state.set_status(NoticeLevel::Info, text);
            return;
        };
        let dialog = plan_dialog("Config edited on disk, not applied".into(), plan);
        self.state.popups.push(Popup::Text(dialog));
    }

    fn show_config_errors(&mut self) {
        let errors = self.state.config_status().map(|c| c.errors.as_slice());
        match errors {
            Some(errors) if !errors.is_empty() => {
                let dialog = TextDialog::errors(errors);
                self.state.popups.push(Popup::Text(dialog));
            }
            _ => self
                .state
                .set_status(NoticeLevel::Info, "the config files load without problems"),
        }
    }
}

/// The question before a switch, a revert or an apply: what changes and what restarts;
/// the name to type when the target environment is protected.
fn plan_confirm(
    title: String,
    plan: Option<&ConfigPlan>,
    command: Command,
    protected: bool,
    environment: &str,
) -> Confirm {
    let (message, items) = match plan {
        Some(plan) if plan.changes.is_empty() => (
            "No service changes: only a new revision is recorded.".to_string(),
            vec![],
        ),
        Some(plan) => (format!("{}:", plan_summary(plan)), change_items(plan)),
        None => (
            "What changes is not known yet (the preview did not load).".to_string(),
            vec![],
        ),
    };
    let typed = protected && !environment.is_empty();
    Confirm {
        title,
        message,
        items,
        then: Request::Engine(command),
        typed: typed.then(|| TypedName::new(environment)),
    }
}

/// A plan's summary and changes above its diff.
fn plan_dialog(title: String, plan: &ConfigPlan) -> TextDialog {
    let mut head = vec![plan_summary(plan)];
    head.extend(
        change_items(plan)
            .into_iter()
            .map(|item| format!("  • {item}")),
    );
    TextDialog::diff(title, head, &plan.diff)
}
