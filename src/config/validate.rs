//! Turns the parsed file into a [`Workspace`], collecting every problem instead of
//! stopping at the first, so one edit-reload cycle fixes them all.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use serde_saphyr::{Location, Spanned};

mod access;
mod assistant;
mod blue_green;
mod deploy;
mod heal;
mod logs;
mod quotas;
mod remote;
mod webhooks;

use super::cycles::{self, Edge};
use super::schema::{
    AlertsSpec, Condition, DependsOnSpec, MetricsSpec, RestartSpec, ServiceSpec, StopSpec,
    WorkspaceFile,
};
use super::secrets::Bindings;
use super::values::{self, Parsed, Rejected};
use super::{
    AlertSettings, Dependency, MetricsSettings, Restart, Service, Stop, Workspace, suggest,
};

/// A problem found in a value, at the location serde gave it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invalid {
    pub at: Location,
    pub message: String,
    pub hint: Option<String>,
}

/// `file` is where the workspace came from; relative `cwd`s are resolved against `dir`;
/// `bindings` tell what interpolation found in each value.
pub(crate) fn validate(
    spec: &WorkspaceFile,
    file: &Path,
    dir: &Path,
    bindings: &Bindings,
) -> Result<Workspace, Vec<Invalid>> {
    let mut checker = Checker {
        problems: Vec::new(),
        bindings,
        workspace: &spec.workspace.value,
        environments: deploy::environment_names(spec.environments.as_ref()),
    };
    let name = &spec.workspace;
    if !values::is_name(&name.value) {
        checker.report(
            &name.referenced,
            format!("invalid workspace name `{}`", name.value),
            Some(NAME_RULE.to_owned()),
        );
    }
    let services: Vec<Service> = spec
        .services
        .iter()
        .map(|(name, service)| checker.service(name, service, dir))
        .collect();
    let services = checker.colours(spec, services);
    let metrics = checker.metrics(spec.metrics.as_ref());
    let alerts = checker.alerts(spec.alerts.as_ref(), dir);
    let logs = checker.logs(spec, dir);
    let webhooks = checker.webhooks(spec.webhooks.as_ref());
    let access = checker.access(spec.access.as_ref());
    let quotas = checker.quotas(spec.quotas.as_ref());
    let assistant = checker.assistant(spec.assistant.as_ref());
    checker.dependencies(spec);
    checker.cycles(spec);
    if !checker.problems.is_empty() {
        return Err(checker.problems);
    }
    Ok(Workspace {
        name: name.value.clone(),
        file: Some(file.to_path_buf()),
        dir: dir.to_path_buf(),
        theme: spec.theme.clone(),
        environment: None,
        environments: Vec::new(),
        services,
        metrics,
        alerts,
        logs,
        webhooks,
        access,
        quotas,
        assistant,
        secrets: Default::default(),
    })
}

pub(super) const NAME_RULE: &str = "use only letters, digits, `_` and `-`";

pub(super) struct Checker<'a> {
    problems: Vec<Invalid>,
    bindings: &'a Bindings,
    /// Names the state directory releases are kept in.
    workspace: &'a str,
    /// The declared environments, which deploy rules and pipelines name.
    environments: Vec<String>,
}

