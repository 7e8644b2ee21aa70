//! `uc export`: the workspace written out for other tools — a `docker-compose.yml`,
//! Kubernetes manifests (kustomize base and one overlay per environment) and a GitHub
//! Actions workflow that calls `uc deploy`. Each target reads the validated workspace of
//! one or every environment and builds a [`Yaml`] tree that serde-saphyr writes, so every
//! name and value is quoted by the emitter, never pasted into YAML or shell text.

mod compose;
mod github;
mod k8s;
mod yaml;

use std::path::{Path, PathBuf};

use crate::config::{
    ConfigError, Environment, HttpProbe, Probe, Secrets, Service, Source, Workspace,
};

pub use yaml::Yaml;

/// What `uc export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// `docker-compose.yml`
    Compose,
    /// `base/` and `overlays/<env>/` for kustomize
    K8s,
    /// `.github/workflows/deploy.yml`
    GithubActions,
}

/// The choices a user makes on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// One environment (compose: the one rendered; k8s: the only overlay); default: the
    /// first for compose, all for k8s and github-actions.
    pub env: Option<String>,
    /// The image every service runs; `{service}` in it is each service's name.
    pub image: Option<String>,
}

/// One file of an export, its path relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: PathBuf,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("`--image {0}` is not an image reference (no spaces or control characters)")]
    Image(String),
    #[error("{} would hold a secret's value, refused: {line}", file.display())]
    Secret { file: PathBuf, line: String },
    #[error("no service has `deploy:`{0}: the workflow would deploy nothing")]
    NothingToDeploy(String),
    #[error("cannot write YAML: {0}")]
    Yaml(String),
}

/// The files of `target` for the workspace `source` names.
pub fn export(
    source: &Source,
    target: Target,
    options: &Options,
) -> Result<Vec<File>, ExportError> {
    if let Some(image) = &options.image
        && (image.is_empty() || image.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(ExportError::Image(image.clone()));
    }
    let (files, workspaces) = match target {
        Target::Compose => {
            let ws = source.load_effective(options.env.as_deref())?.workspace;
            (vec![compose::render(&ws, options)?], vec![ws])
        }
        Target::K8s => {
            let loaded = Loaded::new(source, options)?;
            (k8s::render(&loaded, options)?, loaded.workspaces())
        }
        Target::GithubActions => {
            let loaded = Loaded::new(source, options)?;
            (vec![github::render(&loaded)?], loaded.workspaces())
        }
    };
    for ws in &workspaces {
        refuse_secrets(&files, &ws.secrets)?;
    }
    Ok(files)
}

/// The last guard: a secret's value where uc writes a value as it is (a probe's URL, say)
/// stops the export, the line shown with the secret as its reference.
fn refuse_secrets(files: &[File], secrets: &Secrets) -> Result<(), ExportError> {
    for file in files {
        if let Some(line) = file
            .text
            .lines()
            .map(|line| secrets.redact(line))
            .find(|line| matches!(line, std::borrow::Cow::Owned(_)))
        {
            return Err(ExportError::Secret {
                file: file.path.clone(),
                line: line.trim().to_owned(),
            });
        }
    }
    Ok(())
}

/// The default environment's workspace and each environment's, for the targets that
/// cover several.
struct Loaded {
    base: Workspace,
    /// `(environment, its workspace)`, in declaration order; empty when none is declared.
    environments: Vec<(Environment, Workspace)>,
}

impl Loaded {
    fn new(source: &Source, options: &Options) -> Result<Self, ConfigError> {
        let base = source.load_effective(None)?.workspace;
        let mut environments = Vec::new();
        for env in &base.environments {
            if options.env.as_ref().is_some_and(|only| *only != env.name) {
                continue;
            }
            let ws = source.load_effective(Some(&env.name))?.workspace;
            environments.push((env.clone(), ws));
        }
        // An unknown `--env` is the loader's error, with its did-you-mean.
        if let Some(only) = &options.env
            && environments.is_empty()
        {
            source.load_effective(Some(only))?;
        }
        Ok(Self { base, environments })
    }

    fn workspaces(self) -> Vec<Workspace> {
        let envs = self.environments.into_iter().map(|(_, ws)| ws);
        std::iter::once(self.base).chain(envs).collect()
    }
}

