//! `uc heal history [SERVICE] --since 24h`: what healing did and why. `uc heal run
//! PLAYBOOK [--dry-run]` and `uc heal playbooks`: clean-up playbooks.

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use super::alerts_cmd::clock;
use super::output::{out, outln};
use super::status::columns;
use super::{CliResult, launcher, paths, running};
use crate::client::Client;
use crate::config::Source;
use crate::heal::HealEvent;

#[derive(Debug, Subcommand)]
pub enum HealCmd {
    /// Run a clean-up playbook (configs/playbooks/NAME.yaml)
    Run {
        playbook: String,
        /// List exactly what would be touched, and touch nothing
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// List the playbooks and their steps
    Playbooks {
        #[arg(long)]
        json: bool,
    },
    /// Restarts, backoffs, give-ups, probe changes and playbook runs, oldest first
    History {
        /// Only this service
        service: Option<String>,
        /// How far back (e.g. 1h, 24h, 7d)
        #[arg(long, default_value = "24h", value_parser = super::duration_arg, allow_hyphen_values = true)]
        since: Duration,
        /// The newest this many
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(source: Source, command: HealCmd) -> CliResult {
    // Only a playbook run acts; a dry run, the history and the list read.
    let client = match &command {
        HealCmd::Run { dry_run: false, .. } => {
            launcher(source.clone(), paths(&source)?)?.connect().await?
        }
        _ => running(&source, paths(&source)?).await?,
    };
    match command {
        HealCmd::Run {
            playbook,
            dry_run,
            json,
        } => run_playbook(&client, &playbook, dry_run, json).await,
        HealCmd::Playbooks { json } => playbooks(&client, json).await,
        HealCmd::History {
            service,
            since,
            limit,
            json,
        } => history(&client, service.as_deref(), since, limit, json).await,
    }
}

async fn run_playbook(client: &Client, name: &str, dry_run: bool, json: bool) -> CliResult {
    let report = client.run_playbook(name, dry_run).await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{}", report.text())?;
    }
    Ok(if report.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn playbooks(client: &Client, json: bool) -> CliResult {
    let list = client.playbooks().await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if list.playbooks.is_empty() && list.problems.is_none() {
        outln!("no playbooks (configs/playbooks/*.yaml)")?;
    }
    for playbook in &list.playbooks {
        let about = playbook.description.as_deref().unwrap_or("");
        outln!("{}  {about}", playbook.name)?;
        for step in &playbook.steps {
            outln!("    {step}")?;
        }
    }
    if let Some(problems) = &list.problems {
        eprintln!("{problems}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn history(
    client: &Client,
    service: Option<&str>,
    since: Duration,
    limit: Option<usize>,
    json: bool,
) -> CliResult {
    let events = client
        .heal_history(since.as_secs().max(1), service, limit)
        .await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&events)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if events.is_empty() {
        outln!(
            "nothing in the last {}",
            crate::config::duration::format(since)
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    out!("{}", table(&events))?;
    Ok(ExitCode::SUCCESS)
}

/// One row per event; a failed probe's output and a give-up's log lines follow indented.
fn table(events: &[HealEvent]) -> String {
    let header = ["TIME", "SERVICE", "KIND", "WHAT"];
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                clock(e.at),
                e.service.clone().unwrap_or_else(|| "-".into()),
                e.kind.as_str().to_owned(),
                e.reason.clone(),
            ]
        })
        .collect();
    let table = columns(&header, &rows);
    let mut lines = table.lines();
    let mut out = String::new();
    if let Some(head) = lines.next() {
        out.push_str(head);
        out.push('\n');
    }
    for (line, event) in lines.zip(events) {
        out.push_str(line);
        out.push('\n');
        let extra = event.detail.iter().chain(&event.logs);
        for text in extra.flat_map(|t| t.lines()) {
            out.push_str("    │ ");
            out.push_str(text);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heal::HealKind;

    #[test]
    fn details_and_log_lines_follow_their_event() {
        let mut gave_up = HealEvent::new(
            Some("api"),
            HealKind::GaveUp,
            "gave up: 3 restarts within 1m",
        );
        gave_up.at = 0;
        gave_up.logs = vec!["ERROR boom".into(), "exiting".into()];
        let mut probe = HealEvent::new(Some("db"), HealKind::Probe, "readiness probe failing");
        probe.at = 1_000;
        probe.detail = Some("127.0.0.1:5432: connection refused".into());
        let text = table(&[gave_up, probe]);
        assert_eq!(
            text,
            "TIME                 SERVICE  KIND     WHAT\n\
             1970-01-01 00:00:00  api      gave-up  gave up: 3 restarts within 1m\n    \
             │ ERROR boom\n    │ exiting\n\
             1970-01-01 00:00:01  db       probe    readiness probe failing\n    \
             │ 127.0.0.1:5432: connection refused\n"
        );
    }
}
