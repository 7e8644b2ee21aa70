//! One deploy, stage by stage: fetch → build → switch (and restart) → gate → soak → done.
//! A failure before the switch leaves the running release alone; one after it switches
//! back to the previous release and restarts it. Every stage is saved to `deploys.db`
//! before it runs and published as `Event::Deploy`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::{Instant, timeout};

use super::blue_green::Pair;
use super::gate::Watched;
use super::model::{DeployState, Deployment, Stage, StageRun, StageStatus, tail};
use super::release::Releases;
use crate::clock::now_ms;
use crate::config::{Deploy, Secrets, Service};
use crate::protocol::{Command, CommandRequest, Event, Hub, NoticeLevel, ServiceState};
use crate::store::deploys::DeployLog;

/// How long a restarted service may take to run again, beyond its stop timeout.
const START_LIMIT: Duration = Duration::from_secs(30);

/// How often the rollback looks for the previous release answering again.
const ROLLBACK_PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// What every deploy needs from the engine.
#[derive(Clone)]
pub struct Pipeline {
    pub hub: Hub,
    pub commands: mpsc::Sender<CommandRequest>,
    pub store: Arc<Mutex<DeployLog>>,
    pub secrets: Secrets,
}

/// A service with its `deploy:`, the gate of its pipeline's stage for this host's
/// environment, and the role that stage asks an approval of.
#[derive(Clone)]
pub struct Target {
    pub service: Service,
    pub deploy: Deploy,
    pub approve: Option<String>,
    /// With `strategy: blue-green`: its colours and proxy.
    pub pair: Option<Pair>,
}

impl Target {
    pub fn new(service: &Service, environment: Option<&str>) -> Option<Self> {
        let mut deploy = service.deploy.clone()?;
        let stage = (deploy.pipeline.iter())
            .find(|s| Some(s.environment.as_str()) == environment)
            .cloned();
        if let Some(gate) = stage.as_ref().and_then(|s| s.gate.clone()) {
            deploy.gate = gate;
        }
        Some(Self {
            service: service.clone(),
            deploy,
            approve: stage.and_then(|s| s.approve),
            pair: None,
        })
    }

    pub fn releases(&self) -> Releases {
        Releases::new(&self.deploy.dir)
    }

    pub(super) fn watched<'a>(&'a self, pipeline: &'a Pipeline) -> Watched<'a> {
        Watched {
            hub: &pipeline.hub,
            service: &self.service,
            secrets: &pipeline.secrets,
        }
    }
}

impl Pipeline {
    /// Stores `deploy` (new when its id is 0) and tells the frontends.
    pub fn save(&self, deploy: &mut Deployment) {
        let stored = match self.store.lock() {
            Ok(store) if deploy.id == 0 => store.insert(deploy),
            Ok(store) => store.update(deploy),
            Err(_) => Ok(()),
        };
        if let Err(e) = stored {
            let text = format!("cannot record the deploy of {}: {e}", deploy.service);
            self.hub
                .notice(NoticeLevel::Error, Some(&deploy.service), text);
        }
        self.hub.publish(Event::Deploy(Box::new(deploy.clone())));
    }

    pub(super) fn begin(&self, deploy: &mut Deployment, stage: Stage) {
        deploy.stages.push(StageRun {
            stage,
            status: StageStatus::Running,
            started_at: now_ms(),
            ended_at: None,
            log: String::new(),
        });
        self.save(deploy);
    }

    pub(super) fn end(&self, deploy: &mut Deployment, passed: bool, log: &str) {
        if let Some(stage) = deploy.stages.last_mut() {
            stage.status = if passed {
                StageStatus::Passed
            } else {
                StageStatus::Failed
            };
            stage.ended_at = Some(now_ms());
            stage.log = tail(&self.secrets.redact(log));
        }
        self.save(deploy);
    }

    /// The running stage's log so far, for the frontends only: the store gets it when the
    /// stage ends, so a check every 100 ms does not write the database each time.
    pub(super) fn progress(&self, deploy: &mut Deployment, log: &str) {
        if let Some(stage) = deploy.stages.last_mut() {
            stage.log = tail(&self.secrets.redact(log));
        }
        self.hub.publish(Event::Deploy(Box::new(deploy.clone())));
    }

