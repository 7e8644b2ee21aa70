//! Webhooks: `POST /api/v1/hooks/{name}` takes a signed delivery for an incoming hook
//! (`hooks::Incoming`), `GET /api/v1/hooks/deliveries` lists the outgoing ones.
//!
//! Answers: 202 accepted (recorded and published), 200 a delivery seen before or an event
//! that is not a push (the body says which), 401 a missing or wrong signature, 400 a stale
//! timestamp or a body that is not a push (naming the field), 404 an unknown hook; the
//! listener answers 413 to a body over its limit.

use std::path::PathBuf;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::alerts::outbox::Listed;
use crate::api::{Api, Params, error, read_blocking};
use crate::hooks::verify::Refusal;
use crate::hooks::{Answer, Delivery, HookError, Incoming};
use crate::protocol::CommandError;

/// What the webhook handlers reach.
#[derive(Clone)]
pub struct HooksAccess {
    pub incoming: Incoming,
    /// The outgoing deliveries' outbox.
    pub outbox: PathBuf,
}

/// The query string of `GET /api/v1/hooks/deliveries`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesParams {
    /// At most this many, newest first (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookDeliveries {
    pub deliveries: Vec<Listed>,
}

#[utoipa::path(get, path = "/hooks/deliveries", tag = "hooks",
    params(("limit" = Option<u32>, Query, description = "At most this many, newest first (100)")),
    responses((status = 200, description = "Outgoing webhook deliveries", body = Object),
        (status = 400, description = "A bad query", body = CommandError)))]
pub async fn deliveries(
    State(api): State<Api>,
    Params(params): Params<DeliveriesParams>,
) -> Response {
    let path = api.hooks.outbox.clone();
    let limit = params.limit.unwrap_or(100);
    read_blocking(move || {
        crate::hooks::outgoing::deliveries(&path, limit)
            .map(|deliveries| HookDeliveries { deliveries })
    })
    .await
}

#[utoipa::path(post, path = "/hooks/{name}", tag = "hooks", security(()),
    params(("name" = String, Path, description = "The incoming hook's name in the config")),
    request_body(content = Object, description = "The sender's payload (a GitHub push, or \
        any Standard Webhooks event)"),
    responses((status = 202, description = "Verified, recorded and published", body = Object),
        (status = 200, description = "Seen before, or not a push: ignored", body = Object),
        (status = 400, description = "A stale timestamp or a payload that is not a push",
            body = CommandError),
        (status = 401, description = "A missing or wrong signature", body = CommandError),
        (status = 404, description = "No such hook", body = CommandError),
        (status = 413, description = "The body is over the limit", body = CommandError)))]
pub async fn receive(
    State(api): State<Api>,
    Path(hook): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let delivery = Delivery {
        github_signature: header("x-hub-signature-256"),
        github_delivery: header("x-github-delivery"),
        github_event: header("x-github-event"),
        webhook_id: header("webhook-id"),
        webhook_timestamp: header("webhook-timestamp"),
        webhook_signature: header("webhook-signature"),
    };
    let incoming = api.hooks.incoming.clone();
    let received =
        tokio::task::spawn_blocking(move || incoming.receive(&hook, &delivery, &body)).await;
    match received {
        Ok(Ok(answer)) => accepted(answer),
        Ok(Err(e)) => refused(e),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new(e.to_string()),
        ),
    }
}

fn accepted(answer: Answer) -> Response {
    let (status, body) = match answer {
        Answer::Accepted(push) => (
            StatusCode::ACCEPTED,
            serde_json::json!({"status": "accepted", "delivery": push.delivery}),
        ),
        Answer::Duplicate(id) => (
            StatusCode::OK,
            serde_json::json!({"status": "duplicate", "delivery": id,
                "message": "delivery already received; ignored"}),
        ),
        Answer::Ignored(event) => (
            StatusCode::OK,
            serde_json::json!({"status": "ignored", "event": event,
                "message": "only push events are acted on"}),
        ),
    };
    (status, Json(body)).into_response()
}

fn refused(e: HookError) -> Response {
    let (status, err) = match e {
        HookError::UnknownHook(_) => (StatusCode::NOT_FOUND, CommandError::new(e.to_string())),
        HookError::Refused(Refusal::Unsigned(header) | Refusal::BadSignature(header)) => (
            StatusCode::UNAUTHORIZED,
            CommandError::field(header, e.to_string()),
        ),
        HookError::Refused(Refusal::Malformed { field, ref message }) => (
            StatusCode::BAD_REQUEST,
            CommandError::field(field, message.clone()),
        ),
        HookError::Malformed { field, ref message } => (
            StatusCode::BAD_REQUEST,
            CommandError::field(field, message.clone()),
        ),
        HookError::Store(ref store) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new(store.to_string()),
        ),
    };
    error(status, err)
}
