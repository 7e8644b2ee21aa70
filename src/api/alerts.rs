//! `GET /v1/alerts/history?since=SECONDS`: alert state changes, acks, silences, rules reloads
//! and notification attempts, oldest first.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::api::{Api, Params, read_blocking};
use crate::clock::now_ms;
use crate::store::Journal;
use crate::store::journal::Entry;

/// The query string of `GET /v1/alerts/history`, as the client writes it and the engine
/// reads it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertHistoryParams {
    /// Seconds before now.
    pub since: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertHistory {
    pub entries: Vec<Entry>,
}

pub async fn history(
    State(api): State<Api>,
    Params(params): Params<AlertHistoryParams>,
) -> Response {
    let since = now_ms().saturating_sub(params.since.saturating_mul(1000));
    read_blocking(move || read(&api, since).map(|entries| AlertHistory { entries })).await
}

fn read(api: &Api, since: u64) -> Result<Vec<Entry>, String> {
    let mut entries = Journal::open(&api.alerts_db)
        .and_then(|j| j.history(since))
        .map_err(|e| e.to_string())?;
    entries.extend(crate::alerts::notification_history(&api.outbox_db, since)?);
    entries.sort_by_key(|e| e.at);
    Ok(entries)
}
