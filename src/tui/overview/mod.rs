//! The overview: every workspace of the projects file in one table (the columns of `uc
//! ps`), live. `Enter` opens one; `:ctx NAME` and the overview key switch between them.
//! The glue serves one workspace's engine at a time on the same link and keeps every
//! engine running: switching is the glue tearing down one connection and opening another
//! (`Request::OpenWorkspace`, answered by `Update::Opened`), after which the app starts the
//! workspace's screen afresh.

pub mod marks;
pub mod pane;

use std::collections::BTreeSet;

use super::app::App;
use super::link::Request;
use super::state::{Pane, State};
use crate::protocol::{NoticeLevel, WorkspaceRow};

/// One line of the overview: a workspace, or one of its services under it when expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    Workspace(usize),
    /// The row's index, then the service's in its `members`.
    Service(usize, usize),
}

/// The overview's rows and selection, and which workspace the link serves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workspaces {
    /// Whether the TUI runs on a projects file (else there is no overview).
    pub enabled: bool,
    pub rows: Vec<WorkspaceRow>,
    pub selected: usize,
    /// The workspace whose engine the link serves now.
    pub current: Option<String>,
    /// The workspace asked for and not opened yet.
    pub opening: Option<String>,
    /// Workspaces whose services are listed under them.
    pub expanded: BTreeSet<String>,
    /// Marked services, as (workspace, service).
    pub marks: BTreeSet<(String, String)>,
    /// What the open batch confirmation sends: once it is sent, the marks go.
    pub asked: Option<Request>,
}

impl Workspaces {
    /// The workspaces, each followed by its services when expanded.
    pub fn lines(&self) -> Vec<Line> {
        let mut lines = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            lines.push(Line::Workspace(i));
            if self.expanded.contains(&row.name) {
                lines.extend((0..row.members.len()).map(|j| Line::Service(i, j)));
            }
        }
        lines
    }

    pub fn selected_line(&self) -> Option<Line> {
        self.lines().get(self.selected).copied()
    }

    /// The selected workspace, or the one of the selected service.
    pub fn selected_row(&self) -> Option<&WorkspaceRow> {
        match self.selected_line()? {
            Line::Workspace(i) | Line::Service(i, _) => self.rows.get(i),
        }
    }

    pub fn is_marked(&self, workspace: &str, service: &str) -> bool {
        self.marks
            .contains(&(workspace.to_string(), service.to_string()))
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.lines().len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// New figures; the selection stays on its workspace or service even when the lines
    /// above it change (a workspace listed above gains a service).
    pub fn set_rows(&mut self, rows: Vec<WorkspaceRow>) {
        let selected = self.selected_line().map(|line| self.line_key(line));
        self.rows = rows;
        let lines = self.lines();
        if let Some(at) =
            selected.and_then(|key| lines.iter().position(|l| self.line_key(*l) == key))
        {
            self.selected = at;
        }
        self.move_by(0);
    }

    /// What a line shows, by name: (workspace, service).
    fn line_key(&self, line: Line) -> (String, Option<String>) {
        match line {
            Line::Workspace(i) => (self.rows[i].name.clone(), None),
            Line::Service(i, j) => (
                self.rows[i].name.clone(),
                Some(self.rows[i].members[j].name.clone()),
            ),
        }
    }
}

impl App {
    /// Start on the overview: `uc` found no workspace here but a projects file.
    pub fn with_overview(mut self) -> Self {
        self.state.workspaces.enabled = true;
        self.state.pane = Pane::Overview;
        self
    }

    /// The overview key: back to the table, the open workspace kept.
    pub(in crate::tui) fn show_overview(&mut self) {
        if self.state.workspaces.enabled {
            self.state.pane = Pane::Overview;
        } else {
            let text = "no overview: uc runs on one workspace (list several with `uc project add`)";
            self.state.set_status(NoticeLevel::Warn, text);
        }
    }

    /// `Enter` on the overview.
    pub(in crate::tui) fn open_selected_workspace(&mut self) {
        match self.state.workspaces.selected_row().map(|r| r.name.clone()) {
            Some(name) => self.open_workspace(&name),
            None => self
                .state
                .set_status(NoticeLevel::Warn, "no workspace is listed"),
        }
    }

    /// `:ctx NAME`: the open workspace is shown at once, another is asked for.
    pub(in crate::tui) fn open_workspace(&mut self, name: &str) {
        let workspaces = &self.state.workspaces;
        if !workspaces.enabled {
            return self.show_overview();
        }
        if !workspaces.rows.iter().any(|r| r.name == name) {
            let names: Vec<&str> = workspaces.rows.iter().map(|r| r.name.as_str()).collect();
            let text = format!("no workspace `{name}` (listed: {})", names.join(", "));
            return self.state.set_status(NoticeLevel::Error, text);
        }
        if workspaces.current.as_deref() == Some(name) {
            self.state.pane = Pane::Services;
            return;
        }
        if self.send(Request::OpenWorkspace(name.to_string())) {
            self.state.workspaces.opening = Some(name.to_string());
            self.state
                .set_status(NoticeLevel::Info, format!("opening {name}…"));
        }
    }

    /// The glue serves `name` now: its screen starts afresh (its snapshot comes next);
    /// what belongs to the TUI rather than a workspace is kept.
    pub(in crate::tui) fn on_opened(&mut self, result: Result<String, String>) {
        let name = match result {
            Ok(name) => name,
            Err(error) => {
                self.state.workspaces.opening = None;
                return self.state.set_status(NoticeLevel::Error, error);
            }
        };
        let mut fresh = State::new();
        fresh.workspaces = std::mem::take(&mut self.state.workspaces);
        fresh.user = std::mem::take(&mut self.state.user);
        fresh.screen = self.state.screen;
        fresh.now_ms = self.state.now_ms;
        fresh.workspaces.current = Some(name.clone());
        fresh.workspaces.opening = None;
        fresh.set_status(NoticeLevel::Info, format!("opened {name}"));
        self.state = fresh;
        self.shown = Pane::default();
    }
}
