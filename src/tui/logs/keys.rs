//! The logs half of the app: follow and scroll, search, filters (each change reopens the
//! engine's stream with the new query), the patterns view, and the `/` and grep inputs.

use crate::protocol::NoticeLevel;
use crate::tui::App;
use crate::tui::action::Action;
use crate::tui::input::{Input, InputEvent};
use crate::tui::keys::KeyPress;
use crate::tui::link::Request;
use crate::tui::logs::{Grep, PatternChoice, Search};
use crate::tui::screen;
use crate::tui::state::{Pane, Popup};

impl App {
    /// What the logs and patterns keys do.
    pub(in crate::tui) fn act_on_logs(&mut self, action: Action) {
        let logs = &mut self.state.logs;
        match action {
            Action::LogsView if self.state.pane == Pane::Logs => {
                self.state.pane = Pane::Services;
            }
            Action::LogsView => self.state.pane = Pane::Logs,
            Action::PatternsView if self.state.pane == Pane::Patterns => {
                self.state.pane = Pane::Logs;
            }
            Action::PatternsView => self.state.pane = Pane::Patterns,
            Action::Follow => self.follow(),
            Action::ScrollLeft => logs.scroll_sideways(false),
            Action::ScrollRight => logs.scroll_sideways(true),
            Action::Wrap => logs.toggle_wrap(),
            Action::Raw => logs.toggle_raw(),
            Action::PrettyJson => {
                if let Err(reason) = logs.toggle_pretty() {
                    self.state.set_status(NoticeLevel::Warn, reason.to_string());
                }
            }
            Action::Search => {
                let text = logs.search.as_ref().map(|s| s.text.clone());
                let input = Input::new(text.unwrap_or_default());
                self.state.popups.push(Popup::LogSearch(input));
            }
            Action::NextMatch => self.jump_to_match(true),
            Action::PreviousMatch => self.jump_to_match(false),
            Action::LevelFilter => {
                logs.filter.cycle_level();
                self.restart_logs();
            }
            Action::ServiceFilter => self.toggle_service_filter(),
            Action::Grep => {
                let text = logs.filter.grep.as_ref().map(|g| g.text.clone());
                let input = Input::new(text.unwrap_or_default());
                self.state.popups.push(Popup::Grep(input));
            }
            Action::ClearFilters => self.clear_log_filters(),
            Action::SortPatterns => self.state.patterns.toggle_sort(self.state.now_ms),
            Action::PatternLines => self.show_pattern_lines(),
            _ => {}
        }
    }

    /// After a key: open the log stream the first time the logs show, and ask for the
    /// patterns when their view opens.
    pub(in crate::tui) fn request_pane_data(&mut self) {
        let pane = self.state.pane;
        if pane == self.shown {
            return;
        }
        self.shown = pane;
        match pane {
            Pane::Logs if !self.state.logs.opened => self.restart_logs(),
            Pane::Patterns => {
                self.state.patterns.asked(self.state.now_ms);
                self.send(Request::Patterns);
            }
            _ => {}
        }
    }

    /// About once a second while the patterns view shows (the tick also runs per frame).
    pub(in crate::tui) fn refresh_patterns(&mut self) {
        let now = self.state.now_ms;
        if self.state.pane == Pane::Patterns && self.state.patterns.due(now) {
            self.state.patterns.asked(now);
            self.send(Request::Patterns);
        }
    }

    /// Empty the window and reopen the stream with the current filter.
    fn restart_logs(&mut self) {
        let query = self.state.logs.restart();
        self.send(Request::Logs(query));
    }

    fn follow(&mut self) {
        if let Some(query) = self.state.logs.resume() {
            // Lines went by that the window had no room for: load the newest again.
            self.send(Request::Logs(query));
        }
    }

    fn jump_to_match(&mut self, forward: bool) {
        let Some(search) = &self.state.logs.search else {
            let text = "no search: press / to search the lines";
            self.state.set_status(NoticeLevel::Info, text);
            return;
        };
        match self.state.logs.find_match(forward) {
            Some(index) => {
                let page = screen::page_rows(&self.state);
                self.state.logs.window.jump(index, page);
            }
            None => {
                let (text, place) = (&search.text, if forward { "below" } else { "above" });
                let text = format!("no more lines matching /{text}/ {place}");
                self.state.set_status(NoticeLevel::Info, text);
            }
        }
    }

