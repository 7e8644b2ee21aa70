//! Turns the raw rules into [`Rule`]s, collecting every problem with its place, so one
//! edit fixes them all. Problems inside an expression or a template point at the column
//! of the offending token, not just at the start of the value.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use serde_saphyr::{Location, Spanned};

use super::Rule;
use super::raw::{Raw, RulesFile};
use crate::alerts::expr::{self, Cmp, Expr};
use crate::alerts::model::{Labels, Severity};
use crate::alerts::template::Template;
use crate::config::Problem;
use crate::config::suggest;
use crate::config::values::{self, Rejected};

const KEYS: [&str; 10] = [
    "name",
    "expr",
    "for",
    "keep_firing_for",
    "clear",
    "severity",
    "labels",
    "annotations",
    "channels",
    "playbook",
];

/// Labels every alert carries, set from the rule's `name` and `severity`.
const RESERVED: [(&str, &str); 2] = [("alertname", "name"), ("severity", "severity")];

pub(super) fn check(file: &RulesFile, text: &str, path: &Path) -> Result<Vec<Rule>, Vec<Problem>> {
    let mut checker = Checker {
        path,
        text,
        problems: Vec::new(),
        names: HashMap::new(),
    };
    let rules: Vec<Rule> = file.rules.iter().filter_map(|r| checker.rule(r)).collect();
    if checker.problems.is_empty() {
        return Ok(rules);
    }
    checker.problems.sort_by_key(|p| (p.line, p.column));
    Err(checker.problems)
}

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    problems: Vec<Problem>,
    /// Rule names seen so far and the line of each.
    names: HashMap<String, u64>,
}

/// A rule's values by key.
#[derive(Default)]
struct Fields<'a> {
    by_key: HashMap<&'a str, &'a Spanned<Raw>>,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Spanned<Raw>> {
        self.by_key.get(key).copied()
    }
}

