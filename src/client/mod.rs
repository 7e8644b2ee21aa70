//! Client side of the engine protocol over the Unix socket, used by the CLI and the TUI glue,
//! and the launcher that starts an engine when none answers.

mod launch;

pub use launch::{LaunchError, Launcher, passed_env};

use std::path::{Path, PathBuf};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

use crate::api::{
    AlertHistory, AlertHistoryParams, ConfigHistoryParams, DoctorParams, HealHistoryParams,
    MetricsHistoryParams,
};
use crate::logs::stats::StatsReport;
use crate::logs::{LogLine, LogQuery, LogStreamEvent, PatternInfo};
use crate::metrics::{HistoryQuery, HistoryResponse};
use crate::protocol::{Command, CommandError, Event, Reply, Snapshot};

/// The frontend this process is, named in every request for the audit log.
static VIA: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// This process's requests come from `via` (`tui`); `cli` until set.
pub fn set_via(via: &'static str) {
    let _ = VIA.set(via);
}

/// `uc --read-only`: every request claims the viewer role, which the engine holds it to.
static READ_ONLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_read_only() {
    READ_ONLY.store(true, std::sync::atomic::Ordering::Relaxed);
}

pub fn read_only() -> bool {
    READ_ONLY.load(std::sync::atomic::Ordering::Relaxed)
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the engine at {path}: {source}")]
    Connect {
        path: String,
        source: std::io::Error,
    },
    #[error("engine connection failed: {0}")]
    Http(#[from] hyper::Error),
    #[error("bad request: {0}")]
    Request(#[from] hyper::http::Error),
    #[error("engine answered {status}: {body}")]
    Status { status: StatusCode, body: String },
    /// The engine understood the request and refused it, naming the field.
    #[error("{0}")]
    Refused(crate::protocol::CommandError),
    #[error("unexpected answer from the engine: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("cannot write the query: {0}")]
    Query(#[from] serde_urlencoded::ser::Error),
    /// The engine failed after it began to answer (reading the log store, say).
    #[error("the engine failed: {0}")]
    Failed(String),
}

/// An error, or one of its causes, is the engine refusing for want of a role.
pub fn is_denial(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let refused = match cause.downcast_ref::<ClientError>() {
            Some(ClientError::Refused(refused)) => Some(refused),
            _ => match cause.downcast_ref::<LaunchError>() {
                Some(LaunchError::Refused(ClientError::Refused(refused))) => Some(refused),
                _ => cause.downcast_ref::<crate::protocol::CommandError>(),
            },
        };
        refused.is_some_and(crate::protocol::access::is_denial)
    })
}

impl ClientError {
    /// A refusal that names its field when the body says which, else the raw answer.
    fn answer(status: StatusCode, body: &[u8]) -> Self {
        match serde_json::from_slice::<crate::protocol::CommandError>(body) {
            Ok(refused) if status.is_client_error() => Self::Refused(refused),
            _ => Self::Status {
                status,
                body: String::from_utf8_lossy(body).into_owned(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    socket: PathBuf,
    /// Names the frontend instead of the process's [`set_via`] (the TUI's assistant).
    via: Option<&'static str>,
}

impl Client {
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self {
            socket: socket.into(),
            via: None,
        }
    }

    /// This client's requests are audited as coming from `via` (`tui (assistant)`).
    pub fn via(mut self, via: &'static str) -> Self {
        self.via = Some(via);
        self
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<hyper::Response<Incoming>, ClientError> {
        self.send_accepting(method, path, body, "application/json")
            .await
    }

    async fn send_accepting(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        accept: &str,
    ) -> Result<hyper::Response<Incoming>, ClientError> {
        let stream =
            UnixStream::connect(&self.socket)
                .await
                .map_err(|source| ClientError::Connect {
                    path: self.socket.display().to_string(),
                    source,
                })?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, "uc-engine")
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::ACCEPT, accept)
            .header(
                crate::api::VIA,
                self.via.or(VIA.get().copied()).unwrap_or("cli"),
            );
        if read_only() {
            request = request.header(crate::api::ROLE, crate::protocol::Role::Viewer.name());
        }
        let request = request.body(Full::new(Bytes::from(body)))?;
        Ok(sender.send_request(request).await?)
    }

    async fn read_body(response: hyper::Response<Incoming>) -> Result<Bytes, ClientError> {
        Ok(response.into_body().collect().await?.to_bytes())
    }

    /// The role the engine gives this caller (its `X-UC-Role` answer header): `None` from
    /// an engine that does not say.
    pub async fn role(&self) -> Result<Option<crate::protocol::Role>, ClientError> {
        let response = self
            .send(Method::GET, "/api/v1/snapshot", Vec::new())
            .await?;
        let status = response.status();
        let role = (response.headers().get(crate::api::ROLE))
            .and_then(|v| v.to_str().ok())
            .and_then(crate::protocol::Role::parse);
        let body = Self::read_body(response).await?;
        if !status.is_success() {
            return Err(ClientError::answer(status, &body));
        }
        Ok(role)
    }

    pub async fn snapshot(&self) -> Result<Snapshot, ClientError> {
        self.get_json("/api/v1/snapshot").await
    }

    /// Metric history over a window (the last 10 minutes come from memory).
    pub async fn history(&self, query: &HistoryQuery) -> Result<HistoryResponse, ClientError> {
        let params = MetricsHistoryParams::from(query);
        self.get_query("/api/v1/metrics/history", &params).await
    }

    /// Alert history of the last `since_secs` seconds.
    pub async fn alert_history(&self, since_secs: u64) -> Result<AlertHistory, ClientError> {
        let params = AlertHistoryParams { since: since_secs };
        self.get_query("/api/v1/alerts/history", &params).await
    }

    /// Heal events of the last `since_secs` seconds, oldest first.
    pub async fn heal_history(
        &self,
        since_secs: u64,
        service: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<crate::heal::HealEvent>, ClientError> {
        let params = HealHistoryParams {
            since: Some(since_secs),
            service: service.map(str::to_owned),
            limit,
        };
        self.get_query("/api/v1/heal/events", &params).await
    }

    /// The assistant's diagnosis: of `service` and what it depends on, or of everything.
    pub async fn doctor(
        &self,
        service: Option<&str>,
    ) -> Result<crate::assist::Diagnosis, ClientError> {
        let params = DoctorParams {
            service: service.map(str::to_owned),
        };
        self.get_query("/api/v1/doctor", &params).await
    }

    /// The newest `limit` outgoing webhook deliveries, newest first.
    pub async fn hook_deliveries(
        &self,
        limit: Option<u32>,
    ) -> Result<crate::api::HookDeliveries, ClientError> {
        let params = crate::api::DeliveriesParams { limit };
        self.get_query("/api/v1/hooks/deliveries", &params).await
    }

    pub async fn playbooks(&self) -> Result<crate::heal::PlaybookList, ClientError> {
        self.get_json("/api/v1/heal/playbooks").await
    }

    /// Runs playbook `name` (or plans it, with `dry_run`) and answers with its report.
    pub async fn run_playbook(
        &self,
        name: &str,
        dry_run: bool,
    ) -> Result<crate::heal::playbook::PlaybookReport, ClientError> {
        let path = format!(
            "/api/v1/heal/playbooks/{}/run?dry_run={dry_run}",
            percent_encode(name)
        );
        self.answer_json(Method::POST, &path).await
    }

    /// Starts deploying `service` (at `git_ref`, else its deploy's branch).
    pub async fn deploy(
        &self,
        service: &str,
        git_ref: Option<&str>,
    ) -> Result<crate::deploy::model::Deployment, ClientError> {
        let body = crate::api::DeployBody {
            git_ref: git_ref.map(str::to_owned),
        };
        let path = format!("/api/v1/services/{}/deploy", percent_encode(service));
        self.post_json(&path, &body).await
    }

    /// Starts going back to `release` (else the one before the current).
    pub async fn rollback(
        &self,
        service: &str,
        release: Option<&str>,
    ) -> Result<crate::deploy::model::Deployment, ClientError> {
        let body = crate::api::RollbackBody {
            release: release.map(str::to_owned),
        };
        let path = format!("/api/v1/services/{}/rollback", percent_encode(service));
        self.post_json(&path, &body).await
    }

    /// Approves (or rejects) the deploy of `service` waiting for an approval.
    pub async fn decide(
        &self,
        service: &str,
        approve: bool,
    ) -> Result<crate::deploy::model::Deployment, ClientError> {
        let verb = if approve { "approve" } else { "reject" };
        let path = format!("/api/v1/services/{}/{verb}", percent_encode(service));
        self.post_json(&path, &crate::api::DecisionBody::default())
            .await
    }

    /// Tells the engine `git_ref` of `service`'s repository moved to `commit` (the git hook).
    pub async fn pushed(
        &self,
        service: &str,
        git_ref: &str,
        commit: &str,
        pusher: Option<&str>,
    ) -> Result<crate::deploy::model::Deployment, ClientError> {
        let body = crate::api::PushBody {
            git_ref: git_ref.to_owned(),
            after: commit.to_owned(),
            pusher: pusher.map(str::to_owned),
        };
        let path = format!("/api/v1/services/{}/push", percent_encode(service));
        self.post_json(&path, &body).await
    }

    /// The newest `limit` deploys (of `service`), newest first.
    pub async fn deploys(
        &self,
        service: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<crate::deploy::model::Deployment>, ClientError> {
        let params = crate::api::DeploysParams {
            service: service.map(str::to_owned),
            limit,
        };
        self.get_query("/api/v1/deploys", &params).await
    }

    /// The workspace's newest `limit` audit records, oldest first.
    pub async fn audit(
        &self,
        limit: Option<usize>,
    ) -> Result<Vec<crate::store::AuditRecord>, ClientError> {
        let params = crate::api::AuditParams {
            limit,
            ..Default::default()
        };
        self.get_query("/api/v1/audit", &params).await
    }

    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, ClientError> {
        let body = serde_json::to_vec(body)?;
        let response = self.send(Method::POST, path, body).await?;
        let status = response.status();
        let body = Self::read_body(response).await?;
        if !status.is_success() {
            return Err(ClientError::answer(status, &body));
        }
        Ok(serde_json::from_slice(&body)?)
    }

    /// What switching to `environment` (or, with `None`, applying the pending edit) would do.
    pub async fn config_plan(
        &self,
        environment: Option<&str>,
    ) -> Result<crate::protocol::ConfigPlan, ClientError> {
        let path = match environment {
            Some(env) => format!("/api/v1/config/plan?environment={}", percent_encode(env)),
            None => "/api/v1/config/plan".to_owned(),
        };
        self.get_json(&path).await
    }

    /// What re-applying revision `revision` would do.
    pub async fn revert_plan(
        &self,
        revision: u64,
    ) -> Result<crate::protocol::ConfigPlan, ClientError> {
        self.get_json(&format!("/api/v1/config/plan?revision={revision}"))
            .await
    }

    /// Applied config revisions, newest first.
    pub async fn config_history(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::protocol::Revision>, ClientError> {
        let params = ConfigHistoryParams { limit };
        self.get_query("/api/v1/config/history", &params).await
    }

    /// Unified diff from revision `from` to `to` (the applied one when `None`).
    pub async fn config_diff(&self, from: u64, to: Option<u64>) -> Result<String, ClientError> {
        let mut path = format!("/api/v1/config/diff?from={from}");
        if let Some(to) = to {
            path.push_str(&format!("&to={to}"));
        }
        let diff: crate::protocol::ConfigDiff = self.get_json(&path).await?;
        Ok(diff.diff)
    }

    /// `GET path?params`, written by the struct the engine reads the query into.
    async fn get_query<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        params: &impl serde::Serialize,
    ) -> Result<T, ClientError> {
        let query = serde_urlencoded::to_string(params)?;
        self.get_json(&format!("{path}?{query}")).await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.answer_json(Method::GET, path).await
    }

    /// The answer to a request without a body, read as `T`; a refusal is an error.
    async fn answer_json<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
    ) -> Result<T, ClientError> {
        let response = self.send(method, path, Vec::new()).await?;
        let status = response.status();
        let body = Self::read_body(response).await?;
        if !status.is_success() {
            return Err(ClientError::answer(status, &body));
        }
        Ok(serde_json::from_slice(&body)?)
    }

    /// `Ok(Err(_))` is the engine refusing the command; `Err` is failing to ask.
    pub async fn command(
        &self,
        command: &Command,
    ) -> Result<Result<Reply, CommandError>, ClientError> {
        let body = serde_json::to_vec(command)?;
        let response = self.send(Method::POST, "/api/v1/commands", body).await?;
        let status = response.status();
        let body = Self::read_body(response).await?;
        if status.is_success() {
            Ok(Ok(serde_json::from_slice(&body)?))
        } else {
            match serde_json::from_slice::<CommandError>(&body) {
                Ok(err) => Ok(Err(err)),
                Err(_) => Err(ClientError::Status {
                    status,
                    body: String::from_utf8_lossy(&body).into_owned(),
                }),
            }
        }
    }

    /// The event stream; its first event is a snapshot.
    pub async fn events(&self) -> Result<EventStream, ClientError> {
        let response = self.send(Method::GET, "/api/v1/events", Vec::new()).await?;
        let status = response.status();
        if !status.is_success() {
            let body = Self::read_body(response).await?;
            return Err(ClientError::answer(status, &body));
        }
        Ok(SseStream::new(response.into_body()))
    }

    /// Stored lines matching `query` (its `follow` is ignored), as the engine reads them:
    /// nothing is gathered on either side.
    pub async fn log_lines(&self, query: &LogQuery) -> Result<LineStream, ClientError> {
        let query = LogQuery {
            follow: false,
            ..query.clone()
        };
        let path = logs_path(&query);
        let response = self
            .send_accepting(Method::GET, &path, Vec::new(), crate::api::NDJSON)
            .await?;
        let status = response.status();
        if !status.is_success() {
            let body = Self::read_body(response).await?;
            return Err(ClientError::answer(status, &body));
        }
        Ok(LineStream {
            body: response.into_body(),
            buffer: Vec::new(),
            start: 0,
        })
    }

    /// How many stored lines match `query` (its `limit` and `follow` are ignored).
    pub async fn log_count(&self, query: &LogQuery) -> Result<u64, ClientError> {
        #[derive(serde::Deserialize)]
        struct Count {
            count: u64,
        }
        let query = LogQuery {
            follow: false,
            limit: None,
            ..query.clone()
        };
        let path = format!("{}&count=true", logs_path(&query));
        Ok(self.get_json::<Count>(&path).await?.count)
    }

    /// The newest stored lines matching `query`, then live ones as they arrive.
    pub async fn follow_logs(
        &self,
        query: &LogQuery,
    ) -> Result<SseStream<LogStreamEvent>, ClientError> {
        let query = LogQuery {
            follow: true,
            ..query.clone()
        };
        let response = self
            .send(Method::GET, &logs_path(&query), Vec::new())
            .await?;
        let status = response.status();
        if !status.is_success() {
            let body = Self::read_body(response).await?;
            return Err(ClientError::answer(status, &body));
        }
        Ok(SseStream::new(response.into_body()))
    }

    pub async fn log_patterns(&self) -> Result<Vec<PatternInfo>, ClientError> {
        self.get_json("/api/v1/logs/patterns").await
    }

    pub async fn log_stats(&self, since_secs: u64) -> Result<StatsReport, ClientError> {
        self.get_json(&format!("/api/v1/logs/stats?since={since_secs}"))
            .await
    }
}

fn logs_path(query: &LogQuery) -> String {
    let mut path = String::from("/api/v1/logs?");
    if !query.sources.is_empty() {
        path.push_str(&format!(
            "sources={}&",
            percent_encode(&query.sources.join(","))
        ));
    }
    if let Some(level) = query.level {
        path.push_str(&format!("level={}&", level.as_str()));
    }
    if let Some(grep) = &query.grep {
        path.push_str(&format!("grep={}&", percent_encode(grep)));
    }
    if let Some(pattern) = query.pattern {
        path.push_str(&format!("pattern={pattern}&"));
    }
    if let Some(since) = query.since {
        path.push_str(&format!("since={since}&"));
    }
    if let Some(limit) = query.limit {
        path.push_str(&format!("limit={limit}&"));
    }
    path.push_str(if query.follow {
        "follow=true"
    } else {
        "follow=false"
    });
    path
}

/// Stored log lines, one JSON object per line of the body.
pub struct LineStream {
    body: Incoming,
    buffer: Vec<u8>,
    /// Where the unread part of `buffer` starts.
    start: usize,
}

impl LineStream {
    /// The next line; `None` at the end.
    pub async fn next(&mut self) -> Option<Result<LogLine, ClientError>> {
        loop {
            if let Some(end) = memchr::memchr(b'\n', &self.buffer[self.start..]) {
                let line = &self.buffer[self.start..self.start + end];
                self.start += end + 1;
                return Some(parse_line(line));
            }
            self.buffer.drain(..self.start);
            self.start = 0;
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
                Some(Err(e)) => return Some(Err(e.into())),
                None if self.buffer.is_empty() => return None,
                None => {
                    let line = std::mem::take(&mut self.buffer);
                    return Some(parse_line(&line));
                }
            }
        }
    }
}

fn parse_line(line: &[u8]) -> Result<LogLine, ClientError> {
    #[derive(serde::Deserialize)]
    struct Failure {
        error: String,
    }
    serde_json::from_slice(line).map_err(|e| match serde_json::from_slice::<Failure>(line) {
        Ok(failure) => ClientError::Failed(failure.error),
        Err(_) => e.into(),
    })
}

/// The engine's event stream.
pub type EventStream = SseStream<Event>;

/// Server-Sent Events, each one's data decoded as a `T`.
pub struct SseStream<T> {
    body: Incoming,
    buffer: Vec<u8>,
    _item: std::marker::PhantomData<fn() -> T>,
}

impl<T: serde::de::DeserializeOwned> SseStream<T> {
    fn new(body: Incoming) -> Self {
        Self {
            body,
            buffer: Vec::new(),
            _item: std::marker::PhantomData,
        }
    }

    /// The next event; `None` when the engine closed the stream.
    pub async fn next(&mut self) -> Option<Result<T, ClientError>> {
        loop {
            if let Some(block) = take_block(&mut self.buffer) {
                if let Some(data) = sse_data(&block) {
                    return Some(serde_json::from_str(&data).map_err(ClientError::from));
                }
                continue;
            }
            match self.body.frame().await? {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
                Err(e) => return Some(Err(e.into())),
            }
        }
    }
}

/// Series names and labels (mount points, interfaces) go into a query string.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b':' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Remove and return the first complete SSE block (up to a blank line).
fn take_block(buffer: &mut Vec<u8>) -> Option<String> {
    let normalized_end = buffer.windows(2).position(|w| w == b"\n\n")?;
    let block: Vec<u8> = buffer.drain(..normalized_end + 2).collect();
    Some(String::from_utf8_lossy(&block).replace('\r', ""))
}

/// The `data:` lines of a block joined by newlines; `None` for comments (keep-alives) and
/// for a `resync` marker, which carries no state: the snapshot after it does.
fn sse_data(block: &str) -> Option<String> {
    if block.lines().any(|l| l.trim_end() == "event: resync") {
        return None;
    }
    let lines: Vec<&str> = block
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sse_blocks_and_skips_keepalives() {
        let mut buf = b": keep-alive\n\ndata: {\"a\":1}\n\ndata: par".to_vec();
        let first = take_block(&mut buf).expect("comment block");
        assert_eq!(sse_data(&first), None);
        let second = take_block(&mut buf).expect("data block");
        assert_eq!(sse_data(&second).as_deref(), Some("{\"a\":1}"));
        assert!(
            take_block(&mut buf).is_none(),
            "partial block stays buffered"
        );
        assert_eq!(buf, b"data: par");
        let mut buf = b"event: resync\ndata: {}\n\n".to_vec();
        assert_eq!(sse_data(&take_block(&mut buf).unwrap()), None);
    }
}
