//! The assistant pane's keys: open it (diagnosing at once, then every few seconds while
//! it shows), diagnose again on demand, and `Enter` on an action: its dry-run, then the
//! question before anything changes.

use super::{DryRun, dry_run};
use crate::assist::Diagnosis;
use crate::deploy::Ask;
use crate::protocol::NoticeLevel;
use crate::tui::App;
use crate::tui::action::Action;
use crate::tui::link::Request;
use crate::tui::state::{Pane, Popup};

impl App {
    pub(in crate::tui) fn act_on_assistant(&mut self, action: Action) {
        match action {
            Action::AssistantView if self.state.pane == Pane::Assistant => {
                self.state.pane = Pane::Services;
            }
            Action::AssistantView => self.show_assistant(),
            Action::RefreshFindings => self.refresh_findings(true),
            Action::ApplySuggestion => self.dry_run_selected(),
            _ => {}
        }
    }

    pub(in crate::tui) fn show_assistant(&mut self) {
        self.state.pane = Pane::Assistant;
        self.refresh_findings(true);
    }

    /// Diagnose again: `forced` now, else when the open pane's findings are due.
    pub(in crate::tui) fn refresh_findings(&mut self, forced: bool) {
        let now = self.state.now_ms;
        if self.state.pane == Pane::Assistant
            && self.state.connected
            && self.state.assistant.want_read(now, forced)
        {
            self.send(Request::Doctor);
        }
    }

    pub(in crate::tui) fn on_diagnosis(&mut self, result: Result<Diagnosis, String>) {
        if let Err(error) = &result {
            let text = format!("cannot diagnose: {error}");
            self.state.set_status(NoticeLevel::Warn, text);
        }
        self.state.assistant.on_read(result);
    }

    fn dry_run_selected(&mut self) {
        let Some((finding, action)) = self.state.assistant.selection() else {
            return self
                .state
                .set_status(NoticeLevel::Info, "nothing is wrong: no action to take");
        };
        let Some(action) = action.cloned() else {
            let text = format!("{}: no action suggested", finding.analyzer);
            return self.state.set_status(NoticeLevel::Info, text);
        };
        match dry_run(&action, &self.state) {
            // A role that may not send it hears so now, not after the question.
            DryRun::Ask(confirm) if !self.permits(&confirm.then) => {}
            DryRun::Ask(confirm) => self.state.popups.push(Popup::Confirm(confirm)),
            DryRun::Logs { service, pattern } => self.show_filtered_logs(service, pattern),
            DryRun::Playbook(name) => {
                self.playbook(Some(name.clone()), false);
                self.state.assistant.playbook = Some(name);
            }
            DryRun::ApplyConfig => self.assisted_apply(),
            DryRun::Show(dialog) => self.state.popups.push(Popup::Text(dialog)),
            DryRun::Nothing(text) => self.state.set_status(NoticeLevel::Info, text),
        }
    }

    /// The logs pane, of one service or every one, showing only lines matching `pattern`.
    pub(in crate::tui) fn show_filtered_logs(
        &mut self,
        service: Option<String>,
        pattern: Option<String>,
    ) {
        self.show_logs_of(service);
        if let Some(pattern) = pattern {
            self.set_grep(&regex::escape(&pattern));
        }
    }

    /// The pending edit's question, as `U` asks it (naming that edit), sent through the
    /// assistant.
    fn assisted_apply(&mut self) {
        let before = self.state.popups.len();
        self.act_on_config(Action::ApplyConfig);
        if self.state.popups.len() > before
            && let Some(Popup::Confirm(confirm)) = self.state.popups.last_mut()
        {
            let then = std::mem::replace(&mut confirm.then, Request::Doctor);
            confirm.then = super::assisted(then);
        }
    }

    /// A request confirmed in the assistant.
    pub(in crate::tui) fn send_assisted(&mut self, request: Request) {
        let text = match &request {
            Request::Engine(command) => return self.send_engine(command.clone(), true),
            Request::Deploy {
                service,
                ask: Ask::Rollback { .. },
            } => format!("rolling {service} back…"),
            Request::Deploy { service, .. } => format!("deploying {service}…"),
            Request::RunPlaybook { name, .. } => format!("running playbook {name}…"),
            _ => "sending…".to_string(),
        };
        if self.send(super::assisted(request)) {
            self.state.set_status(NoticeLevel::Info, text);
        }
    }
}
