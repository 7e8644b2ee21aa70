//! Function calls in expressions: each function's arguments, checked and resolved into
//! the probe, log query or window the evaluator reads.

use std::time::Duration;

use super::parse::{Tok, Token, error};
use super::{ExprError, Source};
use crate::alerts::model::{MatchOp, Matcher};
use crate::alerts::readings::{LogCountQuery, LogFilter, ProbeTarget};
use crate::config::{suggest, values};
use crate::metrics::Metric as SeriesMetric;

const DEFAULT_LOG_WINDOW: Duration = Duration::from_secs(60);
const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(2);
const DEFAULT_PROBE_HOST: &str = "127.0.0.1";
const DEFAULT_ANOMALY_WINDOW: Duration = Duration::from_secs(300);

/// The series `anomaly` watches, by the name rules use: the history's series names, and
/// `cpu` as the host's CPU reads everywhere else in rules.
fn watched_series(name: &str) -> Option<SeriesMetric> {
    match name {
        "cpu" => Some(SeriesMetric::HostCpu),
        _ => SeriesMetric::from_name(name),
    }
}

/// Levels `log_rate` accepts, as log lines spell them.
const LEVELS: [&str; 9] = [
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL",
];

/// A function call's arguments, checked against what the function takes.
pub(super) struct Call {
    pub(super) name: &'static str,
    pub(super) usage: &'static str,
    pub(super) positional: Vec<Token>,
    /// `level=ERROR`: the name's token and the value's.
    pub(super) named: Vec<(Token, Token)>,
    /// Offset of `)`: where a missing argument is reported.
    pub(super) close: usize,
}

impl Call {
    pub(super) fn usage_hint(&self) -> Option<String> {
        Some(format!("write e.g. `{}`", self.usage))
    }

    /// The positional arguments, at least `min` and at most `max`; named ones besides
    /// `allowed` are rejected.
    fn check(&self, min: usize, max: usize, allowed: &[&str]) -> Result<&[Token], ExprError> {
        for (name, _) in &self.named {
            let Tok::Ident(key) = &name.tok else { continue };
            if !allowed.contains(&key.as_str()) {
                let message = format!("`{}` takes no argument `{key}`", self.name);
                return Err(error(name.at, message, self.usage_hint()));
            }
        }
        if let Some(extra) = self.positional.get(max) {
            let message = format!("too many arguments to `{}`", self.name);
            return Err(error(extra.at, message, self.usage_hint()));
        }
        if self.positional.len() < min {
            let message = format!("missing arguments to `{}`", self.name);
            return Err(error(self.close, message, self.usage_hint()));
        }
        Ok(&self.positional)
    }

    fn named(&self, key: &str) -> Option<&Token> {
        self.named
            .iter()
            .find(|(name, _)| matches!(&name.tok, Tok::Ident(n) if n == key))
            .map(|(_, value)| value)
    }

    /// `anomaly(series, window, label=value)`: the named argument narrows the series by
    /// their label, so it must be the series' own label.
    pub(super) fn anomaly(&self) -> Result<(Source, Vec<Matcher>), ExprError> {
        let label = match self.positional.first().map(|t| &t.tok) {
            Some(Tok::Ident(name)) => watched_series(name).and_then(SeriesMetric::label_name),
            _ => None,
        };
        let args = self.check(1, 2, label.as_slice())?;
        let series = self.anomaly_series(&args[0])?;
        let window = args.get(1).map_or(Ok(DEFAULT_ANOMALY_WINDOW), window)?;
        let matchers = self
            .named
            .iter()
            .map(|(name, value)| {
                let (Tok::Ident(name), Tok::Ident(v) | Tok::Str(v) | Tok::Word(v)) =
                    (&name.tok, &value.tok)
                else {
                    return Err(error(value.at, "expected a label value", None));
                };
                Matcher::new(name.clone(), MatchOp::Eq, v.clone())
                    .map_err(|r| error(value.at, r.message, None))
            })
            .collect::<Result<_, _>>()?;
        Ok((Source::Anomaly { series, window }, matchers))
    }

    fn anomaly_series(&self, token: &Token) -> Result<SeriesMetric, ExprError> {
        let names: Vec<&str> = std::iter::once("cpu")
            .chain(SeriesMetric::ALL.iter().map(|m| m.name()))
            .collect();
        let Tok::Ident(name) = &token.tok else {
            let message = format!("expected a metric series, found {}", token.tok.describe());
            let hint = format!("`anomaly` watches {}", names.join(", "));
            return Err(error(token.at, message, Some(hint)));
        };
        watched_series(name).ok_or_else(|| {
            let message = format!("`anomaly` does not watch `{name}`");
            let hint = suggest::closest(name, names.iter().copied()).map_or_else(
                || format!("it watches {}", names.join(", ")),
                |best| format!("did you mean `{best}`?"),
            );
            error(token.at, message, Some(hint))
        })
    }

