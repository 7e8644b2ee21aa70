//! `quotas.requests_per_minute`: calls from clients other than the local CLI and TUI (REST
//! users, the web page, scripts on the socket) are counted per minute, and those past the
//! quota answered 429 with the quota's refusal and `Retry-After`. Outside the audit layer,
//! so a refusal is recorded here once, with its reason (writes `uc serve` forwarded are on
//! its record, with the reason it reads from the answer).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::protocol::Hub;
use crate::protocol::quota::{QuotaKind, Usage, exceeded};
use crate::quota::{Limits, Rate};
use crate::store::{AuditRecord, Auditor};

use super::audit::{ACTOR, via_of};

#[derive(Clone)]
pub struct RateLimit {
    pub hub: Hub,
    pub limits: Limits,
    pub rate: Rate,
    pub auditor: Auditor,
}

/// `router` with the per-minute quota in front of it.
pub fn rate_limited(router: Router, limit: RateLimit) -> Router {
    router.layer(axum::middleware::from_fn_with_state(limit, count))
}

async fn count(State(limit): State<RateLimit>, request: Request, next: Next) -> Response {
    let local = matches!(
        via_of(request.headers()),
        "cli" | "tui" | super::audit::ASSISTANT | super::audit::CLI_ASSISTANT
    );
    let quota = limit.limits.get().requests_per_minute;
    let Some(quota) = quota.filter(|_| !local) else {
        return next.run(request).await;
    };
    let Err((used, wait_secs)) = limit.rate.hit(crate::clock::now_ms(), quota.limit) else {
        return next.run(request).await;
    };
    let usage = Usage {
        used: f64::from(used),
        limit: quota.amount(),
        at: quota.at.clone(),
    };
    let workspace = limit.hub.workspace();
    let err = exceeded(QuotaKind::RequestsPerMinute, &usage, &workspace);
    // `uc serve` records the writes it forwards, not the reads.
    let mutating = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !(request.headers().contains_key(ACTOR) && mutating) {
        let action = format!("{} {}", request.method(), request.uri().path());
        let mut record = AuditRecord::now("-", via_of(request.headers()), &action, "denied");
        record.workspace = Some(workspace);
        record.reason = Some(err.message.clone());
        record.status = Some(429);
        record.source = Some("socket".into());
        let peer = (request.extensions())
            .get::<axum::extract::ConnectInfo<super::audit::Peer>>()
            .map(|peer| peer.0.user.to_string());
        // The token's name `uc serve` forwards, else the socket's user.
        let named = (request.headers().get(ACTOR)).and_then(|v| v.to_str().ok());
        if let Some(actor) = named.map(str::to_owned).or(peer) {
            record.actor = actor;
        }
        limit.auditor.record(record);
    }
    let mut response = super::error(StatusCode::TOO_MANY_REQUESTS, err);
    if let Ok(value) = HeaderValue::from_str(&wait_secs.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
