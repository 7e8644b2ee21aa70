//! `access:` as written: who besides the engine's owner may use the workspace.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::nullable;

/// `access: { group: uc-team, users: { bob: viewer }, groups: { ops: operator },
/// environments: { prod: { stop: deployer, switch: deployer, deploy: deployer } } }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessSpec {
    /// The Unix group owning the shared socket directory; every granted user must be in it
    /// (default: the only group under `groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub group: Option<Spanned<String>>,
    /// Unix user → role: `viewer`, `operator`, `deployer` or `admin`.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    #[schemars(with = "IndexMap<String, String>")]
    pub users: IndexMap<Spanned<String>, Spanned<String>>,
    /// Unix group → role; a member holds the highest role granted to them or a group.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    #[schemars(with = "IndexMap<String, String>")]
    pub groups: IndexMap<Spanned<String>, Spanned<String>>,
    /// Environment → action (`start`, `stop`, `restart`, `switch`, `deploy`, ...) → the role
    /// it needs there, instead of its usual one.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    #[schemars(with = "IndexMap<String, IndexMap<String, String>>")]
    pub environments: IndexMap<Spanned<String>, IndexMap<Spanned<String>, Spanned<String>>>,
}
