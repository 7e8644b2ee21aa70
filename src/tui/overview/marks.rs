//! Marks across workspaces: `right` (or `tab`) lists a workspace's services under its row,
//! read from the overview's snapshots, `left` folds them; `space` marks a service of any
//! workspace (`backspace`, or `esc` with nothing open, clears them), and start, stop and
//! restart act on every mark after one confirmation listing each workspace's part in
//! dependency order. Each part is `supervisor::batch`'s plan for
//! that workspace (the one `uc … --dry-run` prints), sent to that workspace's own engine.

use std::collections::BTreeSet;

use super::Line;
use crate::protocol::NoticeLevel;
use crate::protocol::links::{stopping, stranded};
use crate::supervisor::batch::{Batch, Plan, Verb};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::Layer;
use crate::tui::link::Request;
use crate::tui::services::marks::capitalised;
use crate::tui::state::{Confirm, Popup};

impl App {
    /// List the selected workspace's services under its row.
    pub(crate) fn expand_workspace(&mut self) {
        let Some(row) = self.state.workspaces.selected_row() else {
            return;
        };
        if row.members.is_empty() {
            let text = format!("{}: no services to list ({})", row.name, row.state_word());
            return self.state.set_status(NoticeLevel::Info, text);
        }
        let name = row.name.clone();
        self.state.workspaces.expanded.insert(name);
    }

    /// Fold the selected workspace (or the one of the selected service) back to its row.
    pub(crate) fn collapse_workspace(&mut self) {
        let workspaces = &mut self.state.workspaces;
        let Some(Line::Workspace(i) | Line::Service(i, _)) = workspaces.selected_line() else {
            return;
        };
        let name = workspaces.rows[i].name.clone();
        workspaces.expanded.remove(&name);
        workspaces.selected = (workspaces.lines().iter())
            .position(|l| *l == Line::Workspace(i))
            .unwrap_or_default();
    }

    /// Mark or unmark the selected service, then move to the next line.
    pub(crate) fn toggle_overview_mark(&mut self) {
        let workspaces = &mut self.state.workspaces;
        let Some(Line::Service(i, j)) = workspaces.selected_line() else {
            let text = format!("{} lists a workspace's services to mark", self.expand_key());
            return self.state.set_status(NoticeLevel::Info, text);
        };
        let row = &workspaces.rows[i];
        let mark = (row.name.clone(), row.members[j].name.clone());
        if !workspaces.marks.remove(&mark) {
            workspaces.marks.insert(mark);
        }
        workspaces.move_by(1);
        let text = match self.marked_in() {
            (0, _) => "no service is marked".to_string(),
            (n, w) => format!("{n} marked in {w} workspaces: {}", self.mark_keys()),
        };
        self.state.set_status(NoticeLevel::Info, text);
    }

    /// Marks, and the workspaces they are in.
    fn marked_in(&self) -> (usize, usize) {
        let marks = &self.state.workspaces.marks;
        let workspaces: BTreeSet<&String> = marks.iter().map(|(w, _)| w).collect();
        (marks.len(), workspaces.len())
    }

    fn expand_key(&self) -> String {
        (self.keymap.keys(Layer::Overview, Action::Expand).first())
            .map_or_else(|| "expand".into(), |k| k.symbol())
    }

    pub(crate) fn clear_overview_marks(&mut self) {
        self.state.workspaces.marks.clear();
        self.state.workspaces.asked = None;
    }

