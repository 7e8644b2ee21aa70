//! Turns the parsed file into a [`ChannelsConfig`], collecting every problem instead of
//! stopping at the first.

use std::path::Path;
use std::time::Duration;

use serde_saphyr::{Location, Spanned};

use super::expand::{Expanded, expand, missing_reason};
use super::file::{Addresses, ChannelSpec, ChannelsFile, RouteSpec};
use super::{
    Channel, ChannelKind, ChannelsConfig, EmailTarget, Env, Route, Secret, SmtpTls, Target, Timing,
    WebhookTarget,
};
use crate::alerts::Matcher;
use crate::config::Problem;
use crate::config::suggest::hint;
use crate::config::values::{self, Parsed, Rejected};

pub fn check(
    spec: &ChannelsFile,
    file: &Path,
    env: Env<'_>,
) -> Result<ChannelsConfig, Vec<Problem>> {
    let mut checker = Checker {
        file,
        env,
        problems: Vec::new(),
    };
    let channels: Vec<Channel> = spec
        .channels
        .iter()
        .filter_map(|(name, spec)| checker.channel(name, spec))
        .collect();
    let names: Vec<&str> = spec.channels.keys().map(|k| k.value.as_str()).collect();
    // Without a route every channel takes every alert, and so does a root without `channels`.
    let root = Route {
        channels: names.iter().map(|n| (*n).to_owned()).collect(),
        ..Route::default()
    };
    let route = match &spec.route {
        Some(route) => checker.route(route, &root, "0".to_owned(), &names),
        None => root,
    };
    if !checker.problems.is_empty() {
        checker.problems.sort_by_key(|p| (p.line, p.column));
        return Err(checker.problems);
    }
    Ok(ChannelsConfig { channels, route })
}

struct Checker<'a> {
    file: &'a Path,
    env: Env<'a>,
    problems: Vec<Problem>,
}

/// The keys each type of channel takes, for "does not apply" problems.
fn keys_of(kind: ChannelKind) -> &'static [&'static str] {
    match kind {
        ChannelKind::Slack | ChannelKind::Alertmanager => &["url"],
        ChannelKind::Email => &["smtp", "tls", "username", "password", "from", "to"],
        ChannelKind::Webhook => &["url", "secret", "headers"],
    }
}