impl Checker<'_> {
    pub(super) fn report(
        &mut self,
        at: &Location,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.problems.push(Invalid {
            at: *at,
            message: message.into(),
            hint,
        });
    }

    pub(super) fn reject(&mut self, at: &Location, rejected: Rejected) {
        self.report(at, rejected.message, rejected.hint);
    }

    /// Parses an optional value, reporting a bad one and falling back to `default`.
    pub(super) fn parse<T>(
        &mut self,
        value: Option<&Spanned<String>>,
        parse: fn(&str) -> Parsed<T>,
        default: T,
    ) -> T {
        let Some(value) = value else {
            return default;
        };
        parse(&value.value).unwrap_or_else(|rejected| {
            self.reject(&value.referenced, rejected);
            default
        })
    }

    fn service(&mut self, name: &Spanned<String>, spec: &ServiceSpec, dir: &Path) -> Service {
        if !values::is_name(&name.value) {
            let message = format!("invalid service name `{}`", name.value);
            self.report(&name.referenced, message, Some(NAME_RULE.to_owned()));
        }
        if spec.command.value.trim().is_empty() {
            let message = format!("service `{}` has an empty `command`", name.value);
            self.report(&spec.command.referenced, message, None);
        }
        for tag in &spec.tags {
            if !values::is_tag(&tag.value) {
                let hint = Some("use only letters, digits, `_`, `-` and `.`".to_owned());
                self.report(
                    &tag.referenced,
                    format!("invalid tag `{}`", tag.value),
                    hint,
                );
            }
        }
        let (env, secret_env) = self.env(name, spec);
        let readiness = self.readiness(spec);
        let deploy = (spec.deploy.as_ref())
            .and_then(|d| self.deploy(&name.value, d, readiness.as_ref(), dir));
        // A deployed service runs in its current release; its `cwd` is taken from there.
        let base = deploy
            .as_ref()
            .map_or(dir.to_path_buf(), |d| d.dir.join("current"));
        Service {
            name: name.value.clone(),
            command: spec.command.value.clone(),
            cwd: resolve_cwd(&base, spec.cwd.as_deref()),
            env,
            secret_env,
            depends_on: self.conditions(&spec.depends_on),
            tags: spec.tags.iter().map(|t| t.value.clone()).collect(),
            ports: ports(spec),
            stop: self.stop(spec.stop.as_ref()),
            restart: self.restart(spec.restart.as_ref()),
            readiness,
            liveness: spec.liveness.as_ref().and_then(|l| self.check(l)),
            triggers: self.triggers(spec, dir),
            deploy,
        }
    }

    /// `env:` plus the variables the command and the exec probes read, and which of them
    /// hold a secret (those go through a file sourced by `/bin/sh`: their names must be
    /// shell names).
    fn env(
        &mut self,
        name: &Spanned<String>,
        spec: &ServiceSpec,
    ) -> (BTreeMap<String, String>, BTreeSet<String>) {
        let mut env = env(spec);
        let mut secret = BTreeSet::new();
        let service = format!("services.{}", name.value);
        for key in spec.env.keys() {
            let path = format!("{service}.env.{key}");
            if self.bindings.get(&path).is_some_and(|b| b.secret) {
                secret.insert(key.clone());
            }
        }
        let commands = [
            "command",
            "health.exec",
            "readiness.exec",
            "liveness.exec",
            "deploy.build",
            "deploy.gate.exec",
        ];
        for command in commands {
            let Some(binding) = self.bindings.get(&format!("{service}.{command}")) else {
                continue;
            };
            for r in &binding.refs {
                env.insert(r.name.clone(), r.value.clone());
                if r.secret {
                    secret.insert(r.name.clone());
                }
            }
        }
        for key in secret.iter().filter(|k| !is_shell_name(k)) {
            let message = format!("`env.{key}` holds a secret, so its name must be a shell name");
            let hint = Some("use letters, digits and `_`, not starting with a digit".to_owned());
            self.report(&name.referenced, message, hint);
        }
        (env, secret)
    }

    fn metrics(&mut self, spec: Option<&MetricsSpec>) -> MetricsSettings {
        let default = MetricsSettings::default();
        let Some(spec) = spec else {
            return default;
        };
        let interval = self.parse(
            spec.interval.as_ref(),
            values::sample_interval,
            default.interval,
        );
        let allow_remote = spec.allow_remote.unwrap_or(false);
        let listen = spec.listen.as_ref().and_then(|listen| {
            values::listen_address(&listen.value)
                .and_then(|addr| local_unless_allowed(addr, allow_remote))
                .map_err(|rejected| self.reject(&listen.referenced, rejected))
                .ok()
        });
        MetricsSettings {
            interval,
            listen,
            history: spec.history.unwrap_or(default.history),
        }
    }

    /// Named files must exist; unnamed ones are picked up from `configs/` when present.
    fn alerts(&mut self, spec: Option<&AlertsSpec>, dir: &Path) -> AlertSettings {
        let mut file = |named: Option<&Spanned<PathBuf>>, default: &str| match named {
            Some(path) => {
                let full = dir.join(&path.value);
                if !full.is_file() {
                    self.report(
                        &path.referenced,
                        format!("no such file: {}", full.display()),
                        Some(format!(
                            "create it, or leave the key out to use `{default}`"
                        )),
                    );
                }
                Some(full)
            }
            None => Some(dir.join(default)).filter(|p| p.is_file()),
        };
        let rules = file(spec.and_then(|s| s.rules.as_ref()), super::RULES_FILE);
        let channels = file(spec.and_then(|s| s.channels.as_ref()), super::CHANNELS_FILE);
        AlertSettings {
            enabled: spec.and_then(|s| s.enabled).unwrap_or(true),
            rules,
            builtin: super::BuiltinRules::Defaults,
            channels,
        }
    }

    fn conditions(&mut self, depends_on: &DependsOnSpec) -> Vec<Dependency> {
        depends_on
            .entries()
            .into_iter()
            .map(|(name, condition)| Dependency {
                service: name.value.clone(),
                condition: self.parse(condition, values::condition, Condition::Started),
            })
            .collect()
    }

    fn stop(&mut self, spec: Option<&StopSpec>) -> Stop {
        let default = Stop::default();
        let Some(spec) = spec else {
            return default;
        };
        Stop {
            signal: self.parse(spec.signal.as_ref(), values::signal, default.signal),
            timeout: self.parse(spec.timeout.as_ref(), values::duration, default.timeout),
        }
    }

    fn restart(&mut self, spec: Option<&Spanned<RestartSpec>>) -> Restart {
        let Some(spec) = spec else {
            return Restart::default();
        };
        match &spec.value {
            RestartSpec::Policy(policy) => Restart {
                policy: values::restart_policy(policy).unwrap_or_else(|rejected| {
                    self.reject(&spec.referenced, rejected);
                    Default::default()
                }),
                ..Restart::default()
            },
            RestartSpec::Full(full) => Restart {
                policy: self.parse(
                    Some(&full.policy),
                    values::restart_policy,
                    Default::default(),
                ),
                backoff: self.parse(
                    full.backoff.as_ref(),
                    |t| values::backoff(t).map(Some),
                    None,
                ),
                max: self.parse(
                    full.max.as_ref(),
                    |t| values::max_restarts(t).map(Some),
                    None,
                ),
                then: self.parse(full.then.as_ref(), values::give_up, Default::default()),
            },
        }
    }

    /// Every target exists, is not the service itself, and can become healthy if asked to.
    fn dependencies(&mut self, spec: &WorkspaceFile) {
        for (name, service) in &spec.services {
            for (target, condition) in service.depends_on.entries() {
                self.dependency(spec, &name.value, target, condition);
            }
        }
    }

    fn dependency(
        &mut self,
        spec: &WorkspaceFile,
        name: &str,
        target: &Spanned<String>,
        condition: Option<&Spanned<String>>,
    ) {
        if target.value.contains('/') {
            self.remote_dependency(name, target);
            return;
        }
        let (at, target) = (&target.referenced, target.value.as_str());
        let Some((_, dependency)) = spec.services.iter().find(|(k, _)| k.value == target) else {
            let message = format!("`{name}` depends on unknown service `{target}`");
            let hint = suggest::closest(target, service_names(spec))
                .map(|best| format!("did you mean `{best}`?"));
            self.report(at, message, hint);
            return;
        };
        if target == name {
            self.report(at, format!("`{name}` depends on itself"), None);
        }
        let healthy = condition.filter(|c| c.value == Condition::Healthy.name());
        if let Some(healthy) = healthy
            && dependency.health.is_none()
            && dependency.readiness.is_none()
        {
            let message = format!(
                "`{name}` waits for `{target}` to be healthy, but `{target}` has no readiness probe"
            );
            let hint = format!("add `readiness:` to `{target}` or wait for `started`");
            self.report(&healthy.referenced, message, Some(hint));
        }
    }

    /// One problem per cycle, naming it in order from the service written first.
    fn cycles(&mut self, spec: &WorkspaceFile) {
        let index: HashMap<&str, usize> = spec
            .services
            .keys()
            .enumerate()
            .map(|(i, k)| (k.value.as_str(), i))
            .collect();
        let edges: Vec<Vec<Edge>> = spec
            .services
            .iter()
            .enumerate()
            .map(|(i, (_, service))| {
                let targets = service.depends_on.entries().into_iter();
                targets
                    .filter_map(|(t, _)| index.get(t.value.as_str()).map(|&j| (j, &t.referenced)))
                    .filter(|&(j, _)| j != i)
                    .collect()
            })
            .collect();
        let names: Vec<&str> = service_names(spec);
        for cycle in cycles::find(&edges) {
            let path: Vec<&str> = cycle.iter().map(|&(i, _)| names[i]).collect();
            let first = path.first().copied().unwrap_or_default();
            let message = format!("dependency cycle: {} -> {first}", path.join(" -> "));
            let at = cycle.first().map_or(Location::UNKNOWN, |&(_, at)| *at);
            let hint = Some("remove one of these `depends_on` entries".to_owned());
            self.report(&at, message, hint);
        }
    }
}

