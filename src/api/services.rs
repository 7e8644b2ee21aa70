//! Services over HTTP: `GET /api/v1/services`, `GET /api/v1/services/{name}`,
//! `POST /api/v1/services/start|stop` (body `{"names": [...]}` or `{"tags": [...]}`) and
//! `POST /api/v1/services/{name}/start|stop|restart`. Each action is the supervisor's
//! `Command`, answered as `POST /api/v1/commands` answers it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::{Api, Name, Refusal, dispatch};
use crate::protocol::{Command, CommandError, ServiceStatus, Snapshot};

/// `GET /api/v1/services`: every service's status.
#[utoipa::path(get, path = "/services", tag = "services",
    responses((status = 200, description = "Every service, in config order", body = [ServiceStatus])))]
pub async fn list(State(api): State<Api>) -> Response {
    match api.hub.services_json() {
        Ok(json) => (
            [(CONTENT_TYPE, "application/json")],
            Bytes::from_owner(json),
        )
            .into_response(),
        Err(e) => crate::api::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new(format!("the services could not be written as JSON: {e}")),
        ),
    }
}

/// `GET /api/v1/services/{name}`.
#[utoipa::path(get, path = "/services/{name}", tag = "services",
    params(("name" = String, Path, description = "Service name")),
    responses(
        (status = 200, description = "The service", body = ServiceStatus),
        (status = 400, description = "Not a service name", body = CommandError),
        (status = 404, description = "No such service", body = CommandError)))]
pub async fn one(State(api): State<Api>, name: Name) -> Response {
    match known(&api.hub.snapshot(), &name.0, "name") {
        Ok(status) => Json(status.clone()).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The body of `POST /api/v1/services/start|stop`: exactly one of the two.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"names": ["api", "web"]}))]
pub struct Selection {
    /// Services by name.
    #[serde(default)]
    names: Option<Vec<String>>,
    /// Every service carrying one of these tags.
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// `POST /api/v1/services/start`: starts the services and, first, what they depend on.
#[utoipa::path(post, path = "/services/start", tag = "services", request_body = Selection,
    responses(
        (status = 200, description = "What will start, in order", body = crate::protocol::Reply),
        (status = 400, description = "The body is wrong; `field` says where", body = CommandError),
        (status = 403, description = "A workspace quota is reached; `field` names it", body = CommandError),
        (status = 404, description = "A named service does not exist", body = CommandError)))]
pub async fn start(State(api): State<Api>, body: Bytes) -> Response {
    act(api, &body, Action::Start).await
}

/// `POST /api/v1/services/stop`: stops the services and, first, what depends on them.
#[utoipa::path(post, path = "/services/stop", tag = "services", request_body = Selection,
    responses(
        (status = 200, description = "What will stop, in order", body = crate::protocol::Reply),
        (status = 400, description = "The body is wrong; `field` says where", body = CommandError),
        (status = 404, description = "A named service does not exist", body = CommandError)))]
pub async fn stop(State(api): State<Api>, body: Bytes) -> Response {
    act(api, &body, Action::Stop).await
}

#[derive(Clone, Copy)]
enum Action {
    Start,
    Stop,
    Restart,
}

impl Action {
    fn command(self, services: Vec<String>) -> Command {
        match self {
            Action::Start => Command::Start {
                services,
                tags: Vec::new(),
            },
            Action::Stop => Command::Stop { services },
            Action::Restart => Command::Restart { services },
        }
    }
}

async fn act(api: Api, body: &[u8], action: Action) -> Response {
    let services = match selected(&api.hub.snapshot(), body) {
        Ok(services) => services,
        Err(e) => return e.into_response(),
    };
    dispatch(&api, action.command(services)).await
}

