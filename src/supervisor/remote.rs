//! Services of other workspaces, read from their engines over their sockets in the state dir:
//! the `depends_on: { operation/db: healthy }` a service waits for, and the services elsewhere
//! whose `depends_on` names one of ours. Read only: another workspace's engine is never
//! started from here; when it does not answer, what waits on it waits, saying why.
//!
//! Both directions are read from the running engines rather than registered with them, so
//! nothing goes stale when either engine restarts or dies: a dependent engine that is gone
//! simply stops being counted at the next scan, and a provider that comes back is read again.
//! The reads run in tasks of their own and report to the actor, which never waits on another
//! engine.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::UnixStream;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use super::Msg;
use crate::config::Dependency;
use crate::paths::{Paths, sanitize};
use crate::protocol::{Dependent, Health, ServiceState};

/// How often a workspace a service waits on is read while it waits.
const WAIT_POLL: Duration = Duration::from_millis(500);
/// How often the other running workspaces are read for services that depend on ours.
const SCAN: Duration = Duration::from_secs(5);
/// An engine that has not answered by then is reported as not answering.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// A snapshot larger than this is refused rather than held in memory.
const MAX_SNAPSHOT: usize = 32 << 20;

/// One service as another workspace's engine reports it: only what a condition and a link
/// need, so the snapshot of an engine of another uc version still reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct RemoteService {
    name: String,
    state: ServiceState,
    #[serde(default)]
    health: Option<Health>,
    #[serde(default)]
    exit_code: Option<i32>,
    #[serde(default)]
    depends_on: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RemoteSnapshot {
    workspace: String,
    services: Vec<RemoteService>,
}

/// What another workspace's engine said last.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum View {
    Services(Vec<RemoteService>),
    /// Nothing answers on its socket.
    NotRunning,
    /// It answered with an error, or not in time.
    Failed(String),
}

/// The actor's side: the views of the workspaces services wait on, and the reading tasks.
pub(super) struct Remote {
    views: HashMap<String, View>,
    wanted: watch::Sender<BTreeSet<String>>,
    tasks: Vec<AbortHandle>,
}

impl Drop for Remote {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Remote {
    pub(super) fn new() -> Self {
        Self {
            views: HashMap::new(),
            wanted: watch::Sender::new(BTreeSet::new()),
            tasks: Vec::new(),
        }
    }

    /// Start reading: the workspaces waited on, and every other one for its dependents.
    /// `paths` is this workspace's; the others live next to it.
    pub(super) fn start(&mut self, paths: &Paths, me: &str, tx: mpsc::UnboundedSender<Msg>) {
        let Some(base) = paths.dir.parent().map(Path::to_path_buf) else {
            return;
        };
        let wanted = self.wanted.subscribe();
        let waits = tokio::spawn(read_wanted(base.clone(), wanted, tx.clone()));
        let scan = tokio::spawn(scan_dependents(base, me.to_owned(), tx));
        self.tasks = vec![waits.abort_handle(), scan.abort_handle()];
    }

    /// The workspaces services wait on now. A workspace no longer waited on forgets its
    /// view, so the next wait starts from a fresh read, not from what was true back then.
    pub(super) fn want(&mut self, workspaces: BTreeSet<String>) {
        self.views.retain(|ws, _| workspaces.contains(ws));
        self.wanted.send_if_modified(|wanted| {
            let changed = *wanted != workspaces;
            *wanted = workspaces;
            changed
        });
    }

    pub(super) fn heard(&mut self, workspace: String, view: View) {
        if self.wanted.borrow().contains(&workspace) {
            self.views.insert(workspace, view);
        }
    }

