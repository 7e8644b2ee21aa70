//! `uc alerts [--json]`, `uc alerts ack ID`, `uc alerts silence --match k=v --for 2h`,
//! `uc alerts silences`, `uc alerts expire ID`, `uc alerts history --since 24h`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use super::output::{out, outln};
use super::status::columns;
use super::{CliResult, Failure, launcher, paths, running, user};
use crate::alerts::{Alert, AlertState, Silence};
use crate::api::AlertHistory;
use crate::client::Client;
use crate::clock::now_ms;
use crate::config::Source;
use crate::format::duration;
use crate::protocol::{Command, Snapshot};

#[derive(Debug, Subcommand)]
pub enum AlertsCmd {
    /// Acknowledge an alert: it keeps firing but stops repeating its notifications
    Ack {
        /// Alert id, or a unique prefix of it
        id: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Mute notifications of matching alerts for a while
    Silence {
        /// Label matcher (`service=api`, `severity!=info`, `service=~"api|web"`), repeatable
        #[arg(long = "match", short = 'm', required = true)]
        matchers: Vec<String>,
        /// How long (e.g. 30m, 2h, 1d)
        #[arg(long = "for", default_value = "2h", allow_hyphen_values = true)]
        duration: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// List active and upcoming silences
    Silences {
        #[arg(long)]
        json: bool,
    },
    /// End a silence now
    Expire {
        /// Silence id, or a unique prefix of it
        id: String,
    },
    /// State changes, acks, silences and notification attempts
    History {
        /// How far back (e.g. 1h, 24h, 7d)
        #[arg(long, default_value = "24h", value_parser = super::duration_arg, allow_hyphen_values = true)]
        since: Duration,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(source: Source, command: Option<AlertsCmd>, json: bool) -> CliResult {
    // Acks, silences and expiries act; the lists and the history read.
    let client = match &command {
        None | Some(AlertsCmd::Silences { .. } | AlertsCmd::History { .. }) => {
            running(&source, paths(&source)?).await?
        }
        _ => launcher(source.clone(), paths(&source)?)?.connect().await?,
    };
    let user = user();
    match command {
        None => list(&client, json).await,
        Some(AlertsCmd::Ack { id, comment }) => {
            let command = Command::Ack {
                alert: id,
                by: user,
                comment,
            };
            send(&client, &command).await
        }
        Some(AlertsCmd::Silence {
            matchers,
            duration,
            comment,
        }) => {
            let command = Command::Silence {
                matchers,
                duration,
                by: user,
                comment,
            };
            send(&client, &command).await
        }
        Some(AlertsCmd::Silences { json }) => silences(&client, json).await,
        Some(AlertsCmd::Expire { id }) => send(&client, &Command::Expire { silence: id }).await,
        Some(AlertsCmd::History { since, json }) => history(&client, since, json).await,
    }
}

async fn send(client: &Client, command: &Command) -> CliResult {
    let reply = client
        .command(command)
        .await
        .map_err(Failure::runtime)?
        .map_err(Failure::input)?;
    outln!("{}", reply.message)?;
    Ok(ExitCode::SUCCESS)
}

async fn list(client: &Client, json: bool) -> CliResult {
    let snapshot = client.snapshot().await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&snapshot.alerts)?)?;
    } else {
        out!("{}", alerts_table(&snapshot, now_ms()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The human table of `uc alerts`, with a line on rules and any rules problem first.
pub fn alerts_table(snapshot: &Snapshot, now: u64) -> String {
    let info = &snapshot.alerting;
    let source = info.rules_file.as_deref().unwrap_or("built-in rules");
    let firing = snapshot
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .count();
    let mut out = format!(
        "{firing} firing, {} in all; {} from {source}\n",
        snapshot.alerts.len(),
        crate::format::count(info.rules as u64, "rule")
    );
    if let Some(problem) = &info.problem {
        out.push_str(&format!(
            "rules problem (previous rules kept):\n{problem}\n"
        ));
    }
    if snapshot.alerts.is_empty() {
        return out;
    }
    let header = ["ID", "STATE", "SEVERITY", "ALERT", "VALUE", "AGE", "NOTE"];
    let rows: Vec<Vec<String>> = snapshot.alerts.iter().map(|a| alert_row(a, now)).collect();
    out.push_str(&columns(&header, &rows));
    out
}

fn alert_row(alert: &Alert, now: u64) -> Vec<String> {
    let since = alert.fired_at.unwrap_or(alert.active_since);
    let note = match (&alert.ack, &alert.silenced_by) {
        (_, Some(silence)) => format!("silenced by {silence}"),
        (Some(ack), None) => format!("acked by {}", ack.by),
        (None, None) => alert
            .annotations
            .get("summary")
            .cloned()
            .unwrap_or_default(),
    };
    vec![
        alert.id.chars().take(8).collect(),
        alert.state.as_str().to_owned(),
        alert.severity.as_str().to_owned(),
        alert.describe(),
        alert.value_text(),
        duration(now.saturating_sub(since) / 1000),
        note,
    ]
}

async fn silences(client: &Client, json: bool) -> CliResult {
    let snapshot = client.snapshot().await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&snapshot.silences)?)?;
    } else {
        out!("{}", silences_table(&snapshot.silences, now_ms()))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn silences_table(silences: &[Silence], now: u64) -> String {
    if silences.is_empty() {
        return "no silences\n".to_owned();
    }
    let header = ["ID", "MATCHERS", "ENDS IN", "BY", "COMMENT"];
    let rows: Vec<Vec<String>> = silences
        .iter()
        .map(|s| {
            let matchers: Vec<String> = s.matchers.iter().map(ToString::to_string).collect();
            vec![
                s.id.clone(),
                matchers.join(" "),
                duration(s.ends_at.saturating_sub(now) / 1000),
                s.created_by.clone(),
                s.comment.clone().unwrap_or_default(),
            ]
        })
        .collect();
    columns(&header, &rows)
}

async fn history(client: &Client, since: Duration, json: bool) -> CliResult {
    let history: AlertHistory = client.alert_history(since.as_secs().max(1)).await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&history)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if history.entries.is_empty() {
        outln!(
            "nothing in the last {}",
            crate::config::duration::format(since)
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let header = ["TIME", "KIND", "ALERT", "WHAT"];
    let rows: Vec<Vec<String>> = history
        .entries
        .iter()
        .map(|e| {
            vec![
                clock(e.at),
                e.kind.clone(),
                e.alert.as_deref().unwrap_or("-").chars().take(8).collect(),
                e.text.clone(),
            ]
        })
        .collect();
    out!("{}", columns(&header, &rows))?;
    Ok(ExitCode::SUCCESS)
}

/// `2026-11-25 15:04:05` in UTC: history spans days, and UTC needs no time zone database.
pub(super) fn clock(ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(t)
        .to_string()
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_owned()
}
