//! `webhooks:` as written: hooks other systems call (`incoming`) and URLs told about what
//! happens here (`outgoing`).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::nullable;

/// `webhooks: { incoming: { git: { format: github, secret: "${secret:github_hook}" } },
/// outgoing: { ci: { url: https://ci.example/hook, events: [service.state, alert.*],
/// secret: "${secret:ci_hook}" } } }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhooksSpec {
    /// Hook name → how it is verified; served at `POST /api/v1/hooks/<name>`.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    #[schemars(with = "IndexMap<String, IncomingSpec>")]
    pub incoming: IndexMap<Spanned<String>, IncomingSpec>,
    /// Subscription name → where its events are delivered, signed per Standard Webhooks.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    #[schemars(with = "IndexMap<String, OutgoingSpec>")]
    pub outgoing: IndexMap<Spanned<String>, OutgoingSpec>,
}

/// One incoming hook.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingSpec {
    /// `github` (`X-Hub-Signature-256`, the default) or `standard` (Standard Webhooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub format: Option<Spanned<String>>,
    /// A reference to a secret (`${secret:NAME}`), never the secret itself.
    #[schemars(with = "String")]
    pub secret: Spanned<String>,
}

/// One outgoing subscription.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutgoingSpec {
    /// `http://` or `https://`; redirects are not followed.
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    /// Event kinds (`service.state`) or families (`alert.*`).
    #[schemars(with = "Vec<String>")]
    pub events: Vec<Spanned<String>>,
    /// A reference to a Standard Webhooks secret (`whsec_` + base64).
    #[schemars(with = "String")]
    pub secret: Spanned<String>,
    /// `standard` (the default) or `loki`: the body in Loki's push format, for `events:
    /// [audit.record]` sent to a `/loki/api/v1/push` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub format: Option<Spanned<String>>,
}