    pub(super) fn finish(
        &self,
        mut deploy: Deployment,
        state: DeployState,
        cause: Option<String>,
    ) -> Deployment {
        deploy.state = state;
        deploy.cause = cause.or(deploy.cause.take());
        deploy.ended_at = Some(now_ms());
        self.save(&mut deploy);
        deploy
    }

    /// A failure before the switch: the release that served still does.
    pub(super) fn failed(&self, mut deploy: Deployment, log: &str, cause: String) -> Deployment {
        self.end(&mut deploy, false, &format!("{log}{cause}\n"));
        self.finish(deploy, DeployState::Failed, Some(cause))
    }

    /// Fetch, build, wait for an approval when one is asked for, then [`Self::go_live`].
    pub async fn deploy(
        &self,
        target: &Target,
        mut deploy: Deployment,
        approver: Option<super::approve::Approver>,
    ) -> Deployment {
        let releases = target.releases();
        deploy.previous = releases.current();
        let mut log = String::new();
        self.begin(&mut deploy, Stage::Fetch);
        let fetched = releases
            .fetch(&target.deploy.repo, &deploy.git_ref, &mut log)
            .await;
        let sha = match fetched {
            Ok(sha) => sha,
            Err(e) => return self.failed(deploy, &log, e),
        };
        log.push_str(&format!("{} is {sha}\n", deploy.git_ref));
        deploy.commit = Some(sha.clone());
        self.end(&mut deploy, true, &log);

        let mut log = String::new();
        self.begin(&mut deploy, Stage::Build);
        let name = match releases.export(&sha, &mut log).await {
            Ok(name) => name,
            Err(e) => return self.failed(deploy, &log, e),
        };
        deploy.release = Some(name.clone());
        if let Some(build) = &target.deploy.build {
            let env = &target.service.env;
            if let Err(e) = releases.build(&name, build, env, &mut log).await {
                return self.failed(deploy, &log, e);
            }
        }
        self.end(&mut deploy, true, &log);
        if let Some(approver) = approver {
            deploy = match self.approval(deploy, approver).await {
                Ok(deploy) => deploy,
                Err(ended) => return ended,
            };
        }
        self.go_live(target, deploy, &name).await
    }

    /// Switch `current` to `release`, restart, gate, soak; roll back on any failure.
    pub async fn go_live(
        &self,
        target: &Target,
        mut deploy: Deployment,
        release: &str,
    ) -> Deployment {
        if let Some(pair) = &target.pair {
            return self.go_live_blue_green(target, pair, deploy, release).await;
        }
        let releases = target.releases();
        let gate = &target.deploy.gate;
        // Recorded before the switch: an engine killed right after it must find it.
        deploy.switched = true;
        self.begin(&mut deploy, Stage::Switch);
        if let Err(e) = releases.switch(release) {
            deploy.switched = false;
            return self.failed(deploy, "", e);
        }
        self.hub.mark_change(now_ms());
        let mut log = format!("current → {release}\n");
        if let Err(e) = self.restart(&target.service, &mut log).await {
            self.end(&mut deploy, false, &format!("{log}{e}\n"));
            return self.rollback(target, deploy, e).await;
        }
        self.end(&mut deploy, true, &log);

        let mut log = String::new();
        self.begin(&mut deploy, Stage::Gate);
        let watched = target.watched(self);
        let mut progress = |log: &str| self.progress(&mut deploy, log);
        let passed =
            (watched.passes(gate, gate.passes, gate.interval, &mut log, &mut progress)).await;
        if let Err(e) = passed {
            self.end(&mut deploy, false, &log);
            return self.rollback(target, deploy, e).await;
        }
        self.end(&mut deploy, true, &log);

        if !target.deploy.soak.is_zero() {
            let mut log = String::new();
            self.begin(&mut deploy, Stage::Soak);
            if let Err(e) = watched.soak(gate, target.deploy.soak, &mut log).await {
                self.end(&mut deploy, false, &format!("{log}{e}\n"));
                return self.rollback(target, deploy, e).await;
            }
            self.end(&mut deploy, true, &log);
        }
        let keep = usize::try_from(target.deploy.keep).unwrap_or(usize::MAX);
        let previous = deploy.previous.clone().unwrap_or_default();
        releases.prune(keep, &[release, &previous]);
        self.finish(deploy, DeployState::Succeeded, None)
    }

