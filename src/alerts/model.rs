//! Alerts, acknowledgements and silences as the engine publishes them (snapshot, events, CLI
//! JSON) and stores them. Stable JSON: fields are only ever added.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

use serde::{Deserialize, Serialize};

use crate::config::values::{self, Rejected};

/// Label name → value. Always holds `alertname` and `severity`; series labels such as
/// `service`, `mount` or `iface` come from the expression, the rest from the rule.
pub type Labels = BTreeMap<String, String>;

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: [Self; 3] = [Self::Info, Self::Warning, Self::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an alert is in its life. An inactive (rule, label set) has no alert at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The condition holds but not yet for the rule's `for`.
    Pending,
    Firing,
    /// Was firing and no longer is; kept a while so users see what happened.
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// One (rule, label set) that is pending, firing or recently resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable fingerprint of the rule name and the label set (16 hex digits): the same
    /// condition on the same series always has the same id, across engine restarts.
    pub id: String,
    pub rule: String,
    pub state: AlertState,
    pub severity: Severity,
    pub labels: Labels,
    /// Rendered from the rule's templates with the latest value.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// The expression's latest value for this label set.
    pub value: f64,
    /// When the condition started to hold (start of pending), Unix ms.
    pub active_since: u64,
    #[serde(default)]
    pub fired_at: Option<u64>,
    #[serde(default)]
    pub resolved_at: Option<u64>,
    /// Set by a user; stops repeat notifications; cleared when the alert resolves.
    #[serde(default)]
    pub ack: Option<Ack>,
    /// Id of the silence that mutes this alert now, if any.
    #[serde(default)]
    pub silenced_by: Option<String>,
}

impl Alert {
    /// The order of the alerts pane and `uc alerts`: firing first, then pending, then
    /// resolved; most severe first; oldest first.
    pub fn display_order(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |a: &Self| match a.state {
            AlertState::Firing => 0,
            AlertState::Pending => 1,
            AlertState::Resolved => 2,
        };
        rank(self)
            .cmp(&rank(other))
            .then(other.severity.cmp(&self.severity))
            .then(self.active_since.cmp(&other.active_since))
            .then(self.id.cmp(&other.id))
    }

    /// `HighCpu{service=api}`: the rule and the labels that tell its alerts apart.
    pub fn describe(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .filter(|(k, _)| k.as_str() != "alertname" && k.as_str() != "severity")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if labels.is_empty() {
            self.rule.clone()
        } else {
            format!("{}{{{}}}", self.rule, labels.join(","))
        }
    }

    /// The value as `{{ $value }}` shows it in annotations: `81`, `81.5`, `81.46`.
    pub fn value_text(&self) -> String {
        super::template::compact(self.value)
    }

    /// Firing, not acknowledged and not silenced: what the header badge counts.
    pub fn needs_attention(&self) -> bool {
        self.state == AlertState::Firing && self.ack.is_none() && self.silenced_by.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Who acknowledged (the user name of the frontend's process).
    pub by: String,
    /// Unix ms.
    pub at: u64,
    #[serde(default)]
    pub comment: Option<String>,
}

/// Mutes notifications for every alert whose labels match all matchers, for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    /// Short random id (8 hex digits).
    pub id: String,
    pub matchers: Vec<Matcher>,
    /// Unix ms.
    pub starts_at: u64,
    pub ends_at: u64,
    pub created_by: String,
    #[serde(default)]
    pub comment: Option<String>,
}

impl Silence {
    pub fn is_active(&self, now_ms: u64) -> bool {
        (self.starts_at..self.ends_at).contains(&now_ms)
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }
}

/// `service=api`, `severity!=info`, `service=~"api|web"`, `mount!~"/boot.*"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    /// The anchored regex of `=~` / `!~`, compiled once: matchers run on every evaluation
    /// (routes, silences, selectors).
    #[serde(skip)]
    regex: OnceLock<Option<Regex>>,
}

/// Two matchers are the same when they are written the same.
impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, self.op, &self.value) == (&other.name, other.op, &other.value)
    }
}

impl Eq for Matcher {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchOp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    NotEq,
    #[serde(rename = "=~")]
    Regex,
    #[serde(rename = "!~")]
    NotRegex,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::NotEq => "!=",
            Self::Regex => "=~",
            Self::NotRegex => "!~",
        }
    }
}

