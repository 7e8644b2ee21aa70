//! Alerts over HTTP: the list, ack, silences (list, create, expire) and
//! `GET /api/v1/alerts/history?since=SECONDS` (alert state changes, acks, silences, rules
//! reloads and notification attempts, oldest first).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::{Api, Name, Params, actor, dispatch, error, read_blocking};
use crate::clock::now_ms;
use crate::protocol::{Command, CommandError};
use crate::store::Journal;
use crate::store::journal::Entry;

/// The query string of `GET /api/v1/alerts/history`, as the client writes it and the engine
/// reads it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertHistoryParams {
    /// Seconds before now.
    pub since: u64,
}

/// The body of `POST /api/v1/alerts/{id}/ack`; it may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"comment": "looking"}))]
pub struct AckBody {
    /// Shown next to the ack in the TUI, the page and the alert's history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The body of `POST /api/v1/silences`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"matchers": ["service=api"], "for": "2h", "comment": "deploying"}))]
pub struct SilenceBody {
    /// `label=value`, `label!=value`, `label=~regex`: an alert is silenced when it matches
    /// every one.
    pub matchers: Vec<String>,
    /// How long: `2h`, `30m`.
    #[serde(rename = "for")]
    pub duration: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertHistory {
    pub entries: Vec<Entry>,
}

#[utoipa::path(get, path = "/alerts/history", tag = "alerts",
    params(("since" = u64, Query, description = "Seconds before now")),
    responses((status = 200, description = "History entries, oldest first", body = Object)))]
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

/// `GET /api/v1/alerts`: pending, firing and recently resolved alerts, in display order.
#[utoipa::path(get, path = "/alerts", tag = "alerts",
    responses((status = 200, description = "The alerts", body = [Object])))]
pub async fn list(State(api): State<Api>) -> Response {
    Json(api.hub.snapshot().alerts).into_response()
}

/// `GET /api/v1/silences`: silences active or starting later.
#[utoipa::path(get, path = "/silences", tag = "alerts",
    responses((status = 200, description = "The silences", body = [Object])))]
pub async fn silences(State(api): State<Api>) -> Response {
    Json(api.hub.snapshot().silences).into_response()
}

/// `POST /api/v1/alerts/{id}/ack`, body `{"comment": "..."}` (optional).
#[utoipa::path(post, path = "/alerts/{id}/ack", tag = "alerts",
    params(("id" = String, Path, description = "Alert id or unique prefix")),
    request_body(content = Option<AckBody>, description = "Optional"),
    responses((status = 200, description = "Acknowledged", body = crate::protocol::Reply),
        (status = 404, description = "No such alert", body = CommandError)))]
pub async fn ack(State(api): State<Api>, headers: HeaderMap, id: Name, body: Bytes) -> Response {
    let extra = [("command", "ack".into()), ("alert", id.0.into())];
    command(&api, &headers, &body, extra).await
}

/// `POST /api/v1/silences`, body `{"matchers": ["service=api"], "for": "2h", "comment": ".."}`.
#[utoipa::path(post, path = "/silences", tag = "alerts",
    request_body = SilenceBody,
    responses((status = 200, description = "The silence was created", body = crate::protocol::Reply),
        (status = 400, description = "A field is wrong", body = CommandError)))]
pub async fn silence(State(api): State<Api>, headers: HeaderMap, body: Bytes) -> Response {
    command(&api, &headers, &body, [("command", "silence".into())]).await
}

/// `DELETE /api/v1/silences/{id}`: the silence ends now.
#[utoipa::path(delete, path = "/silences/{id}", tag = "alerts",
    params(("id" = String, Path, description = "Silence id or unique prefix")),
    responses((status = 200, description = "Expired", body = crate::protocol::Reply),
        (status = 404, description = "No such silence", body = CommandError)))]
pub async fn expire(State(api): State<Api>, id: Name) -> Response {
    let command = Command::Expire { silence: id.0 };
    dispatch(&api, command).await
}

/// The alerting command the body and `extra` spell, checked by the one command parser so
/// an error names the same fields `POST /api/v1/commands` would.
async fn command<const N: usize>(
    api: &Api,
    headers: &HeaderMap,
    body: &[u8],
    extra: [(&str, serde_json::Value); N],
) -> Response {
    match command_of(body, extra, actor(headers)) {
        Ok(command) => dispatch(api, command).await,
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

fn command_of<const N: usize>(
    body: &[u8],
    extra: [(&str, serde_json::Value); N],
    by: String,
) -> Result<Command, CommandError> {
    let mut fields = object(body)?;
    for (key, value) in extra {
        if fields.insert(key.to_owned(), value).is_some() {
            return Err(CommandError::field(key, "given by the path"));
        }
    }
    fields.insert("by".into(), by.into());
    let json = serde_json::Value::Object(fields).to_string();
    Command::from_json(json.as_bytes())
}

/// A JSON object body; an empty body is an empty object.
fn object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, CommandError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    serde_json::from_slice(body).map_err(|e| CommandError::field("body", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bodies the OpenAPI document shows are the ones the handlers read.
    #[test]
    fn the_documented_bodies_are_the_commands_read() {
        let ack = AckBody {
            comment: Some("looking".into()),
        };
        let body = serde_json::to_vec(&ack).unwrap();
        let extra = [("command", "ack".into()), ("alert", "3fa2".into())];
        assert_eq!(
            command_of(&body, extra.clone(), "ana".into()),
            Ok(Command::Ack {
                alert: "3fa2".into(),
                by: "ana".into(),
                comment: Some("looking".into()),
            })
        );
        let empty = command_of(b"", extra, "ana".into()).unwrap();
        assert!(matches!(empty, Command::Ack { comment: None, .. }));
        let silence = SilenceBody {
            matchers: vec!["service=api".into()],
            duration: "2h".into(),
            comment: None,
        };
        let body = serde_json::to_vec(&silence).unwrap();
        assert_eq!(
            command_of(&body, [("command", "silence".into())], "ana".into()),
            Ok(Command::Silence {
                matchers: vec!["service=api".into()],
                duration: "2h".into(),
                by: "ana".into(),
                comment: None,
            })
        );
    }
}