impl Checker<'_> {
    fn report(&mut self, at: &Location, message: impl Into<String>, hint: Option<String>) {
        let problem = Problem::new(self.file, at.line(), at.column(), message, hint);
        self.problems.push(problem);
    }

    fn reject(&mut self, at: &Location, rejected: Rejected) {
        self.report(at, rejected.message, rejected.hint);
    }

    fn channel(&mut self, name: &Spanned<String>, spec: &ChannelSpec) -> Option<Channel> {
        if !values::is_name(&name.value) {
            let message = format!("invalid channel name `{}`", name.value);
            let rule = "use only letters, digits, `_` and `-`".to_owned();
            self.report(&name.referenced, message, Some(rule));
        }
        let kinds = ChannelKind::ALL.map(|k| (k.as_str(), k));
        let kind = match keyword(&spec.kind.value, "channel type", &kinds) {
            Ok(kind) => kind,
            Err(rejected) => {
                self.reject(&spec.kind.referenced, rejected);
                return None;
            }
        };
        self.foreign_keys(spec, kind);
        let mut fields = Fields {
            checker: self,
            channel: name,
            missing: Vec::new(),
        };
        let target = match kind {
            ChannelKind::Slack => fields.slack(spec),
            ChannelKind::Email => fields.email(spec),
            ChannelKind::Webhook => fields.webhook(spec),
            ChannelKind::Alertmanager => fields.alertmanager(spec),
        };
        let target = match (fields.missing.is_empty(), target) {
            (false, _) => Err(missing_reason(&fields.missing)),
            (true, Some(target)) => Ok(target),
            // Every way to get here reported a problem.
            (true, None) => return None,
        };
        Some(Channel {
            name: name.value.clone(),
            kind,
            target,
        })
    }

    /// Keys that belong to another type of channel.
    fn foreign_keys(&mut self, spec: &ChannelSpec, kind: ChannelKind) {
        let headers = spec.headers.as_ref().and_then(|h| h.keys().next());
        let present = [
            ("url", spec.url.as_ref().map(|s| s.referenced)),
            ("smtp", spec.smtp.as_ref().map(|s| s.referenced)),
            ("tls", spec.tls.as_ref().map(|s| s.referenced)),
            ("username", spec.username.as_ref().map(|s| s.referenced)),
            ("password", spec.password.as_ref().map(|s| s.referenced)),
            ("from", spec.from.as_ref().map(|s| s.referenced)),
            ("to", spec.to.as_ref().map(|s| s.referenced)),
            ("secret", spec.secret.as_ref().map(|s| s.referenced)),
            ("headers", headers.map(|s| s.referenced)),
        ];
        let takes = keys_of(kind);
        for (key, at) in present {
            if let Some(at) = at.filter(|_| !takes.contains(&key)) {
                let message = format!("`{key}` does not apply to `type: {kind}`");
                let hint = format!("`type: {kind}` takes {}", quoted(takes));
                self.report(&at, message, Some(hint));
            }
        }
    }

    /// `parent` gives what this route inherits; `names` are the channels that exist.
    fn route(&mut self, spec: &RouteSpec, parent: &Route, id: String, names: &[&str]) -> Route {
        let root = id == "0";
        if let Some(first) = spec.matchers.first().filter(|_| root) {
            let hint = "put `match` on a route under `routes`".to_owned();
            self.report(
                &first.referenced,
                "the root route takes every alert",
                Some(hint),
            );
        }
        if let Some(cont) = spec.continue_matching.as_ref().filter(|_| root) {
            self.report(
                &cont.referenced,
                "`continue` has no meaning on the root route",
                None,
            );
        }
        let matchers = spec
            .matchers
            .iter()
            .filter_map(|m| match Matcher::parse(&m.value) {
                Ok(matcher) => Some(matcher),
                Err(message) => {
                    let hint = "write `name=value`, `name!=value`, `name=~regex` or `name!~regex`";
                    self.report(&m.referenced, message, Some(hint.to_owned()));
                    None
                }
            })
            .collect();
        let channels = match &spec.channels {
            Some(list) => self.channel_names(list, names),
            None => parent.channels.clone(),
        };
        let group_by = match &spec.group_by {
            Some(list) => self.label_names(list),
            None => parent.group_by.clone(),
        };
        let timing = self.timing(spec, parent.timing);
        let mut route = Route {
            id,
            matchers,
            channels,
            group_by,
            timing,
            continue_matching: spec.continue_matching.as_ref().is_some_and(|c| c.value),
            routes: Vec::new(),
        };
        route.routes = spec
            .routes
            .iter()
            .enumerate()
            .map(|(i, child)| self.route(child, &route, format!("{}.{i}", route.id), names))
            .collect();
        route
    }

    fn channel_names(&mut self, list: &[Spanned<String>], names: &[&str]) -> Vec<String> {
        for name in list.iter().filter(|n| !names.contains(&n.value.as_str())) {
            let message = format!("no channel named `{}`", name.value);
            let hint =
                hint(&name.value, names).or_else(|| Some("define it under `channels`".to_owned()));
            self.report(&name.referenced, message, hint);
        }
        list.iter().map(|n| n.value.clone()).collect()
    }

    fn label_names(&mut self, list: &[Spanned<String>]) -> Vec<String> {
        for label in list.iter().filter(|l| !is_label(&l.value)) {
            let message = format!("`{}` is not a label name", label.value);
            let hint = "use letters, digits and `_`, or `...` for every label".to_owned();
            self.report(&label.referenced, message, Some(hint));
        }
        list.iter().map(|l| l.value.clone()).collect()
    }

    fn timing(&mut self, spec: &RouteSpec, parent: Timing) -> Timing {
        Timing {
            group_wait: self.duration(spec.group_wait.as_ref(), parent.group_wait, true),
            group_interval: self.duration(
                spec.group_interval.as_ref(),
                parent.group_interval,
                false,
            ),
            repeat_interval: self.duration(
                spec.repeat_interval.as_ref(),
                parent.repeat_interval,
                false,
            ),
            send_resolved: spec.send_resolved.unwrap_or(parent.send_resolved),
        }
    }

    fn duration(
        &mut self,
        value: Option<&Spanned<String>>,
        inherited: Duration,
        zero_ok: bool,
    ) -> Duration {
        let Some(value) = value else {
            return inherited;
        };
        match values::duration(&value.value) {
            Ok(d) if d.is_zero() && !zero_ok => {
                let message = format!("`{}` must be longer than 0", value.value);
                self.report(&value.referenced, message, Some("e.g. `10s`".to_owned()));
                inherited
            }
            Ok(d) => d,
            Err(rejected) => {
                self.reject(&value.referenced, rejected);
                inherited
            }
        }
    }
}

