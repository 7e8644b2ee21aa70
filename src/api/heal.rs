//! Healing's part of the API: `GET /api/v1/heal/events?since=SECONDS&service=NAME&limit=N`
//! (oldest first), the playbooks (`GET /api/v1/heal/playbooks`, `POST
//! /api/v1/heal/playbooks/{name}/run?dry_run=true`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::{Api, Name, Params, error, read_blocking};
use crate::clock::now_ms;
use crate::protocol::CommandError;
use crate::store::{HealLog, HealQuery};

/// The query string of `GET /api/v1/heal/events`, as the client writes it and the engine reads
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

#[utoipa::path(get, path = "/heal/events", tag = "heal",
    params(("since" = Option<u64>, Query, description = "Seconds before now"),
        ("service" = Option<String>, Query, description = "One service's"),
        ("limit" = Option<usize>, Query, description = "At most this many")),
    responses((status = 200, description = "Heal events, oldest first", body = [Object]),
        (status = 400, description = "An unknown service", body = CommandError)))]
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

/// `GET /api/v1/heal/playbooks`.
#[utoipa::path(get, path = "/heal/playbooks", tag = "heal",
    responses((status = 200, description = "The playbooks and their problems", body = Object)))]
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

/// `POST /api/v1/heal/playbooks/{name}/run?dry_run=true`: the report once every step ran
/// (or, dry, the plan).
#[utoipa::path(post, path = "/heal/playbooks/{name}/run", tag = "heal",
    params(("name" = String, Path, description = "Playbook"),
        ("dry_run" = Option<bool>, Query, description = "Plan only (operator); a run needs admin")),
    responses((status = 200, description = "The report", body = Object),
        (status = 400, description = "Refused", body = CommandError)))]
pub async fn run_playbook(
    State(api): State<Api>,
    Name(name): Name,
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
