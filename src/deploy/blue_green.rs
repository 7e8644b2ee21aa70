//! `strategy: blue-green`: the new release starts in the colour that does not serve, on
//! its own port, next to the old one; once it passes its gate (and soak) the proxy sends
//! new requests to it, the old colour drains and is stopped. A failure before the proxy
//! moved only stops the new colour: the old one never stopped serving.
//!
//! Crash safety: each record carries the colours (`Deployment.colours`); the proxy moves
//! before the record says so, and a new engine goes by the record — the proxy had moved:
//! the deploy is finished; it had not: rolled back. Either way it points its proxy, the
//! `serving` file and `current` at one colour and stops the other.

use tokio::time::Instant;

use super::gate::Watched;
use super::model::{Colour, Colours, DeployState, Deployment, Stage, StageStatus};
use super::proxy::Proxy;
use super::run::{Pipeline, Target};
use crate::clock::now_ms;
use crate::config::{BlueGreen, Service};
use crate::protocol::Command;

/// A blue-green service's two colours (blue is the service, green `<name>-green`) and the
/// proxy in front of them.
#[derive(Clone)]
pub struct Pair {
    pub config: BlueGreen,
    pub services: [Service; 2],
    pub proxy: Proxy,
}

impl Pair {
    fn service(&self, colour: Colour) -> &Service {
        &self.services[colour.index()]
    }

    fn port(&self, colour: Colour) -> u16 {
        self.config.ports[colour.index()]
    }
}

