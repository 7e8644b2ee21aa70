//! Deployments: a service with `deploy:` is deployed from git in releases (`release`), each
//! deploy run stage by stage (`run`) and gated (`gate`), rolled back on its own when the new
//! release fails; the history is kept in `deploys.db` (`store::deploys`). The worker takes
//! requests (`uc deploy`, the API), deploys the branch a verified push names, and at start
//! finishes what an engine that stopped mid-deploy left: back to the previous release.

mod blue_green;
mod gate;
pub mod model;
pub mod proxy;
mod release;
mod run;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, oneshot};

use self::blue_green::Pair;
use self::model::{Colour, DeployState, Deployment, StageStatus};
use self::run::{Pipeline, Target};
use crate::clock::now_ms;
use crate::config::Workspace;
use crate::hooks::push::GitPush;
use crate::paths::Paths;
use crate::protocol::{CommandError, CommandRequest, Event, Hub};
use crate::store::StoreError;
use crate::store::deploys::DeployLog;

/// What is asked of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// Deploy `git_ref` (the deploy's branch when `None`).
    Deploy { git_ref: Option<String> },
    /// Go back to `release` (the one before the current when `None`).
    Rollback { release: Option<String> },
}

#[derive(Debug, Clone)]
pub struct DeployRequest {
    pub service: String,
    pub ask: Ask,
    /// Who asked.
    pub by: String,
}

type Answer = oneshot::Sender<Result<Deployment, CommandError>>;

/// The worker's handle: ask for deploys, read the history.
#[derive(Clone)]
pub struct Deploys {
    requests: mpsc::Sender<(DeployRequest, Answer)>,
    pub db: PathBuf,
}