fn service_names(spec: &WorkspaceFile) -> Vec<&str> {
    spec.services.keys().map(|k| k.value.as_str()).collect()
}

/// Relative paths are taken from `dir`; `~/` from the home directory.
pub(super) fn resolve_cwd(dir: &Path, cwd: Option<&Path>) -> PathBuf {
    let Some(cwd) = cwd else {
        return dir.to_path_buf();
    };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let joined = match (cwd.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => dir.join(cwd),
    };
    // `./api` reads better as `<dir>/api` in the UI; `..` stays, it may cross a symlink.
    joined
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect()
}

fn is_shell_name(name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().next().is_some_and(|c| !c.is_ascii_digit())
}

/// `ports:` (out-of-range ones are reported by the lint), then `env.PORT` when it is a port
/// (0 asks the kernel for any: nothing to watch).
fn ports(spec: &ServiceSpec) -> Vec<u16> {
    let mut ports: Vec<u16> = spec
        .ports
        .iter()
        .filter_map(|p| u16::try_from(p.value).ok())
        .filter(|p| *p != 0)
        .collect();
    let env_port = spec.env.get("PORT").map(|v| v.to_env_string());
    if let Some(port) = env_port.and_then(|p| p.trim().parse::<u16>().ok())
        && port != 0
        && !ports.contains(&port)
    {
        ports.push(port);
    }
    ports
}

