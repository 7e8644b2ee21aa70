//! Who may do what: the roles a token (or, later, a Unix user) holds and the permission each
//! API route needs. The route table itself is `api::permission`; `uc serve` checks it before
//! forwarding, and the engine will check it for socket callers once access is per user.

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

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Deployer => "deployer",
            Role::Admin => "admin",
        }
    }
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
}
