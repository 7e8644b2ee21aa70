//! The engine's HTTP API, served on its Unix socket under `/api/v1` (and by `uc serve` on
//! TCP, which adds `/api/v1/workspaces/{ws}`, tokens and roles): one set of handlers for the
//! TUI, the CLI and REST users. `GET /api/v1/snapshot`, `GET /api/v1/events` (SSE) and
//! `POST /api/v1/commands` are the frontends' protocol; the other routes are the same powers
//! by resource. Every route has an entry in `access::ROUTES` and in [`openapi`].

mod access;
mod alerts;
mod audit;
mod config;
mod deploys;
mod doctor;
mod events;
mod heal;
mod hooks;
pub mod listen;
mod logs;
mod metrics;
mod openapi;
mod quota;
mod services;
mod terminal;

pub use access::{ROUTES, permission};
pub use alerts::{AckBody, AlertHistory, AlertHistoryParams, SilenceBody};
pub use audit::{
    ACTOR, ASSISTANT, AuditParams, CLI_ASSISTANT, PeerListener, ROLE, VIA, refusal_of, user_name,
    via_of,
};
pub use config::ConfigHistoryParams;
pub use deploys::{DecisionBody, DeployBody, DeploysParams, PushBody, RollbackBody};
pub use doctor::DoctorParams;
pub use events::SseEvent;
pub use heal::HealHistoryParams;
pub use hooks::{DeliveriesParams, HookDeliveries, HooksAccess};
pub use logs::{LogsAccess, LogsAnswer, NDJSON};
pub use metrics::{MetricsHistoryParams, serve_prometheus};
pub use openapi::{CreatedToken, Health, SERVE_ROUTES, SessionInfo, WorkspaceEntry, openapi};
pub use quota::{RateLimit, rate_limited};

use std::path::PathBuf;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::SharedRecent;
use crate::protocol::CommandRequest;
use crate::protocol::{Command, CommandError, Hub, Reply};

/// What the handlers reach: the bus, the supervisor's command queue, and metrics.
#[derive(Clone)]
pub struct Api {
    pub hub: Hub,
    pub commands: mpsc::Sender<CommandRequest>,
    /// The alerting worker's queue for ack / silence / expire; `None` when alerting is off.
    pub alerting: Option<mpsc::Sender<CommandRequest>>,
    /// The configuration center: environments, revisions, pending edits.
    pub config: mpsc::Sender<crate::config_center::ConfigRequest>,
    /// Alert journal and outbox, for `GET /api/v1/alerts/history`.
    pub alerts_db: PathBuf,
    pub outbox_db: PathBuf,
    pub recent: SharedRecent,
    /// The history database, when history is kept.
    pub history: Option<PathBuf>,
    /// The logs worker's live data and store; `None` when it could not start.
    pub logs: Option<LogsAccess>,
    /// Heal events, for `GET /api/v1/heal/events`.
    pub heal_db: PathBuf,
    pub playbooks: crate::heal::Playbooks,
    /// Where mutating calls from the local user (CLI, TUI) are recorded: `audit.jsonl`.
    pub audit_log: PathBuf,
    /// Incoming webhooks and the outgoing deliveries' outbox.
    pub hooks: HooksAccess,
    /// The services' live terminals.
    pub terminals: crate::supervisor::Terminals,
    /// The deploy worker; `None` when it could not start.
    pub deploys: Option<crate::deploy::Deploys>,
    /// The deploy history, for `GET /api/v1/deploys`.
    pub deploys_db: PathBuf,
    /// Applied config revisions, for the doctor.
    pub config_db: PathBuf,
    /// Who besides the engine's owner may call, with which role (`access:`).
    pub access: std::sync::Arc<std::sync::RwLock<std::sync::Arc<crate::protocol::access::Access>>>,
}