impl Pipeline {
    /// Start `release` in the colour that does not serve, gate, soak, move the proxy,
    /// drain and stop the old colour; stop the new one on any failure before the move.
    pub(super) async fn go_live_blue_green(
        &self,
        target: &Target,
        pair: &Pair,
        mut deploy: Deployment,
        release: &str,
    ) -> Deployment {
        let old = pair.proxy.serving();
        let new = old.other();
        deploy.colours = Some(Colours {
            release: new,
            serving: old,
        });
        let service = pair.service(new);
        self.begin(&mut deploy, Stage::Switch);
        let mut log = String::new();
        let started = match target.releases().point(new.as_str(), release) {
            Ok(()) => {
                let port = pair.port(new);
                log.push_str(&format!("{} → {release} on port {port}\n", new.as_str()));
                self.restart(service, &mut log).await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = started {
            self.end(&mut deploy, false, &format!("{log}{e}\n"));
            return self.roll_back_colour(target, pair, deploy, e).await;
        }
        self.end(&mut deploy, true, &log);
        if let Err(e) = self.check_colour(&mut deploy, service).await {
            return self.roll_back_colour(target, pair, deploy, e).await;
        }
        self.move_proxy(target, pair, &mut deploy, release).await;
        let keep = usize::try_from(target.deploy.keep).unwrap_or(usize::MAX);
        let previous = deploy.previous.clone().unwrap_or_default();
        target.releases().prune(keep, &[release, &previous]);
        self.finish(deploy, DeployState::Succeeded, None)
    }

    /// The gate and the soak, on the new colour's own port.
    async fn check_colour(&self, deploy: &mut Deployment, service: &Service) -> Result<(), String> {
        let Some(config) = &service.deploy else {
            return Err(format!("{} has no `deploy:`", service.name));
        };
        let gate = &config.gate;
        let watched = Watched {
            hub: &self.hub,
            service,
            secrets: &self.secrets,
        };
        let mut log = String::new();
        self.begin(deploy, Stage::Gate);
        let passed = {
            let mut progress = |log: &str| self.progress(deploy, log);
            (watched.passes(gate, gate.passes, gate.interval, &mut log, &mut progress)).await
        };
        self.end(deploy, passed.is_ok(), &log);
        passed?;
        if !config.soak.is_zero() {
            let mut log = String::new();
            self.begin(deploy, Stage::Soak);
            let soaked = watched.soak(gate, config.soak, &mut log).await;
            let line = soaked
                .as_ref()
                .err()
                .map_or(String::new(), |e| format!("{e}\n"));
            self.end(deploy, soaked.is_ok(), &format!("{log}{line}"));
            soaked?;
        }
        Ok(())
    }

    /// The drain stage: the proxy sends new requests to the new colour, the old one
    /// finishes what it has in flight (up to `drain`) and is stopped.
    async fn move_proxy(
        &self,
        target: &Target,
        pair: &Pair,
        deploy: &mut Deployment,
        release: &str,
    ) {
        let Some(colours) = deploy.colours else {
            return;
        };
        let (old, new) = (colours.serving, colours.release);
        self.begin(deploy, Stage::Drain);
        let mut log = self.serve(target, pair, deploy, new, Some(release));
        let began = Instant::now();
        let left = pair.proxy.drained(old, pair.config.drain).await;
        let ms = began.elapsed().as_millis();
        log.push_str(&match left {
            0 => format!("{} drained in {ms} ms\n", old.as_str()),
            n => format!(
                "{} still had {n} requests in flight after {ms} ms\n",
                old.as_str()
            ),
        });
        let stopped = self.stop(pair.service(old), &mut log).await;
        self.end(deploy, stopped.is_ok(), &log);
    }

    /// Points the proxy, the `serving` file and `current` at `colour` (running `release`),
    /// then records it; answers the log lines.
    fn serve(
        &self,
        target: &Target,
        pair: &Pair,
        deploy: &mut Deployment,
        colour: Colour,
        release: Option<&str>,
    ) -> String {
        let releases = target.releases();
        let moves = pair.proxy.serving() != colour;
        pair.proxy.serve(colour);
        let port = pair.port(colour);
        let mut log = format!(
            "the proxy sends new requests to {} (port {port})\n",
            colour.as_str()
        );
        if let Err(e) = releases.serve(colour) {
            log.push_str(&format!("{e}\n"));
        }
        match release {
            Some(release) => {
                if let Err(e) = releases.switch(release) {
                    log.push_str(&format!("{e}\n"));
                }
            }
            None => releases.clear(),
        }
        if moves {
            self.hub.mark_change(now_ms());
        }
        if let Some(colours) = deploy.colours.as_mut() {
            colours.serving = colour;
        }
        deploy.switched = colours_moved(deploy);
        self.save(deploy);
        log
    }

    async fn stop(&self, service: &Service, log: &mut String) -> Result<(), String> {
        let name = service.name.clone();
        let stopped = self
            .send(Command::Stop {
                services: vec![name],
            })
            .await;
        match &stopped {
            Ok(()) => log.push_str(&format!("{} stopped\n", service.name)),
            Err(e) => log.push_str(&format!("cannot stop {}: {e}\n", service.name)),
        }
        stopped
    }

    /// The old colour serves (it never stopped unless a new engine found the proxy moved
    /// and not recorded); the new colour is stopped.
    pub(super) async fn roll_back_colour(
        &self,
        target: &Target,
        pair: &Pair,
        mut deploy: Deployment,
        cause: String,
    ) -> Deployment {
        let began = Instant::now();
        deploy.cause = Some(cause);
        let new = deploy
            .colours
            .map_or(pair.proxy.serving().other(), |c| c.release);
        let old = new.other();
        self.begin(&mut deploy, Stage::Rollback);
        let previous = deploy.previous.clone();
        let mut log = self.serve(target, pair, &mut deploy, old, previous.as_deref());
        let stopped = self.stop(pair.service(new), &mut log).await;
        let ms = began.elapsed().as_millis();
        match &previous {
            Some(previous) => log.push_str(&format!(
                "{previous} serves again {ms} ms after the failure (in {}, which never stopped)\n",
                old.as_str()
            )),
            None => log.push_str("no previous release: nothing serves\n"),
        }
        self.end(&mut deploy, stopped.is_ok(), &log);
        self.finish(deploy, DeployState::RolledBack, None)
    }

    /// A deploy an engine left running: finished when its record says the proxy had
    /// moved, rolled back otherwise.
    pub(super) async fn recover_colour(
        &self,
        target: &Target,
        pair: &Pair,
        mut deploy: Deployment,
        cause: String,
    ) -> Deployment {
        let moved = deploy.colours.is_some_and(|c| c.serving == c.release);
        for run in (deploy.stages.iter_mut()).filter(|s| s.status == StageStatus::Running) {
            run.status = if moved {
                StageStatus::Passed
            } else {
                StageStatus::Failed
            };
            run.ended_at = Some(now_ms());
        }
        if deploy.colours.is_none() {
            // Cut off in the fetch or the build: no colour was touched.
            let cause = format!("{cause}; the running release was not touched");
            return self.finish(deploy, DeployState::Failed, Some(cause));
        }
        let Some(colours) = deploy.colours.filter(|_| moved) else {
            return self.roll_back_colour(target, pair, deploy, cause).await;
        };
        self.begin(&mut deploy, Stage::Drain);
        let release = deploy.release.clone();
        let mut log = format!("{cause}; the deploy is finished\n");
        log.push_str(&self.serve(
            target,
            pair,
            &mut deploy,
            colours.release,
            release.as_deref(),
        ));
        let old = colours.release.other();
        // What the old colour had in flight ended with the engine that proxied it.
        let stopped = self.stop(pair.service(old), &mut log).await;
        self.end(&mut deploy, stopped.is_ok(), &log);
        self.finish(deploy, DeployState::Succeeded, None)
    }
}

/// `switched` as the restart strategy means it: `current` is the new release's.
fn colours_moved(deploy: &Deployment) -> bool {
    deploy.colours.is_some_and(|c| c.serving == c.release)
}
