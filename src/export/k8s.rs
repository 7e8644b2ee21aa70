//! `uc export k8s`: a kustomize `base/` made from the default environment (a Deployment
//! per service, or a Job for one that runs to completion; a Service for each that listens
//! on a port) and an `overlays/<env>/` per
//! environment holding that environment's ConfigMaps, and a patch for each resource the
//! environment changes. Secrets are `secretKeyRef`s to a Secret `<service>-secrets` the
//! cluster's operator creates: their values are never written.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{ExportError, File, Loaded, Options, Yaml, image, ports, seconds, working_dir};
use crate::config::{Check, Condition, Probe, RestartPolicy, Service, Workspace};

const KUSTOMIZE: &str = "kustomize.config.k8s.io/v1beta1";

pub(super) fn render(loaded: &Loaded, options: &Options) -> Result<Vec<File>, ExportError> {
    let base = Resources::of(&loaded.base, options);
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for (name, doc) in base.manifests() {
        listed.push(name.clone());
        files.push(file("base", &name, &doc)?);
    }
    // Without environments the one ConfigMap set belongs to the base.
    if loaded.environments.is_empty() {
        for (name, doc) in &base.config_maps {
            listed.push(name.clone());
            files.push(file("base", name, doc)?);
        }
    }
    listed.sort();
    files.push(file(
        "base",
        "kustomization.yaml",
        &kustomization(listed, Vec::new()),
    )?);
    for (env, ws) in &loaded.environments {
        let dir = format!("overlays/{}", env.name);
        let overlay = Resources::of(ws, options);
        files.extend(overlay_files(&dir, &base, &overlay)?);
    }
    Ok(files)
}

fn file(dir: &str, name: &str, doc: &Yaml) -> Result<File, ExportError> {
    Ok(File {
        path: PathBuf::from(dir).join(name),
        text: doc.emit()?,
    })
}

/// What one environment's workspace becomes, by file name.
struct Resources {
    /// Deployments, and Jobs for the services that run once.
    workloads: BTreeMap<String, Yaml>,
    services: BTreeMap<String, Yaml>,
    config_maps: BTreeMap<String, Yaml>,
}

impl Resources {
    fn of(ws: &Workspace, options: &Options) -> Self {
        let mut r = Self {
            workloads: BTreeMap::new(),
            services: BTreeMap::new(),
            config_maps: BTreeMap::new(),
        };
        for s in &ws.services {
            let name = name(&s.name);
            if runs_once(ws, s) {
                r.workloads
                    .insert(format!("job-{name}.yaml"), job(ws, s, options));
            } else {
                r.workloads.insert(
                    format!("deployment-{name}.yaml"),
                    deployment(ws, s, options),
                );
                if let Some(service) = service(ws, s) {
                    r.services.insert(format!("service-{name}.yaml"), service);
                }
            }
            r.config_maps
                .insert(format!("configmap-{name}.yaml"), config_map(ws, s));
        }
        r
    }

    fn manifests(&self) -> impl Iterator<Item = (String, Yaml)> + '_ {
        let workloads = self.workloads.iter().map(|(n, d)| (n.clone(), d.clone()));
        workloads.chain(self.services.iter().map(|(n, d)| (n.clone(), d.clone())))
    }
}

