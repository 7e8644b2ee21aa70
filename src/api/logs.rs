//! Logs over HTTP: `GET /api/v1/logs` (stored lines, and with `follow=true` a Server-Sent
//! Events stream of [`LogStreamEvent`]s: the newest stored lines, then live ones; the same
//! as `GET /api/v1/logs/follow`), `GET /api/v1/logs/patterns`,
//! `GET /api/v1/logs/stats?since=SECONDS`.
//!
//! A followed stream's `lines` events carry `id: <seq of the last line>` (line numbers are
//! the store's, kept across engines): a client reconnecting with `Last-Event-ID` gets the
//! lines after it, and a `skipped` event when more arrived than the backfill holds.
//!
//! Stored lines are streamed as the store is read, never gathered: a JSON array, or one
//! JSON object per line with `Accept: application/x-ndjson` (an error after the first line
//! ends an NDJSON body with `{"error": "..."}`). `count=true` answers `{"count": N}`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use crate::api::{Api, Params, error};
use crate::clock::now_ms;
use crate::protocol::CommandError;

/// What the handlers reach of the logs worker.
#[derive(Clone)]
pub struct LogsAccess {
    pub hub: crate::logs::live::LogsHub,
    pub store_dir: std::path::PathBuf,
}
use crate::logs::header::Annotator;
use crate::logs::live::{Live, LiveFilter};
use crate::logs::store::StoreReader;
use crate::logs::{Level, LogLine, LogQuery, LogStreamEvent, stats};

/// Stored lines sent before following when the query names no `limit`.
const DEFAULT_BACKFILL: usize = 1000;
/// Bytes of serialised lines per body chunk, and chunks waiting for a slow client: the
/// store is read no faster than the client takes the answer.
const BODY_CHUNK: usize = 64 << 10;
const BODY_CHUNKS: usize = 8;
/// The media type that asks for one JSON object per line.
pub const NDJSON: &str = "application/x-ndjson";
/// Lines per stream event while backfilling.
const CHUNK: usize = 2000;

/// The query string: `sources=api,web&level=warn&grep=time.?out&pattern=12&since=MS&limit=N&follow=true`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogParams {
    sources: Option<String>,
    /// One more source (a service name), for `GET /api/v1/logs/follow?service=api`.
    service: Option<String>,
    level: Option<String>,
    grep: Option<String>,
    pattern: Option<u32>,
    /// Unix ms.
    since: Option<u64>,
    limit: Option<usize>,
    #[serde(default)]
    follow: bool,
    /// Answer how many lines match instead of the lines.
    #[serde(default)]
    count: bool,
}

/// What `GET /logs` answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LogsAnswer {
    /// The lines, oldest first (written as they are read, not built whole).
    #[schema(value_type = Vec<Object>)]
    Lines(Vec<serde_json::Value>),
    /// With `count=true`: how many lines match.
    Count { count: u64 },
}

impl LogParams {
    /// The query, or the field that is wrong.
    pub fn query(self) -> Result<LogQuery, CommandError> {
        if let Some(service) = &self.service
            && !crate::config::values::is_name(service)
        {
            return Err(CommandError::field(
                "service",
                format!("`{}` is not a name", service.escape_debug()),
            ));
        }
        let level = match self.level.as_deref() {
            None | Some("") => None,
            Some(name) => Some(Level::from_name(name).ok_or_else(|| {
                CommandError::field(
                    "level",
                    format!("unknown level `{name}` (trace, debug, info, warn, error, fatal)"),
                )
            })?),
        };
        if let Some(grep) = &self.grep {
            crate::config::values::regex(grep)
                .map_err(|rejected| CommandError::field("grep", rejected.message))?;
        }
        Ok(LogQuery {
            sources: self
                .sources
                .iter()
                .flat_map(|s| s.split(','))
                .chain(self.service.as_deref())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            level,
            grep: self.grep.filter(|g| !g.is_empty()),
            pattern: self.pattern,
            since: self.since,
            limit: self.limit,
            follow: self.follow,
        })
    }
}

