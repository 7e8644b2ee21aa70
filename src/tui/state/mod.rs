//! The TUI's state: the engine's snapshot folded from the event stream, plus what the user is
//! doing (selection, filter, popups). Panes only read it; the app loop alone changes it.

use crate::alerts::{Alert, AlertingInfo, Silence};
use crate::metrics::{HistoryResponse, SeriesKey};
use crate::protocol::{ConfigStatus, Event, NoticeLevel, ServiceState, ServiceStatus, Snapshot};

use super::alerts::AlertsView;
use super::config::{ConfigView, TextDialog, TypedName};
use super::graphs::{Graphs, TimeWindow};
use super::heal::HealView;
use super::heal::playbook::PlaybookDialog;
use super::input::Input;
use super::keymap::Layer;
use super::keys::KeyPress;
use super::logs::{LogsView, PatternsView};
use super::silences::form::SilenceForm;

/// What fills the screen between the header and the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pane {
    /// The services table, with the selected service's graphs or details below it.
    #[default]
    Services,
    /// The machine: CPU, memory, cores, disks and network.
    Host,
    /// Every service's lines, merged and live, with the histogram strip.
    Logs,
    /// The templates mined from the lines; belongs to the logs.
    Patterns,
    /// Pending, firing and resolved alerts, the selected one's details, channel health.
    Alerts,
    /// Active and future silences.
    Silences,
    /// The workspace's environments and what switching to the selected one changes.
    Environments,
    /// Applied config revisions; belongs to the environments.
    ConfigHistory,
    /// Each service's latest deploy as a timeline, and its older ones.
    Deploys,
    /// Every workspace of the projects file (`uc` with no workspace here).
    Overview,
    /// The audit log, newest first.
    Audit,
    /// The assistant: the doctor's findings and the actions that would help.
    Assistant,
}

impl Pane {
    /// `tab` cycles services → host → logs → alerts; the patterns belong to the logs, the
    /// silences list to the alerts.
    pub fn next(self) -> Self {
        match self {
            Self::Services => Self::Host,
            Self::Host => Self::Logs,
            Self::Logs | Self::Patterns => Self::Alerts,
            Self::Alerts
            | Self::Silences
            | Self::Environments
            | Self::ConfigHistory
            | Self::Deploys
            | Self::Overview => Self::Services,
            Self::Audit => Self::Services,
            Self::Assistant => Self::Services,
        }
    }

    /// The keymap layers keys go through when no popup is open, most specific first.
    pub fn layers(self) -> &'static [Layer] {
        match self {
            Self::Services => &[Layer::Services, Layer::Global],
            Self::Host => &[Layer::Host, Layer::Global],
            Self::Logs => &[Layer::Logs, Layer::Global],
            Self::Patterns => &[Layer::Patterns, Layer::Global],
            Self::Alerts => &[Layer::Alerts, Layer::Global],
            Self::Silences => &[Layer::Silences, Layer::Global],
            Self::Environments => &[Layer::Environments, Layer::Global],
            Self::ConfigHistory => &[Layer::ConfigHistory, Layer::Global],
            Self::Deploys => &[Layer::Deploys, Layer::Global],
            Self::Overview => &[Layer::Overview, Layer::Global],
            Self::Audit => &[Layer::Audit, Layer::Global],
            Self::Assistant => &[Layer::Assistant, Layer::Global],
        }
    }
}

/// A popup or input mode, stacked over the services pane. Keys go to the top one first.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help {
        scroll: usize,
    },
    CommandLine(Input),
    /// The `/` input; the filter itself lives in [`State::filter`] and changes as you type.
    Filter(Input),
    Confirm(Confirm),
    /// Creating a silence; boxed, as its inputs are large next to the other popups.
    Silence(Box<SilenceForm>),
    /// The logs pane's `/` search; matches highlight as you type.
    LogSearch(Input),
    /// The logs pane's regex filter; applied on enter.
    Grep(Input),
    /// A playbook's plan (asking to run it), report or refusal.
    Playbook(PlaybookDialog),
    /// A config diff (a revision's, the pending edit's, a switch's) or an edit's problems.
    Text(TextDialog),
    /// The audit pane's `/` filter; narrows the records as you type.
    AuditFilter(Input),
}

/// A question before a destructive command.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: String,
    pub message: String,
    /// What the command touches beyond the obvious (dependents, running services, the
    /// matchers of a silence to expire).
    pub items: Vec<String>,
    /// What a yes sends: an engine command, or a deploy or rollback.
    pub then: super::link::Request,
    /// The name to type first, for an environment that asks for more than a yes.
    pub typed: Option<TypedName>,
}

