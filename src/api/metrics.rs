//! Metrics over HTTP: `GET /v1/metrics/history` on the engine's socket, and Prometheus'
//! `GET /metrics` on the TCP address from `metrics.listen`.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::api::{Api, error};
use crate::clock::now_ms;
use crate::metrics::{HistoryResponse, RECENT_POINTS, SeriesKey, prometheus};
use crate::protocol::{CommandError, Hub};

/// Windows up to this long are answered from memory.
const MEMORY_WINDOW: u64 = RECENT_POINTS as u64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// Seconds before now.
    since: u64,
    step: Option<u64>,
    /// Comma-separated series (`service_cpu:api,host_cpu`); absent = all.
    series: Option<String>,
}

pub async fn history(
    State(api): State<Api>,
    query: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(params) = match query {
        Ok(q) => q,
        Err(e) => return crate::api::bad_query(&e),
    };
    let keys = match parse_series(params.series.as_deref()) {
        Ok(keys) => keys,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    if params.step == Some(0) {
        return error(
            StatusCode::BAD_REQUEST,
            CommandError::field("step", "must be at least 1"),
        );
    }
    let now = now_ms() as f64 / 1000.0;
    if params.since <= MEMORY_WINDOW {
        let step = params.step.unwrap_or(1);
        let series = api.recent.lock().history(&keys, now, params.since, step);
        return Json(HistoryResponse {
            tier: "memory".into(),
            step,
            series,
        })
        .into_response();
    }
    stored(api, keys, now, params).await
}

async fn stored(api: Api, keys: Vec<SeriesKey>, now: f64, params: HistoryParams) -> Response {
    let Some(path) = api.history else {
        let err = CommandError::field(
            "since",
            format!(
                "history is off (metrics.history: false); at most {MEMORY_WINDOW} s are kept in memory"
            ),
        );
        return error(StatusCode::NOT_FOUND, err);
    };
    let to = now as i64;
    let from = to - params.since as i64;
    let answer = tokio::task::spawn_blocking(move || {
        let store = crate::store::History::open_read_only(&path)?;
        store.query(&keys, from, to, params.step)
    })
    .await;
    match answer {
        Ok(Ok(response)) => Json(response).into_response(),
        Ok(Err(e)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new(e.to_string()),
        ),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new(e.to_string()),
        ),
    }
}

fn parse_series(text: Option<&str>) -> Result<Vec<SeriesKey>, CommandError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(|name| {
            SeriesKey::parse(name).ok_or_else(|| {
                CommandError::field(
                    "series",
                    format!("unknown series `{name}` (e.g. `host_cpu`, `service_rss:api`)"),
                )
            })
        })
        .collect()
}

/// Serve Prometheus' `/metrics` on `addr` until the engine exits.
pub async fn serve_prometheus(hub: Hub, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let router = Router::new()
        .route("/metrics", get(exposition))
        .with_state(hub);
    tokio::spawn(crate::api::listen::serve(
        listener,
        router,
        crate::api::listen::METRICS,
    ));
    Ok(())
}

async fn exposition(State(hub): State<Hub>) -> impl IntoResponse {
    let body = prometheus::render(&hub.snapshot());
    ([(header::CONTENT_TYPE, prometheus::CONTENT_TYPE)], body)
}