/// The services a selection names, each known; or the answer saying what is wrong.
fn selected(snapshot: &Snapshot, body: &[u8]) -> Result<Vec<String>, Refusal> {
    let bad = |field: &str, text: String| {
        Refusal(StatusCode::BAD_REQUEST, CommandError::field(field, text))
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    let selection: Selection = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        bad(
            if path == "." { "body" } else { &path },
            e.into_inner().to_string(),
        )
    })?;
    match (selection.names, selection.tags) {
        (Some(_), Some(_)) => Err(bad("tags", "give names or tags, not both".into())),
        (None, None) => Err(bad("names", "give names or tags".into())),
        (Some(names), None) if names.is_empty() => {
            Err(bad("names", "name at least one service".into()))
        }
        (None, Some(tags)) if tags.is_empty() => Err(bad("tags", "name at least one tag".into())),
        (Some(names), None) => {
            for (i, name) in names.iter().enumerate() {
                known(snapshot, name, &format!("names[{i}]"))?;
            }
            Ok(names)
        }
        (None, Some(tags)) => tagged(snapshot, &tags),
    }
}

/// The services carrying any of `tags`; a tag no service carries is unknown.
fn tagged(snapshot: &Snapshot, tags: &[String]) -> Result<Vec<String>, Refusal> {
    for (i, tag) in tags.iter().enumerate() {
        if !snapshot.services.iter().any(|s| s.tags.contains(tag)) {
            return Err(Refusal(
                StatusCode::NOT_FOUND,
                CommandError::field(
                    format!("tags[{i}]"),
                    format!("no service is tagged `{tag}`"),
                ),
            ));
        }
    }
    Ok(snapshot
        .services
        .iter()
        .filter(|s| s.tags.iter().any(|t| tags.contains(t)))
        .map(|s| s.name.clone())
        .collect())
}

/// The status of service `name`: 400 when it is not a name, 404 when there is none.
fn known<'a>(
    snapshot: &'a Snapshot,
    name: &str,
    field: &str,
) -> Result<&'a ServiceStatus, Refusal> {
    crate::api::check_name(name, field)?;
    snapshot.service(name).ok_or_else(|| {
        Refusal(
            StatusCode::NOT_FOUND,
            CommandError::field(field, format!("unknown service `{name}`"))
                .with_hint(format!("services: {}", names(snapshot))),
        )
    })
}

fn names(snapshot: &Snapshot) -> String {
    let names: Vec<&str> = snapshot.services.iter().map(|s| s.name.as_str()).collect();
    names.join(", ")
}

/// `POST /api/v1/services/{name}/start|stop|restart`.
async fn one_action(api: Api, name: Name, action: Action) -> Response {
    if let Err(e) = known(&api.hub.snapshot(), &name.0, "name") {
        return e.into_response();
    }
    dispatch(&api, action.command(vec![name.0])).await
}

#[utoipa::path(post, path = "/services/{name}/start", tag = "services",
    params(("name" = String, Path, description = "Service name")),
    responses((status = 200, description = "What will start", body = crate::protocol::Reply),
        (status = 403, description = "A workspace quota is reached; `field` names it", body = CommandError),
        (status = 404, description = "No such service", body = CommandError)))]
pub async fn start_one(State(api): State<Api>, name: Name) -> Response {
    one_action(api, name, Action::Start).await
}

#[utoipa::path(post, path = "/services/{name}/stop", tag = "services",
    params(("name" = String, Path, description = "Service name")),
    responses((status = 200, description = "What will stop", body = crate::protocol::Reply),
        (status = 404, description = "No such service", body = CommandError)))]
pub async fn stop_one(State(api): State<Api>, name: Name) -> Response {
    one_action(api, name, Action::Stop).await
}

#[utoipa::path(post, path = "/services/{name}/restart", tag = "services",
    params(("name" = String, Path, description = "Service name")),
    responses((status = 200, description = "What will restart", body = crate::protocol::Reply),
        (status = 403, description = "A workspace quota is reached; `field` names it", body = CommandError),
        (status = 404, description = "No such service", body = CommandError)))]
pub async fn restart_one(State(api): State<Api>, name: Name) -> Response {
    one_action(api, name, Action::Restart).await
}
