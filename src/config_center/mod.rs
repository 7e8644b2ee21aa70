//! The configuration center: which environment runs, the revision history, and edits of the
//! files made while the engine runs. Every change of the running config — a switch, an
//! applied edit, a revert — takes one path: load and validate, hand the workspace to the
//! supervisor (which touches only the services that changed), record a revision, publish.
//! A config that does not load never replaces the running one.

pub mod plan;
mod watch;

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::clock::now_ms;
use crate::config::ConfigError;
use crate::config::Effective;
use crate::config::Source;
use crate::paths::Paths;
use crate::protocol::{
    Command, CommandError, ConfigDiff, ConfigPlan, ConfigRender, ConfigStatus, EnvironmentInfo,
    Event, Hub, NoticeLevel, Reply, Revision, RevisionText,
};
use crate::store::{NewRevision, Revisions};
use crate::supervisor::apply::{Applied, ApplyRequest};
use watch::Watch;

type Answer<T> = oneshot::Sender<Result<T, CommandError>>;

/// What the HTTP API asks of the configuration center.
pub enum ConfigRequest {
    Command(Command, Answer<Reply>),
    Plan(PlanTarget, Answer<ConfigPlan>),
    History(usize, Answer<Vec<Revision>>),
    Revision(u64, Answer<RevisionText>),
    Diff(u64, Option<u64>, Answer<ConfigDiff>),
    /// The effective config of an environment (the running one when `None`).
    Render(Option<String>, Answer<ConfigRender>),
    /// New text for the workspace file: checked, written and applied, or refused with
    /// every problem while the running config stays as it is.
    Replace {
        text: String,
        by: String,
        reply: Answer<Reply>,
    },
}

/// What a plan is computed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanTarget {
    Environment(String),
    Revision(u64),
    /// The edit waiting in `config.pending`.
    Pending,
}

/// Edits come in bursts (an editor writes, renames, touches); one reload per burst.
const SETTLE: Duration = Duration::from_millis(250);

pub struct ConfigCenter {
    /// Every config hash shown or stored is salted with it (see [`ConfigCenter::admit`]).
    salt: Vec<u8>,
    source: Source,
    paths: Paths,
    hub: Hub,
    applier: mpsc::UnboundedSender<ApplyRequest>,
    store: Option<Revisions>,
    current: Effective,
    revision: Option<u64>,
    pending: Option<Effective>,
    errors: Vec<String>,
}

impl ConfigCenter {
    /// Records the running config as a revision (unless it is the last one recorded) and
    /// serves requests until the sender side closes.
    pub fn spawn(
        source: Source,
        current: Effective,
        paths: Paths,
        hub: Hub,
        applier: mpsc::UnboundedSender<ApplyRequest>,
    ) -> mpsc::Sender<ConfigRequest> {
        let store = match Revisions::open(paths.config_db()) {
            Ok(store) => Some(store),
            Err(e) => {
                hub.notice(
                    NoticeLevel::Error,
                    None,
                    format!("config history is not kept: {e}"),
                );
                None
            }
        };
        let salt = store
            .as_ref()
            .and_then(|s| s.salt().ok())
            .unwrap_or_else(random_salt);
        let mut current = current;
        current.hash = salted(&salt, &current.hash);
        let mut center = Self {
            salt,
            source,
            paths,
            hub,
            applier,
            store,
            current,
            revision: None,
            pending: None,
            errors: Vec::new(),
        };
        center.record_start();
        center.publish();
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(center.run(rx));
        tx
    }

    async fn run(mut self, mut requests: mpsc::Receiver<ConfigRequest>) {
        let (edit_tx, mut edits) = mpsc::unbounded_channel();
        let mut watch = Watch::new(edit_tx);
        watch.set(&self.current.inputs);
        loop {
            tokio::select! {
                request = requests.recv() => {
                    let Some(request) = request else { return };
                    self.serve(request).await;
                    watch.set(&self.current.inputs);
                }
                Some(()) = edits.recv() => {
                    tokio::time::sleep(SETTLE).await;
                    while edits.try_recv().is_ok() {}
                    self.reload();
                }
            }
        }
    }