#[utoipa::path(get, path = "/logs", tag = "logs",
    params(("sources" = Option<String>, Query, description = "Comma-separated services"),
        ("level" = Option<String>, Query, description = "At least this level"),
        ("grep" = Option<String>, Query, description = "Regex"),
        ("pattern" = Option<u32>, Query, description = "Pattern id"),
        ("since" = Option<u64>, Query, description = "Unix ms"),
        ("limit" = Option<usize>, Query, description = "The newest N"),
        ("follow" = Option<bool>, Query, description = "Then stream live lines (SSE)"),
        ("count" = Option<bool>, Query, description = "Answer `{\"count\": N}`")),
    responses((status = 200, description = "Lines (JSON array, or NDJSON with `Accept: application/x-ndjson`); with `count=true`, how many; with `follow=true`, a stream as `/logs/follow` sends",
            content((LogsAnswer = "application/json"), (String = "application/x-ndjson"),
                (super::events::SseEvent = "text/event-stream"))),
        (status = 400, description = "A bad parameter, named", body = CommandError),
        (status = 503, description = "The engine keeps no logs", body = CommandError)))]
pub async fn lines(
    State(api): State<Api>,
    headers: HeaderMap,
    Params(params): Params<LogParams>,
) -> Response {
    answer(api, &headers, params).await
}

/// `GET /api/v1/logs/follow?service=api`: `GET /api/v1/logs?follow=true`.
#[utoipa::path(get, path = "/logs/follow", tag = "logs",
    params(("service" = Option<String>, Query, description = "One service"),
        ("sources" = Option<String>, Query, description = "Comma-separated services"),
        ("level" = Option<String>, Query, description = "At least this level"),
        ("grep" = Option<String>, Query, description = "Regex"),
        ("limit" = Option<usize>, Query, description = "Stored lines first (1000)"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this line")),
    responses((status = 200, description = "`text/event-stream` of `lines`, `caught_up`, `second`, `skipped`",
        content_type = "text/event-stream", body = super::events::SseEvent),
        (status = 400, description = "A bad parameter, named", body = CommandError)))]
pub async fn follow_lines(
    State(api): State<Api>,
    headers: HeaderMap,
    Params(params): Params<LogParams>,
) -> Response {
    answer(
        api,
        &headers,
        LogParams {
            follow: true,
            ..params
        },
    )
    .await
}

async fn answer(api: Api, headers: &HeaderMap, params: LogParams) -> Response {
    let count = params.count;
    let mut query = match params.query() {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let Some(logs) = api.logs.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            CommandError::new("the engine keeps no logs"),
        );
    };
    if count {
        return match counted(logs.store_dir.clone(), query).await {
            Ok(count) => Json(LogsAnswer::Count { count }).into_response(),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, CommandError::new(e)),
        };
    }
    if !query.follow {
        let ndjson = headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(NDJSON));
        return streamed(&logs, query, ndjson);
    }
    // Subscribing before reading the store: a line flushed meanwhile arrives twice at
    // worst, and `seq` tells which.
    let live = logs.hub.subscribe();
    query.limit = Some(query.limit.unwrap_or(DEFAULT_BACKFILL));
    let mut backfill = stored(&api, query.clone()).await.unwrap_or_default();
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let missed = after.and_then(|after| {
        backfill.retain(|l| l.seq > after);
        let first = backfill.first()?.seq;
        (first > after + 1).then(|| first - after - 1)
    });
    let filter = match LiveFilter::new(query) {
        Ok(f) => f,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                CommandError::field("grep", e.to_string()),
            );
        }
    };
    Sse::new(follow(backfill, missed, live, filter))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

async fn counted(dir: std::path::PathBuf, query: LogQuery) -> Result<u64, String> {
    let read = tokio::task::spawn_blocking(move || {
        StoreReader::open(dir)
            .count(&query)
            .map_err(|e| e.to_string())
    });
    read.await.map_err(|e| e.to_string())?
}

