//! The glue's half for the configuration center: each [`ConfigRequest`] is answered from
//! its own task, so a slow plan (the engine renders and diffs a whole config) never holds
//! up the other requests.

use tokio::sync::mpsc::UnboundedSender;

use crate::client::Client;
use crate::tui::link::{ConfigQuery, Update};

/// How many revisions the history pane lists.
const HISTORY_LIMIT: usize = 200;

/// Answer `request` with the matching [`Update`] once the engine replied.
pub fn serve_config(client: &Client, request: ConfigQuery, updates: UnboundedSender<Update>) {
    let client = client.clone();
    tokio::spawn(async move {
        let update = match request {
            ConfigQuery::Plan(environment) => {
                let result = client.config_plan(Some(&environment)).await;
                Update::ConfigPlan {
                    environment,
                    result: result.map_err(|e| e.to_string()),
                }
            }
            ConfigQuery::RevertPlan(revision) => Update::RevertPlan {
                revision,
                result: client
                    .revert_plan(revision)
                    .await
                    .map_err(|e| e.to_string()),
            },
            ConfigQuery::History => {
                let result = client.config_history(HISTORY_LIMIT).await;
                Update::ConfigHistory(result.map_err(|e| e.to_string()))
            }
            ConfigQuery::Diff(revision) => Update::RevisionDiff {
                revision,
                result: client
                    .config_diff(revision, None)
                    .await
                    .map_err(|e| e.to_string()),
            },
        };
        let _ = updates.send(update);
    });
}
