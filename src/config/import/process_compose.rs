//! process-compose.yaml. Only the keys below are mapped; process-compose has many more, and
//! each one met is listed as "not imported" rather than rejected.

use std::path::Path;

use indexmap::IndexMap;
use nix::sys::signal::Signal;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Imported, bare_service, service_name};
use crate::config::Problem;
use crate::config::load::yaml_problem;
use crate::config::schema::{
    Condition, DependsOnSpec, EnvValue, HttpSpec, ProbeSpec, RestartFull, RestartSpec, ServiceSpec,
    StopSpec, unspanned,
};

/// Keys this importer does not read, by name, at every level.
type Rest = IndexMap<String, IgnoredAny>;

#[derive(Debug, Deserialize)]
struct ComposeFile {
    #[serde(default)]
    processes: IndexMap<String, Process>,
    /// `K=V` entries given to every process.
    #[serde(default)]
    environment: Vec<String>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Debug, Deserialize)]
struct Process {
    command: Option<String>,
    working_dir: Option<String>,
    #[serde(default)]
    environment: Vec<String>,
    #[serde(default)]
    depends_on: IndexMap<String, DependsOn>,
    availability: Option<Availability>,
    readiness_probe: Option<Probe>,
    liveness_probe: Option<Probe>,
    shutdown: Option<Shutdown>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Debug, Deserialize)]
struct DependsOn {
    condition: Option<String>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Debug, Deserialize)]
struct Availability {
    restart: Option<String>,
    backoff_seconds: Option<u64>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Debug, Deserialize)]
struct Probe {
    exec: Option<ExecProbe>,
    http_get: Option<HttpGet>,
    period_seconds: Option<u64>,
    timeout_seconds: Option<u64>,
    failure_threshold: Option<u32>,
    initial_delay_seconds: Option<u64>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Debug, Deserialize)]
struct ExecProbe {
    command: String,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Debug, Deserialize)]
struct HttpGet {
    host: Option<String>,
    // A number in most files, but process-compose also accepts a string.
    port: Option<EnvValue>,
    path: Option<String>,
    scheme: Option<String>,
    #[serde(flatten)]
    rest: Rest,
}

#[derive(Debug, Deserialize)]
struct Shutdown {
    signal: Option<i32>,
    timeout_seconds: Option<u64>,
    #[serde(flatten)]
    rest: Rest,
}

