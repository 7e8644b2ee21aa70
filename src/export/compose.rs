//! `uc export compose`: one compose service per uc service, for one environment.
//!
//! Compose interpolates `$` in every value of the file, so each `$` uc's text holds is
//! written `$$`; the only `${…}` left are the secrets, read from `.env` (or `--env-file`)
//! when compose runs: their values are never in the file.

use std::collections::{BTreeMap, BTreeSet};

use super::{ExportError, File, Options, Yaml, image, ports, seconds, working_dir};
use crate::config::{Check, Condition, Probe, RestartPolicy, Service, Workspace};

pub const FILE: &str = "docker-compose.yml";

pub fn render(ws: &Workspace, options: &Options) -> Result<File, ExportError> {
    let secrets = SecretNames::new(ws);
    let services: Yaml = ws
        .services
        .iter()
        .map(|s| (s.name.clone(), service(ws, s, options, &secrets)))
        .collect();
    let doc = Yaml::map()
        .with("name", project_name(&ws.name))
        .with("services", services);
    Ok(File {
        path: FILE.into(),
        text: format!("{}{}", header(ws, &secrets), doc.emit()?),
    })
}

fn header(ws: &Workspace, secrets: &SecretNames) -> String {
    let env = ws
        .environment
        .as_ref()
        .map_or_else(String::new, |e| format!(", environment {e}"));
    let mut text = format!(
        "# Written by `uc export compose` from {}{env}.\n",
        super::origin(ws)
    );
    let names: BTreeSet<&String> = secrets.names.values().collect();
    if !names.is_empty() {
        let list: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
        text.push_str(&format!(
            "# Secrets come from .env (or --env-file), never from this file: {}\n",
            list.join(", ")
        ));
    }
    text
}

/// Compose project names: lower-case letters, digits, `-` and `_`, starting with a letter
/// or digit.
fn project_name(workspace: &str) -> String {
    workspace
        .trim_start_matches(['-', '_'])
        .to_ascii_lowercase()
}

fn service(ws: &Workspace, s: &Service, options: &Options, secrets: &SecretNames) -> Yaml {
    let command = vec!["/bin/sh".to_owned(), "-c".to_owned(), literal(&s.command)];
    // The long form: `22:22` in the short one is a number to YAML 1.1 readers.
    let ports: Vec<Yaml> = ports(s)
        .into_iter()
        .map(|p| {
            Yaml::map()
                .with("target", p)
                .with("published", p.to_string())
        })
        .collect();
    Yaml::map()
        .with("image", literal(&image(ws, s, options)))
        .with("command", command)
        .with("working_dir", literal(&working_dir(ws, s)))
        .unless_empty("environment", environment(ws, s, secrets))
        .unless_empty("ports", Yaml::Seq(ports))
        .unless_empty("depends_on", depends_on(ws, s))
        .maybe("healthcheck", s.readiness.as_ref().and_then(healthcheck))
        .with("restart", restart(s))
        .with("stop_signal", s.stop.signal.as_str())
        .with(
            "stop_grace_period",
            format!("{}s", s.stop.timeout.as_secs()),
        )
        .maybe(
            "deploy",
            s.triggers.max_memory.map(|m| memory_limit(m.bytes)),
        )
}

/// Text compose must not interpolate.
fn literal(text: &str) -> String {
    text.replace('$', "$$")
}

fn environment(ws: &Workspace, s: &Service, secrets: &SecretNames) -> Yaml {
    let mut env: BTreeMap<String, String> = super::supervisor_env(ws, s).into_iter().collect();
    for (name, value) in &s.env {
        let value = match secrets.names.get(&(s.name.clone(), name.clone())) {
            Some(var) => format!("${{{var}:?set {var} in .env}}"),
            None => literal(value),
        };
        env.insert(name.clone(), value);
    }
    env.into_iter().collect()
}

/// The variable each secret is read from: its own name, or `<SERVICE>_<NAME>` when two
/// services hold different values under one name.
struct SecretNames {
    names: BTreeMap<(String, String), String>,
}

