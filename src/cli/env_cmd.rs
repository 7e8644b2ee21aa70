//! `uc env`, `uc env use NAME`, and the revision half of `uc config`: `history`, `diff`,
//! `revert`. All go through the engine, which owns the running config.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use clap::Subcommand;

use super::control::follow;
use super::output::{out, outln};
use super::{CliResult, Failure, launcher, paths, running, user};
use crate::client::Client;
use crate::config::Source;
use crate::protocol::{ChangeKind, Command, ConfigPlan, ServiceState};

#[derive(Debug, Clone, Subcommand)]
pub enum EnvCmd {
    /// Switch to another environment: only services whose definition changes restart
    Use {
        name: String,
        /// Show what would change without switching
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (an environment with `confirm` asks for its name)
        #[arg(long, short = 'y')]
        yes: bool,
        /// How long to wait for the restarted services to run
        #[arg(long, default_value = "60s", value_parser = super::duration_arg, allow_hyphen_values = true)]
        timeout: Duration,
    },
}

/// How a revert or an applied edit is confirmed and waited for.
#[derive(Debug, Clone, Copy)]
pub struct Apply {
    pub dry_run: bool,
    pub yes: bool,
    pub timeout: Duration,
}

/// The engine's client: started when the command acts, only found when it reads (a
/// `--dry-run` reads).
async fn client(source: Source, acts: bool) -> Result<Client, Failure> {
    if !acts {
        return running(&source, paths(&source)?).await;
    }
    let paths = paths(&source)?;
    Ok(launcher(source, paths)?.connect().await?)
}

/// `uc env`: the environments, the active one marked.
pub async fn list(source: Source, json: bool) -> CliResult {
    let snapshot = client(source, false).await?.snapshot().await?;
    let config = &snapshot.config;
    if json {
        let body = serde_json::json!({
            "environment": snapshot.environment,
            "environments": config.environments,
            "revision": config.revision,
        });
        outln!("{body:#}")?;
        return Ok(ExitCode::SUCCESS);
    }
    if config.environments.is_empty() {
        outln!("this workspace declares no environments (see `environments:` in the README)")?;
        return Ok(ExitCode::SUCCESS);
    }
    for env in &config.environments {
        let active = snapshot.environment.as_deref() == Some(env.name.as_str());
        let mut line = format!("{} {}", if active { "*" } else { " " }, env.name);
        if let Some(theme) = &env.theme {
            line.push_str(&format!("  theme {theme}"));
        }
        if env.confirm {
            line.push_str("  (asks for its name)");
        }
        outln!("{line}")?;
    }
    if let Some(rev) = config.revision {
        outln!("revision {rev}")?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run(source: Source, command: EnvCmd) -> CliResult {
    let EnvCmd::Use {
        name,
        dry_run,
        yes,
        timeout,
    } = command;
    let client = client(source, !dry_run).await?;
    let plan = client.config_plan(Some(&name)).await?;
    print_plan(&plan)?;
    if dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    confirm(&plan, yes, &name)?;
    apply(
        &client,
        &Command::UseEnvironment {
            environment: name,
            by: user(),
        },
        timeout,
    )
    .await
}

pub async fn revert(source: Source, revision: u64, how: Apply) -> CliResult {
    let client = client(source, !how.dry_run).await?;
    let plan = client.revert_plan(revision).await?;
    let command = Command::RevertConfig {
        revision,
        by: user(),
    };
    confirm_and_apply(&client, &plan, &command, how).await
}

/// `uc config apply`: the edit of the files the engine noticed.
pub async fn apply_edit(source: Source, how: Apply) -> CliResult {
    let client = client(source, !how.dry_run).await?;
    let plan = client.config_plan(None).await?;
    let command = Command::ApplyConfig {
        hash: Some(plan.hash.clone()),
        by: user(),
    };
    confirm_and_apply(&client, &plan, &command, how).await
}

async fn confirm_and_apply(
    client: &Client,
    plan: &ConfigPlan,
    command: &Command,
    how: Apply,
) -> CliResult {
    print_plan(plan)?;
    if how.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let target = plan.environment.clone().unwrap_or_default();
    confirm(plan, how.yes, &target)?;
    apply(client, command, how.timeout).await
}

pub async fn history(source: Source, limit: usize, json: bool) -> CliResult {
    let revisions = client(source, false).await?.config_history(limit).await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&revisions)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:>5}  {:<19}  {:<10}  {:<10}  {:<12}  HASH",
        "REV",
        "TIME",
        "ENV",
        "AUTHOR",
        "REASON"
    )?;
    for r in revisions {
        outln!(
            "{:>5}  {:<19}  {:<10}  {:<10}  {:<12}  {}",
            r.id,
            super::alerts_cmd::clock(r.at),
            r.environment.as_deref().unwrap_or("-"),
            r.author,
            r.reason,
            r.hash.get(..12).unwrap_or(&r.hash)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn diff(source: Source, from: u64, to: Option<u64>) -> CliResult {
    let diff = client(source, false).await?.config_diff(from, to).await?;
    if diff.is_empty() {
        outln!("no difference")?;
    } else {
        out!("{diff}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_plan(plan: &ConfigPlan) -> Result<(), Failure> {
    let to = plan.environment.as_deref().unwrap_or("the config");
    let from = plan.from.as_deref().unwrap_or("the running config");
    if plan.is_empty() {
        outln!("{to}: same as {from}; nothing would change")?;
        return Ok(());
    }
    outln!("{from} → {to}:")?;
    for change in &plan.changes {
        let action = match (change.kind, change.acts) {
            (ChangeKind::Added, true) => " (starts)",
            (ChangeKind::Removed, true) => " (stops)",
            (ChangeKind::Changed, true) => " (restarts)",
            _ => "",
        };
        let fields = if change.fields.is_empty() {
            String::new()
        } else {
            format!(": {}", change.fields.join(", "))
        };
        outln!(
            "  {} {}{fields}{action}",
            change.kind.as_str(),
            change.service
        )?;
    }
    if plan.changes.is_empty() {
        outln!("  no service changes")?;
    }
    Ok(())
}

/// An environment with `confirm` wants its name typed; others a yes, unless `--yes`. Without
/// a terminal to ask on, only `--yes` goes ahead.
fn confirm(plan: &ConfigPlan, yes: bool, name: &str) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::input(anyhow!(
            "not switching without confirmation: run in a terminal or add --yes"
        )));
    }
    let prompt = if plan.confirm {
        format!("type `{name}` to switch: ")
    } else {
        "switch? [y/N] ".to_owned()
    };
    out!("{prompt}")?;
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(Failure::runtime)?;
    let answer = answer.trim();
    let ok = if plan.confirm {
        answer == name
    } else {
        matches!(answer, "y" | "Y" | "yes")
    };
    if ok {
        Ok(())
    } else {
        Err(Failure::input(anyhow!("not switched")))
    }
}

/// Send the command, then wait until every service it (re)starts runs.
async fn apply(client: &Client, command: &Command, timeout: Duration) -> CliResult {
    let reply = follow(client, command, timeout, |s, _| match s.state {
        ServiceState::Running => Some(Ok(())),
        ServiceState::Exited | ServiceState::Failed | ServiceState::GaveUp => Some(Err(())),
        _ => None,
    });
    reply.await
}