/// Checks one channel's fields, collecting the variables that are not set.
struct Fields<'c, 'a> {
    checker: &'c mut Checker<'a>,
    channel: &'c Spanned<String>,
    missing: Vec<String>,
}

impl Fields<'_, '_> {
    fn slack(&mut self, spec: &ChannelSpec) -> Option<Target> {
        let url = self.required("url", spec.url.as_ref(), http_url)?;
        Some(Target::Slack {
            url: Secret::new(url),
        })
    }

    fn alertmanager(&mut self, spec: &ChannelSpec) -> Option<Target> {
        let url = self.required("url", spec.url.as_ref(), http_url)?;
        Some(Target::Alertmanager { url })
    }

    fn webhook(&mut self, spec: &ChannelSpec) -> Option<Target> {
        let url = self.required("url", spec.url.as_ref(), http_url);
        let secret = self.optional(spec.secret.as_ref(), |s| Ok(s.to_owned()));
        let mut headers = Vec::new();
        for (name, value) in spec.headers.iter().flatten() {
            if reqwest::header::HeaderName::from_bytes(name.value.as_bytes()).is_err() {
                let message = format!("`{}` is not an HTTP header name", name.value);
                self.checker.report(&name.referenced, message, None);
            }
            if let Some(value) = self.optional(Some(value), header_value) {
                headers.push((name.value.clone(), value));
            }
        }
        Some(Target::Webhook(WebhookTarget {
            url: url?,
            secret: secret.map(Secret::new),
            headers,
        }))
    }

    fn email(&mut self, spec: &ChannelSpec) -> Option<Target> {
        let smtp = self.required("smtp", spec.smtp.as_ref(), smtp_address);
        let tls = self.optional(spec.tls.as_ref(), |t| {
            keyword(t, "`tls` mode", &SmtpTls::ALL)
        });
        let username = self.optional(spec.username.as_ref(), |u| Ok(u.to_owned()));
        let password = self.optional(spec.password.as_ref(), |p| Ok(p.to_owned()));
        if let (Some(u), None) | (None, Some(u)) = (&spec.username, &spec.password) {
            let message = "`username` and `password` go together";
            self.checker.report(&u.referenced, message, None);
        }
        let from = self.required("from", spec.from.as_ref(), mailbox);
        let to = self.recipients(spec);
        let tls = tls.unwrap_or(SmtpTls::StartTls);
        let (host, port) = smtp?;
        Some(Target::Email(EmailTarget {
            host,
            port: port.unwrap_or(tls.default_port()),
            tls,
            credentials: username.zip(password.map(Secret::new)),
            from: from?,
            to: to?,
        }))
    }

    fn recipients(&mut self, spec: &ChannelSpec) -> Option<Vec<String>> {
        let Some(to) = &spec.to else {
            self.absent("to");
            return None;
        };
        let list = match &to.value {
            Addresses::One(one) => vec![Spanned::new(one.clone(), to.referenced, to.defined)],
            Addresses::Many(many) => many.clone(),
        };
        if list.is_empty() {
            self.checker
                .report(&to.referenced, "`to` lists no address", None);
            return None;
        }
        let all: Vec<Option<String>> = list
            .iter()
            .map(|address| self.optional(Some(address), mailbox))
            .collect();
        all.into_iter().collect()
    }

    fn absent(&mut self, key: &str) {
        let message = format!("channel `{}` needs `{key}`", self.channel.value);
        self.checker.report(&self.channel.referenced, message, None);
    }

    fn required<T>(
        &mut self,
        key: &str,
        value: Option<&Spanned<String>>,
        parse: impl Fn(&str) -> Parsed<T>,
    ) -> Option<T> {
        if value.is_none() {
            self.absent(key);
        }
        self.optional(value, parse)
    }

