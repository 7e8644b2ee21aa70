//! Deployments over the API: `POST /api/v1/services/{name}/deploy` (`{"ref": "v2"}`,
//! optional), `POST /api/v1/services/{name}/rollback` (`{"release": "…"}`, optional) and
//! `GET /api/v1/deploys?service=NAME&limit=N` (newest first). A deploy is answered 202 as
//! it begins; its stages follow as `deploy` events.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::api::{Api, Name, Params, actor, error, read_blocking, refused};
use crate::deploy::model::Deployment;
use crate::deploy::{Ask, DeployRequest};
use crate::protocol::CommandError;
use crate::store::deploys::DeployLog;

/// The body of `POST /api/v1/services/{name}/deploy`.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployBody {
    /// A branch, tag or commit (default: the deploy's branch).
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
}

/// The body of `POST /api/v1/services/{name}/rollback`.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// A release's directory name (default: the one before the current).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
}

/// The query string of `GET /api/v1/deploys`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploysParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

#[utoipa::path(post, path = "/services/{name}/deploy", tag = "deploys",
    params(("name" = String, Path, description = "Service name")),
    request_body(content = DeployBody, description = "Optional"),
    responses((status = 202, description = "The deploy, as it begins", body = Deployment),
        (status = 400, description = "No `deploy:`, a bad ref, or a deploy already running", body = CommandError)))]
pub async fn deploy(
    State(api): State<Api>,
    headers: HeaderMap,
    name: Name,
    body: Bytes,
) -> Response {
    let body: DeployBody = match parse(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let ask = Ask::Deploy {
        git_ref: body.git_ref,
    };
    start(&api, &headers, name.0, ask).await
}

#[utoipa::path(post, path = "/services/{name}/rollback", tag = "deploys",
    params(("name" = String, Path, description = "Service name")),
    request_body(content = RollbackBody, description = "Optional"),
    responses((status = 202, description = "The rollback, as it begins", body = Deployment),
        (status = 400, description = "No `deploy:`, no such release, or a deploy running", body = CommandError)))]
pub async fn rollback(
    State(api): State<Api>,
    headers: HeaderMap,
    name: Name,
    body: Bytes,
) -> Response {
    let body: RollbackBody = match parse(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let ask = Ask::Rollback {
        release: body.release,
    };
    start(&api, &headers, name.0, ask).await
}

#[utoipa::path(get, path = "/deploys", tag = "deploys",
    params(("service" = Option<String>, Query, description = "One service's"),
        ("limit" = Option<usize>, Query, description = "At most this many (default 50)")),
    responses((status = 200, description = "Deploys, newest first", body = [Deployment])))]
pub async fn list(State(api): State<Api>, Params(params): Params<DeploysParams>) -> Response {
    let path = api.deploys_db.clone();
    let limit = params.limit.unwrap_or(50);
    read_blocking(move || DeployLog::open(&path)?.recent(params.service.as_deref(), limit)).await
}

/// An empty body is the defaults.
fn parse<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, Box<Response>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            CommandError::field("body", e.to_string()),
        ))
    })
}

async fn start(api: &Api, headers: &HeaderMap, service: String, ask: Ask) -> Response {
    let Some(deploys) = &api.deploys else {
        let message = "the deploy worker is not running (see the engine's notices)";
        return error(StatusCode::SERVICE_UNAVAILABLE, CommandError::new(message));
    };
    if api.hub.snapshot().service(&service).is_none() {
        return refused(CommandError::field(
            "name",
            format!("unknown service `{service}`"),
        ));
    }
    let request = DeployRequest {
        service,
        ask,
        by: actor(headers),
    };
    match deploys.ask(request).await {
        Ok(deploy) => (StatusCode::ACCEPTED, Json(deploy)).into_response(),
        Err(e) => refused(e),
    }
}