/// The image a service runs: `--image` (its `{service}` replaced), else
/// `<workspace>/<service>:latest`, lower-cased as image names must be.
fn image(ws: &Workspace, service: &Service, options: &Options) -> String {
    match &options.image {
        Some(image) => image.replace("{service}", &service.name.to_ascii_lowercase()),
        None => format!("{}/{}:latest", ws.name, service.name).to_ascii_lowercase(),
    }
}

/// Where the image holds the workspace: a service's directory keeps its place under it;
/// a deployed service (whose `cwd` is a release on this machine) runs at its root.
pub const APP_DIR: &str = "/app";

fn working_dir(ws: &Workspace, service: &Service) -> String {
    let relative = match service.deploy {
        Some(_) => None,
        None => service.cwd.strip_prefix(&ws.dir).ok(),
    };
    match relative.filter(|r| !r.as_os_str().is_empty()) {
        Some(r) => Path::new(APP_DIR).join(r).to_string_lossy().into_owned(),
        None => APP_DIR.to_owned(),
    }
}

/// What the service gets besides its `env:`: the variables the supervisor sets. Its
/// runtime directory is the container's own `/tmp`.
fn supervisor_env(ws: &Workspace, service: &Service) -> [(String, String); 3] {
    [
        ("UC_WORKSPACE".to_owned(), ws.name.clone()),
        ("UC_SERVICE".to_owned(), service.name.clone()),
        ("UC_STATE_DIR".to_owned(), "/tmp".to_owned()),
    ]
}

/// `host`, `port` and `path` of an `http://` probe URL.
struct Url<'a> {
    host: &'a str,
    port: u16,
    path: &'a str,
}

fn parse_http(probe: &HttpProbe) -> Url<'_> {
    let rest = probe.url.strip_prefix("http://").unwrap_or(&probe.url);
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let (host, port) = split_host_port(authority).unwrap_or((authority, 80));
    Url { host, port, path }
}

/// `host:port` (IPv6 in brackets) as validation accepted it.
fn split_host_port(text: &str) -> Option<(&str, u16)> {
    let (host, port) = text.rsplit_once(':')?;
    let port = port.parse().ok()?;
    Some((host.trim_start_matches('[').trim_end_matches(']'), port))
}

/// The port a probe connects to, if any.
fn probe_port(probe: &Probe) -> Option<u16> {
    match probe {
        Probe::Http(http) => Some(parse_http(http).port),
        Probe::Tcp(addr) => split_host_port(addr).map(|(_, port)| port),
        Probe::Exec(_) | Probe::Process => None,
    }
}

/// Every port the service listens on: `ports:`, its `PORT`, its probes' ports; sorted.
fn ports(service: &Service) -> Vec<u16> {
    let mut ports = service.ports.clone();
    let probes = [&service.readiness, &service.liveness];
    ports.extend(
        probes
            .into_iter()
            .flatten()
            .filter_map(|c| probe_port(&c.probe)),
    );
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Whole seconds, at least 1 (what compose's and Kubernetes' probe fields take).
fn seconds(d: std::time::Duration) -> u64 {
    d.as_secs().max(1)
}

/// `bytes` in the largest of `units` (size, suffix) it is a whole number of.
fn whole_units(bytes: u64, units: [(u64, &str); 3]) -> Option<String> {
    units
        .iter()
        .find(|(size, _)| bytes.is_multiple_of(*size))
        .map(|(size, unit)| format!("{}{unit}", bytes / size))
}

/// The workspace file's name, for the header of what is written.
fn origin(ws: &Workspace) -> String {
    ws.file.as_ref().and_then(|f| f.file_name()).map_or_else(
        || "the demo workspace".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    )
}

impl From<yaml::EmitError> for ExportError {
    fn from(error: yaml::EmitError) -> Self {
        Self::Yaml(error.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_ports_come_from_urls_and_addresses() {
        let http = HttpProbe {
            url: "http://127.0.0.1:8080/health?x=1".into(),
            status: (200, 399),
            body: None,
        };
        let url = parse_http(&http);
        assert_eq!(
            (url.host, url.port, url.path),
            ("127.0.0.1", 8080, "/health?x=1")
        );
        let bare = HttpProbe {
            url: "http://localhost".into(),
            ..http
        };
        assert_eq!(parse_http(&bare).port, 80);
        assert_eq!(parse_http(&bare).path, "/");
        assert_eq!(probe_port(&Probe::Tcp("[::1]:5432".into())), Some(5432));
        assert_eq!(probe_port(&Probe::Process), None);
    }
}
