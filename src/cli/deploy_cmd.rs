//! `uc deploy SERVICE [--ref REF]` (the stages as they happen), `uc deploy status
//! [SERVICE]`, `uc deploy history [SERVICE] [--json]`, `uc deploy rollback SERVICE
//! [RELEASE]`, `uc deploy approve|reject SERVICE` and `uc deploy hook install|remove
//! SERVICE` (`deploy_hook`).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::alerts_cmd::clock;
use super::output::{Out, outln};
use super::{CliResult, Failure, launcher, paths, running};
use crate::client::Client;
use crate::clock::now_ms;
use crate::config::Source;
use crate::deploy::model::{DeployState, Deployment, StageStatus};
use crate::protocol::Event;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DeployArgs {
    #[command(subcommand)]
    command: Option<DeployCmd>,
    /// The service to deploy
    service: Option<String>,
    /// A branch, tag or commit (default: the deploy's branch)
    #[arg(long = "ref")]
    git_ref: Option<String>,
    /// Print the finished deploy as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DeployCmd {
    /// Each deployed service's latest deploy
    Status {
        service: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Deploys, newest first: trigger, commit, stages, outcome, rollback cause
    History {
        service: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Go back to RELEASE (default: the release before the current one)
    Rollback {
        service: String,
        release: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Approve the deploy waiting for an approval; follow it until it ends
    Approve {
        service: String,
        #[arg(long)]
        json: bool,
    },
    /// Reject the deploy waiting for an approval: the serving release stays
    Reject {
        service: String,
        #[arg(long)]
        json: bool,
    },
    /// The git post-receive hook that deploys on `git push`
    Hook {
        #[command(subcommand)]
        command: HookCmd,
    },
    /// Called by the hook: reads `OLD NEW REF` lines and tells the engine
    #[command(hide = true)]
    Pushed { service: String },
}

#[derive(Debug, Subcommand)]
pub enum HookCmd {
    /// Install it in the deploy's repository (an existing post-receive is chained)
    Install { service: String },
    /// Take SERVICE out of it (the chained hook comes back when none is left)
    Remove { service: String },
}

pub async fn run(source: Source, args: DeployArgs) -> CliResult {
    match args.command {
        Some(DeployCmd::Status { service, json }) => {
            let client = running(&source, paths(&source)?).await?;
            status(&client, service.as_deref(), json).await
        }
        Some(DeployCmd::History {
            service,
            limit,
            json,
        }) => {
            let client = running(&source, paths(&source)?).await?;
            history(&client, service.as_deref(), limit, json).await
        }
        Some(DeployCmd::Rollback {
            service,
            release,
            json,
        }) => {
            let client = launcher(source.clone(), paths(&source)?)?.connect().await?;
            let mut events = client.events().await?;
            let started = client.rollback(&service, release.as_deref()).await?;
            follow(&mut events, started, json).await
        }
        Some(DeployCmd::Approve { service, json }) => decide(&source, &service, true, json).await,
        Some(DeployCmd::Reject { service, json }) => decide(&source, &service, false, json).await,
        Some(DeployCmd::Hook {
            command: HookCmd::Install { service },
        }) => super::deploy_hook::install(&source, &service),
        Some(DeployCmd::Hook {
            command: HookCmd::Remove { service },
        }) => super::deploy_hook::remove(&source, &service),
        Some(DeployCmd::Pushed { service }) => super::deploy_hook::pushed(&source, &service).await,
        None => {
            let Some(service) = args.service else {
                let text =
                    "name a service: `uc deploy SERVICE`, or `uc deploy status|history|rollback`";
                return Err(Failure::input(anyhow::anyhow!(text)));
            };
            let client = launcher(source.clone(), paths(&source)?)?.connect().await?;
            // Subscribed before asking: no stage can pass unseen.
            let mut events = client.events().await?;
            let started = client.deploy(&service, args.git_ref.as_deref()).await?;
            follow(&mut events, started, args.json).await
        }
    }
}

async fn decide(source: &Source, service: &str, approve: bool, json: bool) -> CliResult {
    let client = running(source, paths(source)?).await?;
    let mut events = client.events().await?;
    let waiting = client.decide(service, approve).await?;
    if !json {
        let word = if approve { "approved" } else { "rejected" };
        outln!("{word} deploy {} of {service}", waiting.id)?;
    }
    follow(&mut events, waiting, json).await
}

/// Prints each stage as it ends (and, on a terminal, the running one with its time) until
/// the deploy ends or waits for an approval (exit 0: `uc deploy approve` follows on);
/// exit 0 only when it succeeded.
async fn follow(
    events: &mut crate::client::EventStream,
    mut deploy: Deployment,
    json: bool,
) -> CliResult {
    let terminal = std::io::stdout().is_terminal() && !json;
    let mut printed = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    if !json {
        let what = deploy.release.as_deref().unwrap_or(&deploy.git_ref);
        outln!("deploy {} of {} ({what})", deploy.id, deploy.service)?;
    }
    // A decided deploy is still `waiting` in the answer: the events take it on.
    let decided = deploy.state == DeployState::Waiting;
    while deploy.state == DeployState::Running || (decided && deploy.state.is_active()) {
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Deploy(d))) if d.id == deploy.id => deploy = *d,
                Some(Ok(Event::Shutdown)) | None => {
                    return Err(Failure::runtime(anyhow::anyhow!("the engine stopped during the deploy")));
                }
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(_)) => continue,
            },
            _ = tick.tick(), if terminal => {}
        }
        if !json {
            printed = print_stages(&deploy, printed, terminal)?;
        }
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&deploy)?)?;
    } else {
        print_stages(&deploy, printed, false)?;
        outln!("{}", outcome(&deploy))?;
    }
    Ok(match deploy.state {
        DeployState::Succeeded | DeployState::Waiting => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}

/// Prints the stages that ended since `printed`; on a terminal, a progress line for the
/// one running (overwritten by the next). Answers how many are printed.
fn print_stages(deploy: &Deployment, printed: usize, progress: bool) -> Result<usize, Failure> {
    let mut out = Out::new();
    let ended = deploy
        .stages
        .iter()
        .take_while(|s| s.status != StageStatus::Running);
    let mut count = 0;
    for stage in ended {
        count += 1;
        if count > printed {
            let ms = stage
                .ended_at
                .unwrap_or(stage.started_at)
                .saturating_sub(stage.started_at);
            let status = if stage.status == StageStatus::Passed {
                "ok"
            } else {
                "FAILED"
            };
            let clear = if progress { "\r\x1b[K" } else { "" };
            let name = stage.stage.as_str();
            writeln!(out, "{clear}  {name:<8} {status:<6} {}", seconds(ms))?;
        }
    }
    if progress
        && let Some(stage) = deploy
            .stages
            .iter()
            .find(|s| s.status == StageStatus::Running)
    {
        let ms = now_ms().saturating_sub(stage.started_at);
        write!(
            out,
            "\r\x1b[K  {:<8} …      {}",
            stage.stage.as_str(),
            seconds(ms)
        )?;
        out.flush()?;
    }
    Ok(count)
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

fn outcome(deploy: &Deployment) -> String {
    let took = seconds(deploy.took_ms(now_ms()));
    let commit = deploy
        .commit
        .as_deref()
        .map_or("", |c| c.get(..7).unwrap_or(c));
    match deploy.state {
        DeployState::Succeeded => format!(
            "deployed {} {commit} in {took}{}",
            deploy.release.as_deref().unwrap_or(""),
            approval(deploy)
                .map(|a| format!(", {a}"))
                .unwrap_or_default()
        ),
        DeployState::Waiting => format!(
            "{}: `uc deploy approve {}` or `uc deploy reject {}`",
            waiting_for(deploy),
            deploy.service,
            deploy.service
        ),
        state => format!(
            "{}: {} (after {took})",
            state.as_str().replace('_', " "),
            deploy.cause.as_deref().unwrap_or("no cause recorded")
        ),
    }
}

/// `approved by ana at 18:40:02`, when someone decided.
fn approval(deploy: &Deployment) -> Option<String> {
    let a = deploy.approval.as_ref()?;
    let word = if a.approved { "approved" } else { "rejected" };
    Some(format!("{word} by {} at {}", a.by, clock(a.at)))
}

/// The approval stage's first line: `waiting for a deployer's approval of <release>`.
fn waiting_for(deploy: &Deployment) -> String {
    let stage = (deploy.stages.iter()).rfind(|s| s.stage == crate::deploy::model::Stage::Approval);
    let line = stage.and_then(|s| s.log.lines().next());
    line.unwrap_or("waiting for an approval").to_owned()
}

async fn status(client: &Client, service: Option<&str>, json: bool) -> CliResult {
    let snapshot = client.snapshot().await?;
    let deploys: Vec<&Deployment> = (snapshot.deploys.iter())
        .filter(|d| service.is_none_or(|s| d.service == s))
        .collect();
    if json {
        outln!("{}", serde_json::to_string_pretty(&deploys)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if deploys.is_empty() {
        outln!("no deploys yet")?;
    }
    for deploy in deploys {
        let stage = deploy.running_stage().map(|s| format!(" ({})", s.as_str()));
        let serving = (deploy.colours).map(|c| format!("  [{} serves]", c.serving.as_str()));
        outln!(
            "{:<16} {} {}{}  {}{}",
            deploy.service,
            deploy.id,
            deploy.state.as_str(),
            stage.unwrap_or_default(),
            outcome(deploy),
            serving.unwrap_or_default()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn history(client: &Client, service: Option<&str>, limit: usize, json: bool) -> CliResult {
    let deploys = client.deploys(service, Some(limit)).await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&deploys)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:<5} {:<8} {:<12} {:<8} {:<12} {:<10} {:<8} CAUSE",
        "ID",
        "STARTED",
        "SERVICE",
        "TRIGGER",
        "STATE",
        "COMMIT",
        "TOOK"
    )?;
    for d in &deploys {
        let commit = d.commit.as_deref().map_or("-", |c| c.get(..7).unwrap_or(c));
        outln!(
            "{:<5} {:<8} {:<12} {:<8} {:<12} {:<10} {:<8} {}",
            d.id,
            clock(d.started_at),
            d.service,
            d.trigger,
            d.state.as_str(),
            commit,
            seconds(d.took_ms(now_ms())),
            [approval(d), d.cause.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
