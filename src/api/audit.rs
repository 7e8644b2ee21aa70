//! The engine's own audit trail: a mutating call on its socket without `X-UC-Actor` comes
//! from a frontend of a local user — the CLI, the TUI, or the web page through `uc serve`'s
//! peer — and is recorded in `<state>/<ws>/audit.jsonl` before it is answered. The actor is
//! the user the kernel says is on the other end (`SO_PEERCRED`), not what the caller claims;
//! `X-UC-Via` says which frontend. Calls forwarded by `uc serve` carry `X-UC-Actor` and are
//! audited there, once.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::protocol::Hub;
use crate::store::audit::{AuditFiles, AuditQuery};
use crate::store::{AuditEntry, AuditRecord, Auditor};

use super::{Api, Params, read_blocking};

/// The header `uc serve` names its caller in.
pub const ACTOR: &str = "x-uc-actor";
/// The header `uc serve` names its caller's role in.
pub const ROLE: &str = "x-uc-role";
/// The header a frontend names itself in: `cli`, `tui` or `web`; `tui (assistant)` for
/// what the user confirmed in the TUI's assistant.
pub const VIA: &str = "x-uc-via";

/// What the TUI's assistant names itself: the user acting through it.
pub const ASSISTANT: &str = "tui (assistant)";

/// What `uc ask` names itself when it acts on a confirmed reading.
pub const CLI_ASSISTANT: &str = "cli (assistant)";

#[derive(Clone)]
pub struct EngineAudit {
    pub auditor: Auditor,
    pub hub: Hub,
}

/// Who is on the other end of a socket connection, by the kernel's word.
#[derive(Debug, Clone)]
pub struct Peer {
    pub user: Arc<str>,
    /// `None` when the kernel could not say.
    pub uid: Option<u32>,
}

/// The engine's Unix socket, each connection named by its peer's user.
pub struct PeerListener(pub tokio::net::UnixListener);

impl axum::serve::Listener for PeerListener {
    type Io = tokio::net::UnixStream;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, _)) => {
                    let (user, uid) = match stream.peer_cred() {
                        Ok(cred) => (user_name(cred.uid()), Some(cred.uid())),
                        Err(e) => (format!("unknown ({e})"), None),
                    };
                    let user = user.into();
                    return (stream, Peer { user, uid });
                }
                Err(e) => {
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(Peer {
            user: Arc::from("-"),
            uid: None,
        })
    }
}

/// The account's name, or `uid N` when it has none.
pub fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map_or_else(|| format!("uid {uid}"), |u| u.name)
}

/// The frontend a call names, among those known; `api` for any other client.
pub fn via_of(headers: &HeaderMap) -> &'static str {
    match headers.get(VIA).and_then(|v| v.to_str().ok()) {
        Some("cli") => "cli",
        Some("tui") => "tui",
        Some(ASSISTANT) => ASSISTANT,
        Some(CLI_ASSISTANT) => CLI_ASSISTANT,
        Some("web") => "web",
        _ => "api",
    }
}

/// Reads, and calls `uc serve` audits, pass untouched.
pub async fn audit(State(audit): State<EngineAudit>, request: Request, next: Next) -> Response {
    let read_only = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if read_only || request.headers().contains_key(ACTOR) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // `listen::serve` read the body whole already: this only takes it back.
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let actor = parts
        .extensions
        .get::<ConnectInfo<Peer>>()
        .map_or_else(|| "-".to_owned(), |peer| peer.0.user.to_string());
    let command = AuditEntry::command_of(&body);
    let action = AuditEntry::action_of(parts.method.as_str(), parts.uri.path(), command.as_deref());
    let mut record = AuditRecord::now(&actor, via_of(&parts.headers), &action, "ok");
    record.target = AuditEntry::target_of(&body);
    record.workspace = Some(audit.hub.workspace());
    record.source = Some("socket".into());
    let mut response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let status = response.status().as_u16();
    if status == 403 {
        let (reason, kept) = refusal_of(response).await;
        record.reason = reason;
        response = kept;
    }
    AuditEntry::outcome_of(status).clone_into(&mut record.outcome);
    record.status = Some(status);
    audit.auditor.commit(record).await;
    response
}

/// Why a 403 or 429 was answered (its `error`), and the response as it was.
pub async fn refusal_of(response: Response) -> (Option<String>, Response) {
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 64 << 10)
        .await
        .unwrap_or_default();
    let reason = serde_json::from_slice::<crate::protocol::CommandError>(&body)
        .ok()
        .map(|e| e.message);
    (reason, Response::from_parts(parts, Body::from(body)))
}

/// The query string of `GET /api/v1/audit`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Seconds before now (everything kept when absent).
    #[serde(default)]
    pub since: Option<u64>,
    #[serde(default)]
    pub actor: Option<String>,
    /// The newest this many.
    #[serde(default)]
    pub limit: Option<usize>,
}

/// This workspace's record: the engine's file (CLI, TUI, `system`) and the lines of `uc
/// serve`'s file (API, web page) about this workspace, merged by time.
#[utoipa::path(get, path = "/audit", tag = "audit",
    params(("since" = Option<u64>, Query, description = "Seconds before now"),
        ("actor" = Option<String>, Query, description = "Only this user, token or `system`"),
        ("limit" = Option<usize>, Query, description = "The newest this many")),
    responses((status = 200, description = "Audit records, oldest first", body = [AuditRecord])))]
pub async fn list(State(api): State<Api>, Params(params): Params<AuditParams>) -> Response {
    let query = AuditQuery {
        since: params.since.map_or(0, |s| {
            crate::clock::now_ms().saturating_sub(s.saturating_mul(1000))
        }),
        actor: params.actor,
        workspace: Some(api.hub.workspace()),
        limit: params.limit,
    };
    let own = api.audit_log.parent().map(AuditFiles::in_dir);
    // `uc serve` keeps its file in `<state>/.serve/`, beside the workspaces' directories.
    let serve = api
        .audit_log
        .parent()
        .and_then(std::path::Path::parent)
        .map(|base| AuditFiles::in_dir(&base.join(".serve")));
    let files: Vec<AuditFiles> = serve.into_iter().chain(own).collect();
    read_blocking(move || query.run(&files)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frontend_is_named_only_among_the_known_ones() {
        let via = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(VIA, value.parse().unwrap());
            via_of(&headers)
        };
        assert_eq!(via("tui"), "tui");
        assert_eq!(via("tui (assistant)"), ASSISTANT);
        assert_eq!(via("cli (assistant)"), CLI_ASSISTANT);
        assert_eq!(via("tui (anything)"), "api");
        assert_eq!(via_of(&HeaderMap::new()), "api");
    }
}
