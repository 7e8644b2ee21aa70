//! `quotas:` as written: how much one workspace may use of the host.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// `quotas: { services: 8, memory: 2GiB, cpu: 1.5, log_retention: 512MiB,
/// requests_per_minute: 600 }`. Each is optional; what is left out is not limited.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotasSpec {
    /// How many services may run at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u32>")]
    pub services: Option<Spanned<u32>>,
    /// The services' resident memory together, e.g. `2GiB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub memory: Option<Spanned<String>>,
    /// Cores the services may keep busy together, e.g. `1.5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<f64>")]
    pub cpu: Option<Spanned<f64>>,
    /// The stored logs of every source together, e.g. `512MiB`; the oldest go first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub log_retention: Option<Spanned<String>>,
    /// API calls per minute from clients other than the local CLI and TUI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u32>")]
    pub requests_per_minute: Option<Spanned<u32>>,
}
