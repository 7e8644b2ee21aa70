//! The app: routes keys to actions (popup > pane > global), turns actions into state changes
//! or requests, folds updates into the state, and draws. No IO: requests go out on a channel.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyEvent, KeyEventKind};
use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::graphs::TimeWindow;
use super::help;
use super::input::{Input, InputEvent};
use super::keymap::{Keymap, Layer, Lookup};
use super::keys::KeyPress;
use super::link::{Request, Update};
use super::screen::{self, View};
use super::services::progress::Progress;
use super::state::{Confirm, Pane, Popup, State};
use super::theme::Theme;
use crate::protocol::{Command, Event, NoticeLevel};
use crate::supervisor::batch::Verb;

/// Who acknowledges and silences when the user's name is unknown.
pub const DEFAULT_USER: &str = "uc";

pub struct App {
    pub(super) state: State,
    pub(super) keymap: Keymap,
    pub(super) theme: Theme,
    requests: UnboundedSender<Request>,
    /// The pane the last key left on screen, to notice when one opens.
    pub(super) shown: Pane,
    /// What the user may do here (`tui::access`), and the keys taken away for it.
    pub(super) role: crate::protocol::Role,
    pub(super) refused: Keymap,
}

impl App {
    pub fn new(requests: UnboundedSender<Request>, keymap: Keymap, theme: Theme) -> Self {
        let mut state = State::new();
        state.user = DEFAULT_USER.to_string();
        Self {
            state,
            keymap,
            theme,
            requests,
            shown: Pane::default(),
            role: crate::protocol::Role::Admin,
            refused: Keymap::default().only(|_| false),
        }
    }

    /// The name acknowledgements and silences are made by.
    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.state.user = user.into();
        self
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    pub fn should_quit(&self) -> bool {
        self.state.quit
    }

    /// Draw the whole screen. A pure read of the state.
    pub fn draw(&self, frame: &mut Frame) {
        let framed = self.environment_frame();
        screen::draw(
            frame,
            View {
                state: &self.state,
                theme: framed.as_ref().unwrap_or(&self.theme),
                keymap: &self.keymap,
            },
        );
    }

    /// The active environment's colour frames every pane (red in prod), so nobody mistakes
    /// where they are; `None` when the environment has no colour.
    fn environment_frame(&self) -> Option<Theme> {
        let snapshot = self.state.snapshot.as_ref()?;
        let colour = crate::tui::config::environment_colour(
            &snapshot.config,
            snapshot.environment.as_deref(),
            &self.theme,
        )?;
        Some(Theme {
            border: colour,
            border_focus: colour,
            ..self.theme.clone()
        })
    }

    /// Set the clock used for uptimes, ages and the charts' time axis; refresh shown history
    /// that got stale.
    pub fn on_tick(&mut self, now_ms: u64) {
        self.state.now_ms = now_ms;
        self.request_history();
        self.refresh_patterns();
        self.refresh_findings(false);
    }

    pub fn on_resize(&mut self, width: u16, height: u16) {
        self.state.screen = (width, height);
        self.scroll_help(0);
        self.scroll_playbook(0);
        self.scroll_text(0);
    }

    pub fn on_update(&mut self, update: Update) {
        self.fold(update);
        self.request_history();
        self.request_config_data();
    }

