//! The configuration center's part of the protocol: `GET /v1/config/plan?environment=NAME`
//! (or `?revision=N`, or neither for the pending edit), `GET /v1/config/history?limit=N`
//! (newest first), `GET /v1/config/revisions/{id}` and `GET /v1/config/diff?from=A&to=B`.
//! Switching, applying and reverting are commands (`POST /v1/commands`).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::api::{Api, Params, error, refused};
use crate::config_center::{ConfigRequest, PlanTarget};
use crate::protocol::CommandError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanParams {
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    revision: Option<u64>,
}

pub async fn plan(State(api): State<Api>, Params(params): Params<PlanParams>) -> Response {
    let target = match (params.environment, params.revision) {
        (Some(_), Some(_)) => {
            return refused(CommandError::field(
                "revision",
                "ask for an environment or a revision, not both",
            ));
        }
        (Some(env), None) => PlanTarget::Environment(env),
        (None, Some(rev)) => PlanTarget::Revision(rev),
        (None, None) => PlanTarget::Pending,
    };
    ask(&api, |tx| ConfigRequest::Plan(target, tx)).await
}

/// The query string of `GET /v1/config/history`, as the client writes it and the engine
/// reads it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigHistoryParams {
    #[serde(default = "default_limit")]
    pub limit: usize,
}

fn default_limit() -> usize {
    50
}

pub async fn history(
    State(api): State<Api>,
    Params(params): Params<ConfigHistoryParams>,
) -> Response {
    ask(&api, |tx| ConfigRequest::History(params.limit, tx)).await
}

pub async fn revision(State(api): State<Api>, id: Result<Path<u64>, PathRejection>) -> Response {
    let Path(id) = match id {
        Ok(id) => id,
        Err(e) => {
            return refused(CommandError::field("id", e.body_text()));
        }
    };
    ask(&api, |tx| ConfigRequest::Revision(id, tx)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffParams {
    from: u64,
    #[serde(default)]
    to: Option<u64>,
}

pub async fn diff(State(api): State<Api>, Params(params): Params<DiffParams>) -> Response {
    ask(&api, |tx| ConfigRequest::Diff(params.from, params.to, tx)).await
}

async fn ask<T: Serialize>(
    api: &Api,
    request: impl FnOnce(oneshot::Sender<Result<T, CommandError>>) -> ConfigRequest,
) -> Response {
    let (tx, rx) = oneshot::channel();
    let gone = || {
        error(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            CommandError::new("the engine is shutting down"),
        )
    };
    if api.config.send(request(tx)).await.is_err() {
        return gone();
    }
    match rx.await {
        Ok(Ok(answer)) => Json(answer).into_response(),
        Ok(Err(err)) => refused(err),
        Err(_) => gone(),
    }
}