    /// Expands and parses a value; `None` when absent, bad (reported) or using a variable
    /// that is not set (recorded).
    fn optional<T>(
        &mut self,
        value: Option<&Spanned<String>>,
        parse: impl Fn(&str) -> Parsed<T>,
    ) -> Option<T> {
        let value = value?;
        let text = match expand(&value.value, self.checker.env) {
            Ok(Expanded::Value(text)) => text,
            Ok(Expanded::Missing(names)) => {
                for name in names.into_iter() {
                    if !self.missing.contains(&name) {
                        self.missing.push(name);
                    }
                }
                return None;
            }
            Err(rejected) => {
                self.checker.reject(&value.referenced, rejected);
                return None;
            }
        };
        parse(&text)
            .map_err(|rejected| {
                // Variables hold credentials: a message quotes the value as written.
                let as_written = |t: String| {
                    if text.is_empty() || text == value.value {
                        t
                    } else {
                        t.replace(&text, &value.value)
                    }
                };
                let rejected = Rejected {
                    message: as_written(rejected.message),
                    hint: rejected.hint.map(as_written),
                };
                self.checker.reject(&value.referenced, rejected)
            })
            .ok()
    }
}

fn keyword<T: Copy>(text: &str, what: &str, table: &[(&str, T)]) -> Parsed<T> {
    if let Some((_, value)) = table.iter().find(|(name, _)| *name == text) {
        return Ok(*value);
    }
    let names: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
    Err(Rejected {
        message: format!("unknown {what} `{text}`"),
        hint: hint(text, &names),
    })
}

fn quoted(items: &[&str]) -> String {
    crate::config::suggest::quoted_list(items)
}

fn is_label(text: &str) -> bool {
    text == "..."
        || (!text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

fn http_url(text: &str) -> Parsed<String> {
    let ok = reqwest::Url::parse(text)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if ok {
        return Ok(text.to_owned());
    }
    Err(Rejected {
        message: format!("invalid URL `{text}`"),
        hint: Some("write an http:// or https:// URL".to_owned()),
    })
}

fn header_value(text: &str) -> Parsed<String> {
    match reqwest::header::HeaderValue::from_str(text) {
        Ok(_) => Ok(text.to_owned()),
        Err(_) => Err(Rejected {
            message: format!("`{text}` is not a valid HTTP header value"),
            hint: Some("use printable ASCII".to_owned()),
        }),
    }
}

fn mailbox(text: &str) -> Parsed<String> {
    match text.parse::<lettre::message::Mailbox>() {
        Ok(_) => Ok(text.to_owned()),
        Err(_) => Err(Rejected {
            message: format!("invalid email address `{text}`"),
            hint: Some("write `name@example.com` or `Name <name@example.com>`".to_owned()),
        }),
    }
}

/// `host`, `host:port` or `[v6]:port`; the port defaults from the TLS mode.
fn smtp_address(text: &str) -> Parsed<(String, Option<u16>)> {
    let bad = || Rejected {
        message: format!("invalid SMTP address `{text}`"),
        hint: Some("write `host:port`, e.g. `smtp.example.com:587`".to_owned()),
    };
    let text = text.trim();
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') => {
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(bad)?;
            (host, Some(port))
        }
        _ => (text, None),
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let valid = !host.is_empty() && !host.contains(char::is_whitespace) && !host.contains('/');
    if valid {
        Ok((host.to_owned(), port))
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_addresses() {
        assert_eq!(
            smtp_address("smtp.example.com:587"),
            Ok(("smtp.example.com".into(), Some(587)))
        );
        assert_eq!(smtp_address("localhost"), Ok(("localhost".into(), None)));
        assert_eq!(smtp_address("[::1]:25"), Ok(("::1".into(), Some(25))));
        assert!(smtp_address("host:0").is_err());
        assert!(smtp_address("host:port").is_err());
        assert!(smtp_address(":25").is_err());
        assert!(smtp_address("http://x").is_err());
    }

    #[test]
    fn urls_and_mailboxes() {
        assert!(http_url("https://hooks.slack.com/services/T/B/x").is_ok());
        assert!(http_url("http://127.0.0.1:9093").is_ok());
        assert!(http_url("ftp://x").is_err());
        assert!(http_url("hooks.slack.com").is_err());
        assert!(mailbox("Ops <ops@example.com>").is_ok());
        assert!(mailbox("ops").is_err());
    }
}