    fn fold(&mut self, update: Update) {
        match update {
            Update::Event(event) => {
                self.state.apply_event(&event);
                if matches!(event, Event::Service(_)) {
                    self.progress_done();
                }
                if matches!(event, Event::Audit | Event::Snapshot(_)) {
                    self.on_audit_appended();
                }
            }
            Update::Disconnected(reason) => {
                self.state.connected = false;
                let text = format!("engine disconnected: {reason}");
                self.state.set_status(NoticeLevel::Error, text);
            }
            Update::CommandDone(Ok(reply)) => {
                if let Some(progress) = &mut self.state.progress
                    && progress.answered_by(&reply)
                {
                    progress.on_reply(&reply);
                }
                self.state.set_status(NoticeLevel::Info, reply.message);
                self.progress_done();
            }
            Update::CommandDone(Err(error)) => {
                self.state.set_status(NoticeLevel::Error, error.to_string());
            }
            Update::ShowFailed(reason) => {
                let text = format!("cannot show the window: {reason}");
                self.state.set_status(NoticeLevel::Error, text);
            }
            Update::History(result) => self.state.on_history(result),
            Update::Log(event) => self.state.logs.on_event(event),
            Update::Patterns(result) => self.state.patterns.on_list(result, self.state.now_ms),
            Update::HealHistory(Ok(events)) => self.state.heal.seed(events),
            Update::HealHistory(Err(error)) => {
                let text = format!("cannot read the heal history: {error}");
                self.state.set_status(NoticeLevel::Warn, text);
            }
            Update::Playbooks(result) => self.on_playbooks(result),
            Update::PlaybookRun { name, mode, result } => {
                self.on_playbook_run(&name, mode, result);
            }
            Update::ConfigPlan {
                environment,
                result,
            } => self.state.config.on_plan(&environment, result),
            Update::RevertPlan { revision, result } => self.on_revert_plan(revision, result),
            Update::ConfigHistory(result) => self.state.config.on_history(result),
            Update::RevisionDiff { revision, result } => self.on_revision_diff(revision, result),
            Update::DeployStarted { service, result } => self.on_deploy_started(&service, result),
            Update::DeployHistory(result) => self.on_deploy_history(result),
            Update::Workspaces(rows) => self.state.workspaces.set_rows(rows),
            Update::Opened(result) => self.on_opened(result),
            Update::Audit(read) => self.on_audit_read(read),
            Update::Doctor(result) => self.on_diagnosis(result),
        }
    }

    /// Route a terminal key event. Returns whether something consumed it.
    pub fn handle_key(&mut self, key: KeyEvent) -> bool {
        if key.kind == KeyEventKind::Release {
            return false;
        }
        self.handle_press(KeyPress::from_event(&key))
    }

    pub fn handle_press(&mut self, press: KeyPress) -> bool {
        if self.state.pending.is_empty()
            && (self.handle_form_press(press) || self.handle_typed_name(press))
        {
            return true;
        }
        if self.state.pending.is_empty() && self.handle_text_input(press) {
            // The filter may have moved the selection to another service, a command may
            // have opened a pane.
            self.request_history();
            self.request_pane_data();
            return true;
        }
        let mut presses = std::mem::take(&mut self.state.pending);
        presses.push(press);
        match self.route(&presses) {
            Lookup::Action(action) => {
                self.dispatch(action);
                true
            }
            Lookup::Prefix => {
                self.state.pending = presses;
                true
            }
            // An unfinished sequence that went nowhere: try the press on its own.
            Lookup::None if presses.len() > 1 => self.handle_press(press),
            Lookup::None => false,
        }
    }

    /// The layers keys go through, and whether the global layer is limited to `quit` (while
    /// a popup has the focus).
    fn layers(&self) -> (&'static [Layer], bool) {
        match self.state.top_popup() {
            None => (self.state.pane.layers(), false),
            Some(Popup::Help { .. }) => (&[Layer::Help, Layer::Global], true),
            Some(Popup::Confirm(_) | Popup::Playbook(_) | Popup::Text(_)) => {
                (&[Layer::Confirm, Layer::Global], true)
            }
            Some(Popup::Silence(_)) => (&[Layer::SilenceForm, Layer::Global], true),
            Some(
                Popup::CommandLine(_)
                | Popup::LogSearch(_)
                | Popup::Grep(_)
                | Popup::AuditFilter(_),
            ) => (&[Layer::Global], true),
            Some(Popup::Filter(_)) => (&[Layer::Services, Layer::Global], true),
        }
    }

    fn route(&self, presses: &[KeyPress]) -> Lookup {
        let (layers, quit_only) = self.layers();
        for &layer in layers {
            // A key taken away from this role still belongs to its layer: it is refused
            // there rather than passed on to a layer below.
            let lookup = match self.keymap.lookup(layer, presses) {
                Lookup::None => self.refused.lookup(layer, presses),
                found => found,
            };
            match lookup {
                Lookup::None => {}
                Lookup::Action(action)
                    if quit_only && layer == Layer::Global && action != Action::Quit => {}
                found => return found,
            }
        }
        Lookup::None
    }

