//! A service's probes (`readiness` / `health`, `liveness`) and restart triggers
//! (`max_memory`, `watch`, `cron_restart`).

use std::path::Path;
use std::time::Duration;

use serde_saphyr::Spanned;

use super::super::schema::{HttpSpec, ProbeSpec, ServiceSpec, WatchSpec};
use super::super::values::{self, Rejected};
use super::super::{Check, HttpProbe, Probe, Triggers, Watch};
use super::{Checker, resolve_cwd};

const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
const DEFAULT_FAILURE_THRESHOLD: u32 = 3;
const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(300);
/// How long memory must stay above `max_memory` when the limit names no period.
pub const DEFAULT_MEMORY_SUSTAIN: Duration = Duration::from_secs(10);

impl Checker<'_> {
    /// `readiness:`, or `health:` (its older name); both at once is a mistake.
    pub(super) fn readiness(&mut self, spec: &ServiceSpec) -> Option<Check> {
        match (&spec.readiness, &spec.health) {
            (Some(readiness), Some(health)) => {
                let hint = Some("`health` is the older name of `readiness`: keep one".to_owned());
                self.report(
                    &health.referenced,
                    "both `readiness` and `health` are given",
                    hint,
                );
                self.check(readiness)
            }
            (Some(probe), None) | (None, Some(probe)) => self.check(probe),
            (None, None) => None,
        }
    }

    pub(super) fn check(&mut self, spec: &Spanned<ProbeSpec>) -> Option<Check> {
        let probe = self.probe(spec);
        let given = &spec.value;
        let failure_threshold = match (&given.failure_threshold, &given.retries) {
            (Some(f), Some(r)) => {
                let hint = Some("`retries` is Docker's name for `failure_threshold`".to_owned());
                self.report(
                    &r.referenced,
                    "both `failure_threshold` and `retries`",
                    hint,
                );
                self.at_least_one(f, "failure_threshold")
            }
            (Some(n), None) => self.at_least_one(n, "failure_threshold"),
            (None, Some(n)) => self.at_least_one(n, "retries"),
            (None, None) => DEFAULT_FAILURE_THRESHOLD,
        };
        let success_threshold = given
            .success_threshold
            .as_ref()
            .map_or(1, |n| self.at_least_one(n, "success_threshold"));
        Some(Check {
            probe: probe?,
            initial_delay: self.parse(
                given.initial_delay.as_ref(),
                values::duration,
                Duration::ZERO,
            ),
            interval: self.positive(given.interval.as_ref(), DEFAULT_INTERVAL),
            timeout: self.positive(given.timeout.as_ref(), DEFAULT_TIMEOUT),
            success_threshold,
            failure_threshold,
            start_period: self.parse(
                given.start_period.as_ref(),
                values::duration,
                Duration::ZERO,
            ),
        })
    }

    fn at_least_one(&mut self, n: &Spanned<u32>, key: &str) -> u32 {
        if n.value == 0 {
            self.report(&n.referenced, format!("`{key}` must be at least 1"), None);
        }
        n.value.max(1)
    }

    /// A duration that must not be zero (a zero probe interval would spin).
    pub(super) fn positive(
        &mut self,
        value: Option<&Spanned<String>>,
        default: Duration,
    ) -> Duration {
        let parsed = self.parse(value, values::duration, default);
        if let Some(value) = value.filter(|_| parsed.is_zero()) {
            self.report(
                &value.referenced,
                "this duration must be longer than 0",
                None,
            );
        }
        parsed
    }

    /// Exactly one of `exec`, `tcp`, `http`, `process`.
    pub(super) fn probe(&mut self, spec: &Spanned<ProbeSpec>) -> Option<Probe> {
        let given = &spec.value;
        let keys = [
            ("exec", given.exec.as_ref().map(|v| v.referenced)),
            ("tcp", given.tcp.as_ref().map(|v| v.referenced)),
            ("http", given.http.as_ref().map(|v| v.referenced)),
            ("process", given.process.as_ref().map(|v| v.referenced)),
        ];
        let present: Vec<_> = keys
            .iter()
            .filter_map(|(k, at)| at.map(|at| (*k, at)))
            .collect();
        let hint = || Some("write exactly one of `exec`, `tcp`, `http` or `process`".to_owned());
        match present.as_slice() {
            [_] => {}
            [] => {
                self.report(&spec.referenced, "probe has no check", hint());
                return None;
            }
            [(first, _), (second, at), ..] => {
                let message = format!("probe has both `{first}` and `{second}`");
                self.report(at, message, hint());
                return None;
            }
        }
        if let Some(exec) = &given.exec {
            if exec.value.trim().is_empty() {
                self.report(&exec.referenced, "probe `exec` command is empty", None);
                return None;
            }
            return Some(Probe::Exec(exec.value.clone()));
        }
        if let Some(tcp) = &given.tcp {
            return values::tcp_address(&tcp.value)
                .map(|()| Probe::Tcp(tcp.value.clone()))
                .map_err(|rejected| self.reject(&tcp.referenced, rejected))
                .ok();
        }
        if let Some(http) = &given.http {
            return self.http(http).map(Probe::Http);
        }
        match &given.process {
            Some(on) if !on.value => {
                let hint = Some("write `process: true`, or leave the probe out".to_owned());
                self.report(&on.referenced, "`process: false` checks nothing", hint);
                None
            }
            _ => Some(Probe::Process),
        }
    }

    fn http(&mut self, spec: &Spanned<HttpSpec>) -> Option<HttpProbe> {
        let (url, at) = match &spec.value {
            HttpSpec::Url(url) => (url, spec.referenced),
            HttpSpec::Full(full) => (&full.url.value, full.url.referenced),
        };
        let url_ok = values::http_url(url)
            .map_err(|rejected| self.reject(&at, rejected))
            .is_ok();
        let (status, body) = match &spec.value {
            HttpSpec::Url(_) => ((200, 399), None),
            HttpSpec::Full(full) => {
                let status = full.status.as_ref().map_or(Some((200, 399)), |s| {
                    values::status_range(&s.value.0)
                        .map_err(|rejected| self.reject(&s.referenced, rejected))
                        .ok()
                });
                (status?, full.body.as_ref().map(|b| b.value.clone()))
            }
        };
        url_ok.then(|| HttpProbe {
            url: url.clone(),
            status,
            body,
        })
    }

    pub(super) fn triggers(&mut self, spec: &ServiceSpec, dir: &Path) -> Triggers {
        Triggers {
            max_memory: spec.max_memory.as_ref().and_then(|m| {
                values::memory_limit(&m.value, DEFAULT_MEMORY_SUSTAIN)
                    .map_err(|rejected| self.reject(&m.referenced, rejected))
                    .ok()
            }),
            watch: spec.watch.as_ref().and_then(|w| self.watch(w, dir)),
            cron_restart: spec.cron_restart.as_ref().and_then(|c| {
                cron_pattern(&c.value)
                    .map_err(|rejected| self.reject(&c.referenced, rejected))
                    .ok()
            }),
        }
    }

    fn watch(&mut self, spec: &Spanned<WatchSpec>, dir: &Path) -> Option<Watch> {
        let given = &spec.value;
        if given.paths.is_empty() {
            let hint = Some("name the files or directories to watch, e.g. `[src]`".to_owned());
            self.report(&spec.referenced, "`watch` has no paths", hint);
            return None;
        }
        for glob in given.include.iter().chain(&given.exclude) {
            if let Err(e) = globset::Glob::new(&glob.value) {
                let message = format!("invalid glob `{}`: {}", glob.value, e.kind());
                self.report(&glob.referenced, message, None);
            }
        }
        let text = |list: &[Spanned<String>]| list.iter().map(|g| g.value.clone()).collect();
        Some(Watch {
            paths: given
                .paths
                .iter()
                .map(|p| resolve_cwd(dir, Some(Path::new(&p.value))))
                .collect(),
            include: text(&given.include),
            exclude: text(&given.exclude),
            debounce: self.parse(given.debounce.as_ref(), values::duration, DEFAULT_DEBOUNCE),
        })
    }
}

/// A cron pattern croner accepts: 5 fields (minute granularity), 6 with seconds, or an
/// alias such as `@daily`.
fn cron_pattern(text: &str) -> Result<String, Rejected> {
    text.parse::<croner::Cron>()
        .map(|_| text.trim().to_owned())
        .map_err(|e| {
            Rejected::new(
                format!("invalid cron pattern `{text}`: {e}"),
                Some("write minute hour day month weekday, e.g. `0 4 * * *`".to_owned()),
            )
        })
}
