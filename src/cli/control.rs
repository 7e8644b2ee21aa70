//! `uc up`, `uc down`, `uc restart`: send one command, then follow the event stream until
//! the services got where they were asked to go. Selectors, `--workspace` and `--dry-run`
//! are `batch_cmd`'s.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;

use super::batch_cmd::{self, BatchArgs, Engine};
use super::output::outln;
use super::{CliResult, Failure};
use crate::client::Client;
use crate::config::Source;
use crate::protocol::{Command, Event, ServiceState, ServiceStatus, Snapshot};
use crate::supervisor::batch::Verb;

pub async fn up(
    source: Source,
    names: &[String],
    tags: &[String],
    no_wait: bool,
    timeout: Duration,
    how: &BatchArgs,
) -> CliResult {
    let batch = how.batch(Verb::Start, batch_cmd::targets(names, tags));
    if how.dry_run {
        return batch_cmd::dry_run(source, &batch, false, how.json).await;
    }
    let client = Engine::of(source, &batch)?.connect().await?;
    // No names: the engine's own "all", which leaves a blue-green standby colour alone.
    let command = if batch.targets.is_empty() {
        Command::Start {
            services: Vec::new(),
            tags: Vec::new(),
        }
    } else {
        batch_cmd::command(&client, &batch).await?
    };
    if no_wait {
        let reply = send(&client, &command).await?;
        outln!("{}", reply.message)?;
        return Ok(ExitCode::SUCCESS);
    }
    follow(&client, &command, timeout, |s, _| match s.state {
        ServiceState::Running => Some(Ok(())),
        ServiceState::Exited | ServiceState::Failed => Some(Err(())),
        _ => None,
    })
    .await
}