/// The status line: the last notice or command result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub level: NoticeLevel,
    pub text: String,
    /// Unix time in milliseconds.
    pub at_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// `None` until the engine's first snapshot arrives.
    pub snapshot: Option<Snapshot>,
    /// Whether the engine's event stream is live.
    pub connected: bool,
    /// Lower-case filter text; empty = every service.
    pub filter: String,
    pub popups: Vec<Popup>,
    pub pane: Pane,
    /// Metrics in memory, history, and what the charts draw.
    pub graphs: Graphs,
    /// Alerts and silences in display order, their selections, the header's counts.
    pub alerts: AlertsView,
    /// The log lines in memory, follow mode, filter, search, per-second counts.
    pub logs: LogsView,
    pub patterns: PatternsView,
    /// The newest heal events (restarts, backoffs, give-ups, probe changes).
    pub heal: HealView,
    /// The workspace's playbook names, for completion.
    pub playbooks: Vec<String>,
    /// The environments pane's selection and preview, the revision history.
    pub config: ConfigView,
    /// The deploys pane's selection and the recorded deploys.
    pub deploys: super::deploys::DeploysView,
    /// The audit pane's records, filter, selection and chain check.
    pub audit: super::audit::AuditView,
    /// The assistant pane's findings, selection and refresh.
    pub assistant: super::assistant::AssistantView,
    /// Below the services table: the selected service's probes, restarts and heal events
    /// instead of its graphs.
    pub details: bool,
    /// Who acknowledges and silences: the user's name, set once at startup.
    pub user: String,
    pub status: Option<Status>,
    /// Clock for uptimes and ages, set by the app loop so drawing stays pure.
    pub now_ms: u64,
    /// Terminal size (width, height).
    pub screen: (u16, u16),
    /// Presses of an unfinished key sequence (`g` of `g g`).
    pub pending: Vec<KeyPress>,
    /// What Tab on the command line could not choose between, until the line changes.
    pub completions: Vec<String>,
    /// Services marked with `space`, for start, stop and restart all at once.
    pub marks: super::services::marks::Marks,
    /// The newest start, stop or restart on its way, for the status line's last word.
    pub progress: Option<super::services::progress::Progress>,
    /// The overview's workspaces, which one is open; kept across switches.
    pub workspaces: super::overview::Workspaces,
    pub quit: bool,
    /// Selection by name, so it survives reordering and filtering.
    selected: Option<String>,
    /// Row of the selection, to land nearby when the selected service disappears.
    selected_row: usize,
    /// Indices into `snapshot.services` of the rows shown, in order.
    visible: Vec<usize>,
}

impl State {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fold one engine event in.
    pub fn apply_event(&mut self, event: &Event) {
        match (event, &mut self.snapshot) {
            (Event::Snapshot(snapshot), previous) => {
                let reconnected = previous.is_some() && !self.connected;
                if let Some(sample) = &snapshot.metrics {
                    self.graphs.push(sample);
                }
                self.snapshot = Some((**snapshot).clone());
                for deploy in &snapshot.deploys {
                    self.deploys.fold(deploy);
                }
                self.connected = true;
                self.refresh_alerts();
                if reconnected {
                    self.set_status(NoticeLevel::Info, "reconnected to the engine");
                }
            }
            (Event::Metrics(sample), snapshot) => {
                self.graphs.push(sample);
                if let Some(snapshot) = snapshot {
                    snapshot.apply(event);
                }
            }
            (Event::Alerts { .. } | Event::Silences { .. }, Some(snapshot)) => {
                snapshot.apply(event);
                self.refresh_alerts();
            }
            (
                Event::Service(_)
                | Event::Alerting(_)
                | Event::ServiceRemoved { .. }
                | Event::Config { .. }
                | Event::Storage(_)
                | Event::GitPush(_),
                Some(snapshot),
            ) => snapshot.apply(event),
            (Event::Quota(_), snapshot) => {
                if let Some(snapshot) = snapshot {
                    snapshot.apply(event);
                }
            }
            (Event::Deploy(deploy), snapshot) => {
                self.deploys.fold(deploy);
                if let Some(snapshot) = snapshot {
                    snapshot.apply(event);
                }
            }
            (
                Event::Service(_)
                | Event::ServiceRemoved { .. }
                | Event::Config { .. }
                | Event::Alerts { .. }
                | Event::Silences { .. }
                | Event::Alerting(_)
                | Event::Storage(_)
                | Event::GitPush(_),
                None,
            ) => {}
            (Event::Heal(event), _) => self.heal.push(event.clone()),
            (Event::Notice(notice), _) => {
                let text = match &notice.service {
                    Some(s) if !notice.text.contains(s.as_str()) => {
                        format!("{s}: {}", notice.text)
                    }
                    _ => notice.text.clone(),
                };
                self.status = Some(Status {
                    level: notice.level,
                    text,
                    at_ms: notice.at,
                });
            }
            // The app asks for the records again when the audit pane shows them.
            (Event::Audit, _) => {}
            (Event::Shutdown, _) => {
                self.connected = false;
                self.set_status(NoticeLevel::Warn, "the engine shut down");
            }
        }
        self.refresh();
    }

