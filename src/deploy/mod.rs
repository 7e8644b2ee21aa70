//! Deployments: a service with `deploy:` is deployed from git in releases (`release`), each
//! deploy run stage by stage (`run`) and gated (`gate`), rolled back on its own when the new
//! release fails; the history is kept in `deploys.db` (`store::deploys`). The worker takes
//! requests (`uc deploy`, the API), deploys the branch a verified push names, and at start
//! finishes what an engine that stopped mid-deploy left: back to the previous release.
//! Pushes and polls are routed by the rules (`trigger`); the pipeline's stage for this
//! host's environment may hold a built release until it is approved (`approve`).

mod approve;
mod blue_green;
mod gate;
pub mod model;
pub mod proxy;
mod release;
mod run;
mod trigger;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, oneshot};

use self::approve::Approver;
use self::blue_green::Pair;
use self::model::{Approval, Colour, DeployState, Deployment, StageStatus};
use self::run::{Pipeline, Target};
use self::trigger::Route;
use crate::clock::now_ms;
use crate::config::Workspace;
use crate::hooks::push::GitPush;
use crate::paths::Paths;
use crate::protocol::{CommandError, CommandRequest, Event, Hub, Role};
use crate::store::StoreError;
use crate::store::deploys::DeployLog;

/// What is asked of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// Deploy `git_ref` (the deploy's branch when `None`).
    Deploy { git_ref: Option<String> },
    /// Go back to `release` (the one before the current when `None`).
    Rollback { release: Option<String> },
    /// `git_ref` moved to `commit`: told by the git hook or a verified webhook (`trigger`
    /// `push`), or seen by polling (`poll`). The rules decide whether it deploys here.
    Push {
        git_ref: String,
        commit: String,
        trigger: String,
    },
    /// Approve or reject the deploy waiting for an approval; `role` is the caller's
    /// (`None`: the local user, who may do anything).
    Decide { approve: bool, role: Option<Role> },
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
    let environment = ws.environment.clone();
    let targets: HashMap<String, Target> = (ws.services.iter())
        .filter_map(|s| {
            let mut target = Target::new(s, environment.as_deref())?;
            // A green colour is deployed as its blue service's.
            let colour = target.deploy.blue_green.as_ref().map(|bg| bg.colour);
            if colour == Some(Colour::Green) {
                return None;
            }
            target.pair = colour.and_then(|_| pair(ws, s, &target.deploy, &unfinished, &hub));
            Some((s.name.clone(), target))
        })
        .collect();
    let polled: Vec<(String, crate::config::Deploy)> = (targets.values())
        .filter(|t| t.deploy.poll.is_some())
        .map(|t| (t.service.name.clone(), t.deploy.clone()))
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
        .filter(|d| d.state != DeployState::Skipped)
        .filter(|d| seen.insert(d.service.clone()))
    {
        hub.publish(Event::Deploy(Box::new(deploy)));
    }
    let (requests, rx) = mpsc::channel(16);
    let mut worker = Worker {
        pipeline,
        targets,
        busy: HashMap::new(),
        waiting: HashMap::new(),
        done: mpsc::unbounded_channel(),
    };
    let events = hub.subscribe().1;
    let deploys = Deploys { requests, db };
    let polling = deploys.clone();
    tokio::spawn(async move {
        // The refs as they are now are the baseline: requests are served once it is
        // taken, so a commit made after `uc deploy` answered is one a poll sees.
        for (service, deploy) in polled {
            let seen = tokio::time::timeout(BASELINE_LIMIT, trigger::refs(&deploy)).await;
            let seen = seen.ok().and_then(Result::ok);
            tokio::spawn(trigger::poll(polling.clone(), service, deploy, seen));
        }
        worker.resume(unfinished);
        worker.serve(rx, events).await;
    });
    Ok(deploys)
}

/// How long the engine waits at start for a polled repository's refs.
const BASELINE_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

