//! Healing's part of the API: `GET /api/v1/heal/events?since=SECONDS&service=NAME&limit=N`
//! (oldest first), the playbooks (`GET /api/v1/heal/playbooks`, `POST
//! /api/v1/heal/playbooks/{name}/run?dry_run=true`), and editing one (`GET|PUT|DELETE
//! /api/v1/heal/playbooks/{name}`, its YAML text).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::{Api, Name, Params, error, read_blocking};
use crate::clock::now_ms;
use crate::heal::{EditRefused, PlaybookInfo, PlaybookSource, Playbooks};
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

/// Runs `edit` on the playbooks off the async threads (it reads and writes files); a
/// refusal as its status.
async fn edit<T: Send + 'static>(
    api: &Api,
    edit: impl FnOnce(&Playbooks) -> Result<T, EditRefused> + Send + 'static,
) -> Result<T, Response> {
    let playbooks = api.playbooks.clone();
    let internal = |e: String| error(StatusCode::INTERNAL_SERVER_ERROR, CommandError::new(e));
    match tokio::task::spawn_blocking(move || edit(&playbooks)).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(EditRefused::Missing(e))) => Err(error(StatusCode::NOT_FOUND, e)),
        Ok(Err(EditRefused::Invalid(e))) => Err(error(StatusCode::BAD_REQUEST, e)),
        Ok(Err(EditRefused::Failed(e))) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e)),
        Err(e) => Err(internal(e.to_string())),
    }
}

/// `GET /api/v1/heal/playbooks/{name}`: its YAML text, to edit.
#[utoipa::path(get, path = "/heal/playbooks/{name}", tag = "heal",
    params(("name" = String, Path, description = "Playbook")),
    responses((status = 200, description = "The playbook's text, and why it does not load if it does not",
            body = PlaybookSource),
        (status = 404, description = "No such playbook", body = CommandError)))]
pub async fn playbook_source(State(api): State<Api>, Name(name): Name) -> Response {
    match edit(&api, move |playbooks| playbooks.source(&name)).await {
        Ok(source) => Json(source).into_response(),
        Err(refused) => refused,
    }
}

/// `PUT /api/v1/heal/playbooks/{name}`: the body is the playbook's new YAML text. It is
/// checked first; one that does not load is refused (400, each `file:line:col` problem) and
/// nothing is written. The next run uses it (files are read at each run).
#[utoipa::path(put, path = "/heal/playbooks/{name}", tag = "heal",
    params(("name" = String, Path, description = "Playbook (the file's name)")),
    request_body(content = String, content_type = "application/yaml",
        example = "description: Clear scratch files\nroots: [./tmp]\nsteps:\n  - delete: { under: ./tmp, match: \"**/*\", older_than: 7d }\n"),
    responses((status = 200, description = "Replaced", body = PlaybookInfo),
        (status = 201, description = "Made", body = PlaybookInfo),
        (status = 400, description = "Does not load; `error` lists the problems at file:line:col", body = CommandError)))]
pub async fn save_playbook(State(api): State<Api>, Name(name): Name, body: Bytes) -> Response {
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return error(
            StatusCode::BAD_REQUEST,
            CommandError::field("body", "the playbook is not UTF-8 text"),
        );
    };
    match edit(&api, move |playbooks| playbooks.save(&name, &text)).await {
        Ok((info, true)) => (StatusCode::CREATED, Json(info)).into_response(),
        Ok((info, false)) => Json(info).into_response(),
        Err(refused) => refused,
    }
}

/// `DELETE /api/v1/heal/playbooks/{name}`: deletes its file.
#[utoipa::path(delete, path = "/heal/playbooks/{name}", tag = "heal",
    params(("name" = String, Path, description = "Playbook")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such playbook", body = CommandError)))]
pub async fn delete_playbook(State(api): State<Api>, Name(name): Name) -> Response {
    match edit(&api, move |playbooks| playbooks.remove(&name)).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refused) => refused,
    }
}