/// The overlay: its ConfigMaps, the resources only it has, and a patch for each resource it
/// changes or drops.
fn overlay_files(dir: &str, base: &Resources, env: &Resources) -> Result<Vec<File>, ExportError> {
    let mut files = Vec::new();
    let mut resources = vec!["../../base".to_owned()];
    let mut patches = Vec::new();
    for (name, doc) in &env.config_maps {
        resources.push(name.clone());
        files.push(file(dir, name, doc)?);
    }
    for (ours, theirs) in [
        (&env.workloads, &base.workloads),
        (&env.services, &base.services),
    ] {
        for (name, doc) in ours {
            match theirs.get(name) {
                None => {
                    resources.push(name.clone());
                    files.push(file(dir, name, doc)?);
                }
                Some(b) if b != doc => {
                    let patch = format!("patch-{name}");
                    patches.push(patch_entry(&patch, doc));
                    files.push(file(dir, &patch, &replace_spec(doc))?);
                }
                Some(_) => {}
            }
        }
        for (name, doc) in theirs {
            if !ours.contains_key(name) {
                let patch = format!("delete-{name}");
                patches.push(Yaml::map().with("path", patch.clone()));
                files.push(file(dir, &patch, &delete(doc))?);
            }
        }
    }
    resources[1..].sort();
    files.push(file(
        dir,
        "kustomization.yaml",
        &kustomization(resources, patches),
    )?);
    Ok(files)
}

fn kustomization(resources: Vec<String>, patches: Vec<Yaml>) -> Yaml {
    Yaml::map()
        .with("apiVersion", KUSTOMIZE)
        .with("kind", "Kustomization")
        .with("resources", resources)
        .unless_empty("patches", Yaml::Seq(patches))
}

/// A JSON 6902 patch's entry: the file and the resource it applies to.
fn patch_entry(path: &str, doc: &Yaml) -> Yaml {
    let target = Yaml::map().maybe("kind", doc.get("kind").cloned()).maybe(
        "name",
        doc.get("metadata").and_then(|m| m.get("name")).cloned(),
    );
    Yaml::map().with("path", path).with("target", target)
}

/// The environment's whole `spec` in place of the base's: a merge would keep probes or
/// ports the environment does not have.
fn replace_spec(doc: &Yaml) -> Yaml {
    let op = Yaml::map()
        .with("op", "replace")
        .with("path", "/spec")
        .maybe("value", doc.get("spec").cloned());
    Yaml::Seq(vec![op])
}

/// A strategic-merge patch removing a base resource this environment does not have.
fn delete(doc: &Yaml) -> Yaml {
    Yaml::map()
        .maybe("apiVersion", doc.get("apiVersion").cloned())
        .maybe("kind", doc.get("kind").cloned())
        .maybe(
            "metadata",
            doc.get("metadata")
                .and_then(|m| m.get("name"))
                .map(|n| Yaml::map().with("name", n.clone())),
        )
        .with("$patch", "delete")
}

/// A DNS-1123 label: lower case, `-` for `_`, starting and ending with a letter or digit,
/// at most 63 characters (uc's names are letters, digits, `_` and `-` already).
fn name(service: &str) -> String {
    let dashed = service.to_ascii_lowercase().replace('_', "-");
    let mut label: String = dashed.trim_matches('-').chars().take(63).collect();
    label.truncate(label.trim_end_matches('-').len());
    label
}

fn labels(ws: &Workspace, s: &Service) -> Yaml {
    Yaml::map()
        .with("app.kubernetes.io/name", name(&s.name))
        .with("app.kubernetes.io/part-of", name(&ws.name))
}

fn metadata(ws: &Workspace, s: &Service, name: String) -> Yaml {
    Yaml::map().with("name", name).with("labels", labels(ws, s))
}

/// A service another waits for with `depends_on: { it: completed }` runs to its end: a Job,
/// which Kubernetes does not start again once it succeeded, as a Deployment would.
fn runs_once(ws: &Workspace, s: &Service) -> bool {
    ws.services.iter().any(|other| {
        other
            .depends_on
            .iter()
            .any(|d| d.service == s.name && d.condition == Condition::Completed)
    })
}

/// The pod template: `restart_policy` is what a Job's pod needs (a Deployment's is
/// always `Always`, left out).
fn template(ws: &Workspace, s: &Service, options: &Options, restart_policy: Option<&str>) -> Yaml {
    let pod = Yaml::map()
        .maybe("restartPolicy", restart_policy)
        .with("terminationGracePeriodSeconds", s.stop.timeout.as_secs())
        .with("containers", vec![container(ws, s, options)]);
    Yaml::map()
        .with("metadata", Yaml::map().with("labels", labels(ws, s)))
        .with("spec", pod)
}