    fn toggle_service_filter(&mut self) {
        let filter = &mut self.state.logs.filter;
        if filter.service.take().is_none() {
            match self.state.selected().map(|s| s.name.clone()) {
                Some(name) => self.state.logs.filter.service = Some(name),
                None => {
                    let text = "no service is selected (pick one in the services pane)";
                    self.state.set_status(NoticeLevel::Warn, text);
                    return;
                }
            }
        }
        self.restart_logs();
    }

    /// `:logs NAME` shows one service's lines; `:logs` every service's.
    pub(in crate::tui) fn show_logs_of(&mut self, service: Option<String>) {
        self.state.pane = Pane::Logs;
        if self.state.logs.filter.service != service {
            self.state.logs.filter.service = service;
            self.restart_logs();
        }
    }

    /// The search and every filter go; with none set, back to the services.
    fn clear_log_filters(&mut self) {
        let logs = &mut self.state.logs;
        if logs.filter.is_empty() && logs.search.is_none() {
            self.state.pane = Pane::Services;
            return;
        }
        logs.search = None;
        if !logs.filter.is_empty() {
            logs.filter = Default::default();
            self.restart_logs();
        }
    }

    /// Apply a grep filter; returns false (with the reason on the status line) when the
    /// text is not a regex.
    pub(in crate::tui) fn set_grep(&mut self, text: &str) -> bool {
        match Grep::parse(text.trim()) {
            Ok(grep) => {
                self.state.logs.grep_error = None;
                let changed = grep.as_ref().map(|g| &g.text)
                    != self.state.logs.filter.grep.as_ref().map(|g| &g.text);
                self.state.logs.filter.grep = grep;
                if changed || !self.state.logs.opened {
                    self.restart_logs();
                }
                true
            }
            Err(error) => {
                self.state.logs.grep_error = Some(error.clone());
                self.state.set_status(NoticeLevel::Error, error);
                false
            }
        }
    }

    fn show_pattern_lines(&mut self) {
        let Some(pattern) = self.state.patterns.selected() else {
            self.state
                .set_status(NoticeLevel::Warn, "no pattern is selected");
            return;
        };
        self.state.logs.filter.pattern = Some(PatternChoice {
            id: pattern.id,
            template: pattern.template.clone(),
        });
        self.state.pane = Pane::Logs;
        self.restart_logs();
    }

    /// Give the press to the logs' search or grep input, if one has the focus.
    pub(in crate::tui) fn handle_logs_input(&mut self, press: KeyPress) -> bool {
        let (event, text, is_search) = match self.state.top_popup_mut() {
            Some(Popup::LogSearch(input)) => (input.handle(press), input.text().to_string(), true),
            Some(Popup::Grep(input)) => (input.handle(press), input.text().to_string(), false),
            _ => return false,
        };
        match (event, is_search) {
            (InputEvent::Ignored, _) => return false,
            (InputEvent::Changed, true) => self.state.logs.search = Search::new(&text),
            (InputEvent::Submit, true) => {
                self.state.popups.pop();
                self.land_search();
            }
            (InputEvent::Cancel, true) => {
                self.state.popups.pop();
                self.state.logs.search = None;
            }
            (InputEvent::Submit, false) => {
                if self.set_grep(&text) {
                    self.state.popups.pop();
                }
            }
            (InputEvent::Cancel, false) => {
                self.state.popups.pop();
                self.state.logs.grep_error = None;
            }
            (InputEvent::Changed, false) => self.state.logs.grep_error = None,
            (InputEvent::Moved | InputEvent::Complete, _) => {}
        }
        true
    }

    /// Put the cursor on the newest match at or above it.
    fn land_search(&mut self) {
        let Some(search) = &self.state.logs.search else {
            return;
        };
        match self.state.logs.find_from_cursor() {
            Some(index) => {
                let page = screen::page_rows(&self.state);
                self.state.logs.window.jump(index, page);
            }
            None => {
                let text = format!("no line in the window matches /{}/", search.text);
                self.state.set_status(NoticeLevel::Info, text);
            }
        }
    }
}
