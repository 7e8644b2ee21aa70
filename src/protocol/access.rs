//! Who may do what: the roles a token or a Unix user holds, the permission each API route
//! needs and the role each command needs. The route table itself is `api::permission`; `uc
//! serve` checks it before forwarding, and the engine checks it (with this file's command
//! table and `access.environments` rules) for every caller of its socket.

use serde::{Deserialize, Serialize};

pub use crate::config::access::{Access, Action, Role};

use super::{Command, CommandError};

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Anyone: `/api/v1/health`.
    Public,
    /// No bearer token: the request proves itself with a signature the engine checks
    /// (incoming webhooks).
    Signed,
    /// A role at least this one.
    Role(Role),
}

impl Permission {
    pub fn allows(self, role: Option<Role>) -> bool {
        match self {
            Permission::Public | Permission::Signed => true,
            Permission::Role(needed) => role.is_some_and(|r| r >= needed),
        }
    }
}

/// How every refusal for want of a role begins; the CLI exits with its own code on it.
pub const DENIED: &str = "permission denied";

impl Command {
    /// What the command does, in `access:`'s words. The one table of commands' powers: a
    /// new command does not compile until it is given its action here.
    pub fn action(&self) -> Action {
        match self {
            Command::Start { .. } => Action::Start,
            Command::Stop { .. } | Command::Down => Action::Stop,
            Command::Restart { .. } => Action::Restart,
            Command::Shutdown => Action::Shutdown,
            Command::Ack { .. } => Action::Ack,
            Command::Silence { .. } => Action::Silence,
            Command::Expire { .. } => Action::Expire,
            Command::UseEnvironment { .. } => Action::Switch,
            Command::ApplyConfig { .. } => Action::Apply,
            Command::RevertConfig { .. } => Action::Revert,
        }
    }

    /// The role the command needs where no environment rule says otherwise.
    pub fn role(&self) -> Role {
        usual_role(self.action())
    }
}

/// The role an action needs where no `access.environments` rule says otherwise; the same as
/// its REST route's in `api::ROUTES` (a test there says so).
pub fn usual_role(action: Action) -> Role {
    match action {
        Action::Start
        | Action::Stop
        | Action::Restart
        | Action::Shutdown
        | Action::Ack
        | Action::Silence
        | Action::Expire
        | Action::Type => Role::Operator,
        Action::Switch | Action::Deploy | Action::Rollback | Action::Approve => Role::Deployer,
        Action::Apply | Action::Revert | Action::Playbook => Role::Admin,
    }
}

/// Whether `role` may do `action` in `environment`: its rule there, else the usual role. A
/// refusal names the rule it applied.
pub fn decide(
    access: &Access,
    environment: Option<&str>,
    role: Role,
    action: Action,
) -> Result<(), CommandError> {
    let rule = environment.and_then(|env| Some((env, access.rule(env, action)?)));
    let needed = rule.map_or_else(|| usual_role(action), |(_, needed)| needed);
    if role >= needed {
        return Ok(());
    }
    let (action, needed) = (action.name(), needed.name());
    let message = match rule {
        Some((env, _)) => {
            format!(
                "{DENIED}: in {env}, {action} needs {needed} (access.environments.{env}.{action})"
            )
        }
        None => format!("{DENIED}: {} may not {action}", role.name()),
    };
    let refusal = CommandError::new(message);
    Err(match rule {
        Some(_) => refusal,
        None => refusal.with_hint(format!("needs {needed}")),
    })
}

/// A route without an action of its own (editing a playbook, reading the audit log).
pub fn deny_route(role: Role, method: &str, path: &str, needed: Role) -> CommandError {
    let message = format!("{DENIED}: {} may not {method} {path}", role.name());
    CommandError::new(message).with_hint(format!("needs {}", needed.name()))
}

/// A user the workspace's `access:` does not name.
pub fn deny_stranger(user: &str, workspace: &str) -> CommandError {
    let message = format!("{DENIED}: {user} has no role in workspace {workspace}");
    CommandError::new(message).with_hint("its owner grants one under `access:` in univers.yaml")
}

/// A refusal for want of a role.
pub fn is_denial(error: &CommandError) -> bool {
    error.message.starts_with(DENIED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_allows_what_the_roles_below_it_allow() {
        let operate = Permission::Role(Role::Operator);
        assert!(!operate.allows(None));
        assert!(!operate.allows(Some(Role::Viewer)));
        assert!(operate.allows(Some(Role::Operator)));
        assert!(operate.allows(Some(Role::Admin)));
        assert!(Permission::Public.allows(None));
    }

    #[test]
    fn every_command_needs_the_role_of_its_action() {
        let stop = Command::Stop { services: vec![] };
        assert_eq!(stop.role(), Role::Operator);
        assert_eq!(Command::Down.action(), Action::Stop);
        let switch = Command::UseEnvironment {
            environment: "prod".into(),
            by: "ana".into(),
        };
        assert_eq!(switch.role(), Role::Deployer);
        let apply = Command::ApplyConfig {
            hash: None,
            by: "ana".into(),
        };
        assert_eq!(apply.role(), Role::Admin);
        let ack = Command::Ack {
            alert: "1".into(),
            by: "ana".into(),
            comment: None,
        };
        assert_eq!(ack.role(), Role::Operator);
    }

    #[test]
    fn a_denial_names_the_role_or_the_rule() {
        let access = Access {
            environments: vec![crate::config::access::EnvironmentRules {
                environment: "prod".into(),
                rules: vec![(Action::Stop, Role::Deployer)],
            }],
            ..Access::default()
        };
        let viewer = decide(&access, None, Role::Viewer, Action::Stop).unwrap_err();
        assert!(is_denial(&viewer));
        assert_eq!(viewer.message, "permission denied: viewer may not stop");
        assert!(decide(&access, Some("dev"), Role::Operator, Action::Stop).is_ok());
        let prod = decide(&access, Some("prod"), Role::Operator, Action::Stop).unwrap_err();
        assert_eq!(
            prod.message,
            "permission denied: in prod, stop needs deployer (access.environments.prod.stop)"
        );
        assert!(decide(&access, Some("prod"), Role::Operator, Action::Restart).is_ok());
        assert!(decide(&access, Some("prod"), Role::Deployer, Action::Stop).is_ok());
    }
}
