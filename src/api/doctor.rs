//! `GET /api/v1/doctor?service=NAME`: the assistant's diagnosis, read-only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::api::{Api, Params, error, read_blocking};
use crate::assist::doctor::{self, Sources};
use crate::clock::now_ms;
use crate::protocol::CommandError;

/// The query string of `GET /api/v1/doctor`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorParams {
    /// One service's findings, with those of what it depends on.
    #[serde(default)]
    pub service: Option<String>,
}

#[utoipa::path(get, path = "/doctor", tag = "assistant",
    params(("service" = Option<String>, Query, description = "One service and what it depends on")),
    responses((status = 200, description = "Findings, most important first", body = Object),
        (status = 400, description = "An unknown service", body = CommandError)))]
pub async fn diagnose(State(api): State<Api>, Params(params): Params<DoctorParams>) -> Response {
    let snapshot = api.hub.snapshot();
    if let Some(service) = &params.service
        && snapshot.service(service).is_none()
    {
        return error(
            StatusCode::BAD_REQUEST,
            CommandError::field("service", format!("unknown service `{service}`")),
        );
    }
    let sources = Sources {
        snapshot,
        heal_db: api.heal_db.clone(),
        alerts_db: api.alerts_db.clone(),
        deploys_db: api.deploys_db.clone(),
        history: api.history.clone(),
        log_store: api.logs.as_ref().map(|l| l.store_dir.clone()),
    };
    read_blocking(move || {
        let facts = doctor::gather(&sources, now_ms());
        Ok::<_, std::convert::Infallible>(doctor::diagnose(&facts, params.service.as_deref()))
    })
    .await
}
