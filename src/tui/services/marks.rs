//! Marked services: `space` marks the selected row, then start, stop and restart act on
//! every marked service at once, in dependency order, after one confirmation listing what
//! the batch does (`supervisor::batch`'s plan, the one `uc … --dry-run` prints). `esc`
//! (with no popup or filter to close) or `backspace` clears the marks; a confirmed batch clears them.

use std::collections::BTreeSet;

use crate::protocol::{Command, NoticeLevel};
use crate::supervisor::batch::{Batch, Verb};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::Layer;
use crate::tui::link::Request;
use crate::tui::state::{Confirm, Pane, Popup};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks {
    names: BTreeSet<String>,
    /// The command the open batch confirmation sends: once it is sent, the marks go.
    asked: Option<Command>,
}

impl Marks {
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn clear(&mut self) {
        self.names.clear();
        self.asked = None;
    }
}

impl App {
    /// Mark or unmark the selected service, then move to the next row.
    pub(crate) fn toggle_mark(&mut self) {
        let Some(name) = self.state.selected().map(|s| s.name.clone()) else {
            return;
        };
        let marks = &mut self.state.marks.names;
        if !marks.remove(&name) {
            marks.insert(name);
        }
        let text = match marks.len() {
            0 => "no service is marked".to_string(),
            n => format!("{n} marked: {}", self.mark_keys()),
        };
        self.state.set_status(NoticeLevel::Info, text);
        self.state.move_selection(1);
    }

    /// `s x r act on every mark, backspace clears`, from the live keymap.
    pub(crate) fn mark_keys(&self) -> String {
        let key = |action| {
            (self.keymap.keys(Layer::Services, action).first())
                .map_or_else(String::new, |k| k.symbol())
        };
        let acting: Vec<String> = [Action::Start, Action::Stop, Action::Restart]
            .into_iter()
            .map(key)
            .filter(|k| !k.is_empty())
            .collect();
        format!(
            "{} act on every mark, {} clears",
            acting.join(" "),
            key(Action::ClearMarks)
        )
    }

    pub(crate) fn clear_marks(&mut self) {
        self.state.marks.clear();
        if self.state.pane == Pane::Overview {
            self.clear_overview_marks();
        }
    }

    /// Start, stop or restart every marked service: ask once, listing the plan in order.
    pub(crate) fn batch(&mut self, verb: Verb) {
        let services = self.state.services();
        let marked: Vec<String> = (services.iter())
            .filter(|s| self.state.marks.contains(&s.name))
            .map(|s| s.name.clone())
            .collect();
        let batch = Batch {
            workspace: None,
            verb,
            targets: marked.clone(),
        };
        let plan = match batch.plan(services) {
            Ok(plan) => plan,
            Err(e) => return self.state.set_status(NoticeLevel::Error, e.to_string()),
        };
        if plan.steps.is_empty() {
            let done = match verb {
                Verb::Start => "already running",
                Verb::Stop => "already stopped",
                Verb::Restart => "nothing to restart",
            };
            let text = format!("{}: {done}", plan.unchanged.join(", "));
            return self.state.set_status(NoticeLevel::Info, text);
        }
        let dependents = plan.dependents();
        let elsewhere = match verb {
            Verb::Stop => self.state.stranded(&plan.selected),
            Verb::Start | Verb::Restart => Vec::new(),
        };
        let message = match dependents.as_slice() {
            [] => "In this order:".to_string(),
            [one] => format!("{one} is not marked but depends on one that stops. In this order:"),
            many => format!(
                "{} are not marked but depend on ones that stop. In this order:",
                many.join(", ")
            ),
        };
        let command = plan.command();
        self.state.marks.asked = Some(command.clone());
        self.state.popups.push(Popup::Confirm(Confirm {
            title: format!("{} {} services?", capitalised(verb), plan.steps.len()),
            message,
            items: [plan.lines(), elsewhere].concat(),
            then: Request::Engine(command),
            typed: None,
        }));
    }

    /// After a confirmation was answered yes: a batch sent clears the marks.
    pub(crate) fn confirmed(&mut self, then: &Request) {
        let marks = &mut self.state.marks;
        if matches!(then, Request::Engine(c) if marks.asked.as_ref() == Some(c)) {
            marks.clear();
        }
        self.overview_confirmed(then);
    }
}

pub(crate) fn capitalised(verb: Verb) -> &'static str {
    match verb {
        Verb::Start => "Start",
        Verb::Stop => "Stop",
        Verb::Restart => "Restart",
    }
}
