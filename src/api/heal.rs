//! Healing's part of the protocol: `GET /v1/heal/history?since=SECONDS&service=NAME&limit=N`
//! (oldest first), the playbooks (`GET /v1/heal/playbooks`, `POST
//! /v1/heal/playbooks/{name}/run?dry_run=true`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::{Api, Params, error, read_blocking};
use crate::clock::now_ms;
use crate::protocol::CommandError;
use crate::store::{HealLog, HealQuery};

/// The query string of `GET /v1/heal/history`, as the client writes it and the engine reads
/// it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealHistoryParams {
    /// Seconds before now (everything kept when absent).
    #[serde(default)]
    pub since: Option<u64>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

pub async fn history(
    State(api): State<Api>,
    Params(params): Params<HealHistoryParams>,
) -> Response {
    if let Some(service) = &params.service
        && api.hub.snapshot().service(service).is_none()
    {
        return error(
            StatusCode::BAD_REQUEST,
            CommandError::field("service", format!("unknown service `{service}`")),
        );
    }
    let q = HealQuery {
        since: params
            .since
            .map_or(0, |s| now_ms().saturating_sub(s.saturating_mul(1000))),
        service: params.service,
        limit: params.limit,
    };
    let path = api.heal_db.clone();
    read_blocking(move || HealLog::open(&path)?.query(&q)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunParams {
    #[serde(default)]
    dry_run: bool,
}

/// `GET /v1/heal/playbooks`.
pub async fn playbooks(State(api): State<Api>) -> Response {
    let playbooks = api.playbooks.clone();
    match tokio::task::spawn_blocking(move || playbooks.list()).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new(e.to_string()),
        ),
    }
}

/// `POST /v1/heal/playbooks/{name}/run?dry_run=true`: the report once every step ran.
pub async fn run_playbook(
    State(api): State<Api>,
    Path(name): Path<String>,
    Params(params): Params<RunParams>,
) -> Response {
    match api
        .playbooks
        .run(&name, params.dry_run, "uc heal run")
        .await
    {
        Ok(report) => Json(report).into_response(),
        Err(refused) => error(StatusCode::BAD_REQUEST, refused),
    }
}