    async fn serve(&mut self, request: ConfigRequest) {
        match request {
            ConfigRequest::Command(command, reply) => {
                let _ = reply.send(self.command(command).await);
            }
            ConfigRequest::Plan(target, reply) => {
                let _ = reply.send(self.plan(&target));
            }
            ConfigRequest::History(limit, reply) => {
                let _ = reply.send(self.with_store(|s| s.list(limit)));
            }
            ConfigRequest::Revision(id, reply) => {
                let _ = reply.send(self.revision_text(id));
            }
            ConfigRequest::Diff(from, to, reply) => {
                let _ = reply.send(self.diff(from, to));
            }
            ConfigRequest::Render(environment, reply) => {
                let _ = reply.send(self.render(environment.as_deref()));
            }
            ConfigRequest::Replace { text, by, reply } => {
                let _ = reply.send(self.replace(&text, &by).await);
            }
        }
    }

    async fn command(&mut self, command: Command) -> Result<Reply, CommandError> {
        let (next, by, reason) = match command {
            Command::UseEnvironment { environment, by } => {
                let next = self.load_environment(&environment)?;
                (next, by, "switch".to_owned())
            }
            Command::ApplyConfig { hash, by } => {
                let pending = self
                    .pending
                    .take_if(|p| hash.as_ref().is_none_or(|h| *h == p.hash));
                let Some(next) = pending else {
                    return Err(CommandError::field(
                        "hash",
                        "no such edit is pending (the files changed again, or it was applied)",
                    ));
                };
                (next, by, "edit".to_owned())
            }
            Command::RevertConfig { revision, by } => {
                let next = self.load_revision(revision)?;
                (next, by, format!("revert {revision}"))
            }
            _ => {
                return Err(CommandError::field("command", "not a config command"));
            }
        };
        let applied = self.apply(next, &by, &reason).await?;
        Ok(reply(self.current.environment(), &applied, self.hub.seq()))
    }

    fn render(&self, environment: Option<&str>) -> Result<ConfigRender, CommandError> {
        let loaded;
        let effective = match environment {
            None => &self.current,
            Some(name) => {
                loaded = self.load_environment(name)?;
                &loaded
            }
        };
        Ok(ConfigRender {
            environment: effective.environment().map(str::to_owned),
            text: effective.text.clone(),
        })
    }

    async fn replace(&mut self, text: &str, by: &str) -> Result<Reply, CommandError> {
        let Source::File(path) = &self.source else {
            return Err(
                CommandError::field("body", "the demo workspace has no file to replace")
                    .with_hint("start the engine on a workspace file (`uc -f univers.yaml`)"),
            );
        };
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        if let Err(e) = crate::config::load_str(text, path, dir) {
            return Err(CommandError::field("body", "the new config does not load")
                .with_hint(problems(&e).join("\n")));
        }
        crate::paths::write_private(path, text.as_bytes())
            .map_err(|e| CommandError::new(format!("cannot write {}: {e}", path.display())))?;
        self.reload();
        let Some(next) = self.pending.take() else {
            return match self.errors.first() {
                Some(first) => Err(CommandError::field("body", first.clone())),
                None => Ok(Reply {
                    message: "the config is unchanged".into(),
                    services: Vec::new(),
                    seq: self.hub.seq(),
                }),
            };
        };
        let applied = self.apply(next, by, "edit").await?;
        Ok(reply(self.current.environment(), &applied, self.hub.seq()))
    }

    fn load_environment(&self, name: &str) -> Result<Effective, CommandError> {
        let declared = &self.current.workspace.environments;
        if !declared.iter().any(|e| e.name == name) {
            let hint = crate::config::suggest(name, declared.iter().map(|e| e.name.as_str()))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            let message = if declared.is_empty() {
                "this workspace declares no environments".to_owned()
            } else {
                format!("unknown environment `{name}`{hint}")
            };
            return Err(CommandError::field("environment", message));
        }
        let next = self
            .source
            .load_effective(Some(name))
            .map_err(|e| does_not_load("environment", &format!("the {name} config"), &e))?;
        self.admit(next)
    }

