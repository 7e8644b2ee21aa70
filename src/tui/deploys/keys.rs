//! The deploys pane's keys: open it (asking the engine for the recorded deploys), move
//! between services, and deploy or roll back the selected one after a confirmation that
//! names the service and what it goes to; approve or reject a deploy waiting for an
//! approval, naming it and its release. The engine checks the service and its `deploy:`,
//! so a refusal reaches the status line in its words.

use crate::deploy::Ask;
use crate::deploy::model::{DeployState, Deployment};
use crate::protocol::NoticeLevel;
use crate::tui::App;
use crate::tui::action::Action;
use crate::tui::link::Request;
use crate::tui::state::{Confirm, Pane, Popup};

impl App {
    pub(in crate::tui) fn act_on_deploys(&mut self, action: Action) {
        match action {
            Action::DeploysView if self.state.pane == Pane::Deploys => {
                self.state.pane = Pane::Services;
            }
            Action::DeploysView => {
                self.state.pane = Pane::Deploys;
                self.send(Request::DeployHistory);
            }
            Action::Deploy => self.confirm_deploy(),
            Action::Rollback => self.confirm_rollback(),
            Action::Approve => self.confirm_decision(true),
            Action::Reject => self.confirm_decision(false),
            _ => {}
        }
    }

    /// The service of the selected row in the deploys pane.
    fn deploy_selection(&mut self) -> Option<String> {
        let names = self.state.service_names();
        let name = names
            .get(self.state.deploys.selected)
            .map(|n| n.to_string());
        if name.is_none() {
            self.state
                .set_status(NoticeLevel::Warn, "no service is selected");
        }
        name
    }

    fn confirm_deploy(&mut self) {
        let Some(service) = self.deploy_selection() else {
            return;
        };
        let branch = match self.state.deploys.last_ref(&service) {
            Some(branch) => format!("branch: its deploy's branch (last deployed: {branch})"),
            None => "branch: its deploy's branch in univers.yaml".to_string(),
        };
        self.state.popups.push(Popup::Confirm(Confirm {
            title: format!("Deploy {service}?"),
            message: "Fetch, build, switch, gate and soak; a failure rolls back:".to_string(),
            items: vec![format!("service: {service}"), branch],
            then: Request::Deploy {
                service,
                ask: Ask::Deploy { git_ref: None },
            },
            typed: None,
        }));
    }

    fn confirm_rollback(&mut self) {
        let Some(service) = self.deploy_selection() else {
            return;
        };
        let back_to = match self.state.deploys.rollback_target(&service) {
            Some(previous) => format!("back to: {previous} (the release before the current)"),
            None => "back to: the release before the current".to_string(),
        };
        self.state.popups.push(Popup::Confirm(Confirm {
            title: format!("Roll {service} back?"),
            message: "The previous release serves again:".to_string(),
            items: vec![format!("service: {service}"), back_to],
            then: Request::Deploy {
                service,
                ask: Ask::Rollback { release: None },
            },
            typed: None,
        }));
    }

    /// Approve or reject the selected service's deploy, when one waits for an approval.
    fn confirm_decision(&mut self, approve: bool) {
        let Some(service) = self.deploy_selection() else {
            return;
        };
        let waiting = self.state.snapshot.as_ref().and_then(|s| {
            (s.deploys.iter()).find(|d| d.service == service && d.state == DeployState::Waiting)
        });
        let Some(waiting) = waiting.cloned() else {
            let text = format!("no deploy of {service} is waiting for an approval");
            self.state.set_status(NoticeLevel::Warn, text);
            return;
        };
        let (title, message) = if approve {
            ("Approve", "It is switched to, gated and soaked:")
        } else {
            ("Reject", "It ends here; the serving release stays:")
        };
        let release = waiting.release.as_deref().unwrap_or("?");
        let commit = waiting
            .commit
            .as_deref()
            .map_or("?", |c| c.get(..7).unwrap_or(c));
        self.state.popups.push(Popup::Confirm(Confirm {
            title: format!("{title} deploy {} of {service}?", waiting.id),
            message: message.to_string(),
            items: vec![
                format!("service: {service}"),
                format!("release: {release} ({commit})"),
                format!("asked by: {} ({})", waiting.by, waiting.trigger),
            ],
            then: Request::Deploy {
                service,
                ask: Ask::Decide {
                    approve,
                    role: None,
                },
            },
            typed: None,
        }));
    }

    pub(in crate::tui) fn on_deploy_started(
        &mut self,
        service: &str,
        result: Result<Deployment, String>,
    ) {
        match result {
            Ok(deploy) if deploy.state == DeployState::Waiting => {
                let text = format!("deploy {} of {service} decided", deploy.id);
                self.state.set_status(NoticeLevel::Info, text);
            }
            Ok(deploy) => {
                let what = if deploy.trigger == "rollback" {
                    "rollback"
                } else {
                    "deploy"
                };
                let text = format!("{what} {} of {service} started", deploy.id);
                self.state.deploys.fold(&deploy);
                self.state.set_status(NoticeLevel::Info, text);
            }
            Err(error) => {
                let text = format!("cannot deploy {service}: {error}");
                self.state.set_status(NoticeLevel::Error, text);
            }
        }
    }

    pub(in crate::tui) fn on_deploy_history(&mut self, result: Result<Vec<Deployment>, String>) {
        match result {
            Ok(history) => self.state.deploys.on_history(history),
            Err(error) => {
                let text = format!("cannot read the deploy history: {error}");
                self.state.set_status(NoticeLevel::Warn, text);
            }
        }
    }
}
