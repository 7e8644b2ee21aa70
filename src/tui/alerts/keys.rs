//! The alerting half of the app: acknowledging, the silence popup, expiring silences, and
//! the `:ack` / `:silence` / `:expire` commands. Checks that need the alert's state happen
//! here, so the engine only gets requests that make sense.

use crate::alerts::AlertState;
use crate::protocol::{Command, NoticeLevel};
use crate::tui::App;
use crate::tui::action::Action;
use crate::tui::keymap::{Layer, Lookup};
use crate::tui::keys::KeyPress;
use crate::tui::link::Request;
use crate::tui::silences::form::{SilenceForm, SilenceRequest};
use crate::tui::state::{Confirm, Pane, Popup};

/// Ids as the tables show them: enough to tell alerts apart, short enough to read.
const SHORT_ID: usize = 8;

/// Why an id typed on the command line names no single alert or silence.
#[derive(Debug, thiserror::Error)]
enum IdError {
    #[error("no {what} `{id}`")]
    Unknown { what: &'static str, id: String },
    #[error("`{id}` starts {count} {what} ids: type more of it")]
    Ambiguous {
        what: &'static str,
        id: String,
        count: usize,
    },
}

/// Why an alert is not acknowledged: nothing the engine would do, so it is never asked.
#[derive(Debug, thiserror::Error)]
enum AckRefusal {
    #[error("{name} is resolved: nothing to ack")]
    Resolved { name: String },
    #[error("{name} is already acknowledged by {by}")]
    AlreadyAcknowledged { name: String, by: String },
}

impl App {
    pub(in crate::tui) fn ack_selected(&mut self) {
        match self.state.selected_alert().map(|a| a.id.clone()) {
            Some(id) => self.ack(&id),
            None => self
                .state
                .set_status(NoticeLevel::Warn, "no alert is selected"),
        }
    }

    /// Acknowledge an alert by id or unique prefix, unless there is nothing to acknowledge.
    pub(in crate::tui) fn ack(&mut self, id: &str) {
        let found = find(self.state.alerts(), |a| &a.id, id, "alert").map(|alert| {
            let name = format!("{} {}", alert.rule, short(&alert.id));
            match (&alert.state, &alert.ack) {
                (AlertState::Resolved, _) => Err(AckRefusal::Resolved { name }),
                (_, Some(ack)) => Err(AckRefusal::AlreadyAcknowledged {
                    name,
                    by: ack.by.clone(),
                }),
                _ => Ok(alert.id.clone()),
            }
        });
        match found {
            Ok(Ok(alert)) => self.send_command(Command::Ack {
                alert,
                by: self.state.user.clone(),
                comment: None,
            }),
            Ok(Err(refusal)) => self
                .state
                .set_status(NoticeLevel::Warn, refusal.to_string()),
            Err(error) => self.state.set_status(NoticeLevel::Error, error.to_string()),
        }
    }

    /// The silence popup, prefilled from the selected alert when the alerts pane shows.
    pub(in crate::tui) fn open_silence_form(&mut self) {
        let alert = match self.state.pane {
            Pane::Alerts => self.state.selected_alert(),
            _ => None,
        };
        let form = SilenceForm::new(alert, self.state.alerts());
        self.state.popups.push(Popup::Silence(Box::new(form)));
    }

    /// Give a press to the silence popup's focused input, unless the keymap has it (tab,
    /// enter, esc, ctrl-c): those are routed as keys. Returns whether the popup took it.
    pub(in crate::tui) fn handle_form_press(&mut self, press: KeyPress) -> bool {
        let alerts = self.state.snapshot.as_ref().map_or(&[][..], |s| &s.alerts);
        let Some(Popup::Silence(form)) = self.state.popups.last_mut() else {
            return false;
        };
        let bound = |layer| self.keymap.lookup(layer, &[press]) != Lookup::None;
        // Characters always type, even those bound globally (`q`).
        if bound(Layer::SilenceForm) || (press.typed_char().is_none() && bound(Layer::Global)) {
            return false;
        }
        form.edit(press, alerts);
        true
    }

    pub(in crate::tui) fn move_form_focus(&mut self, delta: isize) {
        if let Some(Popup::Silence(form)) = self.state.top_popup_mut() {
            form.cycle(delta);
        }
    }

    /// Send the popup's silence, or leave it open with its errors shown.
    pub(in crate::tui) fn submit_silence_form(&mut self) {
        let alerts = self.state.snapshot.as_ref().map_or(&[][..], |s| &s.alerts);
        let Some(Popup::Silence(form)) = self.state.popups.last_mut() else {
            return;
        };
        if let Some(request) = form.submit(alerts) {
            self.state.popups.pop();
            self.silence(request);
        }
    }

    pub(in crate::tui) fn silence(&mut self, request: SilenceRequest) {
        self.send_command(Command::Silence {
            matchers: request.matchers,
            duration: request.duration,
            by: self.state.user.clone(),
            comment: request.comment,
        });
    }

    pub(in crate::tui) fn expire_selected(&mut self) {
        match self.state.selected_silence().map(|s| s.id.clone()) {
            Some(id) => self.confirm_expire(&id),
            None => self
                .state
                .set_status(NoticeLevel::Warn, "no silence is selected"),
        }
    }

    /// Ask before ending a silence by id or unique prefix: its alerts notify again.
    pub(in crate::tui) fn confirm_expire(&mut self, id: &str) {
        let confirm =
            find(self.state.silences(), |s| &s.id, id, "silence").map(|silence| Confirm {
                title: format!("Expire silence {}?", silence.id),
                message: "Alerts it mutes will notify again. It matches:".to_string(),
                items: silence.matchers.iter().map(ToString::to_string).collect(),
                then: Request::Engine(Command::Expire {
                    silence: silence.id.clone(),
                }),
                typed: None,
            });
        match confirm {
            Ok(confirm) => self.state.popups.push(Popup::Confirm(confirm)),
            Err(error) => self.state.set_status(NoticeLevel::Error, error.to_string()),
        }
    }

    /// What the alert keys do in the alerts and silences panes.
    pub(in crate::tui) fn act_on_alerts(&mut self, action: Action) {
        match action {
            Action::AlertsView if self.state.pane == Pane::Alerts => {
                self.state.pane = Pane::Services;
            }
            Action::AlertsView => self.state.pane = Pane::Alerts,
            Action::SilencesView if self.state.pane == Pane::Silences => {
                self.state.pane = Pane::Alerts;
            }
            Action::SilencesView => self.state.pane = Pane::Silences,
            Action::Ack => self.ack_selected(),
            Action::NewSilence => self.open_silence_form(),
            Action::Expire => self.expire_selected(),
            Action::NextField => self.move_form_focus(1),
            Action::PreviousField => self.move_form_focus(-1),
            _ => {}
        }
    }
}

/// The item whose id is `id`, or the only one it starts.
fn find<'a, T>(
    items: &'a [T],
    id_of: impl Fn(&T) -> &str,
    id: &str,
    what: &'static str,
) -> Result<&'a T, IdError> {
    if let Some(exact) = items.iter().find(|i| id_of(i) == id) {
        return Ok(exact);
    }
    let matching: Vec<&T> = items.iter().filter(|i| id_of(i).starts_with(id)).collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(IdError::Unknown {
            what,
            id: id.to_string(),
        }),
        many => Err(IdError::Ambiguous {
            what,
            id: id.to_string(),
            count: many.len(),
        }),
    }
}

fn short(id: &str) -> &str {
    id.get(..SHORT_ID).unwrap_or(id)
}
