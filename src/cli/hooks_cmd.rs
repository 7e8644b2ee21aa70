//! `uc hooks deliveries [--json]`: the outgoing webhook deliveries, newest first — which
//! subscription, what kind of event, its `webhook-id`, where it stands, how many tries, the
//! last error and when the next try is due.

use std::process::ExitCode;

use clap::Subcommand;

use super::alerts_cmd::clock;
use super::output::{out, outln};
use super::status::columns;
use super::{CliResult, paths, running};
use crate::alerts::outbox::Listed;
use crate::config::Source;

#[derive(Debug, Subcommand)]
pub enum HooksCmd {
    /// Outgoing deliveries, newest first
    Deliveries {
        /// The newest this many (default 100)
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(source: Source, command: HooksCmd) -> CliResult {
    let client = running(&source, paths(&source)?).await?;
    match command {
        HooksCmd::Deliveries { limit, json } => {
            let list = client.hook_deliveries(limit).await?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&list)?)?;
            } else if list.deliveries.is_empty() {
                outln!("no deliveries (webhooks.outgoing in the workspace file)")?;
            } else {
                out!("{}", table(&list.deliveries))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn table(deliveries: &[Listed]) -> String {
    let header = [
        "HOOK",
        "EVENT",
        "ID",
        "STATUS",
        "TRIES",
        "NEXT TRY",
        "LAST ERROR",
    ];
    let rows: Vec<Vec<String>> = deliveries
        .iter()
        .map(|d| {
            vec![
                d.channel.clone(),
                d.group_key.clone(),
                d.dedup_key.clone(),
                d.state.as_str().to_owned(),
                d.attempts.to_string(),
                d.next_attempt_at.map_or_else(|| "-".to_owned(), clock),
                d.last_error.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    columns(&header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::outbox::RowState;

    #[test]
    fn a_waiting_delivery_shows_its_error_and_next_try() {
        let waiting = Listed {
            channel: "ci".into(),
            group_key: "service.state".into(),
            dedup_key: "msg_1".into(),
            state: RowState::Pending,
            attempts: 2,
            last_error: Some("connection refused".into()),
            next_attempt_at: Some(4_000),
            enqueued_at: 0,
            done_at: None,
        };
        let done = Listed {
            state: RowState::Delivered,
            attempts: 3,
            last_error: None,
            next_attempt_at: None,
            dedup_key: "msg_0".into(),
            ..waiting.clone()
        };
        assert_eq!(
            table(&[waiting, done]),
            "HOOK  EVENT          ID     STATUS     TRIES  NEXT TRY             LAST ERROR\n\
             ci    service.state  msg_1  pending    2      1970-01-01 00:00:04  connection refused\n\
             ci    service.state  msg_0  delivered  3      -                    -\n"
        );
    }
}