impl Matcher {
    /// Parse `name=value` (also `!=`, `=~`, `!~`; the value may be double-quoted).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (at, op) = ["!=", "=~", "!~", "="]
            .iter()
            .filter_map(|op| text.find(op).map(|at| (at, *op)))
            .min_by_key(|(at, op)| (*at, std::cmp::Reverse(op.len())))
            .ok_or_else(|| format!("`{text}` is not a matcher; write name=value"))?;
        let name = text[..at].trim();
        let raw = text[at + op.len()..].trim();
        let value = raw
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(raw);
        let valid_name =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(format!("`{name}` is not a label name"));
        }
        let op = match op {
            "=" => MatchOp::Eq,
            "!=" => MatchOp::NotEq,
            "=~" => MatchOp::Regex,
            _ => MatchOp::NotRegex,
        };
        Self::new(name, op, value).map_err(|rejected| rejected.message)
    }

    /// A matcher; a regex that does not compile is refused here, once.
    pub fn new(
        name: impl Into<String>,
        op: MatchOp,
        value: impl Into<String>,
    ) -> Result<Self, Rejected> {
        let value = value.into();
        let regex = OnceLock::new();
        if matches!(op, MatchOp::Regex | MatchOp::NotRegex) {
            // Checked as typed first, so a refusal quotes the user's regex, not ours.
            values::regex(&value)?;
            let whole = anchored(&value).map_err(|e| values::bad_regex(&value, &e))?;
            let _ = regex.set(Some(whole));
        }
        Ok(Self {
            name: name.into(),
            op,
            value,
            regex,
        })
    }

    /// A missing label matches as the empty string, as in Alertmanager.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_value(labels.get(&self.name).map_or("", String::as_str))
    }

    /// Whether one label value passes.
    pub fn matches_value(&self, actual: &str) -> bool {
        let found = || {
            self.regex
                .get_or_init(|| anchored(&self.value).ok())
                .as_ref()
                .is_some_and(|r| r.is_match(actual))
        };
        match self.op {
            MatchOp::Eq => actual == self.value,
            MatchOp::NotEq => actual != self.value,
            MatchOp::Regex => found(),
            MatchOp::NotRegex => !found(),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.name, self.op.as_str(), self.value)
    }
}

/// Matchers match the whole value, as in Prometheus.
fn anchored(pattern: &str) -> Result<Regex, regex::Error> {
    values::compile(&format!("^(?:{pattern})$"))
}

/// What the engine's alerting runs on: where rules and channels come from, whether they
/// loaded, and how each channel is doing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertingInfo {
    /// The rules file in use; `None` for the built-in defaults.
    #[serde(default)]
    pub rules_file: Option<String>,
    pub rules: usize,
    #[serde(default)]
    pub channels_file: Option<String>,
    /// The last rules or channels file that failed to load (the previous one stays in
    /// use), rendered with file, line and column.
    #[serde(default)]
    pub problem: Option<String>,
    #[serde(default)]
    pub channels: Vec<ChannelInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub name: String,
    /// `slack`, `email`, `webhook` or `alertmanager`.
    pub kind: String,
    /// Why the channel cannot send (e.g. "SLACK_URL is not set").
    #[serde(default)]
    pub disabled: Option<String>,
    /// Notifications waiting to be delivered (including retries).
    pub queued: u32,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub last_delivered_at: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn matchers_parse_every_operator() {
        let m = Matcher::parse("service=api").unwrap();
        assert_eq!(
            (m.name.as_str(), m.op, m.value.as_str()),
            ("service", MatchOp::Eq, "api")
        );
        assert_eq!(Matcher::parse("a!=b").unwrap().op, MatchOp::NotEq);
        assert_eq!(Matcher::parse("a=~\"b|c\"").unwrap().value, "b|c");
        assert_eq!(Matcher::parse("a!~b.*").unwrap().op, MatchOp::NotRegex);
        assert!(Matcher::parse("nothing").is_err());
        assert!(Matcher::parse("=x").is_err());
        assert!(Matcher::parse("a=~(").is_err());
    }

    #[test]
    fn matchers_match_whole_values_and_missing_labels_as_empty() {
        let l = labels(&[("service", "api"), ("severity", "warning")]);
        assert!(Matcher::parse("service=api").unwrap().matches(&l));
        assert!(!Matcher::parse("service=~ap").unwrap().matches(&l));
        assert!(Matcher::parse("service=~\"ap.*\"").unwrap().matches(&l));
        assert!(Matcher::parse("mount=").unwrap().matches(&l));
        assert!(Matcher::parse("mount!~\"/.+\"").unwrap().matches(&l));
    }

    #[test]
    fn matchers_read_from_json_compile_their_regex_on_first_use() {
        let json = r#"{"name":"service","op":"=~","value":"api|web"}"#;
        let m: Matcher = serde_json::from_str(json).unwrap();
        assert_eq!(m, Matcher::parse("service=~\"api|web\"").unwrap());
        assert!(m.matches_value("web") && !m.matches_value("webhook"));
        assert!(Matcher::new("a", MatchOp::Regex, "(").is_err());
    }

    #[test]
    fn silences_need_every_matcher_and_their_time() {
        let silence = Silence {
            id: "1".into(),
            matchers: vec![
                Matcher::parse("service=api").unwrap(),
                Matcher::parse("severity!=info").unwrap(),
            ],
            starts_at: 100,
            ends_at: 200,
            created_by: "me".into(),
            comment: None,
        };
        assert!(silence.matches(&labels(&[("service", "api"), ("severity", "critical")])));
        assert!(!silence.matches(&labels(&[("service", "api"), ("severity", "info")])));
        assert!(silence.is_active(100) && !silence.is_active(200));
    }
}