    /// Give the press to the command line or filter input, if one has the focus.
    fn handle_text_input(&mut self, press: KeyPress) -> bool {
        if self.handle_logs_input(press) || self.handle_audit_input(press) {
            return true;
        }
        let (event, text, is_filter) = match self.state.top_popup_mut() {
            Some(Popup::CommandLine(input)) => {
                (input.handle(press), input.text().to_string(), false)
            }
            Some(Popup::Filter(input)) => (input.handle(press), input.text().to_string(), true),
            _ => return false,
        };
        match (event, is_filter) {
            (InputEvent::Ignored, _) => return false,
            (InputEvent::Changed, true) => self.state.set_filter(&text),
            (InputEvent::Submit, true) => self.close_top(),
            (InputEvent::Cancel, true) => {
                self.close_top();
                self.state.set_filter("");
            }
            (InputEvent::Submit, false) => {
                self.close_top();
                self.state.completions.clear();
                self.run_command_line(&text);
            }
            (InputEvent::Cancel, false) => {
                self.close_top();
                self.state.completions.clear();
            }
            (InputEvent::Complete, false) => self.complete(&text),
            (InputEvent::Changed, false) => self.state.completions.clear(),
            (InputEvent::Moved | InputEvent::Complete, _) => {}
        }
        true
    }

    /// Do what an action says.
    pub fn dispatch(&mut self, action: Action) {
        self.state.pending.clear();
        if self.refuse(action) {
            return;
        }
        self.act(action);
        self.request_history();
        self.request_pane_data();
        self.request_config_data();
    }

    fn act(&mut self, action: Action) {
        let page = match self.state.top_popup() {
            Some(Popup::Help { .. }) => {
                help::pane::page_rows(&self.keymap, &self.theme, self.state.screen)
            }
            _ => screen::page_rows(&self.state),
        } as isize;
        let previews = self.state.pane == Pane::Environments && self.state.popups.is_empty();
        match action {
            Action::Quit => self.state.quit = true,
            Action::PageUp if previews => self.scroll_preview(-page),
            Action::PageDown if previews => self.scroll_preview(page),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_by(isize::MIN),
            Action::Bottom => self.move_by(isize::MAX),
            Action::Start if self.state.pane == Pane::Overview => self.overview_batch(Verb::Start),
            Action::Stop if self.state.pane == Pane::Overview => self.overview_batch(Verb::Stop),
            Action::Restart if self.state.pane == Pane::Overview => {
                self.overview_batch(Verb::Restart);
            }
            Action::Mark if self.state.pane == Pane::Overview => self.toggle_overview_mark(),
            Action::Expand => self.expand_workspace(),
            Action::Collapse => self.collapse_workspace(),
            Action::Start if !self.state.marks.is_empty() => self.batch(Verb::Start),
            Action::Stop if !self.state.marks.is_empty() => self.batch(Verb::Stop),
            Action::Restart if !self.state.marks.is_empty() => self.batch(Verb::Restart),
            Action::Mark => self.toggle_mark(),
            Action::ClearMarks => self.clear_marks(),
            Action::Start => self.on_selected(|app, name| app.start(vec![name])),
            Action::Stop => self.on_selected(|app, name| app.stop(vec![name])),
            Action::Restart => self.on_selected(|app, name| {
                app.send_command(Command::Restart {
                    services: vec![name],
                });
            }),
            Action::ShowWindow => self.on_selected(Self::show),
            Action::Details => self.state.details = !self.state.details,
            Action::StartAll => self.start(vec![]),
            Action::StopAll => self.confirm_stop_all(),
            Action::Help => self.toggle_help(),
            Action::CommandLine => {
                self.state.popups.push(Popup::CommandLine(Input::default()));
                // Playbook files may have changed since the last look: refresh completion.
                // Without the engine there is no list, and the status line already says so.
                if self.state.connected {
                    self.send(Request::Playbooks);
                }
            }
            Action::Filter if self.state.pane == Pane::Audit => self.act_on_audit(action),
            Action::Filter => {
                self.state.pane = Pane::Services;
                let input = Input::new(self.state.filter.clone());
                self.state.popups.push(Popup::Filter(input));
            }
            Action::Close => self.close(),
            Action::Confirm => self.confirm(),
            Action::HostView if self.state.pane == Pane::Host => {
                self.state.pane = Pane::Services;
            }
            Action::HostView => self.state.pane = Pane::Host,
            Action::NextView => self.state.pane = self.state.pane.next(),
            Action::GraphWindow => self.state.set_window(self.state.graphs.window().next()),
            Action::Window1m => self.state.set_window(TimeWindow::M1),
            Action::Window5m => self.state.set_window(TimeWindow::M5),
            Action::Window1h => self.state.set_window(TimeWindow::H1),
            Action::Window24h => self.state.set_window(TimeWindow::H24),
            Action::AlertsView
            | Action::SilencesView
            | Action::Ack
            | Action::NewSilence
            | Action::Expire
            | Action::NextField
            | Action::PreviousField => self.act_on_alerts(action),
            Action::LogsView
            | Action::PatternsView
            | Action::Follow
            | Action::ScrollLeft
            | Action::ScrollRight
            | Action::Wrap
            | Action::Raw
            | Action::PrettyJson
            | Action::Search
            | Action::NextMatch
            | Action::PreviousMatch
            | Action::LevelFilter
            | Action::ServiceFilter
            | Action::Grep
            | Action::ClearFilters
            | Action::SortPatterns
            | Action::PatternLines => self.act_on_logs(action),
            Action::EnvironmentsView
            | Action::ConfigHistory
            | Action::UseEnvironment
            | Action::ShowDiff
            | Action::Revert
            | Action::ApplyConfig
            | Action::PendingDiff
            | Action::ConfigErrors => self.act_on_config(action),
            Action::DeploysView
            | Action::Deploy
            | Action::Rollback
            | Action::Approve
            | Action::Reject => self.act_on_deploys(action),
            Action::Overview => self.show_overview(),
            Action::OpenWorkspace => self.open_selected_workspace(),
            Action::AuditView => self.act_on_audit(action),
            Action::AssistantView | Action::ApplySuggestion | Action::RefreshFindings => {
                self.act_on_assistant(action);
            }
        }
    }

