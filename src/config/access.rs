//! `access:` as validated: which Unix users and groups may use a workspace's engine, with
//! which role, and the stricter (or looser) role some actions need in an environment. The
//! roles live here, at the bottom, because the file names them; `protocol::access` says what
//! each command and route needs.

use serde::{Deserialize, Serialize};

/// Ordered: each role may do everything the roles before it may.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Also starts, stops and restarts services, acks alerts and silences them.
    Operator,
    /// Also switches environments and deploys.
    Deployer,
    /// Also edits config, tokens and playbooks.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Operator, Role::Deployer, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Deployer => "deployer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// What a caller does, in the words `access.environments` rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Start,
    /// Stopping services, `uc down` included.
    Stop,
    Restart,
    /// Stopping the engine only; services keep running.
    Shutdown,
    Ack,
    Silence,
    Expire,
    /// Switching the environment.
    Switch,
    /// Applying an edited config.
    Apply,
    /// Re-applying a stored config revision.
    Revert,
    Deploy,
    Rollback,
    /// Approving or rejecting a deploy waiting in a pipeline stage.
    Approve,
    /// Typing into a service's terminal.
    Type,
    /// Running a playbook by hand.
    Playbook,
}

impl Action {
    pub const ALL: [Action; 15] = [
        Action::Start,
        Action::Stop,
        Action::Restart,
        Action::Shutdown,
        Action::Ack,
        Action::Silence,
        Action::Expire,
        Action::Switch,
        Action::Apply,
        Action::Revert,
        Action::Deploy,
        Action::Rollback,
        Action::Approve,
        Action::Type,
        Action::Playbook,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Restart => "restart",
            Action::Shutdown => "shutdown",
            Action::Ack => "ack",
            Action::Silence => "silence",
            Action::Expire => "expire",
            Action::Switch => "switch",
            Action::Apply => "apply",
            Action::Revert => "revert",
            Action::Deploy => "deploy",
            Action::Rollback => "rollback",
            Action::Approve => "approve",
            Action::Type => "type",
            Action::Playbook => "playbook",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Who may use the workspace. The engine's owner (the uid running it) is always admin and
/// is not listed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Access {
    /// `access:` is written at all: the engine then keeps a socket beside the workspace file
    /// (0700 while nobody else is granted), so other users' `uc` finds it and is refused.
    pub declared: bool,
    pub users: Vec<(String, Role)>,
    pub groups: Vec<(String, Role)>,
    /// The group owning the shared socket directory (0770); every granted user must be in
    /// it to connect.
    pub group: Option<String>,
    pub environments: Vec<EnvironmentRules>,
}

/// `access.environments.<name>`: the role each listed action needs there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentRules {
    pub environment: String,
    pub rules: Vec<(Action, Role)>,
}

impl Access {
    /// Anyone besides the owner may connect.
    pub fn grants_anyone(&self) -> bool {
        !self.users.is_empty() || !self.groups.is_empty()
    }

    /// The highest role `user`, a member of `groups`, holds here.
    pub fn role_of(&self, user: &str, groups: &[String]) -> Option<Role> {
        let by_user = self.users.iter().filter(|(u, _)| u == user);
        let by_group = (self.groups.iter()).filter(|(g, _)| groups.iter().any(|m| m == g));
        by_user.chain(by_group).map(|(_, role)| *role).max()
    }

    /// The role `environment`'s rule asks for `action`, if it has one.
    pub fn rule(&self, environment: &str, action: Action) -> Option<Role> {
        let env = self
            .environments
            .iter()
            .find(|e| e.environment == environment)?;
        env.rules
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, role)| *role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_holds_the_highest_role_granted_to_them_or_their_groups() {
        let access = Access {
            users: vec![("ana".into(), Role::Viewer)],
            groups: vec![("ops".into(), Role::Operator)],
            ..Access::default()
        };
        assert_eq!(access.role_of("ana", &[]), Some(Role::Viewer));
        assert_eq!(access.role_of("ana", &["ops".into()]), Some(Role::Operator));
        assert_eq!(access.role_of("bo", &["dev".into()]), None);
    }

    #[test]
    fn every_action_and_role_parses_back_from_its_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.name()), Some(action));
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
    }
}
