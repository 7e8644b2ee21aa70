//! The configuration center's part of the API: `GET /api/v1/config/plan?environment=NAME`
//! (or `?revision=N`, or neither for the pending edit), `GET /api/v1/config/history?limit=N`
//! (newest first), `GET /api/v1/config/revisions/{id}`, `GET /api/v1/config/diff?from=A&to=B`,
//! environments (list, plan, switch), and the writes: replace the file's text, validate a
//! text, apply the pending edit, revert to a revision. The writes are the same `Command`s
//! `POST /api/v1/commands` takes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::api::{Api, Name, Params, actor, dispatch, error, refused};
use crate::config_center::{ConfigRequest, PlanTarget};
use crate::protocol::{Command, CommandError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanParams {
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    revision: Option<u64>,
}

#[utoipa::path(get, path = "/config/plan", tag = "config",
    params(("environment" = Option<String>, Query, description = "Plan a switch to it"),
        ("revision" = Option<u64>, Query, description = "Plan a revert to it")),
    responses((status = 200, description = "The plan (the pending edit's without parameters)", body = Object)))]
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

/// The query string of `GET /api/v1/config/history`, as the client writes it and the engine
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

#[utoipa::path(get, path = "/config/history", tag = "config",
    params(("limit" = Option<usize>, Query, description = "At most this many (50)")),
    responses((status = 200, description = "Applied revisions, newest first", body = [Object])))]
pub async fn history(
    State(api): State<Api>,
    Params(params): Params<ConfigHistoryParams>,
) -> Response {
    ask(&api, |tx| ConfigRequest::History(params.limit, tx)).await
}

#[utoipa::path(get, path = "/config/revisions/{id}", tag = "config",
    params(("id" = u64, Path, description = "Revision")),
    responses((status = 200, description = "The revision's text", body = Object),
        (status = 404, description = "No such revision", body = CommandError)))]
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

#[utoipa::path(get, path = "/config/diff", tag = "config",
    params(("from" = u64, Query, description = "Revision"),
        ("to" = Option<u64>, Query, description = "Revision (the applied one when absent)")),
    responses((status = 200, description = "Unified diff", body = Object)))]
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderParams {
    #[serde(default)]
    environment: Option<String>,
}

/// `GET /api/v1/config/render?environment=NAME`: the effective config (the running one
/// without a name), secrets as `${secret:name}` references.
#[utoipa::path(get, path = "/config/render", tag = "config",
    params(("environment" = Option<String>, Query, description = "Environment (the running config when absent)")),
    responses((status = 200, description = "`{\"environment\", \"text\"}`", body = Object),
        (status = 404, description = "No such environment", body = CommandError)))]
pub async fn render(State(api): State<Api>, Params(params): Params<RenderParams>) -> Response {
    ask(&api, |tx| ConfigRequest::Render(params.environment, tx)).await
}

/// `GET /api/v1/environments`.
#[utoipa::path(get, path = "/environments", tag = "environments",
    responses((status = 200, description = "The active environment and every declared one",
        body = Object, example = json!({"active": "dev", "environments": [{"name": "dev", "theme": null, "confirm": false}]}))))]
pub async fn environments(State(api): State<Api>) -> Response {
    let snapshot = api.hub.snapshot();
    Json(serde_json::json!({
        "active": snapshot.environment,
        "environments": snapshot.config.environments,
    }))
    .into_response()
}

/// `GET /api/v1/environments/{name}/plan`: what switching would restart, start and stop.
#[utoipa::path(get, path = "/environments/{name}/plan", tag = "environments",
    params(("name" = String, Path, description = "Environment")),
    responses((status = 200, description = "The plan", body = Object),
        (status = 404, description = "No such environment", body = CommandError)))]
pub async fn environment_plan(State(api): State<Api>, name: Name) -> Response {
    ask(&api, |tx| {
        ConfigRequest::Plan(PlanTarget::Environment(name.0), tx)
    })
    .await
}

/// `POST /api/v1/environments/{name}/switch`.
#[utoipa::path(post, path = "/environments/{name}/switch", tag = "environments",
    params(("name" = String, Path, description = "Environment")),
    responses((status = 200, description = "Switched", body = crate::protocol::Reply),
        (status = 404, description = "No such environment", body = CommandError)))]