    /// Ask for the history the charts on screen miss, when their window reads history.
    pub(super) fn request_history(&mut self) {
        if !self.state.graphs.window().uses_history() {
            return;
        }
        let shown = self.state.shown_series();
        if let Some(query) = self.state.graphs.next_query(&shown, self.state.now_ms) {
            self.send(Request::History(query));
        }
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        match self.state.top_popup() {
            Some(Popup::Help { .. }) => self.scroll_help(delta),
            Some(Popup::Playbook(_)) => self.scroll_playbook(delta),
            Some(Popup::Text(_)) => self.scroll_text(delta),
            Some(Popup::Confirm(_)) => {}
            _ => {
                let page = screen::page_rows(&self.state);
                self.state.move_in_pane(delta, page);
            }
        }
    }

    pub(super) fn scroll_help(&mut self, delta: isize) {
        let max = help::pane::max_scroll(&self.keymap, &self.theme, self.state.screen);
        for popup in &mut self.state.popups {
            if let Popup::Help { scroll } = popup {
                *scroll = scroll.saturating_add_signed(delta).min(max);
            }
        }
    }

    pub(super) fn on_selected(&mut self, act: impl FnOnce(&mut Self, String)) {
        match self.state.selected().map(|s| s.name.clone()) {
            Some(name) => act(self, name),
            None => self
                .state
                .set_status(NoticeLevel::Warn, "no service is selected"),
        }
    }

    pub(super) fn toggle_help(&mut self) {
        if matches!(self.state.top_popup(), Some(Popup::Help { .. })) {
            self.close_top();
        } else {
            self.state.popups.push(Popup::Help { scroll: 0 });
        }
    }

    pub(super) fn close_top(&mut self) {
        self.state.popups.pop();
    }

    /// Close the top popup; with none open, clear the filter.
    pub(super) fn close(&mut self) {
        match self.state.popups.pop() {
            Some(Popup::Filter(_)) => self.state.set_filter(""),
            Some(_) => {}
            None if !self.state.filter.is_empty() => self.state.set_filter(""),
            None => self.clear_marks(),
        }
    }

    pub(super) fn confirm(&mut self) {
        match self.state.top_popup() {
            Some(Popup::Confirm(Confirm {
                typed: Some(typed), ..
            })) if !typed.matches() => {
                let expected = typed.expected.clone();
                if let Some(Popup::Confirm(Confirm {
                    typed: Some(typed), ..
                })) = self.state.popups.last_mut()
                {
                    typed.refused = true;
                }
                self.refuse_untyped(&expected);
            }
            Some(Popup::Confirm(_)) => {
                if let Some(Popup::Confirm(confirm)) = self.state.popups.pop() {
                    self.confirmed(&confirm.then);
                    self.send_confirmed(confirm.then);
                }
            }
            Some(Popup::Text(_)) => self.close_top(),
            Some(Popup::Silence(_)) => self.submit_silence_form(),
            Some(Popup::Playbook(_)) => self.confirm_playbook(),
            _ => {}
        }
    }

    pub(super) fn start(&mut self, services: Vec<String>) {
        self.send_command(Command::Start {
            services,
            tags: vec![],
        });
    }