    /// `current` back to the previous release, restarted, and checked once; with no
    /// previous release (a first deploy) the service is stopped.
    pub async fn rollback(
        &self,
        target: &Target,
        mut deploy: Deployment,
        cause: String,
    ) -> Deployment {
        if let Some(pair) = &target.pair {
            return self.roll_back_colour(target, pair, deploy, cause).await;
        }
        let began = Instant::now();
        deploy.cause = Some(cause);
        self.begin(&mut deploy, Stage::Rollback);
        let releases = target.releases();
        let name = &target.service.name;
        let Some(previous) = deploy.previous.clone() else {
            releases.clear();
            let stopped = self
                .send(Command::Stop {
                    services: vec![name.clone()],
                })
                .await;
            deploy.switched = false;
            let log = "no previous release: the service is stopped\n";
            self.end(&mut deploy, stopped.is_ok(), log);
            return self.finish(deploy, DeployState::RolledBack, None);
        };
        let mut log = String::new();
        let back = match releases.switch(&previous) {
            Ok(()) => {
                deploy.switched = false;
                self.save(&mut deploy);
                self.hub.mark_change(now_ms());
                log.push_str(&format!("current → {previous}\n"));
                self.serving_again(target, &mut log).await
            }
            Err(e) => Err(e),
        };
        match back {
            Ok(()) => {
                let ms = began.elapsed().as_millis();
                log.push_str(&format!(
                    "{previous} serves again {ms} ms after the failure\n"
                ));
                self.end(&mut deploy, true, &log);
            }
            Err(e) => self.end(&mut deploy, false, &format!("{log}{e}\n")),
        }
        self.finish(deploy, DeployState::RolledBack, None)
    }

    /// Restart in the release `current` points at, until its check passes once.
    async fn serving_again(&self, target: &Target, log: &mut String) -> Result<(), String> {
        let gate = &target.deploy.gate;
        self.restart(&target.service, log).await?;
        let watched = target.watched(self);
        let mut quiet = |_: &str| {};
        (watched.passes(gate, 1, ROLLBACK_PROBE_INTERVAL, log, &mut quiet)).await
    }

    pub(super) async fn send(&self, command: Command) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send((command, tx))
            .await
            .map_err(|_| "the supervisor is gone".to_owned())?;
        match rx.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the supervisor did not answer".to_owned()),
        }
    }

    /// Restarts the service and waits for a new process to run.
    pub(super) async fn restart(&self, service: &Service, log: &mut String) -> Result<(), String> {
        let name = service.name.as_str();
        let limit = service.stop.timeout + START_LIMIT;
        let (snapshot, mut events) = self.hub.subscribe();
        let before = snapshot.service(name).map(|s| (s.pid, s.started_at));
        self.send(Command::Restart {
            services: vec![name.to_owned()],
        })
        .await?;
        let began = Instant::now();
        let fresh = |s: &crate::protocol::ServiceStatus| {
            s.state == ServiceState::Running
                && s.pid.is_some()
                && Some((s.pid, s.started_at)) != before
        };
        let wait = async {
            loop {
                match events.recv().await {
                    Ok(Event::Service(s)) if s.name == name && fresh(&s) => return Ok(s.pid),
                    Ok(Event::Service(s)) if s.name == name && s.state == ServiceState::Failed => {
                        let why = s.reason.unwrap_or_default();
                        return Err(format!("the service could not start: {why}"));
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let now = self.hub.snapshot();
                        if let Some(s) = now.service(name).filter(|s| fresh(s)) {
                            return Ok(s.pid);
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        return Err("the engine is stopping".to_owned());
                    }
                }
            }
        };
        let pid = timeout(limit, wait).await.map_err(|_| {
            format!(
                "the service did not start within {}",
                humantime::format_duration(limit)
            )
        })??;
        let ms = began.elapsed().as_millis();
        log.push_str(&format!(
            "restarted (pid {}) in {ms} ms\n",
            pid.unwrap_or_default()
        ));
        Ok(())
    }
}
