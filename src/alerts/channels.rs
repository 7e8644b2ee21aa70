//! Where notifications go: the channels (`channels.yaml`) and the Alertmanager-style routing
//! tree that picks channels and grouping timers for each alert.
//!
//! `${VAR}` in string values is expanded from the environment at load time. A channel whose
//! variable is unset is not an error: it is *disabled* with the reason, so a workspace shared
//! by a team works for members who have no Slack URL, and the engine shows why nothing is
//! sent.

mod check;
mod expand;
mod file;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Matcher;
use crate::config::{ConfigError, with_source_lines, yaml_problem};

/// The example shipped in `configs/channels.yaml`.
pub const DEFAULT_CHANNELS: &str = include_str!("../../configs/channels.yaml");

/// Validated `channels.yaml`. The default has no channels: alerts are kept and shown, and
/// nothing is sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChannelsConfig {
    /// In the order written.
    pub channels: Vec<Channel>,
    pub route: Route,
}

impl ChannelsConfig {
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// How to reach it, or why it is disabled ("SLACK_URL is not set").
    pub target: Result<Target, String>,
}

impl Channel {
    pub fn disabled(&self) -> Option<&str> {
        self.target.as_ref().err().map(String::as_str)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Slack,
    Email,
    Webhook,
    Alertmanager,
}

impl ChannelKind {
    pub const ALL: [Self; 4] = [Self::Slack, Self::Email, Self::Webhook, Self::Alertmanager];

    /// The name written as `type:` in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Email => "email",
            Self::Webhook => "webhook",
            Self::Alertmanager => "alertmanager",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a sender needs, with variables expanded.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A Slack incoming webhook; the URL is the credential.
    Slack {
        url: Secret,
    },
    Email(EmailTarget),
    Webhook(WebhookTarget),
    /// Alertmanager's base URL (`/api/v2/alerts` is appended).
    Alertmanager {
        url: String,
    },
    /// An outgoing webhook subscription (`webhooks.outgoing`): the notification's
    /// `payload`, signed per Standard Webhooks with a `whsec_` secret.
    Signed {
        url: String,
        secret: Secret,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailTarget {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, Secret)>,
    pub from: String,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which is required (port 587 by default).
    StartTls,
    /// TLS from the first byte (port 465 by default).
    Tls,
    /// No encryption: local relays and tests (port 25 by default).
    None,
}

impl SmtpTls {
    pub const ALL: [(&'static str, Self); 3] = [
        ("starttls", Self::StartTls),
        ("tls", Self::Tls),
        ("none", Self::None),
    ];

    pub fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookTarget {
    pub url: String,
    /// Key of the `X-UC-Signature` HMAC; no signature without it.
    pub secret: Option<Secret>,
    pub headers: Vec<(String, String)>,
}

/// A credential: kept out of `Debug` output, which ends up in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// One node of the routing tree, with everything inherited from its parents resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Position in the tree: `0` is the root, `0.1` its second child. Part of group keys.
    pub id: String,
    /// All must match; the root has none.
    pub matchers: Vec<Matcher>,
    pub channels: Vec<String>,
    /// Labels whose values split alerts into groups; `...` means every label.
    pub group_by: Vec<String>,
    pub timing: Timing,
    /// Keep looking at the following siblings after this route matched.
    pub continue_matching: bool,
    pub routes: Vec<Route>,
}

impl Default for Route {
    fn default() -> Self {
        Self {
            id: "0".to_owned(),
            matchers: Vec::new(),
            channels: Vec::new(),
            group_by: vec!["alertname".to_owned()],
            timing: Timing::default(),
            continue_matching: false,
            routes: Vec::new(),
        }
    }
}

impl Route {
    pub fn matches(&self, labels: &super::Labels) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }

    /// The routes that take an alert, depth first: a matching child replaces its parent,
    /// and siblings after a match are tried only when it has `continue`.
    pub fn matching<'a>(&'a self, labels: &super::Labels) -> Vec<&'a Route> {
        let mut found = Vec::new();
        self.collect_matching(labels, &mut found);
        found
    }

    fn collect_matching<'a>(&'a self, labels: &super::Labels, found: &mut Vec<&'a Route>) -> bool {
        if !self.matches(labels) {
            return false;
        }
        let mut child_matched = false;
        for child in &self.routes {
            if child.collect_matching(labels, found) {
                child_matched = true;
                if !child.continue_matching {
                    break;
                }
            }
        }
        if !child_matched {
            found.push(self);
        }
        true
    }
}

/// How often a group may notify. Fast defaults: a control center's user is watching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// From a group's first alert to its first notification.
    pub group_wait: Duration,
    /// At most one notification per group this often when its alerts change.
    pub group_interval: Duration,
    /// An unchanged, unacknowledged firing group is notified again this often.
    pub repeat_interval: Duration,
    pub send_resolved: bool,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            group_wait: Duration::ZERO,
            group_interval: Duration::from_secs(10),
            repeat_interval: Duration::from_secs(4 * 3600),
            send_resolved: true,
        }
    }
}

/// Environment lookup used for `${VAR}`; the engine passes `std::env::var(..).ok()`.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Read, parse and validate a channels file.
pub fn load_channels(path: &Path, env: Env<'_>) -> Result<ChannelsConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_channels(&text, path, env)
}

/// Parse and validate YAML text; `file` only names the source in errors. An empty file is
/// the default configuration.
pub fn parse_channels(
    text: &str,
    file: &Path,
    env: Env<'_>,
) -> Result<ChannelsConfig, ConfigError> {
    let options = serde_saphyr::options! { with_snippet: false };
    let parsed: Result<Option<file::ChannelsFile>, _> =
        serde_saphyr::from_str_with_options(text, options);
    let problems = match parsed {
        Ok(None) => return Ok(ChannelsConfig::default()),
        Ok(Some(spec)) => match check::check(&spec, file, env) {
            Ok(config) => return Ok(config),
            Err(problems) => problems,
        },
        Err(err) => vec![yaml_problem(&err, file)],
    };
    Err(ConfigError::Invalid {
        problems: with_source_lines(problems, text),
    })
}

#[cfg(test)]
mod tests;
