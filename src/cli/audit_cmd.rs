//! `uc audit` and `uc audit verify`: every workspace's record of who did what (and `uc
//! serve`'s), merged by time, and the check that no line of it was edited or removed.

use std::path::Path;
use std::process::ExitCode;

use super::output::{out, outln};
use super::{CliResult, Failure, duration_arg};
use crate::store::AuditRecord;
use crate::store::audit::chain;
use crate::store::audit::{AuditFiles, AuditQuery};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: Option<AuditCmd>,
    /// Only this workspace
    #[arg(long)]
    workspace: Option<String>,
    /// How far back
    #[arg(long, default_value = "24h", value_parser = duration_arg)]
    since: std::time::Duration,
    /// Only what this user or token did (`system` for the engine's own actions)
    #[arg(long)]
    actor: Option<String>,
    /// One JSON object a line, as stored
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCmd {
    /// Check every line's hash chain; exits 1 naming FILE:LINE of the first edited, inserted
    /// or removed line
    Verify {
        /// Only this workspace's file
        #[arg(long)]
        workspace: Option<String>,
    },
}

/// `uc serve`'s files, then each workspace's (or only `workspace`'s).
fn files(workspace: Option<&str>) -> Result<Vec<AuditFiles>, Failure> {
    let base = crate::paths::state_base().map_err(Failure::runtime)?;
    let mut all = vec![AuditFiles::in_dir(&base.join(".serve"))];
    let mut names: Vec<String> = std::fs::read_dir(&base)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| crate::paths::sanitize(name) == *name)
        .filter(|name| workspace.is_none_or(|w| w == name))
        .collect();
    names.sort();
    all.extend(
        names
            .iter()
            .map(|name| AuditFiles::in_dir(&base.join(name))),
    );
    Ok(all)
}

pub fn audit(args: AuditArgs) -> CliResult {
    if let Some(AuditCmd::Verify { workspace }) = args.command {
        return verify(workspace.as_deref());
    }
    let query = AuditQuery {
        since: crate::clock::now_ms().saturating_sub(args.since.as_millis() as u64),
        actor: args.actor,
        workspace: args.workspace.clone(),
        limit: None,
    };
    let records = query
        .run(&files(args.workspace.as_deref())?)
        .map_err(Failure::runtime)?;
    for r in &records {
        if args.json {
            outln!("{}", serde_json::to_string(r).map_err(Failure::runtime)?)?;
        } else {
            print(r)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print(r: &AuditRecord) -> Result<(), Failure> {
    let time = crate::format::clock_ms(r.at_ms());
    out!(
        "{time} {:<12} {:<8} {:<12} {:<7} {}",
        r.actor,
        r.via,
        r.workspace.as_deref().unwrap_or("-"),
        r.outcome,
        r.action,
    )?;
    let target = r.target.as_ref().map(|t| format!(" [{t}]"));
    let reason = r.reason.as_ref().map(|t| format!(" ({t})"));
    outln!(
        "{}{}",
        target.unwrap_or_default(),
        reason.unwrap_or_default()
    )
}

fn verify(workspace: Option<&str>) -> CliResult {
    let mut broken = false;
    let mut checked = 0;
    for files in files(workspace)? {
        if !files.chain.exists() {
            continue;
        }
        checked += 1;
        match chain::verify(&files.chain).map_err(Failure::runtime)? {
            Ok(lines) => {
                let plural = if lines == 1 { "" } else { "s" };
                outln!(
                    "{}: {lines} line{plural}, chain intact",
                    files.chain.display()
                )?;
            }
            Err(at) => {
                eprintln!("{at}");
                broken = true;
            }
        }
    }
    if broken {
        return Ok(ExitCode::from(1));
    }
    if checked == 0 {
        outln!("no audit.jsonl yet")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Appends one record of a command that acts without the engine (`uc token`), synced
/// before the command ends.
pub fn record(dir: &Path, record: &AuditRecord) -> Result<(), Failure> {
    let mut chain = chain::Chain::open(&dir.join("audit.jsonl")).map_err(Failure::runtime)?;
    chain
        .append(std::slice::from_ref(record))
        .map_err(Failure::runtime)
}
