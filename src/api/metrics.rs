//! Metrics over HTTP: `GET /api/v1/metrics` (the latest sample) and
//! `GET /api/v1/metrics/history` on the engine's socket, and Prometheus' `GET /metrics` on
//! the TCP address from `metrics.listen`.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::api::{Api, Params, error, read_blocking};
use crate::clock::now_ms;
use crate::metrics::{HistoryQuery, HistoryResponse, RECENT_POINTS, SeriesKey, prometheus};
use crate::protocol::{CommandError, Hub};

/// Windows up to this long are answered from memory.
const MEMORY_WINDOW: u64 = RECENT_POINTS as u64;

/// The query string of `GET /api/v1/metrics/history`, as the client writes it and the engine
/// reads it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsHistoryParams {
    /// Seconds before now.
    since: u64,
    step: Option<u64>,
    /// Comma-separated series (`service_cpu:api,host_cpu`); absent = all.
    series: Option<String>,
}

impl From<&HistoryQuery> for MetricsHistoryParams {
    fn from(query: &HistoryQuery) -> Self {
        let names: Vec<String> = query.series.iter().map(ToString::to_string).collect();
        Self {
            since: query.since,
            step: query.step,
            series: (!names.is_empty()).then(|| names.join(",")),
        }
    }
}

impl MetricsHistoryParams {
    /// The query, or the field that is wrong.
    fn query(self) -> Result<HistoryQuery, CommandError> {
        let series = parse_series(self.series.as_deref())?;
        if self.step == Some(0) {
            return Err(CommandError::field("step", "must be at least 1"));
        }
        Ok(HistoryQuery {
            series,
            since: self.since,
            step: self.step,
        })
    }
}

/// `GET /api/v1/metrics`: the latest sample, host and per service.
#[utoipa::path(get, path = "/metrics", tag = "metrics",
    responses((status = 200, description = "The latest sample", body = Object),
        (status = 503, description = "No sample yet (the first comes within `metrics.interval`)", body = CommandError)))]
pub async fn current(State(api): State<Api>) -> Response {
    match api.hub.snapshot().metrics {
        Some(sample) => Json(sample).into_response(),
        None => error(
            StatusCode::SERVICE_UNAVAILABLE,
            CommandError::new("no metrics sample yet")
                .with_hint("the first is taken within `metrics.interval` of the engine's start"),
        ),
    }
}

#[utoipa::path(get, path = "/metrics/history", tag = "metrics",
    params(("since" = u64, Query, description = "Seconds before now"),
        ("step" = Option<u64>, Query, description = "Seconds per point"),
        ("series" = Option<String>, Query, description = "Comma-separated: `host_cpu,service_rss:api`")),
    responses((status = 200, description = "The series: each one's points and the stretches the anomaly detector flagged (`anomalies`, docs/json.md)", body = Object),
        (status = 400, description = "A bad parameter, named", body = CommandError)))]
pub async fn history(
    State(api): State<Api>,
    Params(params): Params<MetricsHistoryParams>,
) -> Response {
    let query = match params.query() {
        Ok(query) => query,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let now = now_ms() as f64 / 1000.0;
    if query.since <= MEMORY_WINDOW {
        let step = query.step.unwrap_or(1);
        let series = api
            .recent
            .lock()
            .history(&query.series, now, query.since, step);
        return Json(HistoryResponse {
            tier: "memory".into(),
            step,
            series,
        })
        .into_response();
    }
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
    // Any `since` past the epoch means "everything kept".
    let from = to
        .saturating_sub(i64::try_from(query.since).unwrap_or(i64::MAX))
        .max(0);
    read_blocking(move || {
        let store = crate::store::History::open_read_only(&path)?;
        store.query(&query.series, from, to, query.step)
    })
    .await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metric;

    fn read_back(query: &HistoryQuery) -> Result<HistoryQuery, CommandError> {
        let text = serde_urlencoded::to_string(MetricsHistoryParams::from(query)).unwrap();
        serde_urlencoded::from_str::<MetricsHistoryParams>(&text)
            .unwrap()
            .query()
    }

    #[test]
    fn the_query_string_reads_back_as_written() {
        let query = HistoryQuery {
            series: vec![
                SeriesKey::new(Metric::ServiceCpu, "api"),
                SeriesKey::host(Metric::HostCpu),
            ],
            since: 3600,
            step: Some(60),
        };
        assert_eq!(read_back(&query), Ok(query));
        let all = HistoryQuery {
            series: Vec::new(),
            since: 60,
            step: None,
        };
        let text = serde_urlencoded::to_string(MetricsHistoryParams::from(&all)).unwrap();
        assert_eq!(text, "since=60", "absent parameters are left out");
        assert_eq!(read_back(&all), Ok(all));
    }

    #[test]
    fn a_bad_parameter_is_named() {
        let read = |text: &str| {
            serde_urlencoded::from_str::<MetricsHistoryParams>(text)
                .unwrap()
                .query()
                .unwrap_err()
                .field
        };
        assert_eq!(
            read("since=60&series=nope&step=0").as_deref(),
            Some("series")
        );
        assert_eq!(read("since=60&step=0").as_deref(), Some("step"));
    }
}