pub async fn switch(State(api): State<Api>, headers: HeaderMap, name: Name) -> Response {
    let command = Command::UseEnvironment {
        environment: name.0,
        by: actor(&headers),
    };
    dispatch(&api, command).await
}

/// `POST /api/v1/config`: the body is the new text of the workspace file. It is checked
/// first; one that does not load is refused (400, every `file:line:col` problem in `hint`)
/// and the running config stays.
#[utoipa::path(post, path = "/config", tag = "config",
    request_body(content = String, content_type = "application/yaml",
        example = "name: shop\nservices:\n  api:\n    command: ./api\n"),
    responses((status = 200, description = "Written and applied", body = crate::protocol::Reply),
        (status = 400, description = "Does not load; `hint` lists the problems", body = CommandError)))]
pub async fn replace(State(api): State<Api>, headers: HeaderMap, body: Bytes) -> Response {
    let text = match String::from_utf8(body.to_vec()) {
        Ok(text) => text,
        Err(e) => return refused(CommandError::field("body", e.to_string())),
    };
    let by = actor(&headers);
    ask(&api, |reply| ConfigRequest::Replace { text, by, reply }).await
}

/// `POST /api/v1/config/validate`: the body is a workspace file's text; nothing changes.
#[utoipa::path(post, path = "/config/validate", tag = "config",
    request_body(content = String, content_type = "application/yaml"),
    responses((status = 200, description = "It loads", body = Object, example = json!({"valid": true})),
        (status = 400, description = "It does not; `hint` lists the problems", body = CommandError)))]
pub async fn validate(State(api): State<Api>, body: Bytes) -> Response {
    let file = api.hub.snapshot().config_file.map_or_else(
        || std::path::PathBuf::from("univers.yaml"),
        std::path::PathBuf::from,
    );
    let checked = tokio::task::spawn_blocking(move || {
        let text = String::from_utf8_lossy(&body);
        let dir = file
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .to_path_buf();
        crate::config::load_str(&text, &file, &dir)
            .map(|_| ())
            .map_err(|e| match e.problems() {
                [] => e.to_string(),
                problems => problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            })
    });
    match checked.await {
        Ok(Ok(())) => Json(serde_json::json!({ "valid": true })).into_response(),
        Ok(Err(problems)) => {
            refused(CommandError::field("body", "the config does not load").with_hint(problems))
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new(e.to_string()),
        ),
    }
}

/// The body of `POST /api/v1/config/apply`: the pending edit's hash, as the user saw it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    #[serde(default)]
    hash: Option<String>,
}

/// `POST /api/v1/config/apply`: applies the edit waiting in the snapshot's `config.pending`.
#[utoipa::path(post, path = "/config/apply", tag = "config", request_body = ApplyBody,
    responses((status = 200, description = "Applied", body = crate::protocol::Reply),
        (status = 400, description = "No such edit is pending", body = CommandError)))]
pub async fn apply(State(api): State<Api>, headers: HeaderMap, body: Bytes) -> Response {
    let parsed = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(ApplyBody::default())
    } else {
        serde_json::from_slice::<ApplyBody>(&body)
    };
    let hash = match parsed {
        Ok(b) => b.hash,
        Err(e) => return refused(CommandError::field("body", e.to_string())),
    };
    dispatch(
        &api,
        Command::ApplyConfig {
            hash,
            by: actor(&headers),
        },
    )
    .await
}

/// `POST /api/v1/config/revisions/{id}/revert`: re-applies a stored revision.
#[utoipa::path(post, path = "/config/revisions/{id}/revert", tag = "config",
    params(("id" = u64, Path, description = "Revision")),
    responses((status = 200, description = "Reverted", body = crate::protocol::Reply),
        (status = 404, description = "No such revision", body = CommandError)))]
pub async fn revert(
    State(api): State<Api>,
    headers: HeaderMap,
    id: Result<Path<u64>, PathRejection>,
) -> Response {
    let Path(revision) = match id {
        Ok(id) => id,
        Err(e) => return refused(CommandError::field("id", e.body_text())),
    };
    dispatch(
        &api,
        Command::RevertConfig {
            revision,
            by: actor(&headers),
        },
    )
    .await
}