    pub fn set_status(&mut self, level: NoticeLevel, text: impl Into<String>) {
        self.status = Some(Status {
            level,
            text: text.into(),
            at_ms: self.now_ms,
        });
    }

    pub fn services(&self) -> &[ServiceStatus] {
        self.snapshot
            .as_ref()
            .map_or(&[], |s| s.services.as_slice())
    }

    pub fn service_names(&self) -> Vec<&str> {
        self.services().iter().map(|s| s.name.as_str()).collect()
    }

    /// The rows shown: services matching the filter, in the engine's order.
    pub fn visible(&self) -> impl Iterator<Item = &ServiceStatus> {
        let services = self.services();
        self.visible.iter().filter_map(|&i| services.get(i))
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    pub fn selected(&self) -> Option<&ServiceStatus> {
        let name = self.selected.as_deref()?;
        self.visible().find(|s| s.name == name)
    }

    /// Row of the selection among the visible rows.
    pub fn selected_row(&self) -> Option<usize> {
        let name = self.selected.as_deref()?;
        self.visible().position(|s| s.name == name)
    }

    pub fn select_row(&mut self, row: usize) {
        self.select_row_quietly(row);
        self.derive_graphs();
    }

    fn select_row_quietly(&mut self, row: usize) {
        let last = self.visible.len().saturating_sub(1);
        let row = row.min(last);
        let name = self.visible().nth(row).map(|s| s.name.clone());
        self.selected = name;
        self.selected_row = row;
    }

    /// Move the selection by `delta` rows, stopping at the ends.
    pub fn move_selection(&mut self, delta: isize) {
        let row = self.selected_row().unwrap_or(0);
        self.select_row(row.saturating_add_signed(delta));
    }

    pub fn set_filter(&mut self, text: &str) {
        self.filter = text.trim().to_lowercase();
        self.refresh();
    }

    /// Whether a service matches the filter: a substring of its name or of one of its tags.
    pub fn matches_filter(&self, service: &ServiceStatus) -> bool {
        let filter = self.filter.as_str();
        filter.is_empty()
            || service.name.to_lowercase().contains(filter)
            || service
                .tags
                .iter()
                .any(|t| t.to_lowercase().contains(filter))
    }

    /// Recompute the visible rows and keep the selection on a visible row.
    pub fn refresh(&mut self) {
        self.visible = (0..self.services().len())
            .filter(|&i| self.matches_filter(&self.services()[i]))
            .collect();
        match self.selected_row() {
            Some(row) => self.selected_row = row,
            None => self.select_row_quietly(self.selected_row),
        }
        self.derive_graphs();
    }

    /// Recompute what the charts and metrics columns draw (after data, selection or window
    /// changed).
    pub fn derive_graphs(&mut self) {
        let sample = self.snapshot.as_ref().and_then(|s| s.metrics.as_ref());
        let selected = self.selected.as_deref();
        self.graphs.derive(sample, selected);
    }

    pub fn set_window(&mut self, window: TimeWindow) {
        self.graphs.set_window(window);
        self.derive_graphs();
    }

    /// Fold a history answer in; an error goes to the status line.
    pub fn on_history(&mut self, result: Result<HistoryResponse, String>) {
        if let Some(error) = self.graphs.on_history(result, self.now_ms) {
            self.set_status(NoticeLevel::Error, format!("metrics history: {error}"));
        }
        self.derive_graphs();
    }

    /// The series the charts on screen show.
    pub fn shown_series(&self) -> Vec<SeriesKey> {
        self.graphs.shown(self.pane == Pane::Host)
    }

    /// Services that stopping `names` would stop too: those depending on them,
    /// transitively, that run. In the order they stop, without `names` themselves: the
    /// stop plan's warning (`supervisor::batch`).
    pub fn dependents(&self, names: &[String]) -> Vec<String> {
        let plan = crate::supervisor::batch::plan_selected(
            self.services(),
            crate::supervisor::batch::Verb::Stop,
            names.to_vec(),
        );
        plan.dependents()
    }

    /// Names of the services with live processes.
    pub fn active_services(&self) -> Vec<String> {
        self.services()
            .iter()
            .filter(|s| s.state.is_active())
            .map(|s| s.name.clone())
            .collect()
    }

    /// (running, total) for the header.
    pub fn counts(&self) -> (usize, usize) {
        let services = self.services();
        let running = services
            .iter()
            .filter(|s| s.state == ServiceState::Running)
            .count();
        (running, services.len())
    }

    pub fn alerts(&self) -> &[Alert] {
        self.snapshot.as_ref().map_or(&[], |s| s.alerts.as_slice())
    }

    pub fn silences(&self) -> &[Silence] {
        self.snapshot
            .as_ref()
            .map_or(&[], |s| s.silences.as_slice())
    }

    pub fn alerting(&self) -> Option<&AlertingInfo> {
        self.snapshot.as_ref().map(|s| &s.alerting)
    }

    /// Alerts in display order: firing, pending, resolved; most severe first.
    pub fn alert_rows(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.rows(self.alerts())
    }

    pub fn selected_alert(&self) -> Option<&Alert> {
        self.alerts.selected(self.alerts())
    }

    /// Silences, the soonest to end first.
    pub fn silence_rows(&self) -> impl Iterator<Item = &Silence> {
        self.alerts.silence_rows(self.silences())
    }

    pub fn selected_silence(&self) -> Option<&Silence> {
        self.alerts.selected_silence(self.silences())
    }

    /// Move the selection of the focused list by `delta` rows; `page` is how many the
    /// pane shows.
    pub fn move_in_pane(&mut self, delta: isize, page: usize) {
        let snapshot = self.snapshot.as_ref();
        let alerts = snapshot.map_or(&[][..], |s| s.alerts.as_slice());
        let silences = snapshot.map_or(&[][..], |s| s.silences.as_slice());
        match self.pane {
            Pane::Services | Pane::Host => self.move_selection(delta),
            Pane::Alerts => self.alerts.move_alert(alerts, delta),
            Pane::Silences => self.alerts.move_silence(silences, delta),
            Pane::Patterns => self.patterns.move_by(delta),
            Pane::Logs => self.logs.window.move_cursor(delta, page),
            Pane::Environments => {
                let count = snapshot.map_or(0, |s| s.config.environments.len());
                self.config.move_env(delta, count);
            }
            Pane::ConfigHistory => self.config.move_revision(delta),
            Pane::Deploys => self.deploys.move_by(delta, self.services().len()),
            Pane::Overview => self.workspaces.move_by(delta),
            Pane::Audit => self.audit.move_by(delta),
            Pane::Assistant => self.assistant.move_by(delta),
        }
    }

    /// After the alerts or silences changed: their order, the counts, and what an open
    /// silence popup says its matchers select.
    fn refresh_alerts(&mut self) {
        let Some(snapshot) = &self.snapshot else {
            return;
        };
        self.alerts.refresh(&snapshot.alerts, &snapshot.silences);
        for popup in &mut self.popups {
            if let Popup::Silence(form) = popup {
                form.refresh(&snapshot.alerts);
            }
        }
    }

    /// The workspace's config status (empty before the first snapshot).
    pub fn config_status(&self) -> Option<&ConfigStatus> {
        self.snapshot.as_ref().map(|s| &s.config)
    }

    /// The active environment's name.
    pub fn environment(&self) -> Option<&str> {
        self.snapshot.as_ref()?.environment.as_deref()
    }

    /// What the engine's own files need from the user (a full disk, a replaced file).
    pub fn storage_problems(&self) -> Vec<String> {
        self.snapshot
            .as_ref()
            .map(|s| s.storage.problems())
            .unwrap_or_default()
    }

    /// Rows of the banner under the header: one while the engine's files need the user,
    /// or an edit waits or fails to load.
    pub fn banner_rows(&self) -> u16 {
        let config = self
            .config_status()
            .is_some_and(|c| c.pending.is_some() || !c.errors.is_empty());
        let storage = self
            .snapshot
            .as_ref()
            .is_some_and(|s| s.storage.disk_full.is_some() || !s.storage.replaced.is_empty());
        u16::from(config || storage)
    }

    pub fn top_popup(&self) -> Option<&Popup> {
        self.popups.last()
    }

    pub fn top_popup_mut(&mut self) -> Option<&mut Popup> {
        self.popups.last_mut()
    }
}

mod links;
#[cfg(test)]
mod tests;