    /// Stop services, asking first when active services depend on them.
    pub(super) fn stop(&mut self, services: Vec<String>) {
        let dependents = self.state.dependents(&services);
        let elsewhere = self.state.stranded(&services);
        let command = Command::Stop {
            services: services.clone(),
        };
        if dependents.is_empty() && elsewhere.is_empty() {
            self.send_command(command);
        } else {
            let message = match dependents.is_empty() {
                false => "These services depend on it and will be stopped too:",
                true => "Services of other workspaces depend on it:",
            };
            self.state.popups.push(Popup::Confirm(Confirm {
                title: format!("Stop {}?", services.join(", ")),
                message: message.to_string(),
                items: [dependents, elsewhere].concat(),
                then: Request::Engine(command),
                typed: None,
            }));
        }
    }

    pub(super) fn confirm_stop_all(&mut self) {
        let active = [self.state.active_services(), self.state.stranded(&[])].concat();
        let message = if active.is_empty() {
            "No service is running."
        } else {
            "These services will be stopped:"
        };
        self.state.popups.push(Popup::Confirm(Confirm {
            title: "Stop all services?".to_string(),
            message: message.to_string(),
            items: active,
            then: Request::Engine(Command::Stop { services: vec![] }),
            typed: None,
        }));
    }

    pub(super) fn confirm_down(&mut self) {
        self.state.popups.push(Popup::Confirm(Confirm {
            title: "Shut the workspace down?".to_string(),
            message: "Stops every service, then the engine and the workspace's tmux server."
                .to_string(),
            items: [self.state.active_services(), self.state.stranded(&[])].concat(),
            then: Request::Engine(Command::Down),
            typed: None,
        }));
    }

    pub(super) fn show(&mut self, name: String) {
        self.send(Request::ShowService(name));
    }

    /// A confirmed request: an engine command says what it does on the status line.
    fn send_confirmed(&mut self, request: Request) {
        match request {
            Request::Engine(command) => self.send_command(command),
            Request::Assisted(request) => self.send_assisted(*request),
            request => {
                self.send(request);
            }
        }
    }

    pub(super) fn send_command(&mut self, command: Command) {
        self.send_engine(command, false);
    }

    /// An engine command, saying what it does on the status line; `assisted`: confirmed in
    /// the assistant, and audited so.
    pub(super) fn send_engine(&mut self, command: Command, assisted: bool) {
        let text = describe(&command);
        let progress = Progress::new(&command, self.state.services());
        let request = match assisted {
            true => Request::Assisted(Box::new(Request::Engine(command))),
            false => Request::Engine(command),
        };
        if self.send(request) {
            self.state.set_status(NoticeLevel::Info, text);
            self.state.progress = progress;
        }
    }

    /// The start, stop or restart on its way got there: say so.
    pub(super) fn progress_done(&mut self) {
        let done = self
            .state
            .progress
            .as_ref()
            .and_then(|p| p.done(self.state.services()));
        if let Some(text) = done {
            self.state.progress = None;
            self.state.set_status(NoticeLevel::Info, text);
        }
    }

    pub(super) fn send(&mut self, request: Request) -> bool {
        if !self.permits(&request) {
            return false;
        }
        let sent = self.requests.send(request).is_ok();
        if !sent {
            let text = "cannot reach the engine: the link is closed";
            self.state.set_status(NoticeLevel::Error, text);
        }
        sent
    }
}

/// "starting api…" for the status line while the engine works.
fn describe(command: &Command) -> String {
    let names = |services: &[String]| match services {
        [] => "all services".to_string(),
        names => names.join(", "),
    };
    match command {
        Command::Start { services, .. } => format!("starting {}…", names(services)),
        Command::Stop { services } => format!("stopping {}…", names(services)),
        Command::Restart { services } => format!("restarting {}…", names(services)),
        Command::Down => "shutting the workspace down…".to_string(),
        Command::Shutdown => "stopping the engine…".to_string(),
        Command::Ack { alert, .. } => format!("acknowledging {alert}…"),
        Command::Silence {
            matchers, duration, ..
        } => {
            format!("silencing {} for {duration}…", matchers.join(", "))
        }
        Command::Expire { silence } => format!("expiring silence {silence}…"),
        Command::UseEnvironment { environment, .. } => format!("switching to {environment}…"),
        Command::ApplyConfig { .. } => "applying the edited config…".to_string(),
        Command::RevertConfig { revision, .. } => format!("reverting to revision {revision}…"),
    }
}