    /// Start, stop or restart every marked service: ask once, listing each workspace's plan.
    pub(crate) fn overview_batch(&mut self, verb: Verb) {
        if self.state.workspaces.marks.is_empty() {
            let text = format!(
                "no service is marked: {} lists a workspace's services, space marks",
                self.expand_key()
            );
            return self.state.set_status(NoticeLevel::Info, text);
        }
        let parts = match self.plans(verb) {
            Ok(parts) => parts,
            Err(e) => return self.state.set_status(NoticeLevel::Error, e),
        };
        let steps: usize = parts.iter().map(|(_, p)| p.steps.len()).sum();
        if steps == 0 {
            let text = format!(
                "nothing to {}: the marked services are as asked",
                verb.as_str()
            );
            return self.state.set_status(NoticeLevel::Info, text);
        }
        let (message, items) = self.confirmation(verb, &parts);
        let then = Request::Batches(
            (parts.iter())
                .filter(|(_, p)| !p.steps.is_empty())
                .map(|(w, p)| (w.clone(), p.command()))
                .collect(),
        );
        let acting = parts.iter().filter(|(_, p)| !p.steps.is_empty()).count();
        self.state.workspaces.asked = Some(then.clone());
        self.state.popups.push(Popup::Confirm(Confirm {
            title: format!(
                "{} {steps} services in {acting} workspaces?",
                capitalised(verb)
            ),
            message,
            items,
            then,
            typed: None,
        }));
    }

    /// Each workspace with marks, in the overview's order, and its plan.
    fn plans(&self, verb: Verb) -> Result<Vec<(String, Plan)>, String> {
        let workspaces = &self.state.workspaces;
        let mut parts = Vec::new();
        for row in &workspaces.rows {
            let targets: Vec<String> = (workspaces.marks.iter())
                .filter(|(w, _)| *w == row.name)
                .map(|(_, s)| s.clone())
                .collect();
            if targets.is_empty() {
                continue;
            }
            let batch = Batch {
                workspace: Some(row.name.clone()),
                verb,
                targets,
            };
            let plan = batch
                .plan(&row.members)
                .map_err(|e| format!("{}: {e}", row.name))?;
            parts.push((row.name.clone(), plan));
        }
        Ok(parts)
    }

    /// The warning about services not marked that a stop touches, and the lines: each
    /// workspace's steps under its name, then what other workspaces lose.
    fn confirmation(&self, verb: Verb, parts: &[(String, Plan)]) -> (String, Vec<String>) {
        let marks = &self.state.workspaces.marks;
        let mut items = Vec::new();
        let mut dependents = Vec::new();
        let mut elsewhere = Vec::new();
        for (workspace, plan) in parts {
            if plan.steps.is_empty() {
                continue;
            }
            items.push(format!("{workspace}:"));
            items.extend(plan.lines().iter().map(|l| format!("  {l}")));
            dependents.extend(plan.dependents().iter().map(|d| format!("{workspace}/{d}")));
            if verb != Verb::Stop {
                continue;
            }
            let Some(row) = self
                .state
                .workspaces
                .rows
                .iter()
                .find(|r| r.name == *workspace)
            else {
                continue;
            };
            let stops = stopping(&row.members, &plan.selected);
            elsewhere.extend(
                stranded(&row.members, &stops)
                    .into_iter()
                    .filter(|s| !is_marked(marks, &s.dependent))
                    .map(|s| format!("{workspace}: {s}")),
            );
        }
        let message = match dependents.as_slice() {
            [] => "In this order, each workspace by its own engine:".to_string(),
            [one] => format!("{one} is not marked but depends on one that stops. In this order:"),
            many => format!(
                "{} are not marked but depend on ones that stop. In this order:",
                many.join(", ")
            ),
        };
        (message, [items, elsewhere].concat())
    }

    /// After a confirmation was answered yes: a batch sent clears the marks.
    pub(crate) fn overview_confirmed(&mut self, then: &Request) {
        if self.state.workspaces.asked.as_ref() == Some(then) {
            self.clear_overview_marks();
            let text = "sent each workspace's part to its engine";
            self.state.set_status(NoticeLevel::Info, text);
        }
    }
}

/// Whether `workspace/service` is marked too (then it is not left without its provider).
fn is_marked(marks: &BTreeSet<(String, String)>, dependent: &str) -> bool {
    dependent
        .split_once('/')
        .is_some_and(|(w, s)| marks.contains(&(w.to_string(), s.to_string())))
}