fn env(spec: &ServiceSpec) -> BTreeMap<String, String> {
    spec.env
        .iter()
        .map(|(k, v)| (k.clone(), v.to_env_string()))
        .collect()
}

/// `addr` when it is loopback or `allow_remote` says other machines may reach it.
fn local_unless_allowed(
    addr: std::net::SocketAddr,
    allow_remote: bool,
) -> Parsed<std::net::SocketAddr> {
    if allow_remote || addr.ip().is_loopback() {
        return Ok(addr);
    }
    let local = std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port());
    Err(Rejected::new(
        format!("`{addr}` would serve /metrics to other machines"),
        Some(format!(
            "listen on `{local}`, or add `allow_remote: true` to serve the network on purpose"
        )),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwd_is_resolved_against_the_config_dir() {
        let dir = Path::new("/ws");
        assert_eq!(resolve_cwd(dir, None), dir);
        assert_eq!(
            resolve_cwd(dir, Some(Path::new("./api"))),
            Path::new("/ws/api")
        );
        assert_eq!(
            resolve_cwd(dir, Some(Path::new("../x"))),
            Path::new("/ws/../x")
        );
        assert_eq!(
            resolve_cwd(dir, Some(Path::new("/srv/api"))),
            Path::new("/srv/api")
        );
    }

    #[test]
    fn cwd_may_start_at_home() {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .expect("HOME is set");
        let cwd = resolve_cwd(Path::new("/ws"), Some(Path::new("~/src")));
        assert_eq!(cwd, home.join("src"));
    }
}