    /// `None` when the other workspace's service meets `dep`'s condition, else what the
    /// wait is for: `operation/db (healthy)`, `operation/db: workspace operation not running`.
    pub(super) fn waiting_for(&self, dep: &Dependency) -> Option<String> {
        let (workspace, service) = dep.remote()?;
        let pending = Some(format!("{} ({})", dep.service, dep.condition.name()));
        let services = match self.views.get(workspace) {
            None => return pending,
            Some(View::Services(services)) => services,
            Some(View::NotRunning) => {
                return Some(format!(
                    "{}: workspace {workspace} not running",
                    dep.service
                ));
            }
            Some(View::Failed(why)) => {
                return Some(format!(
                    "{}: workspace {workspace} not answering ({why})",
                    dep.service
                ));
            }
        };
        let Some(s) = services.iter().find(|s| s.name == service) else {
            return Some(format!(
                "{}: workspace {workspace} has no service {service}",
                dep.service
            ));
        };
        let met = super::schedule::holds(dep.condition, s.state, s.health, s.exit_code);
        if met { None } else { pending }
    }
}

/// Read each workspace in `wanted` every [`WAIT_POLL`] while there is any; idle otherwise.
async fn read_wanted(
    base: PathBuf,
    mut wanted: watch::Receiver<BTreeSet<String>>,
    tx: mpsc::UnboundedSender<Msg>,
) {
    loop {
        let workspaces = wanted.borrow_and_update().clone();
        if workspaces.is_empty() {
            if wanted.changed().await.is_err() {
                return;
            }
            continue;
        }
        for workspace in workspaces {
            let view = match read(&socket_of(&base, &workspace)).await {
                Ok(snapshot) => View::Services(snapshot.services),
                Err(view) => view,
            };
            if tx.send(Msg::Remote { workspace, view }).is_err() {
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(WAIT_POLL) => {}
            changed = wanted.changed() => if changed.is_err() { return },
        }
    }
}

/// Every [`SCAN`], the services of the other running workspaces that depend on ours.
async fn scan_dependents(base: PathBuf, me: String, tx: mpsc::UnboundedSender<Msg>) {
    let mut tick = tokio::time::interval(SCAN);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let mut found = BTreeMap::new();
        for dir in workspace_dirs(&base, &me).await {
            if let Ok(snapshot) = read(&dir.join("engine.sock")).await {
                dependents_of(&me, &snapshot.workspace, &snapshot.services, &mut found);
            }
        }
        if tx.send(Msg::Dependents(found)).is_err() {
            return;
        }
    }
}

/// The other workspaces' directories in the state dir that hold an engine socket.
async fn workspace_dirs(base: &Path, me: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let Ok(mut entries) = tokio::fs::read_dir(base).await else {
        return dirs;
    };
    let mine = sanitize(me);
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let socket = entry.path().join("engine.sock");
        if name != mine && sanitize(&name) == name && tokio::fs::metadata(&socket).await.is_ok() {
            dirs.push(entry.path());
        }
    }
    dirs
}

/// Add the services of `workspace` whose `depends_on` names a service of `me`, under the
/// name of the service they need.
fn dependents_of(
    me: &str,
    workspace: &str,
    services: &[RemoteService],
    found: &mut BTreeMap<String, Vec<Dependent>>,
) {
    for s in services {
        for (ws, needed) in s.depends_on.iter().filter_map(|d| d.split_once('/')) {
            if sanitize(ws) == sanitize(me) {
                found.entry(needed.to_owned()).or_default().push(Dependent {
                    service: format!("{workspace}/{}", s.name),
                    active: s.state.is_active(),
                });
            }
        }
    }
}

fn socket_of(base: &Path, workspace: &str) -> PathBuf {
    Paths::new(base, workspace, String::new()).socket()
}

/// `GET /api/v1/snapshot` from the engine on `socket`, within [`ANSWER_TIMEOUT`].
async fn read(socket: &Path) -> Result<RemoteSnapshot, View> {
    match tokio::time::timeout(ANSWER_TIMEOUT, get_snapshot(socket)).await {
        Ok(answer) => answer,
        Err(_) => Err(View::Failed(format!(
            "no answer within {}s",
            ANSWER_TIMEOUT.as_secs()
        ))),
    }
}