/// uc's `restart: no` runs it once (`Never`, no retry); `on-failure` retries `max` times.
fn job(ws: &Workspace, s: &Service, options: &Options) -> Yaml {
    let (policy, retries) = match s.restart.policy {
        RestartPolicy::No => ("Never", Some(0)),
        _ => ("OnFailure", s.restart.max.map(|(count, _)| count)),
    };
    let spec = Yaml::map()
        .maybe("backoffLimit", retries)
        .with("template", template(ws, s, options, Some(policy)));
    Yaml::map()
        .with("apiVersion", "batch/v1")
        .with("kind", "Job")
        .with("metadata", metadata(ws, s, name(&s.name)))
        .with("spec", spec)
}

fn deployment(ws: &Workspace, s: &Service, options: &Options) -> Yaml {
    let template = template(ws, s, options, None);
    let spec = Yaml::map()
        .with("replicas", 1u32)
        .with("selector", Yaml::map().with("matchLabels", labels(ws, s)))
        .with("template", template);
    Yaml::map()
        .with("apiVersion", "apps/v1")
        .with("kind", "Deployment")
        .with("metadata", metadata(ws, s, name(&s.name)))
        .with("spec", spec)
}

fn container(ws: &Workspace, s: &Service, options: &Options) -> Yaml {
    let config_ref = Yaml::map().with("name", format!("{}-env", name(&s.name)));
    let secrets: Vec<Yaml> = s
        .secret_env
        .iter()
        .map(|key| {
            let selector = Yaml::map()
                .with("name", format!("{}-secrets", name(&s.name)))
                .with("key", key);
            Yaml::map()
                .with("name", key)
                .with("valueFrom", Yaml::map().with("secretKeyRef", selector))
        })
        .collect();
    let ports: Vec<Yaml> = ports(s)
        .into_iter()
        .map(|p| Yaml::map().with("containerPort", p))
        .collect();
    let resources = s.triggers.max_memory.map(|m| {
        let limits = Yaml::map().with("memory", quantity(m.bytes));
        Yaml::map().with("limits", limits)
    });
    Yaml::map()
        .with("name", name(&s.name))
        .with("image", image(ws, s, options))
        .with("command", vec!["/bin/sh", "-c", s.command.as_str()])
        .with("workingDir", working_dir(ws, s))
        .with(
            "envFrom",
            vec![Yaml::map().with("configMapRef", config_ref)],
        )
        .unless_empty("env", Yaml::Seq(secrets))
        .unless_empty("ports", Yaml::Seq(ports))
        .maybe(
            "readinessProbe",
            s.readiness.as_ref().and_then(|c| probe(c, true)),
        )
        .maybe(
            "livenessProbe",
            s.liveness.as_ref().and_then(|c| probe(c, false)),
        )
        .maybe("startupProbe", startup(s))
        .maybe("resources", resources)
}

/// A probe as the kubelet runs it. The kubelet connects to the pod's address, so a
/// loopback host in uc's probe is left out.
fn probe(check: &Check, readiness: bool) -> Option<Yaml> {
    let (kind, action) = action(check)?;
    // Kubernetes requires 1 for liveness.
    let success = if readiness {
        check.success_threshold
    } else {
        1
    };
    let delay = check.initial_delay.as_secs();
    Some(
        Yaml::map()
            .with(kind, action)
            .maybe("initialDelaySeconds", (delay > 0).then_some(delay))
            .with("periodSeconds", seconds(check.interval))
            .with("timeoutSeconds", seconds(check.timeout))
            .with("successThreshold", success.max(1))
            .with("failureThreshold", check.failure_threshold.max(1)),
    )
}

