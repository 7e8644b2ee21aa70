//! What the user may do here (`uc --read-only`, or the role the engine gives them): keys
//! that would act beyond it leave the keymap, so the footer and the help pane do not offer
//! them, and pressing one, or sending its command from the command line, is refused on the
//! status line as the engine would refuse it.

use crate::deploy::Ask;
use crate::protocol::access::{self as rules, Action as Power, Role};

use super::action::Action;
use super::app::App;
use super::heal::playbook::PlaybookMode;
use super::link::Request;
use crate::protocol::NoticeLevel;

/// The power a key's action uses, `None` for reading and moving around. Every action is
/// listed so a new one is placed on purpose.
fn power(action: Action) -> Option<Power> {
    use Action as A;
    match action {
        A::Start | A::StartAll => Some(Power::Start),
        A::Stop | A::StopAll => Some(Power::Stop),
        A::Restart => Some(Power::Restart),
        // The service's own window takes keys.
        A::ShowWindow => Some(Power::Type),
        A::Ack => Some(Power::Ack),
        A::NewSilence => Some(Power::Silence),
        A::Expire => Some(Power::Expire),
        A::UseEnvironment => Some(Power::Switch),
        A::Revert => Some(Power::Revert),
        A::ApplyConfig => Some(Power::Apply),
        A::Deploy => Some(Power::Deploy),
        A::Rollback => Some(Power::Rollback),
        A::Approve | A::Reject => Some(Power::Approve),
        A::Quit
        | A::Up
        | A::Down
        | A::Top
        | A::Bottom
        | A::PageUp
        | A::PageDown
        | A::Details
        | A::Help
        | A::CommandLine
        | A::Filter
        | A::Close
        | A::Confirm
        | A::HostView
        | A::NextView
        | A::GraphWindow
        | A::Window1m
        | A::Window5m
        | A::Window1h
        | A::Window24h
        | A::AlertsView
        | A::SilencesView
        | A::NextField
        | A::PreviousField
        | A::LogsView
        | A::PatternsView
        | A::Follow
        | A::ScrollLeft
        | A::ScrollRight
        | A::Wrap
        | A::Raw
        | A::PrettyJson
        | A::Search
        | A::NextMatch
        | A::PreviousMatch
        | A::LevelFilter
        | A::ServiceFilter
        | A::Grep
        | A::ClearFilters
        | A::SortPatterns
        | A::PatternLines
        | A::EnvironmentsView
        | A::ConfigHistory
        | A::ShowDiff
        | A::PendingDiff
        | A::ConfigErrors
        | A::DeploysView
        | A::Mark
        | A::ClearMarks
        | A::Expand
        | A::Collapse
        | A::Overview
        | A::OpenWorkspace
        | A::AuditView
        | A::AssistantView
        | A::RefreshFindings => None,
        // Its dry-run reads; the request it asks to send is held to the role when it is
        // built, and again when it is sent.
        A::ApplySuggestion => None,
    }
}

/// Whether `role` may use the key's action.
pub fn allows(role: Role, action: Action) -> bool {
    power(action).is_none_or(|p| role >= rules::usual_role(p))
}

/// The power a request to the engine uses.
fn request_power(request: &Request) -> Option<Power> {
    match request {
        Request::Engine(command) => Some(command.action()),
        Request::Assisted(request) => request_power(request),
        Request::Batches(parts) => parts.first().map(|(_, c)| c.action()),
        Request::ShowService(_) => Some(Power::Type),
        Request::RunPlaybook {
            mode: PlaybookMode::Run,
            ..
        } => Some(Power::Playbook),
        Request::Deploy { ask, .. } => Some(match ask {
            Ask::Deploy { .. } | Ask::Push { .. } => Power::Deploy,
            Ask::Rollback { .. } => Power::Rollback,
            Ask::Decide { .. } => Power::Approve,
        }),
        _ => None,
    }
}

impl App {
    /// Takes the keys `role` may not use out of the keymap, keeping them to refuse.
    pub fn with_role(mut self, role: Role) -> Self {
        self.role = role;
        self.refused = self.keymap.only(|a| !allows(role, a));
        self.keymap = self.keymap.only(|a| allows(role, a));
        self
    }

    /// Whether the key's action is beyond the role; if so, the status line says why.
    pub(super) fn refuse(&mut self, action: Action) -> bool {
        match power(action) {
            Some(power) if !allows(self.role, action) => {
                self.deny(power);
                true
            }
            _ => false,
        }
    }

    /// Whether the request is within the role; if not, the status line says why.
    pub(super) fn permits(&mut self, request: &Request) -> bool {
        match request_power(request) {
            Some(power) if self.role < rules::usual_role(power) => {
                self.deny(power);
                false
            }
            _ => true,
        }
    }

    fn deny(&mut self, power: Power) {
        if let Err(refusal) = rules::decide(&Default::default(), None, self.role, power) {
            self.state.set_status(NoticeLevel::Error, refusal.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_may_look_but_not_act() {
        assert!(allows(Role::Viewer, Action::LogsView));
        assert!(!allows(Role::Viewer, Action::Stop));
        assert!(!allows(Role::Viewer, Action::ShowWindow));
        assert!(allows(Role::Operator, Action::Stop));
        assert!(!allows(Role::Operator, Action::Deploy));
        assert!(allows(Role::Deployer, Action::UseEnvironment));
        assert!(!allows(Role::Deployer, Action::ApplyConfig));
    }
}
