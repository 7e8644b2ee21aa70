//! `GET /v1/alerts/history?since=SECONDS`: alert state changes, acks, silences, rules reloads
//! and notification attempts, oldest first.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::{Api, error};
use crate::clock::now_ms;
use crate::protocol::CommandError;
use crate::store::Journal;
use crate::store::journal::Entry;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// Seconds before now.
    since: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertHistory {
    pub entries: Vec<Entry>,
}

pub async fn history(
    State(api): State<Api>,
    query: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(params) = match query {
        Ok(q) => q,
        Err(e) => return crate::api::bad_query(&e),
    };
    let since = now_ms().saturating_sub(params.since.saturating_mul(1000));
    let read = tokio::task::spawn_blocking(move || read(&api, since)).await;
    match read {
        Ok(Ok(entries)) => Json(AlertHistory { entries }).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, CommandError::new(e)),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new(e.to_string()),
        ),
    }
}

fn read(api: &Api, since: u64) -> Result<Vec<Entry>, String> {
    let mut entries = Journal::open(&api.alerts_db)
        .and_then(|j| j.history(since))
        .map_err(|e| e.to_string())?;
    entries.extend(crate::alerts::notification_history(&api.outbox_db, since)?);
    entries.sort_by_key(|e| e.at);
    Ok(entries)
}