impl SecretNames {
    fn new(ws: &Workspace) -> Self {
        let mut values: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for s in &ws.services {
            for name in &s.secret_env {
                let value = s.env.get(name).map_or("", String::as_str);
                values.entry(name).or_default().insert(value);
            }
        }
        let mut names = BTreeMap::new();
        for s in &ws.services {
            for name in &s.secret_env {
                let var = if values.get(name.as_str()).is_some_and(|v| v.len() > 1) {
                    format!("{}_{name}", s.name)
                        .to_ascii_uppercase()
                        .replace('-', "_")
                } else {
                    name.clone()
                };
                names.insert((s.name.clone(), name.clone()), var);
            }
        }
        Self { names }
    }
}

/// `condition: service_healthy` only where the dependency has a health check to wait for.
/// Another workspace's service is not in this compose project: left out.
fn depends_on(ws: &Workspace, s: &Service) -> Yaml {
    s.depends_on
        .iter()
        .filter(|dep| dep.remote().is_none())
        .map(|dep| {
            let checked = ws
                .service(&dep.service)
                .and_then(|d| d.readiness.as_ref())
                .is_some_and(|c| healthcheck(c).is_some());
            let condition = match dep.condition {
                Condition::Healthy if checked => "service_healthy",
                Condition::Healthy | Condition::Started => "service_started",
                Condition::Completed => "service_completed_successfully",
            };
            (
                dep.service.clone(),
                Yaml::map().with("condition", condition),
            )
        })
        .collect()
}

/// The readiness probe as a command run in the container; `process` needs none.
fn healthcheck(check: &Check) -> Option<Yaml> {
    let test: Vec<String> = match &check.probe {
        Probe::Exec(command) => vec!["CMD", "/bin/sh", "-c", command.as_str()]
            .into_iter()
            .map(literal)
            .collect(),
        Probe::Http(http) => ["CMD", "curl", "-fsS", "-o", "/dev/null", http.url.as_str()]
            .into_iter()
            .map(literal)
            .collect(),
        Probe::Tcp(addr) => {
            let (host, port) = super::split_host_port(addr)?;
            vec![
                "CMD".into(),
                "nc".into(),
                "-z".into(),
                literal(host),
                port.to_string(),
            ]
        }
        Probe::Process => return None,
    };
    let start = check.start_period.max(check.initial_delay);
    Some(
        Yaml::map()
            .with("test", test)
            .with("interval", format!("{}s", seconds(check.interval)))
            .with("timeout", format!("{}s", seconds(check.timeout)))
            .with("retries", check.failure_threshold)
            .maybe(
                "start_period",
                (!start.is_zero()).then(|| format!("{}s", seconds(start))),
            ),
    )
}

fn restart(s: &Service) -> String {
    match s.restart.policy {
        RestartPolicy::No => "no".to_owned(),
        RestartPolicy::OnFailure => match s.restart.max {
            Some((count, _)) => format!("on-failure:{count}"),
            None => "on-failure".to_owned(),
        },
        RestartPolicy::Always => "always".to_owned(),
        RestartPolicy::UnlessStopped => "unless-stopped".to_owned(),
    }
}

/// uc restarts a service over `max_memory`; compose caps it there.
fn memory_limit(bytes: u64) -> Yaml {
    let text = super::whole_units(bytes, [(1 << 30, "g"), (1 << 20, "m"), (1 << 10, "k")])
        .unwrap_or_else(|| format!("{bytes}b"));
    let limits = Yaml::map().with("memory", text);
    Yaml::map().with("resources", Yaml::map().with("limits", limits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_written_in_the_largest_whole_unit() {
        let text = |b| memory_limit(b).emit().expect("emits");
        assert!(text(512 << 20).contains("memory: 512m"));
        assert!(text(2 << 30).contains("memory: 2g"));
        assert!(text(1000).contains("memory: 1000b"));
    }

    #[test]
    fn another_workspace_s_service_is_left_out_of_depends_on() {
        let yaml = "workspace: hvac\nservices:\n  api:\n    command: ./api\n    depends_on: [operation/db, cache]\n  cache:\n    command: ./cache\n";
        let path = std::path::Path::new("univers.yaml");
        let ws = crate::config::load_str(yaml, path, std::path::Path::new("/tmp")).expect("valid");
        let text = render(&ws, &Options::default()).expect("renders").text;
        assert!(
            text.contains("cache:\n        condition: service_started"),
            "{text}"
        );
        assert!(!text.contains("operation"), "{text}");
    }

    #[test]
    fn dollars_are_left_to_the_shell() {
        assert_eq!(
            literal("echo \"${UC_VAR_X}\" $$"),
            "echo \"$${UC_VAR_X}\" $$$$"
        );
    }
}
