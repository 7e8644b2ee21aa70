//! The protocol every frontend speaks: `GET /v1/snapshot`, `GET /v1/events` (SSE),
//! `POST /v1/commands`, `GET /v1/metrics/history`. One router, served on the engine's Unix
//! socket (and later on TCP).

mod access;
mod alerts;
mod config;
mod heal;
mod hooks;
pub mod listen;
mod logs;
mod metrics;

pub use access::permission;
pub use alerts::{AlertHistory, AlertHistoryParams};
pub use config::ConfigHistoryParams;
pub use heal::HealHistoryParams;
pub use hooks::{DeliveriesParams, HookDeliveries, HooksAccess};
pub use logs::{LogsAccess, NDJSON};
pub use metrics::{MetricsHistoryParams, serve_prometheus};

use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::SharedRecent;
use crate::protocol::CommandRequest;
use crate::protocol::{Command, CommandError, Event, Hub, Reply};

/// What the handlers reach: the bus, the supervisor's command queue, and metrics.
#[derive(Clone)]
pub struct Api {
    pub hub: Hub,
    pub commands: mpsc::Sender<CommandRequest>,
    /// The alerting worker's queue for ack / silence / expire; `None` when alerting is off.
    pub alerting: Option<mpsc::Sender<CommandRequest>>,
    /// The configuration center: environments, revisions, pending edits.
    pub config: mpsc::Sender<crate::config_center::ConfigRequest>,
    /// Alert journal and outbox, for `GET /v1/alerts/history`.
    pub alerts_db: PathBuf,
    pub outbox_db: PathBuf,
    pub recent: SharedRecent,
    /// The history database, when history is kept.
    pub history: Option<PathBuf>,
    /// The logs worker's live data and store; `None` when it could not start.
    pub logs: Option<LogsAccess>,
    /// Heal events, for `GET /v1/heal/history`.
    pub heal_db: PathBuf,
    pub playbooks: crate::heal::Playbooks,
    /// Incoming webhooks and the outgoing deliveries' outbox.
    pub hooks: HooksAccess,
}

pub fn router(api: Api) -> Router {
    Router::new()
        .route("/v1/snapshot", get(snapshot))
        .route("/v1/events", get(events))
        .route("/v1/commands", post(command))
        .route("/v1/metrics/history", get(metrics::history))
        .route("/v1/alerts/history", get(alerts::history))
        .route("/v1/logs", get(logs::lines))
        .route("/v1/logs/patterns", get(logs::patterns))
        .route("/v1/logs/stats", get(logs::stats))
        .route("/v1/heal/history", get(heal::history))
        .route("/v1/config/plan", get(config::plan))
        .route("/v1/config/history", get(config::history))
        .route("/v1/config/revisions/{id}", get(config::revision))
        .route("/v1/config/diff", get(config::diff))
        .route("/v1/heal/playbooks", get(heal::playbooks))
        .route("/v1/heal/playbooks/{name}/run", post(heal::run_playbook))
        .route("/api/v1/hooks/deliveries", get(hooks::deliveries))
        .route("/api/v1/hooks/{name}", post(hooks::receive))
        .with_state(api)
}

async fn snapshot(State(state): State<Api>) -> impl IntoResponse {
    Json(state.hub.snapshot())
}

pub(super) fn error(status: StatusCode, err: CommandError) -> Response {
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
async fn command(State(state): State<Api>, body: Bytes) -> Response {
    let command = match Command::from_json(&body) {
        Ok(c) => c,
        Err(err) => return error(StatusCode::BAD_REQUEST, err),
    };
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

/// Unknown names are 404, anything else wrong with a request 400.
pub(super) fn refused(err: CommandError) -> Response {
    let status = if err.message.starts_with("unknown") {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::BAD_REQUEST
    };
    error(status, err)
}

/// The stream starts with a full snapshot; a client that falls behind gets a fresh snapshot
/// instead of the events it missed.
async fn events(
    State(state): State<Api>,
) -> Sse<impl Stream<Item = Result<sse::Event, Infallible>>> {
    let (snapshot, rx) = state.hub.subscribe();
    let hub = state.hub.clone();
    let stream = futures::stream::unfold(
        (Some(Event::Snapshot(Box::new(snapshot))), rx, false),
        move |(first, mut rx, done)| {
            let hub = hub.clone();
            async move {
                if done {
                    return None;
                }
                let event = match first {
                    Some(event) => event,
                    None => match rx.recv().await {
                        Ok(event) => event,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            let (snapshot, fresh) = hub.subscribe();
                            rx = fresh;
                            Event::Snapshot(Box::new(snapshot))
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => Event::Shutdown,
                    },
                };
                let done = event == Event::Shutdown;
                Some((Ok(to_sse(&event)), (None, rx, done)))
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn to_sse(event: &Event) -> sse::Event {
    let data = serde_json::to_string(event).unwrap_or_else(|e| {
        serde_json::json!({"event": "notice", "level": "error", "text": e.to_string(), "at": 0})
            .to_string()
    });
    sse::Event::default().data(data)
}
