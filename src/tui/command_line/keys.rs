//! The command-line half of the app: a `:` line parsed and run, and Tab completing it
//! (with the candidates shown when it cannot choose).

use super::parse::{self as cmdline, CmdLine, Words};
use crate::protocol::{Command, NoticeLevel};
use crate::tui::App;
use crate::tui::silences::form::SilenceRequest;
use crate::tui::state::{Pane, Popup};

impl App {
    pub(in crate::tui) fn run_command_line(&mut self, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        let parsed = {
            let names = self
                .state
                .snapshot
                .as_ref()
                .map(|_| self.state.service_names());
            let selected = self.state.selected().map(|s| s.name.as_str());
            cmdline::parse(line, names.as_deref(), selected)
        };
        match parsed {
            Ok(command) => self.run(command),
            Err(error) => self.state.set_status(NoticeLevel::Error, error.to_string()),
        }
    }

    fn run(&mut self, command: CmdLine) {
        match command {
            CmdLine::Start(names) => self.start(names),
            CmdLine::Stop(names) => self.stop(names),
            CmdLine::Restart(services) => self.send_command(Command::Restart { services }),
            CmdLine::StartAll => self.start(vec![]),
            CmdLine::StopAll => self.confirm_stop_all(),
            CmdLine::Down => self.confirm_down(),
            CmdLine::Show(name) => self.show(name),
            CmdLine::Filter(text) => self.state.set_filter(&text),
            CmdLine::Window(window) => self.state.set_window(window),
            CmdLine::Host => self.state.pane = Pane::Host,
            CmdLine::Services => self.state.pane = Pane::Services,
            CmdLine::Help => self.toggle_help(),
            CmdLine::Alerts => self.state.pane = Pane::Alerts,
            CmdLine::Silences => self.state.pane = Pane::Silences,
            CmdLine::Ack(Some(id)) => self.ack(&id),
            CmdLine::Ack(None) if self.state.pane == Pane::Alerts => self.ack_selected(),
            CmdLine::Ack(None) => self.state.set_status(
                NoticeLevel::Error,
                "usage: ack ID (or select the alert in the alerts pane)",
            ),
            CmdLine::Silence { matchers, duration } => self.silence(SilenceRequest {
                matchers,
                duration,
                comment: None,
            }),
            CmdLine::Expire(id) => self.confirm_expire(&id),
            CmdLine::Logs(service) => self.show_logs_of(service),
            CmdLine::Patterns => self.state.pane = Pane::Patterns,
            CmdLine::Grep(text) => {
                self.state.pane = Pane::Logs;
                self.set_grep(&text);
            }
            CmdLine::Playbook { name, dry_run } => self.playbook(name, dry_run),
            CmdLine::Ctx(None) => self.show_overview(),
            CmdLine::Ctx(Some(name)) => self.open_workspace(&name),
            CmdLine::Ask(text) => self.ask(&text),
            CmdLine::Doctor => self.show_assistant(),
            CmdLine::Quit => self.state.quit = true,
        }
    }

    pub(in crate::tui) fn complete(&mut self, line: &str) {
        let words = Words {
            services: self.state.service_names(),
            alerts: self.state.alert_rows().map(|a| a.id.as_str()).collect(),
            silences: self.state.silence_rows().map(|s| s.id.as_str()).collect(),
            playbooks: self.state.playbooks.iter().map(String::as_str).collect(),
        };
        let completed = cmdline::complete(line, &words);
        let now = completed.as_deref().unwrap_or(line);
        let candidates = cmdline::candidates(now, &words);
        if let (Some(text), Some(Popup::CommandLine(input))) =
            (completed, self.state.top_popup_mut())
        {
            input.set(text);
        }
        self.state.completions = candidates;
    }
}