async fn get_snapshot(socket: &Path) -> Result<RemoteSnapshot, View> {
    use std::io::ErrorKind::{ConnectionRefused, NotFound};
    let failed = |e: &dyn std::fmt::Display| View::Failed(e.to_string());
    let stream = match UnixStream::connect(socket).await {
        Ok(stream) => stream,
        Err(e) if matches!(e.kind(), NotFound | ConnectionRefused) => {
            return Err(View::NotRunning);
        }
        Err(e) => return Err(failed(&e)),
    };
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| failed(&e))?;
    tokio::spawn(conn);
    let request = hyper::Request::get("/api/v1/snapshot")
        .header(hyper::header::HOST, "uc-engine")
        .body(Empty::<Bytes>::new())
        .map_err(|e| failed(&e))?;
    let response = sender.send_request(request).await.map_err(|e| failed(&e))?;
    if !response.status().is_success() {
        return Err(View::Failed(format!("answered {}", response.status())));
    }
    let body = Limited::new(response.into_body(), MAX_SNAPSHOT)
        .collect()
        .await
        .map_err(|e| failed(&e))?
        .to_bytes();
    serde_json::from_slice(&body).map_err(|e| failed(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Condition;

    fn service(
        name: &str,
        state: ServiceState,
        health: Option<Health>,
        deps: &[&str],
    ) -> RemoteService {
        RemoteService {
            name: name.into(),
            state,
            health,
            exit_code: None,
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn db_healthy() -> Dependency {
        Dependency {
            service: "operation/db".into(),
            condition: Condition::Healthy,
        }
    }

    #[test]
    fn a_remote_service_gates_until_its_engine_reports_the_condition() {
        let mut remote = Remote::new();
        remote.want(BTreeSet::from(["operation".to_owned()]));
        let dep = db_healthy();
        assert_eq!(
            remote.waiting_for(&dep).as_deref(),
            Some("operation/db (healthy)")
        );
        remote.heard("operation".into(), View::NotRunning);
        assert_eq!(
            remote.waiting_for(&dep).as_deref(),
            Some("operation/db: workspace operation not running")
        );
        remote.heard("operation".into(), View::Services(vec![]));
        assert_eq!(
            remote.waiting_for(&dep).as_deref(),
            Some("operation/db: workspace operation has no service db")
        );
        let starting = service("db", ServiceState::Running, Some(Health::Unknown), &[]);
        remote.heard("operation".into(), View::Services(vec![starting]));
        assert_eq!(
            remote.waiting_for(&dep).as_deref(),
            Some("operation/db (healthy)")
        );
        let healthy = service("db", ServiceState::Running, Some(Health::Healthy), &[]);
        remote.heard("operation".into(), View::Services(vec![healthy]));
        assert_eq!(remote.waiting_for(&dep), None);
    }

    #[test]
    fn a_workspace_no_longer_waited_on_forgets_what_it_said() {
        let mut remote = Remote::new();
        let operation = BTreeSet::from(["operation".to_owned()]);
        remote.want(operation.clone());
        let healthy = service("db", ServiceState::Running, Some(Health::Healthy), &[]);
        remote.heard("operation".into(), View::Services(vec![healthy.clone()]));
        remote.want(BTreeSet::new());
        remote.heard("operation".into(), View::Services(vec![healthy]));
        remote.want(operation);
        assert_eq!(
            remote.waiting_for(&db_healthy()).as_deref(),
            Some("operation/db (healthy)")
        );
    }

    #[test]
    fn dependents_are_the_other_workspace_s_services_naming_ours() {
        let services = [
            service(
                "api",
                ServiceState::Running,
                None,
                &["operation/db", "cache"],
            ),
            service(
                "web",
                ServiceState::Stopped,
                None,
                &["operation/db", "other/db"],
            ),
            service("cache", ServiceState::Running, None, &[]),
        ];
        let mut found = BTreeMap::new();
        dependents_of("operation", "hvac", &services, &mut found);
        let api = Dependent {
            service: "hvac/api".into(),
            active: true,
        };
        let web = Dependent {
            service: "hvac/web".into(),
            active: false,
        };
        assert_eq!(found, BTreeMap::from([("db".to_owned(), vec![api, web])]));
    }
}
