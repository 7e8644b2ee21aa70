//! Parsers for the scalar values of `univers.yaml` (durations, signals, policies, addresses).
//! They know nothing about locations; validation attaches those.

use std::str::FromStr;
use std::time::Duration;

use nix::sys::signal::Signal;

use super::schema::Condition;
use super::suggest;
use super::{GiveUp, RestartPolicy};

/// Why a value was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub message: String,
    pub hint: Option<String>,
}

impl Rejected {
    pub fn new(message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            message: message.into(),
            hint,
        }
    }
}

impl std::fmt::Display for Rejected {
    /// `message (hint)`, as a one-line error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        match &self.hint {
            Some(hint) => write!(f, " ({hint})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Rejected {}

pub type Parsed<T> = Result<T, Rejected>;

const POLICIES: [(&str, RestartPolicy); 4] = [
    ("no", RestartPolicy::No),
    ("on-failure", RestartPolicy::OnFailure),
    ("always", RestartPolicy::Always),
    ("unless-stopped", RestartPolicy::UnlessStopped),
];

const GIVE_UPS: [(&str, GiveUp); 3] = [
    ("stop", GiveUp::Stop),
    ("alert", GiveUp::Alert),
    ("keep-trying", GiveUp::KeepTrying),
];

/// One of a fixed set of words; `what` names the kind of value in the message.
fn keyword<T: Copy>(text: &str, what: &str, table: &[(&str, T)]) -> Parsed<T> {
    if let Some((_, value)) = table.iter().find(|(name, _)| *name == text) {
        return Ok(*value);
    }
    let names: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
    Err(Rejected::new(
        format!("unknown {what} `{text}`"),
        suggest::hint(text, &names),
    ))
}

pub fn restart_policy(text: &str) -> Parsed<RestartPolicy> {
    keyword(text, "restart policy", &POLICIES)
}

pub fn give_up(text: &str) -> Parsed<GiveUp> {
    keyword(text, "`then` action", &GIVE_UPS)
}

pub fn condition(text: &str) -> Parsed<Condition> {
    let table = Condition::ALL.map(|c| (c.name(), c));
    keyword(text, "condition", &table)
}

/// `10s`, `1m30s`, `1.5h`, `250ms`, or a bare number of seconds (see [`super::duration`]).
pub fn duration(text: &str) -> Parsed<Duration> {
    super::duration::parse(text).ok_or_else(|| {
        Rejected::new(
            format!("invalid duration `{}`", text.trim()),
            Some(super::duration::HINT.to_owned()),
        )
    })
}

/// A regex as typed (`--grep`, the logs filter, `log_match`, `=~` matchers), refused in
/// the user's words: the regex as written and what is wrong with it.
pub fn regex(text: &str) -> Parsed<regex::Regex> {
    compile(text).map_err(|e| bad_regex(text, &e))
}

/// Every regex a user gives compiles through here, so a pattern such as `(a{1000}){1000}`
/// is refused when it is read instead of taking the engine's memory: 1 MiB compiled, 32
/// levels of nesting.
pub fn compile(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .nest_limit(32)
        .build()
}

/// `invalid regex `(`: unclosed group`: the regex crate draws a caret diagram over several
/// lines, under the pattern as compiled; only its verdict is kept.
pub fn bad_regex(text: &str, error: &regex::Error) -> Rejected {
    let full = error.to_string();
    let verdict = full
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or(full.as_str(), |l| l.trim().trim_start_matches("error: "));
    Rejected::new(format!("invalid regex `{text}`: {verdict}"), None)
}

const SIZE_HINT: &str = "write a number of bytes with a unit, e.g. `512KiB`, `32MiB`, `1GiB`";

/// `256MiB`, `1GB`, `64k`, or a bare number of bytes; at least 1 KiB.
pub fn size(text: &str) -> Parsed<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => {
            return Err(Rejected::new(
                format!("invalid size `{text}`"),
                Some(SIZE_HINT.into()),
            ));
        }
    };
    let bytes = number
        .parse::<f64>()
        .ok()
        .map(|n| (n * multiplier as f64) as u64)
        .filter(|b| *b >= 1024)
        .ok_or_else(|| Rejected::new(format!("invalid size `{text}`"), Some(SIZE_HINT.into())))?;
    Ok(bytes)
}

/// A file path or glob (`*`, `?`, `[...]` in its last component only, so new files in a
/// known directory are found by watching that directory).
pub fn log_glob(text: &str) -> Parsed<()> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Rejected::new("empty log file path", None));
    }
    let parent = std::path::Path::new(text)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    if parent.contains(['*', '?', '[']) {
        return Err(Rejected::new(
            format!("`{text}`: wildcards are allowed only in the file name"),
            Some("write e.g. `./app/logs/*.log`".to_owned()),
        ));
    }
    Ok(())
}

/// How often metrics are sampled: a duration from 100 ms to 1 h.
pub fn sample_interval(text: &str) -> Parsed<Duration> {
    let interval = duration(text)?;
    if (Duration::from_millis(100)..=Duration::from_secs(3600)).contains(&interval) {
        Ok(interval)
    } else {
        Err(Rejected::new(
            format!("metrics interval `{}` is out of range", text.trim()),
            Some("use a duration from 100ms to 1h".to_owned()),
        ))
    }
}

