//! The audit pane's keys: open it (reading the records and checking their chain), narrow it
//! with `/`, and follow new records as the engine announces them.

use super::AuditRead;
use crate::protocol::NoticeLevel;
use crate::tui::App;
use crate::tui::action::Action;
use crate::tui::input::{Input, InputEvent};
use crate::tui::keys::KeyPress;
use crate::tui::link::Request;
use crate::tui::state::{Pane, Popup};

impl App {
    pub(in crate::tui) fn act_on_audit(&mut self, action: Action) {
        match action {
            Action::AuditView if self.state.pane == Pane::Audit => {
                self.state.pane = Pane::Services;
            }
            Action::AuditView => {
                self.state.pane = Pane::Audit;
                self.read_audit();
            }
            Action::Filter => {
                let input = Input::new(self.state.audit.filter.clone());
                self.state.popups.push(Popup::AuditFilter(input));
            }
            _ => {}
        }
    }

    /// A record was appended somewhere this workspace's log is read from; or the engine
    /// came back. Only an open pane reads.
    pub(in crate::tui) fn on_audit_appended(&mut self) {
        if self.state.pane == Pane::Audit {
            self.read_audit();
        }
    }

    fn read_audit(&mut self) {
        if self.state.audit.want_read() {
            self.send(Request::Audit);
        }
    }

    pub(in crate::tui) fn on_audit_read(&mut self, read: AuditRead) {
        if let Err(error) = &read.records {
            let text = format!("cannot read the audit log: {error}");
            self.state.set_status(NoticeLevel::Warn, text);
        }
        if self.state.audit.on_read(read) && self.state.pane == Pane::Audit {
            self.read_audit();
        }
    }

    /// Typing in the pane's `/` filter narrows the list as you type; esc clears it.
    pub(in crate::tui) fn handle_audit_input(&mut self, press: KeyPress) -> bool {
        let Some(Popup::AuditFilter(input)) = self.state.top_popup_mut() else {
            return false;
        };
        let event = input.handle(press);
        let text = input.text().to_string();
        match event {
            InputEvent::Ignored => return false,
            InputEvent::Changed => self.state.audit.set_filter(&text),
            InputEvent::Submit => {
                self.state.popups.pop();
            }
            InputEvent::Cancel => {
                self.state.popups.pop();
                self.state.audit.set_filter("");
            }
            InputEvent::Moved | InputEvent::Complete => {}
        }
        true
    }
}
