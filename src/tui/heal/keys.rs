//! The playbook half of the app: `:playbook NAME` plans a run in the background and shows
//! the plan, `y` runs it for real and the report shows the same way. The engine checks the
//! name and the file, so its refusals reach the user in its own words.

use crate::heal::PlaybookList;
use crate::heal::playbook::PlaybookReport;
use crate::protocol::NoticeLevel;
use crate::tui::App;
use crate::tui::chrome::text_dialog;
use crate::tui::heal::playbook::{PlaybookDialog, PlaybookMode};
use crate::tui::link::Request;
use crate::tui::state::Popup;

impl App {
    /// `:playbook NAME` (a plan that asks) or `:playbook NAME --dry-run` (a plan only).
    pub(in crate::tui) fn playbook(&mut self, name: Option<String>, dry_run: bool) {
        self.state.assistant.playbook = None;
        let Some(name) = name else {
            let known = match self.state.playbooks.as_slice() {
                [] => "the workspace has none in configs/playbooks/".to_string(),
                names => format!("playbooks: {}", names.join(", ")),
            };
            let text = format!("usage: playbook NAME [--dry-run] ({known})");
            self.state.set_status(NoticeLevel::Error, text);
            return;
        };
        let mode = if dry_run {
            PlaybookMode::DryRun
        } else {
            PlaybookMode::Plan
        };
        self.request_playbook(name, mode);
    }

    fn request_playbook(&mut self, name: String, mode: PlaybookMode) {
        let text = match mode {
            PlaybookMode::Run => format!("running playbook {name}…"),
            PlaybookMode::Plan | PlaybookMode::DryRun => format!("planning playbook {name}…"),
        };
        if self.send(Request::RunPlaybook { name, mode }) {
            self.state.set_status(NoticeLevel::Info, text);
        }
    }

    /// A plan or a report arrived: show it; the summary goes to the status line.
    pub(in crate::tui) fn on_playbook_run(
        &mut self,
        name: &str,
        mode: PlaybookMode,
        result: Result<PlaybookReport, String>,
    ) {
        match result {
            Ok(report) => {
                let level = if report.succeeded() {
                    NoticeLevel::Info
                } else {
                    NoticeLevel::Error
                };
                self.state.set_status(level, report.summary());
                let dialog = PlaybookDialog::report(&report, mode);
                self.state.popups.push(Popup::Playbook(dialog));
            }
            Err(error) => {
                let first = error.lines().next().unwrap_or_default().to_string();
                // A broken file comes with its source line and a caret: too much for one line.
                if error.lines().nth(1).is_some() {
                    let dialog = PlaybookDialog::refusal(name, &error);
                    self.state.popups.push(Popup::Playbook(dialog));
                }
                self.state.set_status(NoticeLevel::Error, first);
            }
        }
    }

    pub(in crate::tui) fn on_playbooks(&mut self, result: Result<PlaybookList, String>) {
        match result {
            Ok(list) => {
                self.state.playbooks = list.playbooks.into_iter().map(|p| p.name).collect();
            }
            Err(error) => {
                let text = format!("cannot list the playbooks: {error}");
                self.state.set_status(NoticeLevel::Warn, text);
            }
        }
    }

    /// `y` on a plan runs the playbook for real; on a report it only closes it.
    pub(in crate::tui) fn confirm_playbook(&mut self) {
        if let Some(Popup::Playbook(dialog)) = self.state.popups.pop()
            && let Some(name) = dialog.runs
        {
            if self.state.assistant.playbook.take() == Some(name.clone()) {
                let mode = PlaybookMode::Run;
                return self.send_assisted(Request::RunPlaybook { name, mode });
            }
            self.request_playbook(name, PlaybookMode::Run);
        }
    }

    pub(in crate::tui) fn scroll_playbook(&mut self, delta: isize) {
        let screen = self.state.screen;
        if let Some(Popup::Playbook(dialog)) = self.state.top_popup_mut() {
            let max = text_dialog::max_scroll(dialog.lines.len(), screen);
            dialog.scroll = dialog.scroll.saturating_add_signed(delta).min(max);
        }
    }
}