    fn load_revision(&self, id: u64) -> Result<Effective, CommandError> {
        let stored = self.revision_text(id)?;
        let next = self
            .source
            .load_revision(&stored.text, stored.revision.environment.as_deref())
            .map_err(|e| does_not_load("revision", &format!("revision {id}"), &e))?;
        self.admit(next)
    }

    fn plan(&self, target: &PlanTarget) -> Result<ConfigPlan, CommandError> {
        let next = match target {
            PlanTarget::Environment(env) => self.load_environment(env)?,
            PlanTarget::Revision(id) => self.load_revision(*id)?,
            PlanTarget::Pending => self
                .pending
                .clone()
                .ok_or_else(|| CommandError::new("no edit is pending"))?,
        };
        Ok(plan::plan(&self.current, &next, &self.hub.snapshot()))
    }

    /// Hands `next` to the supervisor and makes it the running config.
    async fn apply(
        &mut self,
        next: Effective,
        by: &str,
        reason: &str,
    ) -> Result<Applied, CommandError> {
        let (tx, rx) = oneshot::channel();
        let request = ApplyRequest {
            workspace: next.workspace.clone(),
            reply: tx,
        };
        let gone = || CommandError::new("the engine is shutting down");
        self.applier.send(request).map_err(|_| gone())?;
        let applied = rx.await.map_err(|_| gone())?;
        self.current = next;
        self.pending = None;
        self.errors.clear();
        self.record(by, reason);
        self.hub.mark_change(now_ms());
        self.remember_environment();
        // A revert leaves the files as they are: what they say now is offered again.
        self.reload();
        let env = self.current.environment().unwrap_or("the config");
        self.hub.notice(
            NoticeLevel::Info,
            None,
            format!("{by} applied {env} ({reason}): {}", summary(&applied)),
        );
        Ok(applied)
    }

    /// The files changed: offer the new config, or say why it cannot be.
    fn reload(&mut self) {
        let loaded = self
            .source
            .load_effective(self.current.environment())
            .map_err(|e| problems(&e))
            .and_then(|next| self.admit(next).map_err(|e| vec![e.message]));
        match loaded {
            Ok(next) if next.hash == self.current.hash => {
                self.pending = None;
                self.errors.clear();
            }
            Ok(next) => {
                self.pending = Some(next);
                self.errors.clear();
            }
            Err(errors) => {
                self.pending = None;
                self.errors = errors;
            }
        }
        self.publish();
    }

    /// A config loaded to run: its hash salted (it covers the secrets' values, and is
    /// shown and stored), and refused when it renames the workspace, whose name keys its
    /// tmux server, state and processes.
    fn admit(&self, mut next: Effective) -> Result<Effective, CommandError> {
        next.hash = salted(&self.salt, &next.hash);
        let (running, named) = (&self.current.workspace.name, &next.workspace.name);
        if running == named {
            return Ok(next);
        }
        Err(CommandError::field(
            "workspace",
            format!(
                "the config renames the workspace `{running}` to `{named}`: stop it with \
                 `uc down`, then start it again"
            ),
        ))
    }

    fn record_start(&mut self) {
        let latest = self.with_store(|s| s.latest()).ok().flatten();
        match latest {
            Some(last) if last.revision.hash == self.current.hash => {
                self.revision = Some(last.revision.id);
            }
            _ => self.record("engine", "start"),
        }
        // The first revision ever changed nothing: there was no config before it.
        if let Ok([latest, _, ..]) = self.with_store(|s| s.list(2)).as_deref() {
            self.hub.mark_change(latest.at);
        }
    }

    fn record(&mut self, author: &str, reason: &str) {
        let new = NewRevision {
            at: now_ms(),
            environment: self.current.environment(),
            author,
            reason,
            hash: &self.current.hash,
            text: &self.current.text,
        };
        match self.store.as_ref().map(|s| s.record(&new)) {
            Some(Ok(id)) => self.revision = Some(id),
            Some(Err(e)) => {
                self.hub
                    .notice(NoticeLevel::Error, None, format!("revision not kept: {e}"));
                self.revision = None;
            }
            None => self.revision = None,
        }
    }

