//! The rules file (`rules.yaml`): what to watch, when it counts as a problem, what to tell.
//!
//! ```yaml
//! rules:
//!   - name: HighCpu                # required, unique; the alerts' `alertname` label
//!     expr: cpu > 80               # required; see `alerts::expr` for the language
//!     for: 5m                      # how long the condition must hold to fire (default 0s)
//!     keep_firing_for: 1m          # keep firing this long after it stops holding (default 0s)
//!     clear: 70                    # once firing, stay firing while `cpu > 70`
//!     severity: warning            # info | warning | critical (default warning)
//!     labels: { team: web }
//!     annotations:
//!       summary: "CPU at {{ $value }}% on {{ $labels.service }}"
//!     channels: [slack]            # send to these channels instead of the routing tree
//! ```

mod check;
mod raw;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use super::expr::Expr;
use super::model::{Labels, Severity};
use super::readings::{LogCountQuery, ProbeTarget};
use super::template::Template;
use crate::config::ConfigError;
use crate::config::load::{with_source_lines, yaml_problem};

/// The rules shipped for a new workspace (`configs/rules.yaml`).
pub const DEFAULT_RULES: &str = include_str!("../../../configs/rules.yaml");

/// The rules of the built-in demo workspace (`configs/demo/rules.yaml`).
pub const DEMO_RULES: &str = include_str!("../../../configs/demo/rules.yaml");

/// Rules every rule set has unless it defines one of the same name: uc's own files need
/// room whatever the user watches. `DiskFull` fires at once (a full disk is an emergency)
/// and is sent even while the outbox cannot be written (see `alerts::deliver`).
pub const BUILT_IN_RULES: &str = r#"rules:
  - name: DiskFull
    expr: disk_full
    severity: critical
    annotations:
      summary: "No space left for uc's state in {{ $labels.path }}"
      description: "Logs and notifications wait in memory until space is freed; nothing is lost meanwhile."
"#;

/// The rule name the delivery worker sends from memory when the outbox cannot be written.
pub const DISK_FULL_RULE: &str = "DiskFull";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    /// In the order written, then the built-in ones added.
    pub rules: Vec<Rule>,
    /// How many of `rules` are built in (the last ones).
    pub built_in: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub expr: Expr,
    /// `for`: how long the condition must hold before the alert fires.
    pub pending_for: Duration,
    /// How long a firing alert keeps firing after it stops being active.
    pub keep_firing_for: Duration,
    /// Hysteresis: once firing, the alert stays active while the value still compares
    /// true against this threshold (with the expression's operator).
    pub clear: Option<f64>,
    pub severity: Severity,
    /// Extra labels on every alert of the rule.
    pub labels: Labels,
    pub annotations: BTreeMap<String, Template>,
    /// Channels to notify instead of the routing tree; empty means route.
    pub channels: Vec<String>,
    /// Playbook to run when an alert of the rule fires.
    pub playbook: Option<String>,
}

impl Rule {
    /// Whether an element with this value starts (or keeps) the alert pending.
    pub fn holds(&self, value: f64) -> bool {
        self.expr.holds(value)
    }

    /// Whether a firing alert with this value is still active: against `clear` when set.
    pub fn still_active(&self, value: f64) -> bool {
        match (self.clear, self.expr.comparison()) {
            (Some(clear), Some(comparison)) => comparison.op.holds(value, clear),
            _ => self.expr.holds(value),
        }
    }

    /// The labels of the alert for the element whose series label has value `series`:
    /// the series label, the rule's labels, `alertname` and `severity`.
    pub fn alert_labels(&self, series: &str) -> Labels {
        let mut labels = self.labels.clone();
        if let Some(name) = self.expr.series_label() {
            labels.insert(name.to_owned(), series.to_owned());
        }
        labels.insert("alertname".to_owned(), self.name.clone());
        labels.insert("severity".to_owned(), self.severity.as_str().to_owned());
        labels
    }

    /// The annotations rendered for one alert.
    pub fn render_annotations(&self, value: f64, labels: &Labels) -> BTreeMap<String, String> {
        self.annotations
            .iter()
            .map(|(name, template)| (name.clone(), template.render(value, labels, &self.name)))
            .collect()
    }
}

impl RuleSet {
    /// This set with the [`BUILT_IN_RULES`] it does not define itself, after its own.
    pub fn with_built_in(mut self) -> Self {
        let built_in = parse_rules(BUILT_IN_RULES, Path::new("built-in rules"))
            .map(|set| set.rules)
            .unwrap_or_default();
        for rule in built_in {
            if self.rule(&rule.name).is_none() {
                self.rules.push(rule);
                self.built_in += 1;
            }
        }
        self
    }

    /// The rules the user's file (or the shipped defaults) defines.
    pub fn own(&self) -> usize {
        self.rules.len() - self.built_in
    }

    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// Every probe the rules read, once each, in rule order.
    pub fn probes(&self) -> Vec<ProbeTarget> {
        unique(self.rules.iter().filter_map(|r| r.expr.probe()))
    }

    /// Whether a rule reads the ports services declare (`service_port_open`).
    pub fn reads_declared_ports(&self) -> bool {
        self.rules.iter().any(|r| r.expr.reads_declared_ports())
    }

    /// Every log query the rules read, once each, in rule order.
    pub fn log_queries(&self) -> Vec<LogCountQuery> {
        unique(self.rules.iter().filter_map(|r| r.expr.log_query()))
    }

    /// (rule, service) for each service a rule names that is not in `known`: such a rule
    /// can never fire, which deserves a warning when the workspace is loaded.
    pub fn unknown_services<'a>(&'a self, known: &[&str]) -> Vec<(&'a str, &'a str)> {
        self.rules
            .iter()
            .flat_map(|r| r.expr.services().into_iter().map(|s| (r.name.as_str(), s)))
            .filter(|(_, service)| !known.contains(service))
            .collect()
    }
}

fn unique<'a, T: Clone + Eq + std::hash::Hash + 'a>(items: impl Iterator<Item = &'a T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|item| seen.insert(*item)).cloned().collect()
}

/// Read and check a rules file.
pub fn load_rules(path: &Path) -> Result<RuleSet, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_rules(&text, path)
}

/// Parse and check rules from text; `file` names the source in problems. Every problem is
/// reported at once, with its line and column.
pub fn parse_rules(text: &str, file: &Path) -> Result<RuleSet, ConfigError> {
    // Snippets are drawn by `ConfigError`'s Display, once, for all kinds of problem.
    let options = serde_saphyr::options! { with_snippet: false };
    let problems = match serde_saphyr::from_str_with_options::<raw::RulesFile>(text, options) {
        Ok(parsed) => match check::check(&parsed, text, file) {
            Ok(rules) => {
                return Ok(RuleSet { rules, built_in: 0 });
            }
            Err(problems) => problems,
        },
        Err(err) => vec![yaml_problem(&err, file)],
    };
    Err(ConfigError::Invalid {
        problems: with_source_lines(problems, text),
    })
}
