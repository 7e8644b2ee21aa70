//! `:ask …`: the assistant's parser reads the sentence against the workspace's names. A
//! reading that only looks (logs, status, doctor) acts at once; one that changes anything
//! is shown as the question ("I understood: restart service api — confirm?") and runs
//! only after a yes, audited as done through the assistant.

use super::{DryRun, assisted, batch};
use crate::assist::finding::Suggestion;
use crate::assist::{Answer, Intent, Vocabulary, ask};
use crate::deploy::Ask;
use crate::logs::Level;
use crate::protocol::{Command, NoticeLevel, ServiceState};
use crate::supervisor::batch::Verb;
use crate::tui::App;
use crate::tui::link::Request;
use crate::tui::state::{Confirm, Pane, Popup, State};

/// What a mutating reading becomes.
enum Plan {
    Ask(Box<Confirm>),
    /// Nothing to do, or it cannot be done from here: why.
    Say(NoticeLevel, String),
}

impl App {
    pub(in crate::tui) fn ask(&mut self, text: &str) {
        let answer = ask(text, &vocabulary(&self.state));
        let (intent, lang) = match answer {
            Answer::Understood { intent, lang } => (intent, lang),
            Answer::NotUnderstood { message, .. } => {
                let text = format!("{message} — nothing done");
                return self.state.set_status(NoticeLevel::Error, text);
            }
        };
        let reading = intent.reading(lang);
        if !intent.mutates() {
            self.state.set_status(NoticeLevel::Info, reading);
            return self.look(intent);
        }
        match plan(&intent, &self.state, reading) {
            Plan::Ask(confirm) if self.permits(&confirm.then) => {
                self.state.popups.push(Popup::Confirm(*confirm));
            }
            Plan::Ask(_) => {}
            Plan::Say(level, text) => self.state.set_status(level, text),
        }
    }

    /// A reading that only looks: the pane that answers it.
    fn look(&mut self, intent: Intent) {
        match intent {
            Intent::Logs {
                service,
                level,
                since_secs,
                pattern,
            } => {
                self.state.logs.filter.level = level.as_deref().and_then(Level::from_name);
                self.show_filtered_logs(service, pattern);
                // The stored lines from that far back; the pane's own filters keep no start.
                let mut query = self.state.logs.restart();
                let now = self.state.now_ms;
                query.since = since_secs.map(|s| now.saturating_sub(s.saturating_mul(1000)));
                self.send(Request::Logs(query));
            }
            Intent::Status { service } => {
                self.state.pane = Pane::Services;
                self.state.set_filter("");
                let row = service.and_then(|s| self.state.visible().position(|v| v.name == s));
                if let Some(row) = row {
                    self.state.select_row(row);
                }
            }
            Intent::Doctor { .. } => self.show_assistant(),
            _ => {}
        }
    }
}

fn vocabulary(state: &State) -> Vocabulary {
    let environments = state.config_status().map_or_else(Vec::new, |c| {
        c.environments.iter().map(|e| e.name.clone()).collect()
    });
    Vocabulary {
        services: state
            .service_names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        environments,
    }
}

/// The question a mutating reading asks, saying what a yes sends.
fn plan(intent: &Intent, state: &State, reading: String) -> Plan {
    let ask = |then: Request, items: Vec<String>| {
        Plan::Ask(Box::new(Confirm {
            title: "Ask".to_string(),
            message: reading.clone(),
            items,
            then: assisted(then),
            typed: None,
        }))
    };
    let every = || {
        state
            .service_names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    match intent {
        Intent::Start { service: Some(s) } => one(state, Verb::Start, s, &reading),
        Intent::Stop { service: Some(s) } => one(state, Verb::Stop, s, &reading),
        Intent::Restart {
            service: Some(s),
            if_crash_loop,
        } => {
            let looping = state
                .services()
                .iter()
                .any(|v| v.name == *s && v.state == ServiceState::CrashLooping);
            match *if_crash_loop && !looping {
                true => Plan::Say(
                    NoticeLevel::Info,
                    format!("{s} is not crash-looping: nothing done"),
                ),
                false => one(state, Verb::Restart, s, &reading),
            }
        }
        Intent::Restart {
            service: None,
            if_crash_loop: true,
        } => Plan::Say(
            NoticeLevel::Error,
            "\"if it keeps crashing\" needs a service name — nothing done".into(),
        ),
        Intent::Start { service: None } => ask(
            Request::Engine(Command::Start {
                services: vec![],
                tags: vec![],
            }),
            every(),
        ),
        Intent::Stop { service: None } => {
            ask(Request::Engine(Command::Stop { services: vec![] }), every())
        }
        Intent::Restart { service: None, .. } => ask(
            Request::Engine(Command::Restart { services: every() }),
            every(),
        ),
        Intent::Silence { matchers, for_secs } => reworded(
            &Suggestion::Silence {
                matchers: matchers.clone(),
                for_secs: *for_secs,
            },
            state,
            reading,
        ),
        Intent::Rollback { service } => reworded(
            &Suggestion::Rollback {
                service: service.clone(),
            },
            state,
            reading,
        ),
        Intent::Deploy { service } => ask(
            Request::Deploy {
                service: service.clone(),
                ask: Ask::Deploy { git_ref: None },
            },
            vec![format!("service: {service}")],
        ),
        Intent::Ack { alert: Some(alert) } => ask(
            Request::Engine(Command::Ack {
                alert: alert.clone(),
                by: state.user.clone(),
                comment: None,
            }),
            vec![format!("alert: {alert}")],
        ),
        Intent::Ack { alert: None } => Plan::Say(
            NoticeLevel::Warn,
            "which alert? select it in the alerts pane (`A`) and press k".into(),
        ),
        // A switch shows its plan and may ask for the environment's name: the
        // environments pane does both.
        Intent::SwitchEnvironment { environment } => Plan::Say(
            NoticeLevel::Info,
            format!("to switch to {environment}: select it in the environments pane (`e`), enter"),
        ),
        Intent::Logs { .. } | Intent::Status { .. } | Intent::Doctor { .. } => {
            Plan::Say(NoticeLevel::Info, reading)
        }
    }
}

/// A suggestion's dry-run under the reading.
fn reworded(suggestion: &Suggestion, state: &State, reading: String) -> Plan {
    match super::dry_run(suggestion, state) {
        DryRun::Ask(confirm) => Plan::Ask(Box::new(Confirm {
            message: reading,
            ..confirm
        })),
        DryRun::Nothing(text) => Plan::Say(NoticeLevel::Info, format!("{text}: nothing done")),
        _ => Plan::Say(NoticeLevel::Error, "nothing done".into()),
    }
}

/// One service's batch plan under the reading.
fn one(state: &State, verb: Verb, service: &str, reading: &str) -> Plan {
    match batch(state, verb, service) {
        DryRun::Ask(confirm) => Plan::Ask(Box::new(Confirm {
            title: "Ask".to_string(),
            message: reading.to_owned(),
            ..confirm
        })),
        DryRun::Nothing(text) => Plan::Say(NoticeLevel::Info, format!("{text}: nothing done")),
        _ => Plan::Say(NoticeLevel::Error, "nothing done".into()),
    }
}
