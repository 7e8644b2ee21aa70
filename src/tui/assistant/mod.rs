//! The assistant pane: `uc doctor`'s findings, most important first, each with its cause,
//! evidence and the allowlisted actions that would help. The findings come from `GET
//! /api/v1/doctor` when the pane opens, every few seconds while it shows and on demand.
//! `Enter` on an action shows its dry-run ([`dry_run`]) and asks; what a yes sends is an
//! [`Request::Assisted`], audited as done by the user through the assistant. `:ask …` on
//! the command line reads a sentence into the same allowlist (`ask`).

mod ask;
mod keys;
pub mod pane;

use crate::assist::duration;
use crate::assist::finding::{Diagnosis, Finding, Suggestion};
use crate::deploy::Ask;
use crate::protocol::Command;
use crate::supervisor::batch::{Batch, Verb};
use crate::tui::config::TextDialog;
use crate::tui::link::Request;
use crate::tui::services::marks::capitalised;
use crate::tui::state::{Confirm, State};

/// How often the open pane diagnoses again.
pub const REFRESH_MS: u64 = 3_000;

/// The selection: which finding's which action, by what stays the same across reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Key {
    analyzer: String,
    service: Option<String>,
    action: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssistantView {
    pub diagnosis: Option<Diagnosis>,
    /// Why the last read failed; the findings before it stay shown.
    pub error: Option<String>,
    /// Row among [`AssistantView::items`].
    pub selected: usize,
    /// Whether a read is on its way, and when the last one was asked for (Unix ms).
    reading: bool,
    asked_ms: u64,
    /// The playbook whose plan the assistant asked for: its run, confirmed, is assisted.
    pub playbook: Option<String>,
}

/// One row the selection moves over: a finding's action, or a finding that has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub finding: usize,
    pub action: Option<usize>,
}

impl AssistantView {
    /// Whether to diagnose now: not while a read is out; `due` only every [`REFRESH_MS`].
    pub fn want_read(&mut self, now_ms: u64, forced: bool) -> bool {
        let due = now_ms.saturating_sub(self.asked_ms) >= REFRESH_MS;
        if self.reading || !(forced || due) {
            return false;
        }
        self.reading = true;
        self.asked_ms = now_ms;
        true
    }

    /// A diagnosis landed: the selection stays on the same finding's action when it is
    /// still there.
    pub fn on_read(&mut self, result: Result<Diagnosis, String>) {
        self.reading = false;
        let key = self.key();
        match result {
            Ok(diagnosis) => {
                self.diagnosis = Some(diagnosis);
                self.error = None;
            }
            Err(error) => self.error = Some(error),
        }
        let items = self.items();
        self.selected = key
            .and_then(|key| items.iter().position(|i| self.key_of(*i) == key))
            .unwrap_or(self.selected)
            .min(items.len().saturating_sub(1));
    }

    pub fn findings(&self) -> &[Finding] {
        self.diagnosis
            .as_ref()
            .map_or(&[], |d| d.findings.as_slice())
    }

    pub fn items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for (finding, f) in self.findings().iter().enumerate() {
            if f.actions.is_empty() {
                items.push(Item {
                    finding,
                    action: None,
                });
            }
            items.extend((0..f.actions.len()).map(|a| Item {
                finding,
                action: Some(a),
            }));
        }
        items
    }

    /// The selected finding and its selected action.
    pub fn selection(&self) -> Option<(&Finding, Option<&Suggestion>)> {
        let item = *self.items().get(self.selected)?;
        let finding = self.findings().get(item.finding)?;
        Some((finding, item.action.and_then(|a| finding.actions.get(a))))
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.items().len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    fn key(&self) -> Option<Key> {
        self.items().get(self.selected).map(|i| self.key_of(*i))
    }

    fn key_of(&self, item: Item) -> Key {
        let finding = &self.findings()[item.finding];
        Key {
            analyzer: finding.analyzer.clone(),
            service: finding.service.clone(),
            action: item.action,
        }
    }
}

/// What `Enter` on a suggestion does before anything changes.
#[derive(Debug, Clone, PartialEq)]
pub enum DryRun {
    /// Ask, saying exactly what a yes sends (an [`Request::Assisted`]).
    Ask(Confirm),
    /// Nothing to confirm: the logs pane, filtered.
    Logs {
        service: Option<String>,
        pattern: Option<String>,
    },
    /// The playbook's own plan, which asks before it runs.
    Playbook(String),
    /// What applying the pending edit changes, and the question, as `U` asks it.
    ApplyConfig,
    /// What would change, shown but not applied from here (a config value to edit).
    Show(TextDialog),
    /// Nothing would change: why, for the status line.
    Nothing(String),
}