impl Checker<'_> {
    fn report(&mut self, at: &Location, message: impl Into<String>, hint: Option<String>) {
        self.report_at(at.line(), at.column(), message, hint);
    }

    fn report_at(
        &mut self,
        line: u64,
        column: u64,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let problem = Problem::new(self.path, line, column, message, hint);
        self.problems.push(problem);
    }

    fn reject(&mut self, at: &Location, rejected: Rejected) {
        self.report(at, rejected.message, rejected.hint);
    }

    fn rule(&mut self, node: &Spanned<Raw>) -> Option<Rule> {
        let Raw::Map(entries) = &node.value else {
            let message = format!(
                "expected a rule with `name` and `expr`, found {}",
                node.value.kind()
            );
            self.report(&node.referenced, message, None);
            return None;
        };
        let fields = self.fields(entries);
        let name = self.name(&fields, node);
        let expr = self.expr(&fields, node);
        let pending_for = self.duration(fields.get("for"), "for");
        let keep_firing_for = self.duration(fields.get("keep_firing_for"), "keep_firing_for");
        let severity = self.severity(fields.get("severity"));
        let clear = self.clear(fields.get("clear"), expr.as_ref());
        let series_label = expr.as_ref().and_then(Expr::series_label);
        let labels = self.labels(fields.get("labels"), series_label);
        let annotations = self.annotations(fields.get("annotations"), series_label, &labels);
        let channels = self.channels(fields.get("channels"));
        let playbook = self.playbook(fields.get("playbook"));
        Some(Rule {
            name: name?,
            expr: expr?,
            pending_for,
            keep_firing_for,
            clear,
            severity,
            labels,
            annotations,
            channels,
            playbook,
        })
    }

    fn fields<'a>(&mut self, entries: &'a [(Spanned<String>, Spanned<Raw>)]) -> Fields<'a> {
        let mut fields = Fields::default();
        for (key, value) in entries {
            let name = key.value.as_str();
            if KEYS.contains(&name) {
                // The YAML parser already rejects a key written twice.
                fields.by_key.insert(name, value);
            } else {
                let hint = suggest::hint(name, &KEYS);
                self.report(&key.referenced, format!("unknown field `{name}`"), hint);
            }
        }
        fields
    }

    /// A single value (string, number or boolean) as text; reports anything else.
    fn scalar(&mut self, key: &str, value: &Spanned<Raw>) -> Option<Spanned<String>> {
        match &value.value {
            Raw::Scalar(text) => Some(Spanned::new(text.clone(), value.referenced, value.defined)),
            other => {
                let message = format!(
                    "expected a single value for `{key}`, found {}",
                    other.kind()
                );
                self.report(&value.referenced, message, None);
                None
            }
        }
    }

    fn required(
        &mut self,
        fields: &Fields,
        key: &str,
        rule: &Spanned<Raw>,
    ) -> Option<Spanned<String>> {
        let Some(value) = fields.get(key) else {
            self.report(&rule.referenced, format!("rule has no `{key}`"), None);
            return None;
        };
        self.scalar(key, value)
    }

    fn name(&mut self, fields: &Fields, rule: &Spanned<Raw>) -> Option<String> {
        let name = self.required(fields, "name", rule)?;
        if !values::is_name(&name.value) {
            let message = format!("invalid rule name `{}`", name.value);
            let hint = "use only letters, digits, `_` and `-`, e.g. `HighCpu`";
            self.report(&name.referenced, message, Some(hint.to_owned()));
            return None;
        }
        let line = name.referenced.line();
        if let Some(first) = self.names.insert(name.value.clone(), line) {
            let message = format!("duplicate rule name `{}`", name.value);
            let hint = format!("the first is on line {first}");
            self.report(&name.referenced, message, Some(hint));
            return None;
        }
        Some(name.value)
    }

    fn expr(&mut self, fields: &Fields, rule: &Spanned<Raw>) -> Option<Expr> {
        let text = self.required(fields, "expr", rule)?;
        match Expr::parse(&text.value) {
            Ok(expr) => Some(expr),
            Err(err) => {
                let (line, column) = self.inside(&text, err.offset);
                self.report_at(line, column, err.message, err.hint);
                None
            }
        }
    }

    fn duration(&mut self, value: Option<&Spanned<Raw>>, key: &str) -> Duration {
        let Some(text) = value.and_then(|v| self.scalar(key, v)) else {
            return Duration::ZERO;
        };
        values::duration(&text.value).unwrap_or_else(|rejected| {
            self.reject(&text.referenced, rejected);
            Duration::ZERO
        })
    }

    fn severity(&mut self, value: Option<&Spanned<Raw>>) -> Severity {
        let Some(text) = value.and_then(|v| self.scalar("severity", v)) else {
            return Severity::default();
        };
        if let Some(severity) = Severity::ALL.into_iter().find(|s| s.as_str() == text.value) {
            return severity;
        }
        let names = Severity::ALL.map(Severity::as_str);
        let hint = suggest::hint(&text.value, &names);
        self.report(
            &text.referenced,
            format!("unknown severity `{}`", text.value),
            hint,
        );
        Severity::default()
    }

    /// The hysteresis threshold, which must sit on the side of the firing threshold where
    /// the alert stays firing longer.
    fn clear(&mut self, value: Option<&Spanned<Raw>>, expr: Option<&Expr>) -> Option<f64> {
        let text = value.and_then(|v| self.scalar("clear", v))?;
        let Some(clear) = expr::threshold(&text.value) else {
            let message = format!("`clear` must be a number, found `{}`", text.value);
            self.report(&text.referenced, message, None);
            return None;
        };
        let comparison = expr?.comparison();
        let (op, threshold) = match comparison {
            Some(c) if matches!(c.op, Cmp::Gt | Cmp::Ge | Cmp::Lt | Cmp::Le) => (c.op, c.threshold),
            _ => {
                let message = "`clear` needs an expression compared with `>`, `>=`, `<` or `<=`";
                self.report(&text.referenced, message, None);
                return None;
            }
        };
        let above = matches!(op, Cmp::Gt | Cmp::Ge);
        if (above && clear > threshold) || (!above && clear < threshold) {
            let (side, word) = if above {
                ("above", "at most")
            } else {
                ("below", "at least")
            };
            let message = format!("`clear: {clear}` is {side} the firing threshold {threshold}");
            let hint = format!(
                "the alert stays firing while the value is still {} {clear}; use {word} {threshold}",
                op.as_str()
            );
            self.report(&text.referenced, message, Some(hint));
            return None;
        }
        Some(clear)
    }

    fn map<'a>(
        &mut self,
        key: &str,
        value: Option<&'a Spanned<Raw>>,
    ) -> &'a [(Spanned<String>, Spanned<Raw>)] {
        match value.map(|v| (&v.value, v)) {
            None | Some((Raw::Null, _)) => &[],
            Some((Raw::Map(entries), _)) => entries,
            Some((other, v)) => {
                let message = format!("expected a mapping for `{key}`, found {}", other.kind());
                self.report(&v.referenced, message, None);
                &[]
            }
        }
    }

    fn labels(&mut self, value: Option<&Spanned<Raw>>, series_label: Option<&str>) -> Labels {
        let mut labels = Labels::new();
        for (name, value) in self.map("labels", value) {
            let Some(text) = self.scalar(&name.value, value) else {
                continue;
            };
            if let Some(hint) = self.label_name_problem(&name.value, series_label) {
                let message = format!("cannot set label `{}`", name.value);
                self.report(&name.referenced, message, Some(hint));
                continue;
            }
            labels.insert(name.value.clone(), text.value);
        }
        labels
    }

    /// Why a rule may not set this label, if it may not.
    fn label_name_problem(&self, name: &str, series_label: Option<&str>) -> Option<String> {
        if let Some((_, key)) = RESERVED.iter().find(|(label, _)| *label == name) {
            return Some(format!("it comes from the rule's `{key}`"));
        }
        if series_label == Some(name) {
            return Some("the expression sets it on each alert".to_owned());
        }
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        (!valid).then(|| "label names use only letters, digits and `_`".to_owned())
    }

    fn annotations(
        &mut self,
        value: Option<&Spanned<Raw>>,
        series_label: Option<&str>,
        labels: &Labels,
    ) -> BTreeMap<String, Template> {
        let mut known: Vec<&str> = RESERVED.iter().map(|(label, _)| *label).collect();
        known.extend(series_label);
        known.extend(labels.keys().map(String::as_str));
        let mut annotations = BTreeMap::new();
        for (name, value) in self.map("annotations", value) {
            let Some(text) = self.scalar(&name.value, value) else {
                continue;
            };
            match Template::parse(&text.value) {
                Ok(template) => {
                    self.template_labels(&template, &text, &known);
                    annotations.insert(name.value.clone(), template);
                }
                Err(err) => {
                    let (line, column) = self.inside(&text, err.offset);
                    self.report_at(line, column, err.message, err.hint);
                }
            }
        }
        annotations
    }

    /// Reports labels the template reads that this rule's alerts never carry.
    fn template_labels(&mut self, template: &Template, text: &Spanned<String>, known: &[&str]) {
        for (label, offset) in template.labels() {
            if known.contains(&label) {
                continue;
            }
            let (line, column) = self.inside(text, offset);
            let message = format!("this rule's alerts have no label `{label}`");
            let hint = suggest::closest(label, known.iter().copied())
                .map(|best| format!("did you mean `$labels.{best}`?"))
                .unwrap_or_else(|| format!("they have {}", suggest::quoted_list(known)));
            self.report_at(line, column, message, Some(hint));
        }
    }

    /// A playbook name (`configs/playbooks/<name>.yaml`); the file is read when the rule fires,
    /// so an edit needs no rules reload.
    fn playbook(&mut self, value: Option<&Spanned<Raw>>) -> Option<String> {
        let name = self.scalar("playbook", value?)?;
        if crate::config::values::is_name(&name.value) {
            return Some(name.value);
        }
        let message = format!("invalid playbook name `{}`", name.value);
        let hint = Some("name the file in configs/playbooks/ without `.yaml`".to_owned());
        self.report(&name.referenced, message, hint);
        None
    }

    fn channels(&mut self, value: Option<&Spanned<Raw>>) -> Vec<String> {
        let items: Vec<Spanned<String>> = match value.map(|v| &v.value) {
            None | Some(Raw::Null) => Vec::new(),
            Some(Raw::List(items)) => items
                .iter()
                .filter_map(|i| self.scalar("channels", i))
                .collect(),
            Some(_) => value
                .and_then(|v| self.scalar("channels", v))
                .into_iter()
                .collect(),
        };
        let mut channels: Vec<String> = Vec::new();
        for item in items {
            if !values::is_name(&item.value) {
                let message = format!("invalid channel name `{}`", item.value);
                let hint = "use only letters, digits, `_` and `-`";
                self.report(&item.referenced, message, Some(hint.to_owned()));
            } else if !channels.contains(&item.value) {
                channels.push(item.value);
            }
        }
        channels
    }

    /// Line and column of byte `offset` inside a string value: exact when the value is
    /// written on one line, plain or quoted without escapes before the offset; otherwise
    /// the start of the value.
    fn inside(&self, value: &Spanned<String>, offset: usize) -> (u64, u64) {
        let at = value.referenced;
        let start = (at.line(), at.column());
        let Some(source) = at
            .span()
            .byte_offset()
            .and_then(|b| usize::try_from(b).ok())
            .and_then(|b| self.text.get(b..))
        else {
            return start;
        };
        let prefix = value.value.get(..offset).unwrap_or(&value.value);
        let quote = usize::from(source.starts_with(['"', '\'']));
        let literal = source.get(quote..).is_some_and(|s| s.starts_with(prefix));
        if !literal || prefix.contains('\n') {
            return start;
        }
        let chars = u64::try_from(quote + prefix.chars().count()).unwrap_or(0);
        (start.0, start.1 + chars)
    }
}