/// Every route the engine serves, each with the permission `access::ROUTES` gives it (a
/// test holds the two together).
fn routes() -> Vec<(&'static str, &'static str, MethodRouter<Api>)> {
    vec![
        ("GET", "/api/v1/snapshot", get(snapshot)),
        ("GET", "/api/v1/events", get(events::events)),
        ("POST", "/api/v1/commands", post(command)),
        ("GET", "/api/v1/services", get(services::list)),
        ("POST", "/api/v1/services/start", post(services::start)),
        ("POST", "/api/v1/services/stop", post(services::stop)),
        ("GET", "/api/v1/services/{name}", get(services::one)),
        (
            "POST",
            "/api/v1/services/{name}/start",
            post(services::start_one),
        ),
        (
            "POST",
            "/api/v1/services/{name}/stop",
            post(services::stop_one),
        ),
        (
            "POST",
            "/api/v1/services/{name}/restart",
            post(services::restart_one),
        ),
        (
            "GET",
            "/api/v1/services/{name}/terminal",
            get(terminal::stream),
        ),
        (
            "POST",
            "/api/v1/services/{name}/terminal/keys",
            post(terminal::keys),
        ),
        (
            "POST",
            "/api/v1/services/{name}/deploy",
            post(deploys::deploy),
        ),
        (
            "POST",
            "/api/v1/services/{name}/rollback",
            post(deploys::rollback),
        ),
        ("POST", "/api/v1/services/{name}/push", post(deploys::push)),
        (
            "POST",
            "/api/v1/services/{name}/approve",
            post(deploys::approve),
        ),
        (
            "POST",
            "/api/v1/services/{name}/reject",
            post(deploys::reject),
        ),
        ("GET", "/api/v1/deploys", get(deploys::list)),
        ("GET", "/api/v1/metrics", get(metrics::current)),
        ("GET", "/api/v1/metrics/history", get(metrics::history)),
        ("GET", "/api/v1/logs", get(logs::lines)),
        ("GET", "/api/v1/logs/follow", get(logs::follow_lines)),
        ("GET", "/api/v1/logs/patterns", get(logs::patterns)),
        ("GET", "/api/v1/logs/stats", get(logs::stats)),
        ("GET", "/api/v1/alerts", get(alerts::list)),
        ("POST", "/api/v1/alerts/{id}/ack", post(alerts::ack)),
        ("GET", "/api/v1/alerts/history", get(alerts::history)),
        ("GET", "/api/v1/silences", get(alerts::silences)),
        ("POST", "/api/v1/silences", post(alerts::silence)),
        ("DELETE", "/api/v1/silences/{id}", delete(alerts::expire)),
        ("GET", "/api/v1/environments", get(config::environments)),
        (
            "GET",
            "/api/v1/environments/{name}/plan",
            get(config::environment_plan),
        ),
        (
            "POST",
            "/api/v1/environments/{name}/switch",
            post(config::switch),
        ),
        ("POST", "/api/v1/config", post(config::replace)),
        ("POST", "/api/v1/config/validate", post(config::validate)),
        ("GET", "/api/v1/config/render", get(config::render)),
        ("GET", "/api/v1/config/plan", get(config::plan)),
        ("POST", "/api/v1/config/apply", post(config::apply)),
        ("GET", "/api/v1/config/history", get(config::history)),
        (
            "GET",
            "/api/v1/config/revisions/{id}",
            get(config::revision),
        ),
        (
            "POST",
            "/api/v1/config/revisions/{id}/revert",
            post(config::revert),
        ),
        ("GET", "/api/v1/config/diff", get(config::diff)),
        ("GET", "/api/v1/heal/events", get(heal::history)),
        ("GET", "/api/v1/heal/playbooks", get(heal::playbooks)),
        (
            "GET",
            "/api/v1/heal/playbooks/{name}",
            get(heal::playbook_source),
        ),
        (
            "PUT",
            "/api/v1/heal/playbooks/{name}",
            put(heal::save_playbook),
        ),
        (
            "DELETE",
            "/api/v1/heal/playbooks/{name}",
            delete(heal::delete_playbook),
        ),
        (
            "POST",
            "/api/v1/heal/playbooks/{name}/run",
            post(heal::run_playbook),
        ),
        ("GET", "/api/v1/hooks/deliveries", get(hooks::deliveries)),
        ("GET", "/api/v1/audit", get(audit::list)),
        ("GET", "/api/v1/doctor", get(doctor::diagnose)),
        ("POST", "/api/v1/hooks/{name}", post(hooks::receive)),
    ]
}