/// The dry-run of `suggestion` against the state on screen.
pub fn dry_run(suggestion: &Suggestion, state: &State) -> DryRun {
    match suggestion {
        Suggestion::Start { service } => batch(state, Verb::Start, service),
        Suggestion::Stop { service } => batch(state, Verb::Stop, service),
        Suggestion::Restart { service } => batch(state, Verb::Restart, service),
        Suggestion::Rollback { service } => DryRun::Ask(rollback(state, service)),
        Suggestion::Silence { matchers, for_secs } => {
            DryRun::Ask(silence(state, matchers, *for_secs))
        }
        Suggestion::Logs { service, pattern } => DryRun::Logs {
            service: service.clone(),
            pattern: pattern.clone(),
        },
        Suggestion::RunPlaybook { playbook } => DryRun::Playbook(playbook.clone()),
        Suggestion::ApplyConfig => DryRun::ApplyConfig,
        Suggestion::RaiseLimit { path, from, to } => DryRun::Show(TextDialog::diff(
            format!("Raise {path}?"),
            vec![
                "Edit the workspace file so that:".into(),
                "then apply the edit (`U` shows its diff and asks).".into(),
            ],
            &format!("- {path}: {from}\n+ {path}: {to}\n"),
        )),
    }
}

/// Assisted: a request confirmed in the assistant.
pub fn assisted(request: Request) -> Request {
    Request::Assisted(Box::new(request))
}

/// The batch plan of one service, as the services pane's marks show it.
fn batch(state: &State, verb: Verb, service: &str) -> DryRun {
    let batch = Batch {
        workspace: None,
        verb,
        targets: vec![service.to_owned()],
    };
    let plan = match batch.plan(state.services()) {
        Ok(plan) => plan,
        Err(e) => return DryRun::Nothing(e.to_string()),
    };
    if plan.steps.is_empty() {
        let done = match verb {
            Verb::Start => "already running",
            Verb::Stop => "already stopped",
            Verb::Restart => "nothing to restart",
        };
        return DryRun::Nothing(format!("{service}: {done}"));
    }
    DryRun::Ask(Confirm {
        title: format!("{} {service}?", capitalised(verb)),
        message: format!(
            "The assistant suggests `uc {} {service}`. In this order:",
            {
                match verb {
                    Verb::Start => "up",
                    Verb::Stop => "down",
                    Verb::Restart => "restart",
                }
            }
        ),
        items: plan.lines(),
        then: assisted(Request::Engine(plan.command())),
        typed: None,
    })
}

fn rollback(state: &State, service: &str) -> Confirm {
    let back_to = match state.deploys.rollback_target(service) {
        Some(previous) => format!("back to: {previous} (the release before the current)"),
        None => "back to: the release before the current".to_string(),
    };
    Confirm {
        title: format!("Roll {service} back?"),
        message: "The assistant suggests it. The previous release serves again:".to_string(),
        items: vec![format!("service: {service}"), back_to],
        then: assisted(Request::Deploy {
            service: service.to_owned(),
            ask: Ask::Rollback { release: None },
        }),
        typed: None,
    }
}

fn silence(state: &State, matchers: &[String], for_secs: u64) -> Confirm {
    let until = state.now_ms.saturating_add(for_secs.saturating_mul(1000));
    let until = crate::store::audit::chain::time_of(until);
    let until = until.get(..16).unwrap_or(&until).replacen('T', " ", 1);
    let mut items: Vec<String> = matchers.iter().map(|m| format!("matching {m}")).collect();
    items.push(format!(
        "for {}, until {until} UTC",
        duration::short(for_secs)
    ));
    Confirm {
        title: "Silence these alerts?".to_string(),
        message: "The assistant suggests it. Alerts that match stay quiet:".to_string(),
        items,
        then: assisted(Request::Engine(Command::Silence {
            matchers: matchers.to_vec(),
            duration: duration::short(for_secs),
            by: state.user.clone(),
            comment: Some("through the assistant".into()),
        })),
        typed: None,
    }
}

#[cfg(test)]
mod tests;
