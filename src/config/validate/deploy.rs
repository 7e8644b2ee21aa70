//! A service's `deploy:`: the repository and branch, the build command, how many releases
//! are kept, the gate (the readiness probe or a check of its own), the soak and the
//! strategy.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_saphyr::Spanned;

use super::super::schema::{
    DeploySpec, EnvironmentsSpec, GateSpec, PipelineStageSpec, ProbeSpec, RuleSpec,
};
use super::super::values;
use super::super::{Check, Deploy, DeployRule, Gate, PipelineStage, Probe, Strategy};
use super::Checker;

const DEFAULT_BRANCH: &str = "main";
const DEFAULT_KEEP: u32 = 5;
const DEFAULT_PASSES: u32 = 3;
const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Polling more often than this only loads the git server.
const MIN_POLL: Duration = Duration::from_secs(5);
/// The roles whose approval a stage may ask for: the ones that may deploy.
const APPROVERS: [&str; 2] = ["deployer", "admin"];
const STRATEGIES: &str = "write `strategy: restart` or `strategy: blue-green`";

impl Checker<'_> {
    /// `readiness` is the service's own probe, the gate's check unless it names one.
    pub(super) fn deploy(
        &mut self,
        service: &str,
        spec: &Spanned<DeploySpec>,
        readiness: Option<&Check>,
        dir: &Path,
    ) -> Option<Deploy> {
        let given = &spec.value;
        let repo = self.repo(&given.repo, dir);
        let branch = given
            .branch
            .as_ref()
            .map_or(DEFAULT_BRANCH.to_owned(), |b| {
                if let Err(rejected) = values::git_ref(&b.value) {
                    self.reject(&b.referenced, rejected);
                }
                b.value.clone()
            });
        if let Some(build) = given.build.as_ref().filter(|b| b.value.trim().is_empty()) {
            self.report(&build.referenced, "`build` is empty", None);
        }
        let keep = given.keep.as_ref().map_or(DEFAULT_KEEP, |k| {
            if k.value < 2 {
                let hint = Some("the current release and the previous one are kept".to_owned());
                self.report(&k.referenced, "`keep` must be at least 2", hint);
            }
            k.value.max(2)
        });
        let strategy = self.strategy(given.strategy.as_ref());
        let blue_green = self.blue_green(strategy, spec);
        let gate = self.gate(given.gate.as_ref(), readiness);
        let soak = self.parse(given.soak.as_ref(), values::duration, Duration::ZERO);
        let poll = self.poll(given.poll.as_ref());
        let rules = (given.rules.iter()).filter_map(|r| self.rule(r)).collect();
        let pipeline = (given.pipeline.iter())
            .map(|s| self.stage(s, readiness))
            .collect::<Option<Vec<_>>>();
        let dir = self.deploys_dir(service, spec)?;
        Some(Deploy {
            repo: repo?,
            branch,
            build: given.build.as_ref().map(|b| b.value.clone()),
            keep,
            gate: gate?,
            soak,
            strategy: strategy?,
            dir,
            blue_green: blue_green?,
            poll,
            rules,
            pipeline: pipeline?,
        })
    }

    fn poll(&mut self, poll: Option<&Spanned<String>>) -> Option<Duration> {
        let every = self.parse(poll, values::duration, MIN_POLL);
        let poll = poll?;
        if every < MIN_POLL {
            let hint = Some("a hook (`uc deploy hook install`) reacts at once".to_owned());
            self.report(&poll.referenced, "`poll` must be at least 5s", hint);
        }
        Some(every.max(MIN_POLL))
    }

    /// `branch:` or `tag:` (one of them) and a declared environment.
    fn rule(&mut self, rule: &Spanned<RuleSpec>) -> Option<DeployRule> {
        let given = &rule.value;
        let environment = self.environment(&given.environment);
        let pattern = match (&given.branch, &given.tag) {
            (Some(branch), None) => self.pattern(branch, "refs/heads/"),
            (None, Some(tag)) => self.pattern(tag, "refs/tags/"),
            _ => {
                let hint = Some("e.g. `{ branch: main, environment: staging }`".to_owned());
                self.report(&rule.referenced, "a rule names a `branch` or a `tag`", hint);
                None
            }
        };
        Some(DeployRule {
            pattern: pattern?,
            environment: environment?,
        })
    }

    fn pattern(&mut self, given: &Spanned<String>, prefix: &str) -> Option<String> {
        // `*` stands for any text: checked as a ref with each `*` one letter.
        if let Err(rejected) = values::git_ref(&given.value.replace('*', "x")) {
            self.reject(&given.referenced, rejected);
            return None;
        }
        Some(format!("{prefix}{}", given.value))
    }

    fn stage(
        &mut self,
        stage: &Spanned<PipelineStageSpec>,
        readiness: Option<&Check>,
    ) -> Option<PipelineStage> {
        let given = &stage.value;
        let environment = self.environment(&given.environment);
        let approve = match &given.approve {
            Some(role) if !APPROVERS.contains(&role.value.as_str()) => {
                let message = format!(
                    "`approve` names a role that cannot deploy: `{}`",
                    role.value
                );
                let hint = Some("write `approve: deployer` or `approve: admin`".to_owned());
                self.report(&role.referenced, message, hint);
                None
            }
            role => Some(role.as_ref().map(|r| r.value.clone())),
        };
        let gate = match &given.gate {
            Some(gate) => Some(self.gate(Some(gate), readiness)?),
            None => None,
        };
        Some(PipelineStage {
            environment: environment?,
            approve: approve?,
            gate,
        })
    }

    fn environment(&mut self, name: &Spanned<String>) -> Option<String> {
        if self.environments.contains(&name.value) {
            return Some(name.value.clone());
        }
        let declared = self.environments.iter().map(String::as_str);
        let hint = super::super::suggest(&name.value, declared).map_or_else(
            || format!("declared: {}", self.environments.join(", ")),
            |s| format!("did you mean `{s}`?"),
        );
        let message = format!("unknown environment `{}`", name.value);
        self.report(&name.referenced, message, Some(hint));
        None
    }

    /// A URL (`scheme://`, `user@host:path`) as written; a path relative to `dir`.
    fn repo(&mut self, repo: &Spanned<String>, dir: &Path) -> Option<String> {
        let text = repo.value.trim();
        if text.is_empty() || text.starts_with('-') {
            let hint = Some("a path to a git repository, or its URL".to_owned());
            self.report(&repo.referenced, format!("invalid repo `{text}`"), hint);
            return None;
        }
        let url =
            text.contains("://") || text.split_once(':').is_some_and(|(h, _)| h.contains('@'));
        if url {
            return Some(text.to_owned());
        }
        Some(
            super::resolve_cwd(dir, Some(Path::new(text)))
                .display()
                .to_string(),
        )
    }

    fn strategy(&mut self, strategy: Option<&Spanned<String>>) -> Option<Strategy> {
        match strategy {
            None => Some(Strategy::Restart),
            Some(s) if s.value == "restart" => Some(Strategy::Restart),
            Some(s) if s.value == "blue-green" => Some(Strategy::BlueGreen),
            Some(s) => {
                let message = format!("unknown deploy strategy `{}`", s.value);
                self.report(&s.referenced, message, Some(STRATEGIES.to_owned()));
                None
            }
        }
    }

    fn gate(
        &mut self,
        spec: Option<&Spanned<GateSpec>>,
        readiness: Option<&Check>,
    ) -> Option<Gate> {
        let given = spec.map(|s| &s.value).cloned().unwrap_or_default();
        let passes = given.passes.as_ref().map_or(DEFAULT_PASSES, |p| {
            if p.value == 0 {
                self.report(&p.referenced, "`passes` must be at least 1", None);
            }
            p.value.max(1)
        });
        let interval = self.positive(given.interval.as_ref(), DEFAULT_INTERVAL);
        let timeout = self.positive(given.timeout.as_ref(), DEFAULT_TIMEOUT);
        let own = given.exec.is_some() || given.tcp.is_some() || given.http.is_some();
        let probe = match spec {
            Some(spec) if own => {
                let probe = ProbeSpec {
                    exec: given.exec.clone(),
                    tcp: given.tcp.clone(),
                    http: given.http.clone(),
                    ..ProbeSpec::default()
                };
                self.probe(&Spanned::new(probe, spec.referenced, spec.defined))?
            }
            // Without a check of its own or a readiness probe, the gate asks that the
            // process stays up.
            _ => readiness.map_or(Probe::Process, |r| r.probe.clone()),
        };
        Some(Gate {
            probe,
            passes,
            interval,
            timeout,
        })
    }

    fn deploys_dir(&mut self, service: &str, spec: &Spanned<DeploySpec>) -> Option<PathBuf> {
        match crate::paths::state_base() {
            Ok(base) => Some(
                crate::paths::Paths::new(&base, self.workspace, String::new()).deploys(service),
            ),
            Err(e) => {
                let message = format!("no state directory for the releases: {e}");
                self.report(&spec.referenced, message, None);
                None
            }
        }
    }
}

/// The names `environments:` declares, as written.
pub(super) fn environment_names(spec: Option<&EnvironmentsSpec>) -> Vec<String> {
    match spec {
        Some(EnvironmentsSpec::Names(names)) => names.clone(),
        Some(EnvironmentsSpec::Settings(map)) => map.keys().cloned().collect(),
        None => Vec::new(),
    }
}