pub fn router(api: Api) -> Router {
    let audit = audit::EngineAudit {
        auditor: crate::store::Auditor::spawn(api.audit_log.clone()),
        hub: api.hub.clone(),
    };
    let guard = access::Guard {
        access: api.access.clone(),
        owner: nix::unistd::geteuid().as_raw(),
        hub: api.hub.clone(),
        auditor: audit.auditor.clone(),
    };
    routes()
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| {
            router.route(path, handler)
        })
        .fallback(not_found)
        .with_state(api)
        .layer(axum::middleware::from_fn_with_state(audit, audit::audit))
        .layer(axum::middleware::from_fn_with_state(guard, access::guard))
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        CommandError::new("no such route").with_hint("GET /api/v1/openapi.json lists them"),
    )
}

/// Who asked: the token's name `uc serve` forwards, else the local user of the socket.
pub(super) fn actor(headers: &HeaderMap) -> String {
    headers
        .get("x-uc-actor")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map_or_else(|| "api".to_owned(), str::to_owned)
}

/// A name taken from the path (a service, playbook, environment, alert or silence id): one
/// that could climb out of a directory, or is not in the names' grammar, is refused naming
/// the field.
pub(super) struct Name(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Name {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let bad = |text: String| error(StatusCode::BAD_REQUEST, CommandError::field("path", text));
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| bad(e.body_text()))?;
        let Some((field, value)) = params.into_iter().next() else {
            return Err(bad("no name in the path".into()));
        };
        check_name(&value, &field).map_err(IntoResponse::into_response)?;
        Ok(Self(value))
    }
}

/// `name` is in the grammar of service names (letters, digits, `-`, `_`).
pub(super) fn check_name(name: &str, field: &str) -> Result<(), Refusal> {
    if crate::config::values::is_name(name) {
        return Ok(());
    }
    Err(Refusal(
        StatusCode::BAD_REQUEST,
        CommandError::field(field, format!("`{}` is not a name", name.escape_debug()))
            .with_hint("names are letters, digits, `-` and `_`"),
    ))
}

/// A refused request: the status and what the client is told.
pub(super) struct Refusal(pub StatusCode, pub CommandError);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

/// The engine's whole state, as the first event of `GET /api/v1/events` carries it.
#[utoipa::path(get, path = "/snapshot", tag = "events",
    responses((status = 200, description = "The snapshot", body = Object)))]
async fn snapshot(State(state): State<Api>) -> impl IntoResponse {
    Json(state.hub.snapshot())
}

pub fn error(status: StatusCode, err: CommandError) -> Response {
    (status, Json(err)).into_response()
}

/// A handler's query string. One that does not parse is answered like a refused command.
pub(super) struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        match Query::try_from_uri(&parts.uri) {
            Ok(Query(params)) => Ok(Self(params)),
            Err(rejection) => Err(error(
                StatusCode::BAD_REQUEST,
                CommandError::field("query", rejection.body_text()),
            )),
        }
    }
}

/// Runs `read` (SQLite, files) on a blocking thread and answers its value as JSON, or its
/// error as a 500.
pub(super) async fn read_blocking<T, E>(
    read: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Response
where
    T: Serialize + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let failed = |text: String| error(StatusCode::INTERNAL_SERVER_ERROR, CommandError::new(text));
    match tokio::task::spawn_blocking(read).await {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(e)) => failed(e.to_string()),
        Err(e) => failed(e.to_string()),
    }
}

/// The body is parsed here rather than by axum's `Json` so a bad request names the field
/// that is wrong (`services[1]: invalid type ...`).
#[utoipa::path(post, path = "/commands", tag = "events",
    request_body(content = Object, description = "A `Command`: `{\"command\": \"start\", \"services\": [\"api\"]}`",
        example = json!({"command": "restart", "services": ["api"]})),
    responses((status = 200, description = "Accepted", body = Reply),
        (status = 400, description = "Refused; `field` says where", body = CommandError),
        (status = 403, description = "A workspace quota is reached; `field` names it", body = CommandError),
        (status = 404, description = "An unknown name", body = CommandError),
        (status = 409, description = "Alerting is disabled", body = CommandError),
        (status = 503, description = "The engine is shutting down", body = CommandError)))]
async fn command(State(state): State<Api>, body: Bytes) -> Response {
    match Command::from_json(&body) {
        Ok(command) => dispatch(&state, command).await,
        Err(err) => error(StatusCode::BAD_REQUEST, err),
    }
}

