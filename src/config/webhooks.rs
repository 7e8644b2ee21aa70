//! The validated `webhooks:` section: incoming hooks and outgoing subscriptions, with
//! their secrets (never shown: `Debug` hides them).

use std::fmt;

/// Every event kind an outgoing subscription may name, in the user's words. A
/// subscription may also name a family (`alert.*`).
pub const EVENT_KINDS: &[&str] = &[
    "service.state",
    "service.health",
    "alert.firing",
    "alert.resolved",
    "config.applied",
    "git.push",
    "deploy.started",
    "deploy.stage",
    "deploy.succeeded",
    "deploy.failed",
    "deploy.waiting",
    "audit.record",
];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Webhooks {
    pub incoming: Vec<IncomingHook>,
    pub outgoing: Vec<Subscription>,
}

impl Webhooks {
    pub fn incoming(&self, name: &str) -> Option<&IncomingHook> {
        self.incoming.iter().find(|h| h.name == name)
    }
}

/// A hook served at `POST /api/v1/hooks/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingHook {
    pub name: String,
    pub format: HookFormat,
    pub secret: HookSecret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookFormat {
    /// GitHub: `X-Hub-Signature-256`, deliveries named by `X-GitHub-Delivery`.
    GitHub,
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    Standard,
}

impl HookFormat {
    pub const ALL: [(&'static str, Self); 2] =
        [("github", Self::GitHub), ("standard", Self::Standard)];
}

/// Where events of the subscribed kinds are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub name: String,
    pub url: String,
    /// Kinds (`service.state`) and families (`alert.*`), as written.
    pub events: Vec<String>,
    /// `whsec_` + base64 of the signing key.
    pub secret: HookSecret,
    pub format: OutgoingFormat,
}

/// What an outgoing delivery's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutgoingFormat {
    /// `{type, timestamp, workspace, data}`, signed per Standard Webhooks.
    #[default]
    Standard,
    /// Loki's push API (`{"streams":[{"stream":{labels},"values":[[ns, line]]}]}`), for a
    /// `/loki/api/v1/push` URL: audit records only, labelled workspace, actor and action.
    Loki,
}

impl OutgoingFormat {
    pub const ALL: [(&'static str, Self); 2] = [("standard", Self::Standard), ("loki", Self::Loki)];
}

impl Subscription {
    pub fn wants(&self, kind: &str) -> bool {
        self.events
            .iter()
            .any(|pattern| kind_matches(pattern, kind))
    }
}

/// `alert.*` takes every `alert.` kind; anything else must be the kind itself.
pub fn kind_matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(family) => kind.starts_with(family),
        None => pattern == kind,
    }
}

/// A hook's secret, resolved from its reference; kept out of `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct HookSecret(String);

impl HookSecret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for HookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_take_their_kinds_only() {
        assert!(kind_matches("alert.*", "alert.firing"));
        assert!(!kind_matches("alert.*", "service.state"));
        assert!(kind_matches("service.state", "service.state"));
        assert!(!kind_matches("service.state", "service.health"));
        assert_eq!(format!("{:?}", HookSecret::new("whsec_abc")), "\"***\"");
    }
}