/// `127.0.0.1:9464`, `[::1]:9464`.
pub fn listen_address(text: &str) -> Parsed<std::net::SocketAddr> {
    text.trim().parse().map_err(|_| {
        Rejected::new(
            format!("invalid listen address `{}`", text.trim()),
            Some("use ip:port, e.g. `127.0.0.1:9464`".to_owned()),
        )
    })
}

/// `SIGTERM`, `TERM`, `term` or `15`.
pub fn signal(text: &str) -> Parsed<Signal> {
    let text = text.trim();
    if let Ok(number) = text.parse::<i32>() {
        return Signal::try_from(number)
            .map_err(|_| Rejected::new(format!("no signal has number {number}"), None));
    }
    let upper = text.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    Signal::from_str(&name).map_err(|_| {
        let names = Signal::iterator().map(Signal::as_str);
        let hint = suggest::closest(&name, names)
            .map(|best| format!("did you mean `{best}`?"))
            .unwrap_or_else(|| "use a name like `SIGTERM` or `INT`, or a number".to_owned());
        Rejected::new(format!("unknown signal `{text}`"), Some(hint))
    })
}

/// `1s..5m`: first delay, doubled after each failure up to the cap. A single duration
/// means a fixed delay.
pub fn backoff(text: &str) -> Parsed<(Duration, Duration)> {
    let Some((from, to)) = text.split_once("..") else {
        let fixed = duration(text)?;
        return Ok((fixed, fixed));
    };
    let (from, to) = (duration(from)?, duration(to)?);
    if from > to {
        return Err(Rejected::new(
            format!("backoff `{text}` starts above its cap"),
            Some("write the shorter delay first, e.g. `1s..5m`".to_owned()),
        ));
    }
    Ok((from, to))
}

/// `5 within 10m`.
pub fn max_restarts(text: &str) -> Parsed<(u32, Duration)> {
    let bad = || {
        Rejected::new(
            format!("invalid restart limit `{text}`"),
            Some("write a count and a window, e.g. `5 within 10m`".to_owned()),
        )
    };
    let (count, window) = text.split_once(" within ").ok_or_else(bad)?;
    let count = count.trim().parse::<u32>().map_err(|_| bad())?;
    Ok((count, duration(window)?))
}

/// `host:port` for a TCP health check.
pub fn tcp_address(text: &str) -> Parsed<()> {
    let valid = text
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if valid {
        Ok(())
    } else {
        Err(Rejected::new(
            format!("invalid TCP address `{text}`"),
            Some("write `host:port`, e.g. `127.0.0.1:5432`".to_owned()),
        ))
    }
}

/// Plain `http://` URL for an HTTP health check (there is no TLS client).
pub fn http_url(text: &str) -> Parsed<()> {
    if text.starts_with("http://") && text.len() > "http://".len() {
        return Ok(());
    }
    let hint = if text.starts_with("https://") {
        "only plain `http://` is supported; use a `tcp` or `exec` check for TLS endpoints"
    } else {
        "write a URL like `http://127.0.0.1:8080/health`"
    };
    Err(Rejected::new(
        format!("invalid health URL `{text}`"),
        Some(hint.to_owned()),
    ))
}

/// A branch, tag or commit as git's `check-ref-format` accepts one; never an option (`-…`).
pub fn git_ref(text: &str) -> Parsed<()> {
    let bad = text.is_empty()
        || text.starts_with(['-', '/', '.'])
        || text.ends_with(['/', '.'])
        || text.ends_with(".lock")
        || text.contains("..")
        || text.contains("@{")
        || text.contains("//")
        || text
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c));
    if bad {
        return Err(Rejected::new(
            format!("invalid git ref `{text}`"),
            Some("name a branch, a tag or a commit, e.g. `main`, `v1.2`, `3f2a9c1`".to_owned()),
        ));
    }
    Ok(())
}