impl Deploys {
    /// Starts the deploy; answers with its record as it begins (follow `Event::Deploy`).
    pub async fn ask(&self, request: DeployRequest) -> Result<Deployment, CommandError> {
        let (tx, rx) = oneshot::channel();
        let gone = || CommandError::new("the deploy worker is not running");
        self.requests
            .send((request, tx))
            .await
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

/// Starts the worker for the services of `ws` that have `deploy:`.
pub fn spawn(
    ws: &Workspace,
    paths: &Paths,
    hub: Hub,
    commands: mpsc::Sender<CommandRequest>,
) -> Result<Deploys, StoreError> {
    let db = paths.deploys_db();
    let store = DeployLog::open(&db)?;
    let unfinished = store.unfinished()?;
    let latest = store.recent(None, 100)?;
    let targets: HashMap<String, Target> = (ws.services.iter())
        .filter_map(|s| {
            let deploy = s.deploy.clone()?;
            // A green colour is deployed as its blue service's.
            let colour = deploy.blue_green.as_ref().map(|bg| bg.colour);
            if colour == Some(Colour::Green) {
                return None;
            }
            let pair = colour.and_then(|_| pair(ws, s, &deploy, &unfinished, &hub));
            let target = Target {
                service: s.clone(),
                deploy,
                pair,
            };
            Some((s.name.clone(), target))
        })
        .collect();
    let pipeline = Pipeline {
        hub: hub.clone(),
        commands,
        store: Arc::new(Mutex::new(store)),
        secrets: ws.secrets.clone(),
    };
    let mut seen = HashSet::new();
    for deploy in latest
        .into_iter()
        .filter(|d| seen.insert(d.service.clone()))
    {
        hub.publish(Event::Deploy(Box::new(deploy)));
    }
    let (requests, rx) = mpsc::channel(16);
    let mut worker = Worker {
        pipeline,
        targets,
        busy: HashMap::new(),
        done: mpsc::unbounded_channel(),
    };
    let events = hub.subscribe().1;
    tokio::spawn(async move {
        worker.resume(unfinished);
        worker.serve(rx, events).await;
    });
    Ok(Deploys { requests, db })
}

struct Worker {
    pipeline: Pipeline,
    targets: HashMap<String, Target>,
    /// Service → the id of its deploy running now: one at a time per service.
    busy: HashMap<String, u64>,
    done: (
        mpsc::UnboundedSender<String>,
        mpsc::UnboundedReceiver<String>,
    ),
}

impl Worker {
    async fn serve(
        &mut self,
        mut requests: mpsc::Receiver<(DeployRequest, Answer)>,
        mut events: broadcast::Receiver<Event>,
    ) {
        loop {
            tokio::select! {
                request = requests.recv() => {
                    let Some((request, answer)) = request else { return };
                    let _ = answer.send(self.start(request, "manual"));
                }
                Some(service) = self.done.1.recv() => {
                    self.busy.remove(&service);
                }
                event = events.recv() => match event {
                    Ok(Event::GitPush(push)) => self.pushed(&push),
                    Ok(Event::Shutdown) | Err(broadcast::error::RecvError::Closed) => return,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                },
            }
        }
    }

    /// A push to a deploy's branch of its repository deploys the pushed commit.
    fn pushed(&mut self, push: &GitPush) {
        let services: Vec<String> = (self.targets.values())
            .filter(|t| push.git_ref == format!("refs/heads/{}", t.deploy.branch))
            .filter(|t| {
                let repo = t.deploy.repo.trim_end_matches('/').trim_end_matches(".git");
                !push.repository.is_empty() && repo.ends_with(push.repository.as_str())
            })
            .map(|t| t.service.name.clone())
            .collect();
        for service in services {
            let request = DeployRequest {
                service: service.clone(),
                ask: Ask::Deploy {
                    git_ref: Some(push.after.clone()),
                },
                by: push.pusher.clone(),
            };
            if let Err(e) = self.start(request, "push") {
                let text = format!("the push to {} did not deploy {service}: {e}", push.git_ref);
                let level = crate::protocol::NoticeLevel::Warn;
                self.pipeline.hub.notice(level, Some(&service), text);
            }
        }
    }

    fn start(&mut self, request: DeployRequest, trigger: &str) -> Result<Deployment, CommandError> {
        let Some(target) = self.targets.get(&request.service).cloned() else {
            let names = self.targets.keys().map(String::as_str);
            let hint = crate::config::suggest(&request.service, names).map_or(
                "only services with `deploy:` are deployed".to_owned(),
                |s| format!("did you mean `{s}`?"),
            );
            let message = format!("`{}` has no `deploy:`", request.service);
            return Err(CommandError::field("service", message).with_hint(hint));
        };
        if target.deploy.blue_green.is_some() && target.pair.is_none() {
            let message = format!("the proxy of {} did not start", request.service);
            let hint = "see the engine's notices; `uc restart` the engine once the port is free";
            return Err(CommandError::field("service", message).with_hint(hint));
        }
        if let Some(id) = self.busy.get(&request.service) {
            let message = format!("deploy {id} of {} is still running", request.service);
            return Err(CommandError::field("service", message));
        }
        let releases = target.releases();
        let (trigger, git_ref, release) = match request.ask {
            Ask::Deploy { git_ref } => {
                let git_ref = git_ref.unwrap_or_else(|| target.deploy.branch.clone());
                crate::config::values::git_ref(&git_ref)
                    .map_err(|r| CommandError::field("ref", r.to_string()))?;
                (trigger, git_ref, None)
            }
            Ask::Rollback { release } => {
                let current = releases.current();
                let before = release.or_else(|| self.before(&request.service, current.as_deref()));
                let release = rollback_target(&releases.list(), current, before)?;
                ("rollback", release.clone(), Some(release))
            }
        };
        let mut deploy = Deployment {
            id: 0,
            service: request.service.clone(),
            trigger: trigger.to_owned(),
            by: request.by,
            git_ref,
            commit: None,
            release: release.clone(),
            previous: releases.current(),
            state: DeployState::Running,
            stages: Vec::new(),
            cause: None,
            started_at: now_ms(),
            ended_at: None,
            switched: false,
            colours: None,
        };
        self.pipeline.save(&mut deploy);
        self.run(target, deploy.clone(), release);
        Ok(deploy)
    }

    /// What the deploy that made `current` the current release replaced.
    fn before(&self, service: &str, current: Option<&str>) -> Option<String> {
        let store = self.pipeline.store.lock().ok()?;
        let recent = store.recent(Some(service), 100).ok()?;
        let made = recent
            .into_iter()
            .find(|d| d.state == DeployState::Succeeded && d.release.as_deref() == current)?;
        made.previous
    }

    fn run(&mut self, target: Target, deploy: Deployment, release: Option<String>) {
        let service = deploy.service.clone();
        self.busy.insert(service.clone(), deploy.id);
        let pipeline = self.pipeline.clone();
        let done = self.done.0.clone();
        tokio::spawn(async move {
            match release {
                Some(release) => pipeline.go_live(&target, deploy, &release).await,
                None => pipeline.deploy(&target, deploy).await,
            };
            let _ = done.send(service);
        });
    }

    /// A blue-green deploy an engine left running: finished or rolled back by its record.
    fn recover(&mut self, target: Target, deploy: Deployment, cause: String) {
        let service = deploy.service.clone();
        self.busy.insert(service.clone(), deploy.id);
        let pipeline = self.pipeline.clone();
        let done = self.done.0.clone();
        tokio::spawn(async move {
            if let Some(pair) = &target.pair {
                pipeline.recover_colour(&target, pair, deploy, cause).await;
            }
            let _ = done.send(service);
        });
    }

    /// Deploys an engine left running: switched ones go back to the previous release;
    /// the others failed before touching what runs.
    fn resume(&mut self, unfinished: Vec<Deployment>) {
        for mut deploy in unfinished {
            let stage = deploy.running_stage().map_or("a deploy", |s| s.as_str());
            let cause = format!("the engine stopped during {stage}");
            for run in deploy
                .stages
                .iter_mut()
                .filter(|s| s.status == StageStatus::Running)
            {
                run.status = StageStatus::Failed;
                run.ended_at = Some(now_ms());
            }
            let target = self.targets.get(&deploy.service).cloned();
            if let Some(target) = target.clone().filter(|t| t.pair.is_some()) {
                self.recover(target, deploy, cause);
                continue;
            }
            match target.filter(|_| deploy.switched) {
                Some(target) => {
                    let service = deploy.service.clone();
                    self.busy.insert(service.clone(), deploy.id);
                    let pipeline = self.pipeline.clone();
                    let done = self.done.0.clone();
                    tokio::spawn(async move {
                        pipeline.rollback(&target, deploy, cause).await;
                        let _ = done.send(service);
                    });
                }
                None => {
                    deploy.state = DeployState::Failed;
                    deploy.cause = Some(format!("{cause}; the running release was not touched"));
                    deploy.ended_at = Some(now_ms());
                    self.pipeline.save(&mut deploy);
                }
            }
        }
    }
}

/// A blue-green service's colours, and its proxy started on the colour that serves: the
/// one a deploy cut off recorded, else the one the `serving` file names.
fn pair(
    ws: &Workspace,
    blue: &crate::config::Service,
    deploy: &crate::config::Deploy,
    unfinished: &[Deployment],
    hub: &Hub,
) -> Option<Pair> {
    let config = deploy.blue_green.clone()?;
    let green = ws.service(&format!("{}-green", blue.name))?;
    let recorded = (unfinished.iter())
        .rfind(|d| d.service == blue.name)
        .and_then(|d| d.colours);
    let serving = recorded.map_or_else(|| deploy.serving(), |c| c.serving);
    match proxy::Proxy::start(config.listen, config.ports, serving) {
        Ok(proxy) => Some(Pair {
            config,
            services: [blue.clone(), green.clone()],
            proxy,
        }),
        Err(e) => {
            let text = format!(
                "cannot start the proxy of {} on {}: {e}",
                blue.name, config.listen
            );
            hub.notice(crate::protocol::NoticeLevel::Error, Some(&blue.name), text);
            None
        }
    }
}

/// `release`, or the release before the current one in name (time) order.
fn rollback_target(
    releases: &[String],
    current: Option<String>,
    release: Option<String>,
) -> Result<String, CommandError> {
    if let Some(release) = release {
        if !releases.contains(&release) {
            let hint = format!("releases: {}", releases.join(", "));
            return Err(
                CommandError::field("release", format!("no release `{release}`")).with_hint(hint),
            );
        }
        return Ok(release);
    }
    let at = current.and_then(|c| releases.iter().position(|r| *r == c));
    match at {
        Some(i) if i > 0 => Ok(releases[i - 1].clone()),
        _ => Err(CommandError::new(
            "no release before the current one to go back to",
        )),
    }
}