/// Sends `command` to the worker that answers it and answers with its reply.
pub(super) async fn dispatch(state: &Api, command: Command) -> Response {
    let (tx, rx) = oneshot::channel();
    let unavailable = || {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            CommandError::new("the engine is shutting down"),
        )
    };
    if command.is_config() {
        let request = crate::config_center::ConfigRequest::Command(command, tx);
        if state.config.send(request).await.is_err() {
            return unavailable();
        }
        return answer(rx.await);
    }
    let queue = if command.is_alerting() {
        match &state.alerting {
            Some(queue) => queue,
            None => {
                return error(
                    StatusCode::CONFLICT,
                    CommandError::new("alerting is disabled (alerts: { enabled: false })"),
                );
            }
        }
    } else {
        &state.commands
    };
    if queue.send((command, tx)).await.is_err() {
        return unavailable();
    }
    answer(rx.await)
}

/// A worker's answer to a command, or the engine going away.
fn answer(result: Result<Result<Reply, CommandError>, oneshot::error::RecvError>) -> Response {
    match result {
        Ok(Ok(reply)) => Json(reply).into_response(),
        Ok(Err(err)) => refused(err),
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            CommandError::new("the engine is shutting down"),
        ),
    }
}

/// Unknown names are 404, a quota reached 403, anything else wrong with a request 400.
pub(super) fn refused(err: CommandError) -> Response {
    let status = if err.message.starts_with("unknown") {
        StatusCode::NOT_FOUND
    } else if crate::protocol::quota::is_exceeded(&err) {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    };
    error(status, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A route cannot be served without a permission: every one is in `access::ROUTES`, and
    /// every engine entry there is served.
    #[test]
    fn every_route_has_its_permission() {
        let served: Vec<(&str, &str)> = routes().iter().map(|(m, p, _)| (*m, *p)).collect();
        for (method, path) in &served {
            assert!(
                ROUTES.iter().any(|(m, p, _)| m == method && p == path),
                "{method} {path} has no entry in access::ROUTES"
            );
        }
        for (method, path, _) in ROUTES {
            assert!(
                served.contains(&(*method, *path)) || openapi::SERVE_ROUTES.contains(path),
                "{method} {path} is in access::ROUTES but nobody serves it"
            );
        }
    }

    /// The document is OpenAPI 3.1 as an independent parser reads it, and lists every
    /// route the engine serves, with and without a workspace prefix, plus `uc serve`'s own.
    #[test]
    fn the_openapi_document_lists_every_route() {
        let doc = openapi();
        let json = doc.to_json().unwrap();
        let spec = oas3::from_json(&json).unwrap();
        assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
        let paths = spec.paths.unwrap_or_default();
        for (method, path, _) in routes() {
            let relative = path.trim_start_matches("/api/v1");
            for listed in [
                path.to_owned(),
                format!("/api/v1/workspaces/{{ws}}{relative}"),
            ] {
                let item = paths
                    .get(&listed)
                    .unwrap_or_else(|| panic!("{listed} missing"));
                let op = match method {
                    "GET" => &item.get,
                    "POST" => &item.post,
                    "PUT" => &item.put,
                    "DELETE" => &item.delete,
                    other => panic!("{other}"),
                };
                assert!(op.is_some(), "{method} {listed} missing");
            }
        }
        for path in SERVE_ROUTES {
            assert!(paths.contains_key(*path), "{path} missing");
        }
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let pattern = &value["components"]["schemas"]["PatternInfo"]["properties"];
        assert_eq!(pattern["new"]["type"], "boolean", "{pattern}");
        // What the web page's approve / reject buttons and the git hook send and read.
        let schemas = &value["components"]["schemas"];
        for name in ["DecisionBody", "PushBody", "Approval"] {
            assert!(schemas[name].is_object(), "{name} missing");
        }
        let states = &schemas["DeployState"]["enum"];
        assert!(
            states.as_array().unwrap().contains(&"waiting".into()),
            "{states}"
        );
        let schemes = spec.components.unwrap().security_schemes;
        assert!(schemes.contains_key("bearerAuth"));
        assert!(
            json.contains(r#""example":{"error":"unknown service `apu`""#),
            "examples"
        );
    }
}