/// The stored lines as a body written while the store is read (on a blocking thread that
/// waits for the client: at most [`BODY_CHUNKS`] chunks are ahead of it).
fn streamed(logs: &LogsAccess, query: LogQuery, ndjson: bool) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel(BODY_CHUNKS);
    let dir = logs.store_dir.clone();
    let annotator = Annotator::new(logs.hub.formats());
    tokio::task::spawn_blocking(move || write_lines(&dir, &query, ndjson, annotator, &tx));
    let body = axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let content_type = if ndjson { NDJSON } else { "application/json" };
    ([(CONTENT_TYPE, content_type)], body).into_response()
}

type Chunks = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

fn write_lines(
    dir: &std::path::Path,
    query: &LogQuery,
    ndjson: bool,
    mut annotator: Annotator,
    tx: &Chunks,
) {
    let mut out = Vec::with_capacity(BODY_CHUNK + 4096);
    if !ndjson {
        out.push(b'[');
    }
    let mut first = true;
    let mut gone = false;
    let read = StoreReader::open(dir).stream(query, &mut |mut line| {
        annotator.annotate(&mut line);
        if !ndjson && !std::mem::take(&mut first) {
            out.push(b',');
        }
        if serde_json::to_writer(&mut out, &line).is_err() {
            return true;
        }
        if ndjson {
            out.push(b'\n');
        }
        if out.len() >= BODY_CHUNK {
            gone = tx
                .blocking_send(Ok(Bytes::from(std::mem::take(&mut out))))
                .is_err();
        }
        !gone
    });
    if gone {
        return;
    }
    match read {
        Ok(()) if !ndjson => out.push(b']'),
        Ok(()) => {}
        Err(e) if ndjson => {
            let _ = serde_json::to_writer(&mut out, &serde_json::json!({ "error": e.to_string() }));
            out.push(b'\n');
        }
        Err(e) => {
            // A JSON array cut short is invalid: the client sees the failure.
            let _ = tx.blocking_send(Ok(Bytes::from(out)));
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
            return;
        }
    }
    let _ = tx.blocking_send(Ok(Bytes::from(out)));
}

async fn stored(api: &Api, query: LogQuery) -> Result<Vec<LogLine>, String> {
    let Some(logs) = &api.logs else {
        return Ok(Vec::new());
    };
    let dir = logs.store_dir.clone();
    let mut annotator = Annotator::new(logs.hub.formats());
    let read = tokio::task::spawn_blocking(move || {
        let mut lines = StoreReader::open(dir)
            .query(&query)
            .map_err(|e| e.to_string())?;
        for line in &mut lines {
            annotator.annotate(line);
        }
        Ok(lines)
    });
    read.await.map_err(|e| e.to_string())?
}

struct Follow {
    backfill: std::vec::IntoIter<LogLine>,
    caught_up: bool,
    live: tokio::sync::broadcast::Receiver<Arc<Live>>,
    filter: LiveFilter,
    /// The newest stored line sent: live lines up to it were in the backfill.
    backfilled: Option<u64>,
    /// The last `seq` of the last live batch: a gap after it is what this client missed.
    received: Option<u64>,
    /// An event due after the one being sent (a skip notice after its batch).
    queued: Option<LogStreamEvent>,
}

/// `missed`: lines after the client's `Last-Event-ID` that the backfill no longer holds.
fn follow(
    backfill: Vec<LogLine>,
    missed: Option<u64>,
    live: tokio::sync::broadcast::Receiver<Arc<Live>>,
    filter: LiveFilter,
) -> impl Stream<Item = Result<sse::Event, Infallible>> {
    let backfilled = backfill.last().map(|l| l.seq);
    let state = Follow {
        backfill: backfill.into_iter(),
        caught_up: false,
        live,
        filter,
        backfilled,
        received: None,
        queued: missed.map(|count| LogStreamEvent::Skipped { count }),
    };
    futures::stream::unfold(state, |mut state| async move {
        let event = next(&mut state).await?;
        Some((Ok(to_sse(&event)), state))
    })
}