    fn remember_environment(&self) {
        let file = self.paths.environment_file();
        let result = match self.current.environment() {
            Some(env) => crate::paths::write_private(&file, env.as_bytes()),
            None => std::fs::remove_file(&file).or(Ok(())),
        };
        if let Err(e) = result {
            tracing::warn!("cannot remember the environment in {}: {e}", file.display());
        }
    }

    fn publish(&self) {
        let ws = &self.current.workspace;
        self.hub.publish(Event::Config {
            environment: ws.environment.clone(),
            config: ConfigStatus {
                environments: ws
                    .environments
                    .iter()
                    .map(|e| EnvironmentInfo {
                        name: e.name.clone(),
                        theme: e.theme.clone(),
                        confirm: e.confirm,
                    })
                    .collect(),
                revision: self.revision,
                hash: Some(self.current.hash.clone()),
                pending: self
                    .pending
                    .as_ref()
                    .map(|p| plan::plan(&self.current, p, &self.hub.snapshot())),
                errors: self.errors.clone(),
            },
        });
    }

    fn with_store<T>(
        &self,
        read: impl FnOnce(&Revisions) -> Result<T, crate::store::StoreError>,
    ) -> Result<T, CommandError> {
        let store = self
            .store
            .as_ref()
            .ok_or_else(|| CommandError::new("config history is not kept (see the notices)"))?;
        read(store).map_err(|e| CommandError::new(e.to_string()))
    }

    fn revision_text(&self, id: u64) -> Result<RevisionText, CommandError> {
        self.with_store(|s| s.get(id))?
            .ok_or_else(|| CommandError::field("revision", format!("unknown revision {id}")))
    }

    fn diff(&self, from: u64, to: Option<u64>) -> Result<ConfigDiff, CommandError> {
        let old = self.revision_text(from)?;
        let (to, new_text, new_label) = match to {
            Some(id) => {
                let new = self.revision_text(id)?;
                (id, new.text, revision_label(&new.revision))
            }
            None => (
                self.revision.unwrap_or(0),
                self.current.text.clone(),
                "running".to_owned(),
            ),
        };
        let diff = plan::unified(
            &old.text,
            &new_text,
            &revision_label(&old.revision),
            &new_label,
        );
        Ok(ConfigDiff { from, to, diff })
    }
}

fn salted(salt: &[u8], hash: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    digest.update(salt);
    digest.update(hash.as_bytes());
    hex::encode(digest.finalize())
}

/// For an engine whose `config.db` cannot be opened: hashes then hold for its lifetime.
fn random_salt() -> Vec<u8> {
    use std::io::Read;
    let mut salt = vec![0; 32];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut salt));
    if read.is_err() {
        salt.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    salt
}

fn revision_label(r: &Revision) -> String {
    match &r.environment {
        Some(env) => format!("revision {} ({env})", r.id),
        None => format!("revision {}", r.id),
    }
}

fn problems(e: &ConfigError) -> Vec<String> {
    match e.problems() {
        [] => vec![e.to_string()],
        problems => problems.iter().map(ToString::to_string).collect(),
    }
}

fn does_not_load(field: &str, what: &str, e: &ConfigError) -> CommandError {
    let all = problems(e);
    let more = match all.len() {
        0 | 1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    let first = all.first().cloned().unwrap_or_default();
    CommandError::field(field, format!("{what} does not load: {first}{more}"))
}

fn summary(applied: &Applied) -> String {
    let mut parts = Vec::new();
    for (verb, names) in [
        ("restarted", &applied.restarted),
        ("started", &applied.started),
        ("stopped", &applied.stopped),
        ("updated", &applied.updated),
    ] {
        if !names.is_empty() {
            parts.push(format!("{verb} {}", names.join(", ")));
        }
    }
    if parts.is_empty() {
        "no service changed".to_owned()
    } else {
        parts.join("; ")
    }
}

fn reply(environment: Option<&str>, applied: &Applied, seq: u64) -> Reply {
    let env = environment.map_or_else(String::new, |e| format!("{e}: "));
    Reply {
        message: format!("{env}{}", summary(applied)),
        services: applied.starting().cloned().collect(),
        seq,
    }
}
