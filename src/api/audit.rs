//! The engine's own audit trail: a mutating call on its socket without `X-UC-Actor` comes
//! from the CLI or the TUI of the local user, and is recorded in `<state>/<ws>/audit.db`.
//! Calls forwarded by `uc serve` carry `X-UC-Actor` and are audited there, once.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::protocol::Hub;
use crate::store::{AuditEntry, Auditor};

/// The header `uc serve` names its caller in.
pub const ACTOR: &str = "x-uc-actor";
/// The header `uc serve` names its caller's role in.
pub const ROLE: &str = "x-uc-role";

#[derive(Clone)]
pub struct EngineAudit {
    pub auditor: Auditor,
    pub hub: Hub,
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
    let target = AuditEntry::target_of(&body);
    let route = parts.uri.path().to_owned();
    let method = parts.method.to_string();
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let status = response.status().as_u16();
    let user = crate::store::audit::local_user();
    audit.auditor.record(AuditEntry {
        at: crate::clock::now_ms(),
        actor: user,
        token: None,
        source: "socket".into(),
        workspace: Some(audit.hub.workspace()),
        method,
        route,
        target,
        status,
        outcome: AuditEntry::outcome_of(status).into(),
    });
    response
}