struct Worker {
    pipeline: Pipeline,
    targets: HashMap<String, Target>,
    /// Service → the id of its deploy running now: one at a time per service.
    busy: HashMap<String, u64>,
    /// Service → where the approval of its running deploy is sent.
    waiting: HashMap<String, oneshot::Sender<Approval>>,
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
                    self.waiting.remove(&service);
                }
                event = events.recv() => match event {
                    Ok(Event::GitPush(push)) => self.pushed(&push),
                    Ok(Event::Shutdown) | Err(broadcast::error::RecvError::Closed) => return,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                },
            }
        }
    }

    /// A push to a deploy's repository is routed by its rules (without rules: the
    /// deploy's branch deploys the pushed commit).
    fn pushed(&mut self, push: &GitPush) {
        let environment = self.environment();
        let environment = environment.as_deref();
        let services: Vec<String> = (self.targets.values())
            .filter(|t| trigger::route(&t.deploy, environment, &push.git_ref) != Route::Ignore)
            .filter(|t| {
                let repo = t.deploy.repo.trim_end_matches('/').trim_end_matches(".git");
                !push.repository.is_empty() && repo.ends_with(push.repository.as_str())
            })
            .map(|t| t.service.name.clone())
            .collect();
        for service in services {
            let request = DeployRequest {
                service: service.clone(),
                ask: Ask::Push {
                    git_ref: push.git_ref.clone(),
                    commit: push.after.clone(),
                    trigger: "push".to_owned(),
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

    /// This host's environment now (`uc env switch` changes it while the engine runs):
    /// what rules and pipeline stages are compared with.
    fn environment(&self) -> Option<String> {
        self.pipeline.hub.snapshot().environment.clone()
    }

    /// The service's target, with the pipeline stage of the environment active now.
    fn target(&self, service: &str) -> Result<Target, CommandError> {
        let target = (self.targets.get(service)).and_then(|t| {
            let target = Target::new(&t.service, self.environment().as_deref())?;
            Some(Target {
                pair: t.pair.clone(),
                ..target
            })
        });
        let Some(target) = target else {
            let names = self.targets.keys().map(String::as_str);
            let hint = crate::config::suggest(service, names).map_or(
                "only services with `deploy:` are deployed".to_owned(),
                |s| format!("did you mean `{s}`?"),
            );
            let message = format!("`{service}` has no `deploy:`");
            return Err(CommandError::field("service", message).with_hint(hint));
        };
        Ok(target)
    }

    fn start(&mut self, request: DeployRequest, trigger: &str) -> Result<Deployment, CommandError> {
        let target = self.target(&request.service)?;
        if target.deploy.blue_green.is_some() && target.pair.is_none() {
            let message = format!("the proxy of {} did not start", request.service);
            let hint = "see the engine's notices; `uc restart` the engine once the port is free";
            return Err(CommandError::field("service", message).with_hint(hint));
        }
        let (git_ref, trigger) = match &request.ask {
            Ask::Decide { approve, role } => {
                return self.decide(&target, &request, *approve, *role);
            }
            Ask::Push {
                git_ref,
                commit,
                trigger,
            } => match trigger::route(&target.deploy, self.environment().as_deref(), git_ref) {
                Route::Deploy => (Some(commit.clone()), trigger.as_str()),
                Route::Skip(reason) => {
                    let pushed = (git_ref.as_str(), commit.as_str());
                    return Ok(self.skip(&request, trigger, pushed, reason));
                }
                Route::Ignore => {
                    let branch = &target.deploy.branch;
                    let message = format!("{git_ref} is not the deploy's branch `{branch}`");
                    return Err(CommandError::field("ref", message));
                }
            },
            Ask::Deploy { git_ref } => (git_ref.clone(), trigger),
            Ask::Rollback { .. } => (None, trigger),
        };
        if let Some(id) = self.busy.get(&request.service) {
            let message = format!("deploy {id} of {} is still running", request.service);
            return Err(CommandError::field("service", message));
        }
        let releases = target.releases();
        let (trigger, git_ref, release) = match request.ask {
            Ask::Deploy { .. } | Ask::Push { .. } | Ask::Decide { .. } => {
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
            approval: None,
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
        // A rollback goes back to what served: only a new release waits for an approval.
        let approver = (target.approve.clone())
            .filter(|_| release.is_none())
            .map(|role| {
                let (tx, decision) = oneshot::channel();
                self.waiting.insert(service.clone(), tx);
                Approver { role, decision }
            });
        tokio::spawn(async move {
            match release {
                Some(release) => pipeline.go_live(&target, deploy, &release).await,
                None => pipeline.deploy(&target, deploy, approver).await,
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
