//! Requests to a workspace's engine over its Unix socket: one pooled keep-alive client per
//! workspace, answers streamed back as they come (an SSE stream frame by frame).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Response, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

use crate::protocol::Role;

type Connector =
    tower::util::BoxCloneSyncService<Uri, TokioIo<tokio::net::UnixStream>, std::io::Error>;

/// Connections to one engine kept open between requests: as many as a busy client pool's
/// (64 connections at once reopened engine connections per request, and their p99 was
/// 45 ms instead of 10). A burst of callers opens more; the ones past this close when the
/// burst ends, and all of them after [`POOL_IDLE_FOR`], so an idle `uc serve` stays small.
const POOL_IDLE: usize = 64;
/// How long an unused connection to an engine is kept.
const POOL_IDLE_FOR: Duration = Duration::from_secs(30);

/// The engines' clients, by workspace.
#[derive(Default)]
pub struct Engines {
    clients: Mutex<HashMap<PathBuf, Client<Connector, Body>>>,
}

/// Who the engine is told is calling: a token's name and role, or a signed request's
/// sender (no role: the engine checks the signature).
pub struct Caller<'a> {
    pub name: &'a str,
    pub role: Option<Role>,
}

/// Headers that belong to one hop, and the caller's credentials, which stay with `uc serve`.
const DROPPED: [HeaderName; 8] = [
    header::CONNECTION,
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::HOST,
    header::AUTHORIZATION,
    header::PROXY_AUTHORIZATION,
    header::COOKIE,
];

impl Engines {
    /// Sends `request` to the engine listening on `socket` at `path`; `None` when it does
    /// not answer (not running).
    pub async fn forward(
        &self,
        socket: PathBuf,
        path: &str,
        request: Request<Body>,
        caller: Caller<'_>,
    ) -> Option<Response<Body>> {
        let client = self.client(socket);
        let (mut parts, body) = request.into_parts();
        parts.uri = format!("http://uc-engine{path}").parse().ok()?;
        clean(&mut parts.headers);
        let name = HeaderValue::from_str(caller.name).ok()?;
        parts.headers.insert(crate::api::ACTOR, name);
        if let Some(role) = caller.role {
            let role = HeaderValue::from_static(role.name());
            parts.headers.insert(crate::api::ROLE, role);
        }
        let response = client.request(Request::from_parts(parts, body)).await;
        let response = match response {
            Ok(response) => response,
            Err(e) => {
                tracing::debug!("engine did not answer: {e}");
                return None;
            }
        };
        let (mut parts, body) = response.into_parts();
        for name in &DROPPED[..4] {
            parts.headers.remove(name);
        }
        Some(Response::from_parts(parts, Body::new(body)))
    }

    fn client(&self, socket: PathBuf) -> Client<Connector, Body> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(socket.clone())
            .or_insert_with(|| {
                let connect = tower::service_fn(move |_: Uri| {
                    let socket = socket.clone();
                    async move {
                        tokio::net::UnixStream::connect(socket)
                            .await
                            .map(TokioIo::new)
                    }
                });
                Client::builder(TokioExecutor::new())
                    .pool_max_idle_per_host(POOL_IDLE)
                    .pool_idle_timeout(POOL_IDLE_FOR)
                    .pool_timer(TokioTimer::new())
                    .build(Connector::new(connect))
            })
            .clone()
    }
}

/// Hop-by-hop headers, the caller's token, session and CSRF token, and any `X-UC-*` it sent
/// (only serve names the caller).
fn clean(headers: &mut HeaderMap) {
    for name in &DROPPED {
        headers.remove(name);
    }
    headers.remove(crate::api::ACTOR);
    headers.remove(crate::api::ROLE);
    headers.remove(super::session::CSRF_HEADER);
}