pub(super) fn import(text: &str, file: &Path) -> Result<Imported, Vec<Problem>> {
    let compose: ComposeFile =
        serde_saphyr::from_str_with_options(text, serde_saphyr::options! { with_snippet: false })
            .map_err(|err| vec![yaml_problem(&err, file)])?;
    let mut importer = Importer {
        processes: compose.processes.keys().cloned().collect(),
        ..Importer::default()
    };
    importer.dropped("", &compose.rest);
    let mut problems = Vec::new();
    for (name, process) in &compose.processes {
        match importer.process(name, process, &compose.environment) {
            Some(service) => {
                let key = service_name(name);
                if key != *name {
                    importer.note(format!("process `{name}` renamed to `{key}`"));
                }
                importer.services.insert(key, service);
            }
            None => problems.push(Problem::new(
                file,
                0,
                0,
                format!("process `{name}` has no `command`"),
                None,
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    importer.check_dependencies();
    Ok(Imported {
        services: importer
            .services
            .into_iter()
            .map(|(name, service)| (unspanned(name), service))
            .collect(),
        notes: importer.notes,
    })
}

#[derive(Default)]
struct Importer {
    /// Names as written in the file, to drop dependencies on processes that do not exist.
    processes: Vec<String>,
    services: IndexMap<String, ServiceSpec>,
    notes: Vec<String>,
}

impl Importer {
    fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    fn dropped(&mut self, at: &str, rest: &Rest) {
        for key in rest.keys() {
            self.note(format!("not imported: {at}{key}"));
        }
    }

    fn process(
        &mut self,
        name: &str,
        process: &Process,
        global_env: &[String],
    ) -> Option<ServiceSpec> {
        let at = format!("processes.{name}.");
        self.dropped(&at, &process.rest);
        let mut service = bare_service(process.command.clone()?);
        service.cwd = process.working_dir.as_ref().map(Into::into);
        service.env = self.environment(&at, global_env.iter().chain(&process.environment));
        service.depends_on = self.depends_on(name, &process.depends_on);
        service.restart = process
            .availability
            .as_ref()
            .map(|a| unspanned(self.restart(&at, a)));
        service.readiness = process
            .readiness_probe
            .as_ref()
            .and_then(|p| self.probe(&format!("{at}readiness_probe."), p));
        service.liveness = process
            .liveness_probe
            .as_ref()
            .and_then(|p| self.probe(&format!("{at}liveness_probe."), p));
        service.stop = process.shutdown.as_ref().and_then(|s| self.stop(&at, s));
        Some(service)
    }

    fn environment<'a>(
        &mut self,
        at: &str,
        entries: impl Iterator<Item = &'a String>,
    ) -> IndexMap<String, EnvValue> {
        let mut env = IndexMap::new();
        for entry in entries {
            match entry.split_once('=') {
                Some((key, value)) => {
                    env.insert(key.to_owned(), EnvValue::String(super::escape(value)));
                }
                None => self.note(format!(
                    "not imported: {at}environment `{entry}` (not `K=V`)"
                )),
            }
        }
        env
    }

    fn depends_on(&mut self, name: &str, deps: &IndexMap<String, DependsOn>) -> DependsOnSpec {
        let at = format!("processes.{name}.depends_on.");
        let mut map = IndexMap::new();
        for (dep, spec) in deps {
            if dep == name || !self.processes.contains(dep) {
                self.note(format!("not imported: {at}{dep} (no such process)"));
                continue;
            }
            self.dropped(&format!("{at}{dep}."), &spec.rest);
            let condition = match spec.condition.as_deref() {
                None | Some("process_started") => Condition::Started,
                Some("process_healthy") => Condition::Healthy,
                Some("process_completed" | "process_completed_successfully") => {
                    Condition::Completed
                }
                Some(other) => {
                    self.note(format!(
                        "{at}{dep}: condition `{other}` imported as `started`"
                    ));
                    Condition::Started
                }
            };
            map.insert(
                unspanned(service_name(dep)),
                unspanned(condition.name().to_owned()),
            );
        }
        DependsOnSpec::Map(map)
    }

    fn restart(&mut self, at: &str, availability: &Availability) -> RestartSpec {
        self.dropped(&format!("{at}availability."), &availability.rest);
        let policy = match availability.restart.as_deref() {
            None | Some("no") => "no",
            Some("on_failure") => "on-failure",
            Some("always") => "always",
            Some(other) => {
                self.note(format!(
                    "{at}availability.restart: `{other}` has no equivalent, imported as `no`"
                ));
                "no"
            }
        }
        .to_owned();
        match availability.backoff_seconds {
            // process-compose waits a fixed time between restarts.
            Some(secs) => RestartSpec::Full(Box::new(RestartFull {
                policy: unspanned(policy),
                backoff: Some(unspanned(format!("{secs}s"))),
                max: None,
                then: None,
            })),
            None => RestartSpec::Policy(policy),
        }
    }

    fn probe(&mut self, at: &str, probe: &Probe) -> Option<serde_saphyr::Spanned<ProbeSpec>> {
        self.dropped(at, &probe.rest);
        let mut health = ProbeSpec::default();
        if let Some(exec) = &probe.exec {
            self.dropped(&format!("{at}exec."), &exec.rest);
            health.exec = Some(unspanned(super::escape(&exec.command)));
        } else if let Some(http) = &probe.http_get {
            self.dropped(&format!("{at}http_get."), &http.rest);
            health.http = Some(unspanned(HttpSpec::Url(self.http_url(at, http)?)));
        } else {
            self.note(format!(
                "not imported: {at} (neither `exec` nor `http_get`)"
            ));
            return None;
        }
        let seconds = |s: Option<u64>| s.map(|s| unspanned(format!("{s}s")));
        health.interval = seconds(probe.period_seconds);
        health.timeout = seconds(probe.timeout_seconds);
        health.initial_delay = seconds(probe.initial_delay_seconds);
        health.failure_threshold = probe.failure_threshold.filter(|&n| n > 0).map(unspanned);
        Some(unspanned(health))
    }

    fn http_url(&mut self, at: &str, http: &HttpGet) -> Option<String> {
        let scheme = http.scheme.as_deref().unwrap_or("http");
        if scheme != "http" {
            self.note(format!(
                "not imported: {at}http_get (only plain http is checked)"
            ));
            return None;
        }
        let host = http.host.as_deref().unwrap_or("127.0.0.1");
        let port = http
            .port
            .as_ref()
            .map(|p| format!(":{}", p.to_env_string()))
            .unwrap_or_default();
        let path = http.path.as_deref().unwrap_or("/");
        let slash = if path.starts_with('/') { "" } else { "/" };
        Some(format!("http://{host}{port}{slash}{path}"))
    }

    fn stop(&mut self, at: &str, shutdown: &Shutdown) -> Option<StopSpec> {
        self.dropped(&format!("{at}shutdown."), &shutdown.rest);
        let signal = shutdown.signal.and_then(|n| match Signal::try_from(n) {
            Ok(signal) => Some(unspanned(signal.as_str().to_owned())),
            Err(_) => {
                self.note(format!(
                    "not imported: {at}shutdown.signal {n} (no such signal)"
                ));
                None
            }
        });
        let timeout = shutdown.timeout_seconds.map(|s| unspanned(format!("{s}s")));
        (signal.is_some() || timeout.is_some()).then_some(StopSpec { signal, timeout })
    }

    /// `univers.yaml` rejects waiting for a service to be healthy when it has no health
    /// check; process-compose would wait forever. Waiting for it to start is closer to useful.
    fn check_dependencies(&mut self) {
        let unhealthy: Vec<String> = self
            .services
            .iter()
            .filter(|(_, s)| s.readiness.is_none())
            .map(|(name, _)| name.clone())
            .collect();
        let mut notes = Vec::new();
        for (name, service) in &mut self.services {
            let DependsOnSpec::Map(deps) = &mut service.depends_on else {
                continue;
            };
            for (dep, condition) in deps.iter_mut() {
                if condition.value == Condition::Healthy.name() && unhealthy.contains(&dep.value) {
                    notes.push(format!(
                        "{name} waits for `{}` to start, not to be healthy: it has no health check",
                        dep.value
                    ));
                    condition.value = Condition::Started.name().to_owned();
                }
            }
        }
        self.notes.extend(notes);
    }
}