async fn next(state: &mut Follow) -> Option<LogStreamEvent> {
    if state.queued.is_some() && !state.caught_up {
        return state.queued.take();
    }
    let chunk: Vec<LogLine> = state.backfill.by_ref().take(CHUNK).collect();
    if !chunk.is_empty() {
        return Some(LogStreamEvent::Lines { lines: chunk });
    }
    if !state.caught_up {
        state.caught_up = true;
        return Some(LogStreamEvent::CaughtUp);
    }
    if let Some(event) = state.queued.take() {
        return Some(event);
    }
    loop {
        match state.live.recv().await {
            Ok(live) => {
                if let Some(event) = live_event(state, &live) {
                    return Some(event);
                }
            }
            Err(RecvError::Lagged(_)) => {
                // The gap in `seq` is known once the next batch arrives.
                continue;
            }
            Err(RecvError::Closed) => return None,
        }
    }
}

fn live_event(state: &mut Follow, live: &Live) -> Option<LogStreamEvent> {
    match live {
        Live::Second { at, sources } => Some(LogStreamEvent::Second {
            at: *at,
            counts: state.filter.counts(sources),
        }),
        Live::Lines(lines) => {
            let first = lines.first()?.seq;
            let skipped = state
                .received
                .map_or(0, |last| first.saturating_sub(last + 1));
            state.received = lines.last().map(|l| l.seq);
            if skipped > 0 {
                state.queued = Some(LogStreamEvent::Skipped { count: skipped });
            }
            let backfilled = state.backfilled;
            let matching: Vec<LogLine> = lines
                .iter()
                .filter(|l| backfilled.is_none_or(|b| l.seq > b) && state.filter.matches(l))
                .cloned()
                .collect();
            if matching.is_empty() {
                return state.queued.take();
            }
            Some(LogStreamEvent::Lines { lines: matching })
        }
    }
}

fn to_sse(event: &LogStreamEvent) -> sse::Event {
    let sse = sse::Event::default().data(serde_json::to_string(event).unwrap_or_default());
    match event {
        LogStreamEvent::Lines { lines } => match lines.last() {
            Some(last) => sse.id(last.seq.to_string()).event("lines"),
            None => sse.event("lines"),
        },
        LogStreamEvent::CaughtUp => sse.event("caught_up"),
        LogStreamEvent::Second { .. } => sse.event("second"),
        LogStreamEvent::Skipped { .. } => sse.event("skipped"),
    }
}

#[utoipa::path(get, path = "/logs/patterns", tag = "logs",
    responses((status = 200, description = "Mined patterns, most lines first", body = [crate::logs::PatternInfo])))]
pub async fn patterns(State(api): State<Api>) -> Response {
    match &api.logs {
        Some(logs) => Json(logs.hub.patterns()).into_response(),
        None => Json(Vec::<crate::logs::PatternInfo>::new()).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    /// Seconds before now.
    since: u64,
}

#[utoipa::path(get, path = "/logs/stats", tag = "logs",
    params(("since" = u64, Query, description = "Seconds before now")),
    responses((status = 200, description = "Per-level and per-source counts", body = Object)))]
pub async fn stats(State(api): State<Api>, Params(params): Params<StatsParams>) -> Response {
    let now = now_ms();
    let since = now.saturating_sub(params.since.saturating_mul(1000));
    let patterns = api
        .logs
        .as_ref()
        .map(|l| l.hub.patterns())
        .unwrap_or_default();
    let dir = api.logs.as_ref().map(|l| l.store_dir.clone());
    let read = tokio::task::spawn_blocking(move || match dir {
        Some(dir) => StoreReader::open(dir)
            .minutes(&[], since)
            .map(|sources| stats::totals(&sources))
            .map_err(|e| e.to_string()),
        None => Ok(Vec::new()),
    });
    match read.await {
        Ok(Ok(minutes)) => Json(stats::report(since, now, &minutes, patterns)).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, CommandError::new(e)),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new(e.to_string()),
        ),
    }
}