pub async fn down(source: Source, names: &[String], how: &BatchArgs) -> CliResult {
    let batch = how.batch(Verb::Stop, names.to_vec());
    if how.dry_run {
        return batch_cmd::dry_run(source, &batch, names.is_empty(), how.json).await;
    }
    let launcher = Engine::of(source, &batch)?;
    // Services outlive a crashed engine; only then does stopping them need a new one.
    let engine = Client::new(launcher.paths().socket());
    if engine.snapshot().await.is_err()
        && launcher.paths().shared.is_none()
        && !launcher
            .tmux()
            .has_session(&launcher.paths().tmux_session)
            .await
    {
        outln!(
            "workspace `{}` is not running; nothing to stop",
            launcher.paths().tmux_session
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let client = launcher.connect().await?;
    if names.is_empty() {
        super::links::warn_stranded(&client, names).await;
        let engine = client
            .snapshot()
            .await
            .ok()
            .and_then(|s| crate::procfs::process::read_stat(s.engine.pid))
            .map(|stat| stat.identity());
        let mut events = client.events().await?;
        let reply = send(&client, &Command::Down).await?;
        outln!("{}", reply.message)?;
        // Return only once the engine process and the tmux server are gone, so a script
        // can `uc down && uc up` without racing either.
        while let Some(Ok(event)) = events.next().await {
            if event == Event::Shutdown {
                break;
            }
        }
        let tmux = launcher.tmux();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while (tmux.has_session(&launcher.paths().tmux_session).await
            || engine.is_some_and(crate::procfs::process::is_alive))
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let command = batch_cmd::command(&client, &batch).await?;
    if let Command::Stop { services } = &command {
        super::links::warn_stranded(&client, services).await;
    }
    follow(&client, &command, Duration::from_secs(600), |s, _| {
        (!s.state.is_active()).then_some(Ok(()))
    })
    .await
}

pub async fn restart(source: Source, names: &[String], how: &BatchArgs) -> CliResult {
    let batch = how.batch(Verb::Restart, names.to_vec());
    if how.dry_run {
        return batch_cmd::dry_run(source, &batch, false, how.json).await;
    }
    let client = Engine::of(source, &batch)?.connect().await?;
    let command = batch_cmd::command(&client, &batch).await?;
    follow(&client, &command, Duration::from_secs(600), |s, before| {
        let fresh = before.is_none_or(|b| b.pid != s.pid || b.state != ServiceState::Running);
        match s.state {
            ServiceState::Running if fresh => Some(Ok(())),
            ServiceState::Exited | ServiceState::Failed => Some(Err(())),
            _ => None,
        }
    })
    .await
}

/// Send a command; a refusal is bad input (exit 2).
async fn send(client: &Client, command: &Command) -> Result<crate::protocol::Reply, Failure> {
    client
        .command(command)
        .await
        .map_err(Failure::runtime)?
        .map_err(Failure::input)
}

/// Send `command` and print each affected service's progress until `done` decides every one
/// (`Ok` reached, `Err` failed). `done` also sees the status from before the command.
pub(super) async fn follow(
    client: &Client,
    command: &Command,
    timeout: Duration,
    done: impl Fn(&ServiceStatus, Option<&ServiceStatus>) -> Option<Result<(), ()>>,
) -> CliResult {
    let mut events = client.events().await?;
    let mut snapshot = match events.next().await {
        Some(Ok(Event::Snapshot(s))) => *s,
        _ => return Err(Failure::runtime(anyhow!("the engine sent no snapshot"))),
    };
    let before: BTreeMap<String, ServiceStatus> = snapshot
        .services
        .iter()
        .map(|s| (s.name.clone(), s.clone()))
        .collect();
    let reply = send(client, command).await?;
    outln!("{}", reply.message)?;
    let mut pending: Vec<String> = reply.services.clone();
    let mut failed = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last_line: BTreeMap<String, String> = BTreeMap::new();
    while !pending.is_empty() {
        if snapshot.seq < reply.seq {
            // The command's own effects are still on their way.
        } else {
            settle(
                &snapshot,
                &mut pending,
                &mut failed,
                &before,
                &done,
                &mut last_line,
            )?;
            if pending.is_empty() {
                break;
            }
        }
        let next = tokio::time::timeout_at(deadline, events.next()).await;
        match next {
            Ok(Some(Ok(Event::Shutdown))) | Ok(None) => break,
            Ok(Some(Ok(event))) => snapshot.apply(&event),
            Ok(Some(Err(e))) => return Err(Failure::runtime(e)),
            Err(_) => {
                return Err(Failure::runtime(anyhow!(
                    "timed out after {}; still waiting for {}",
                    crate::config::duration::format(timeout),
                    pending.join(", ")
                )));
            }
        }
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure::runtime(anyhow!("failed: {}", failed.join(", "))))
    }
}

/// Print state changes and move decided services out of `pending`.
fn settle(
    snapshot: &Snapshot,
    pending: &mut Vec<String>,
    failed: &mut Vec<String>,
    before: &BTreeMap<String, ServiceStatus>,
    done: &impl Fn(&ServiceStatus, Option<&ServiceStatus>) -> Option<Result<(), ()>>,
    last_line: &mut BTreeMap<String, String>,
) -> Result<(), Failure> {
    let mut still = Vec::with_capacity(pending.len());
    for name in pending.drain(..) {
        let Some(status) = snapshot.service(&name) else {
            continue;
        };
        let line = describe(status);
        if last_line.get(&name) != Some(&line) {
            outln!("  {name}: {line}")?;
            last_line.insert(name.clone(), line);
        }
        match done(status, before.get(&name)) {
            Some(Ok(())) => {}
            Some(Err(())) => failed.push(name),
            None => still.push(name),
        }
    }
    *pending = still;
    Ok(())
}

/// One line about a service: `running (pid 123)`, `exited with code 1`, ...
pub fn describe(s: &ServiceStatus) -> String {
    let mut line = s.state.as_str().to_string();
    match (s.state, s.exit_code, &s.signal) {
        (ServiceState::Exited, Some(code), _) => line = format!("exited with code {code}"),
        (ServiceState::Exited, None, Some(sig)) => line = format!("killed by {sig}"),
        _ => {}
    }
    if let Some(pid) = s.pid.filter(|_| s.state == ServiceState::Running) {
        line.push_str(&format!(" (pid {pid})"));
    }
    if let Some(reason) = &s.reason {
        line.push_str(&format!(": {reason}"));
    }
    line
}