    pub(super) fn restarts_in(&self) -> Result<Source, ExprError> {
        let args = self.check(1, 1, &[])?;
        window(&args[0]).map(Source::RestartsIn)
    }

    pub(super) fn port_open(&self) -> Result<Source, ExprError> {
        let args = self.check(1, 1, &[])?;
        let token = &args[0];
        let bad = || {
            let message = format!(
                "expected a port or \"host:port\", found {}",
                token.tok.describe()
            );
            error(token.at, message, self.usage_hint())
        };
        let (host, port) = match &token.tok {
            Tok::Word(port) => (DEFAULT_PROBE_HOST, port.as_str()),
            Tok::Str(address) => match address.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() => (host, port),
                _ => (DEFAULT_PROBE_HOST, address.as_str()),
            },
            _ => return Err(bad()),
        };
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(bad)?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Ok(probe(ProbeTarget::Port { host, port }))
    }

    pub(super) fn http_ok(&self) -> Result<Source, ExprError> {
        let args = self.check(1, 2, &[])?;
        let url = match &args[0].tok {
            Tok::Str(url) if is_http_url(url) => url.clone(),
            other => {
                let message = format!(
                    "expected an http:// or https:// URL, found {}",
                    other.describe()
                );
                return Err(error(args[0].at, message, self.usage_hint()));
            }
        };
        let timeout = args.get(1).map_or(Ok(DEFAULT_HTTP_TIMEOUT), window)?;
        Ok(probe(ProbeTarget::Http { url, timeout }))
    }

    pub(super) fn log_rate(&self) -> Result<Source, ExprError> {
        let args = self.check(1, 2, &["level"])?;
        let Some(level) = self.named("level") else {
            let message = "`log_rate` needs a level";
            return Err(error(self.close, message, self.usage_hint()));
        };
        let filter = LogFilter::Level(log_level(level)?);
        self.log(args, filter, args.get(1))
    }

    pub(super) fn log_match(&self) -> Result<Source, ExprError> {
        let args = self.check(2, 3, &[])?;
        let pattern = match &args[1].tok {
            Tok::Str(pattern) => pattern,
            other => {
                let message = format!("expected a quoted regex, found {}", other.describe());
                return Err(error(args[1].at, message, self.usage_hint()));
            }
        };
        values::regex(pattern).map_err(|r| error(args[1].at, r.message, None))?;
        self.log(args, LogFilter::Regex(pattern.clone()), args.get(2))
    }

    fn log(
        &self,
        args: &[Token],
        filter: LogFilter,
        window_arg: Option<&Token>,
    ) -> Result<Source, ExprError> {
        let service = service(&args[0])?;
        let window = window_arg.map_or(Ok(DEFAULT_LOG_WINDOW), window)?;
        Ok(Source::Log(LogCountQuery {
            service,
            filter,
            window,
        }))
    }
}

fn probe(probe: ProbeTarget) -> Source {
    Source::Probe {
        instance: probe.to_string(),
        probe,
    }
}

fn is_http_url(url: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        url.strip_prefix(scheme)
            .is_some_and(|rest| !rest.is_empty())
    })
}

/// A window or timeout: a positive duration (`10m`, `90s`, a bare number of seconds).
fn window(token: &Token) -> Result<Duration, ExprError> {
    let (Tok::Word(text) | Tok::Str(text) | Tok::Ident(text)) = &token.tok else {
        let message = format!("expected a duration, found {}", token.tok.describe());
        return Err(error(token.at, message, None));
    };
    match values::duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(error(token.at, "the duration must not be 0", None)),
        Err(rejected) => Err(error(token.at, rejected.message, rejected.hint)),
    }
}

fn service(token: &Token) -> Result<String, ExprError> {
    match &token.tok {
        Tok::Ident(name) | Tok::Str(name) | Tok::Word(name) if values::is_name(name) => {
            Ok(name.clone())
        }
        other => {
            let message = format!("expected a service name, found {}", other.describe());
            let hint = "service names use only letters, digits, `_` and `-`";
            Err(error(token.at, message, Some(hint.to_owned())))
        }
    }
}

fn log_level(token: &Token) -> Result<String, ExprError> {
    let (Tok::Ident(level) | Tok::Str(level)) = &token.tok else {
        let message = format!("expected a log level, found {}", token.tok.describe());
        return Err(error(token.at, message, None));
    };
    let upper = level.to_ascii_uppercase();
    if LEVELS.contains(&upper.as_str()) {
        return Ok(upper);
    }
    let hint = suggest::hint(&upper, &LEVELS);
    Err(error(
        token.at,
        format!("unknown log level `{level}`"),
        hint,
    ))
}
