//! A service's `deploy:` as written: where its releases come from, how they are built,
//! and what must hold before a release counts as deployed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::heal::HttpSpec;

/// `deploy: { repo: ../api.git, branch: main, build: make, keep: 5,
/// gate: { passes: 3, interval: 1s, timeout: 30s }, soak: 30s, strategy: restart }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploySpec {
    /// A git repository: a path (relative to the workspace file) or a URL.
    #[schemars(with = "String")]
    pub repo: Spanned<String>,
    /// The branch deployed when no ref is named, and the one pushes deploy (default `main`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub branch: Option<Spanned<String>>,
    /// Run with `/bin/sh -c` in the new release before it is switched to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub build: Option<Spanned<String>>,
    /// Releases kept on disk (default 5, at least 2: the current one and the previous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u32>")]
    pub keep: Option<Spanned<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<GateSpec>")]
    pub gate: Option<Spanned<GateSpec>>,
    /// How long the new release is watched after the gate; a crash or a failing probe in
    /// it rolls back (default 0s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub soak: Option<Spanned<String>>,
    /// `restart` (the default: the old release stops, the new one starts in its place) or
    /// `blue-green` (the new release starts next to the old one behind `proxy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub strategy: Option<Spanned<String>>,
    /// With `strategy: blue-green`: the built-in reverse proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<ProxySpec>")]
    pub proxy: Option<Spanned<ProxySpec>>,
    /// With `strategy: blue-green`: how long the old colour may finish the requests it has
    /// in flight once the proxy moved (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub drain: Option<Spanned<String>>,
    /// Looks for new commits this often (`poll: 1m`, at least 5s): a fallback when no
    /// hook can reach the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub poll: Option<Spanned<String>>,
    /// Which pushed refs go to which environment: `[{ branch: main, environment:
    /// staging }, { tag: "v*", environment: prod }]`; the first that matches wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<RuleSpec>")]
    pub rules: Vec<Spanned<RuleSpec>>,
    /// The environments a release is promoted through, in order; each may have its own
    /// gate and require an approval (`approve: deployer`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<PipelineStageSpec>")]
    pub pipeline: Vec<Spanned<PipelineStageSpec>>,
}

/// `{ branch: main, environment: staging }` or `{ tag: "v*", environment: prod }`; `*`
/// matches any run of characters.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub branch: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub tag: Option<Spanned<String>>,
    #[schemars(with = "String")]
    pub environment: Spanned<String>,
}

/// `{ environment: prod, approve: deployer, gate: { … } }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineStageSpec {
    #[schemars(with = "String")]
    pub environment: Spanned<String>,
    /// The role that must approve before the release is switched to: `deployer` or
    /// `admin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub approve: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<GateSpec>")]
    pub gate: Option<Spanned<GateSpec>>,
}

/// `proxy: { listen: 8080, ports: [8081, 8082] }`: the proxy listens on 127.0.0.1:`listen`
/// (the service's public port); blue runs on the first of `ports`, green on the second.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxySpec {
    #[schemars(with = "u16")]
    pub listen: Spanned<u16>,
    #[schemars(with = "Vec<u16>")]
    pub ports: Spanned<Vec<u16>>,
}

/// What a new release must pass: `passes` consecutive checks, `interval` apart, within
/// `timeout`. The check is the service's readiness probe, or one of `exec`, `tcp`, `http`
/// written here as in a probe.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u32>")]
    pub passes: Option<Spanned<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub exec: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub tcp: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<HttpSpec>")]
    pub http: Option<Spanned<HttpSpec>>,
}