/// uc's `start_period` (failures before the first pass do not count) is Kubernetes'
/// startup probe: the liveness probe's check (else the readiness probe's), given that long
/// to pass once before the others start.
fn startup(s: &Service) -> Option<Yaml> {
    let check = [&s.liveness, &s.readiness]
        .into_iter()
        .flatten()
        .find(|c| !c.start_period.is_zero() && action(c).is_some())?;
    let (kind, action) = action(check)?;
    let period = seconds(check.interval);
    let tries = check.start_period.as_secs().div_ceil(period).max(1);
    Some(
        Yaml::map()
            .with(kind, action)
            .maybe(
                "initialDelaySeconds",
                Some(check.initial_delay.as_secs()).filter(|d| *d > 0),
            )
            .with("periodSeconds", period)
            .with("timeoutSeconds", seconds(check.timeout))
            .with("failureThreshold", tries),
    )
}

/// What the kubelet does to probe; `process` is what Kubernetes does anyway.
fn action(check: &Check) -> Option<(&'static str, Yaml)> {
    Some(match &check.probe {
        Probe::Http(http) => {
            let url = super::parse_http(http);
            let action = Yaml::map()
                .with("path", url.path)
                .with("port", url.port)
                .maybe("host", remote(url.host));
            ("httpGet", action)
        }
        Probe::Tcp(addr) => {
            let (host, port) = super::split_host_port(addr)?;
            let action = Yaml::map().with("port", port).maybe("host", remote(host));
            ("tcpSocket", action)
        }
        Probe::Exec(command) => {
            let command = vec!["/bin/sh", "-c", command.as_str()];
            ("exec", Yaml::map().with("command", command))
        }
        Probe::Process => return None,
    })
}

fn remote(host: &str) -> Option<&str> {
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
    (!loopback).then_some(host)
}

fn service(ws: &Workspace, s: &Service) -> Option<Yaml> {
    let ports: Vec<Yaml> = ports(s)
        .into_iter()
        .map(|p| {
            Yaml::map()
                .with("name", format!("tcp-{p}"))
                .with("port", p)
                .with("targetPort", p)
        })
        .collect();
    if ports.is_empty() {
        return None;
    }
    let spec = Yaml::map()
        .with("selector", labels(ws, s))
        .with("ports", ports);
    Some(
        Yaml::map()
            .with("apiVersion", "v1")
            .with("kind", "Service")
            .with("metadata", metadata(ws, s, name(&s.name)))
            .with("spec", spec),
    )
}

/// The service's environment without its secrets.
fn config_map(ws: &Workspace, s: &Service) -> Yaml {
    let mut data: BTreeMap<String, String> = super::supervisor_env(ws, s).into_iter().collect();
    for (key, value) in &s.env {
        if !s.secret_env.contains(key) {
            data.insert(key.clone(), value.clone());
        }
    }
    Yaml::map()
        .with("apiVersion", "v1")
        .with("kind", "ConfigMap")
        .with(
            "metadata",
            metadata(ws, s, format!("{}-env", name(&s.name))),
        )
        .with("data", data.into_iter().collect::<Yaml>())
}

/// Bytes as a Kubernetes quantity, in the largest whole binary unit.
fn quantity(bytes: u64) -> String {
    super::whole_units(bytes, [(1 << 30, "Gi"), (1 << 20, "Mi"), (1 << 10, "Ki")])
        .unwrap_or_else(|| bytes.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_quantities_are_what_kubernetes_accepts() {
        assert_eq!(name("Api_Gateway"), "api-gateway");
        assert_eq!(name("_worker_"), "worker");
        assert_eq!(name(&format!("{}-x", "a".repeat(62))), "a".repeat(62));
        assert_eq!(quantity(512 << 20), "512Mi");
        assert_eq!(quantity(1500), "1500");
        assert_eq!(remote("127.0.0.1"), None);
        assert_eq!(remote("::1"), None);
        assert_eq!(remote("db.internal"), Some("db.internal"));
    }
}