/// Service and workspace names become tmux window names and file names.
pub fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn is_tag(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `200` or `200..299` (both ends included).
pub fn status_range(text: &str) -> Parsed<(u16, u16)> {
    let bad = || {
        Rejected::new(
            format!("invalid HTTP status range `{text}`"),
            Some("write a status or a range, e.g. `200` or `200..299`".to_owned()),
        )
    };
    let code = |t: &str| {
        t.trim()
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .ok_or_else(bad)
    };
    let (low, high) = match text.split_once("..") {
        Some((low, high)) => (code(low)?, code(high)?),
        None => (code(text)?, code(text)?),
    };
    if low > high {
        return Err(bad());
    }
    Ok((low, high))
}

/// `512MiB` or `512MiB for 30s`.
pub fn memory_limit(text: &str, sustain: Duration) -> Parsed<crate::config::MemoryLimit> {
    let (bytes, sustain) = match text.split_once(" for ") {
        Some((bytes, period)) => (size(bytes)?, duration(period)?),
        None => (size(text)?, sustain),
    };
    Ok(crate::config::MemoryLimit { bytes, sustain })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size("32MiB"), Ok(32 << 20));
        assert_eq!(size("1.5 GiB"), Ok(3 << 29));
        assert_eq!(size("2048"), Ok(2048));
        assert_eq!(size("64k"), Ok(64_000));
        assert!(size("12").is_err());
        assert!(size("ten MiB").is_err());
        assert!(size("5 parsecs").is_err());
    }

    #[test]
    fn log_globs() {
        assert!(log_glob("./logs/*.log").is_ok());
        assert!(log_glob("/var/log/syslog").is_ok());
        assert!(log_glob("./*/app.log").is_err());
        assert!(log_glob(" ").is_err());
    }

    #[test]
    fn git_refs() {
        for ok in ["main", "feature/x", "v1.2", "3f2a9c1", "refs/tags/v1"] {
            assert_eq!(git_ref(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-x",
            "--upload-pack=x",
            "a..b",
            "a b",
            "x.lock",
            "a:b",
            "a/",
            "@{-1}",
        ] {
            assert!(git_ref(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("15"), Ok(Duration::from_secs(15)));
        assert_eq!(duration("1.5"), Ok(Duration::from_millis(1500)));
        let err = duration("10x").expect_err("rejected");
        assert_eq!(err.message, "invalid duration `10x`");
        assert_eq!(
            duration(" -5m ").expect_err("rejected").to_string(),
            format!("invalid duration `-5m` ({})", super::super::duration::HINT)
        );
    }

    #[test]
    fn regexes_are_refused_as_typed() {
        assert!(regex("a|b").is_ok());
        let err = regex("(").expect_err("rejected");
        assert_eq!(err.message, "invalid regex `(`: unclosed group");
    }

    #[test]
    fn signals() {
        for text in ["SIGTERM", "TERM", "term", "15", " SigTerm "] {
            assert_eq!(signal(text), Ok(Signal::SIGTERM), "{text}");
        }
        assert_eq!(signal("int"), Ok(Signal::SIGINT));
        let err = signal("SIGTREM").expect_err("rejected");
        assert_eq!(err.message, "unknown signal `SIGTREM`");
        assert_eq!(err.hint.as_deref(), Some("did you mean `SIGTERM`?"));
        assert_eq!(
            signal("99").expect_err("rejected").message,
            "no signal has number 99"
        );
    }

    #[test]
    fn keywords() {
        assert_eq!(restart_policy("on-failure"), Ok(RestartPolicy::OnFailure));
        let err = restart_policy("on_failure").expect_err("rejected");
        assert_eq!(err.message, "unknown restart policy `on_failure`");
        assert_eq!(err.hint.as_deref(), Some("did you mean `on-failure`?"));
        assert_eq!(give_up("keep-trying"), Ok(GiveUp::KeepTrying));
        assert_eq!(condition("healthy"), Ok(Condition::Healthy));
        let err = condition("healty").expect_err("rejected");
        assert_eq!(err.hint.as_deref(), Some("did you mean `healthy`?"));
    }

    #[test]
    fn status_ranges_and_memory_limits() {
        assert_eq!(status_range("200"), Ok((200, 200)));
        assert_eq!(status_range("200..299"), Ok((200, 299)));
        assert!(status_range("299..200").is_err());
        assert!(status_range("99").is_err());
        let ten = Duration::from_secs(10);
        let limit = memory_limit("64MiB for 30s", ten).expect("valid");
        assert_eq!(
            (limit.bytes, limit.sustain),
            (64 << 20, Duration::from_secs(30))
        );
        assert_eq!(memory_limit("1GiB", ten).map(|l| l.sustain), Ok(ten));
        assert!(memory_limit("lots", ten).is_err());
    }

    #[test]
    fn backoff_and_max() {
        let (s, m) = (Duration::from_secs(1), Duration::from_secs(300));
        assert_eq!(backoff("1s..5m"), Ok((s, m)));
        assert_eq!(backoff("1s"), Ok((s, s)));
        assert!(backoff("5m..1s").is_err());
        assert_eq!(
            max_restarts("5 within 10m"),
            Ok((5, Duration::from_secs(600)))
        );
        assert!(max_restarts("5 in 10m").is_err());
        assert!(max_restarts("many within 10m").is_err());
    }

    #[test]
    fn addresses() {
        assert!(tcp_address("127.0.0.1:5432").is_ok());
        assert!(tcp_address("[::1]:80").is_ok());
        assert!(tcp_address("localhost").is_err());
        assert!(tcp_address(":80").is_err());
        assert!(tcp_address("db:0").is_err());
        assert!(http_url("http://127.0.0.1:8080/health").is_ok());
        assert!(http_url("https://example.com").is_err());
        assert!(http_url("127.0.0.1:8080").is_err());
    }

    #[test]
    fn names() {
        assert!(is_name("api-v2_x"));
        assert!(!is_name("api.v2"));
        assert!(!is_name(""));
        assert!(is_tag("v1.2"));
        assert!(!is_tag("a b"));
    }
}
