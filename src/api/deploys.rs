//! Deployments over the API: `POST /api/v1/services/{name}/deploy` (`{"ref": "v2"}`,
//! optional), `POST /api/v1/services/{name}/rollback` (`{"release": "…"}`, optional) and
//! `GET /api/v1/deploys?service=NAME&limit=N` (newest first). A deploy is answered 202 as
//! it begins; its stages follow as `deploy` events. `POST /api/v1/services/{name}/approve`
//! and `/reject` decide the deploy waiting for an approval; `POST
//! /api/v1/services/{name}/push` is the git hook's word that a ref moved.

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
use crate::protocol::{CommandError, Role};
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

/// The body of `POST /api/v1/services/{name}/approve` and `/reject`: empty, or `{}`.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {}

/// The body of `POST /api/v1/services/{name}/push`: what `git push` moved.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushBody {
    /// The full ref: `refs/heads/main`, `refs/tags/v1`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The commit it points at now.
    pub after: String,
    /// Who pushed (default: the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pusher: Option<String>,
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

#[utoipa::path(post, path = "/services/{name}/push", tag = "deploys",
    params(("name" = String, Path, description = "Service name")),
    request_body(content = PushBody),
    responses((status = 202, description = "The deploy as it begins, or the push recorded as `skipped` with the reason", body = Deployment),
        (status = 400, description = "Not the deploy's branch, a bad commit, or a deploy already running", body = CommandError)))]
pub async fn push(State(api): State<Api>, headers: HeaderMap, name: Name, body: Bytes) -> Response {
    let body: PushBody = match parse(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    if let Err(e) = crate::config::values::git_ref(&body.after) {
        return refused(CommandError::field("after", e.to_string()));
    }
    let by = body.pusher.clone().unwrap_or_else(|| actor(&headers));
    let ask = Ask::Push {
        git_ref: body.git_ref,
        commit: body.after,
        trigger: "push".to_owned(),
    };
    send(&api, by, name.0, ask).await
}

#[utoipa::path(post, path = "/services/{name}/approve", tag = "deploys",
    params(("name" = String, Path, description = "Service name")),
    request_body(content = DecisionBody, description = "Optional"),
    responses((status = 202, description = "The deploy that waited (`waiting`); it goes live, its stages follow as events", body = Deployment),
        (status = 400, description = "No deploy of the service is waiting for an approval", body = CommandError),
        (status = 403, description = "The stage asks for a higher role (`hint`: `needs role admin`)", body = CommandError)))]
pub async fn approve(
    State(api): State<Api>,
    headers: HeaderMap,
    name: Name,
    body: Bytes,
) -> Response {
    decide(&api, &headers, name.0, &body, true).await
}

#[utoipa::path(post, path = "/services/{name}/reject", tag = "deploys",
    params(("name" = String, Path, description = "Service name")),
    request_body(content = DecisionBody, description = "Optional"),
    responses((status = 202, description = "The deploy that waited; it ends `rejected`, the serving release is left alone", body = Deployment),
        (status = 400, description = "No deploy of the service is waiting for an approval", body = CommandError),
        (status = 403, description = "The stage asks for a higher role (`hint`: `needs role admin`)", body = CommandError)))]
pub async fn reject(
    State(api): State<Api>,
    headers: HeaderMap,
    name: Name,
    body: Bytes,
) -> Response {
    decide(&api, &headers, name.0, &body, false).await
}

async fn decide(
    api: &Api,
    headers: &HeaderMap,
    service: String,
    body: &[u8],
    approve: bool,
) -> Response {
    if let Err(response) = parse::<DecisionBody>(body) {
        return *response;
    }
    let role = (headers.get(super::audit::ROLE))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| <Role as clap::ValueEnum>::from_str(v, true).ok());
    let ask = Ask::Decide { approve, role };
    // Who approved is what is recorded: on the socket, the local user.
    let by = match headers.get(super::audit::ACTOR) {
        Some(_) => actor(headers),
        None => crate::store::audit::local_user(),
    };
    send(api, by, service, ask).await
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
    send(api, actor(headers), service, ask).await
}

async fn send(api: &Api, by: String, service: String, ask: Ask) -> Response {
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
    let request = DeployRequest { service, ask, by };
    match deploys.ask(request).await {
        Ok(deploy) => (StatusCode::ACCEPTED, Json(deploy)).into_response(),
        // Only an approval asks for more than the route's role.
        Err(e) if e.field.as_deref() == Some("role") => error(StatusCode::FORBIDDEN, e),
        Err(e) => refused(e),
    }
}
