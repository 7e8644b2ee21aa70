//! The web page's sign-in. `POST /api/v1/session` checks a token as a bearer is checked
//! (same keys, same counting of failures) and answers a session cookie (HttpOnly,
//! SameSite=Strict) with a CSRF token; the page's later requests carry the cookie, and those
//! that change something also `X-CSRF-Token`. Sessions live in this process only (a restart
//! signs everyone out) and hold the token's hash, which is looked up again on every request:
//! revoking or expiring the token ends them, and the event streams opened through them (as
//! it ends the streams opened with the token as a bearer).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::{Call, Denial, Server, bearer, method_not_allowed};
use crate::api::SessionInfo;
use crate::protocol::CommandError;
use crate::store::TokenInfo;
use crate::store::tokens;

pub const COOKIE: &str = "uc_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A session ends this long after its sign-in, whatever happens.
const LIFETIME_MS: u64 = 12 * 3600 * 1000;
/// Past this many sessions, a sign-in ends the one closest to its end.
const MAX_SESSIONS: usize = 10_000;
/// How soon an event stream opened through a session ends after the session does.
const STREAM_CHECK: Duration = Duration::from_secs(1);

/// Every open session, by the SHA-256 of its id (a lookup's timing says nothing about ids).
#[derive(Default)]
pub struct Sessions {
    by_key: Mutex<HashMap<String, Session>>,
}

#[derive(Clone)]
pub struct Session {
    token_hash: String,
    csrf: String,
    ends: u64,
}

impl Sessions {
    /// A new session for the token of `token_hash`: its id (the cookie) and itself; `None`
    /// when the kernel gave no randomness.
    fn open(&self, token_hash: String, now: u64) -> Option<(String, Session)> {
        let (id, csrf) = (random()?, random()?);
        let session = Session {
            token_hash,
            csrf,
            ends: now + LIFETIME_MS,
        };
        let mut by_key = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        by_key.retain(|_, s| s.ends > now);
        if by_key.len() >= MAX_SESSIONS
            && let Some(first) = by_key
                .iter()
                .min_by_key(|(_, s)| s.ends)
                .map(|(k, _)| k.clone())
        {
            by_key.remove(&first);
        }
        by_key.insert(key(&id), session.clone());
        Some((id, session))
    }

    fn find(&self, id: &str, now: u64) -> Option<Session> {
        let by_key = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        by_key.get(&key(id)).filter(|s| s.ends > now).cloned()
    }

    fn end(&self, id: &str) {
        let mut by_key = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        by_key.remove(&key(id));
    }
}

fn key(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// 256 bits from the kernel, in hex.
fn random() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

/// Whether the request comes from the web page (it carries a session).
pub fn has_cookie(headers: &HeaderMap) -> bool {
    cookie(headers).is_some()
}

/// The session id the request's `Cookie` headers carry.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

/// Compares in time that depends on the lengths only.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Who a request is: a token, and the session it came through if it came with the cookie.
pub struct Identity {
    pub token: TokenInfo,
    /// The SHA-256 of the bearer token, when it came as one.
    bearer_hash: Option<String>,
    session: Option<(String, Session)>,
}

/// What a stream is opened through, and must end with.
enum Opener {
    Session(String),
    Bearer(String),
}

/// Whether `response` is an event stream, which lasts until someone ends it.
fn is_stream(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"))
}

/// `response`'s body, when it is an event stream, ended within [`STREAM_CHECK`] of what
/// opened it ending: the session (signed out, its 12 h over) or the token (revoked,
/// expired). A stream does not outlive the right to read it.
pub fn while_valid(server: Arc<Server>, identity: &Identity, response: Response) -> Response {
    let opener = match (&identity.session, &identity.bearer_hash) {
        (Some((id, _)), _) => Opener::Session(id.clone()),
        (None, Some(hash)) => Opener::Bearer(hash.clone()),
        (None, None) => return response,
    };
    if !is_stream(&response) {
        return response;
    }
    let ended = async move {
        loop {
            tokio::time::sleep(STREAM_CHECK).await;
            let now = crate::clock::now_ms();
            let valid = match &opener {
                Opener::Session(id) => server
                    .sessions
                    .find(id, now)
                    .is_some_and(|s| server.keys.check_hash(&s.token_hash, now).is_ok()),
                Opener::Bearer(hash) => server.keys.check_hash(hash, now).is_ok(),
            };
            if !valid {
                if let Opener::Session(id) = &opener {
                    server.sessions.end(id);
                }
                return;
            }
        }
    };
    let (parts, body) = response.into_parts();
    let body = Body::from_stream(body.into_data_stream().take_until(ended));
    Response::from_parts(parts, body)
}

impl Server {
    /// Who `request` is: its bearer token, else its session cookie, which a request that
    /// changes something must back with the session's CSRF token; otherwise the refusal,
    /// audited (and counted, for a wrong token).
    pub(super) fn authenticate(&self, request: &Request, call: &Call) -> Result<Identity, Denial> {
        let bearer = bearer(request);
        let id = match bearer {
            Some(_) => None,
            None => cookie(request.headers()),
        };
        let Some(id) = id else {
            let bearer_hash = bearer.map(tokens::hash);
            let token = self.check_token(call, bearer_hash.as_deref())?;
            return Ok(Identity {
                token,
                bearer_hash,
                session: None,
            });
        };
        let now = crate::clock::now_ms();
        self.not_blocked(call, now)?;
        // An unknown id is not counted as a guess: 256 bits are not guessed, and a cookie
        // from before a restart of `uc serve` is common.
        let Some(session) = self.sessions.find(id, now) else {
            let hint = "sign in again (POST /api/v1/session)".to_owned();
            let denial = Denial::unauthorized("unauthorized: the session has ended", hint);
            return Err(self.deny(call, None, denial));
        };
        let token = self
            .keys
            .check_hash(&session.token_hash, now)
            .map_err(|rejected| {
                self.sessions.end(id);
                let denial = Denial::unauthorized(
                    "unauthorized: the session's token is not valid any more",
                    rejected.hint(),
                );
                self.deny(call, None, denial)
            })?;
        let sent = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok());
        let safe = matches!(call.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && !sent.is_some_and(|sent| same(sent, &session.csrf)) {
            let denial = Denial {
                status: StatusCode::FORBIDDEN,
                error: "forbidden: missing or wrong CSRF token",
                hint: "send X-CSRF-Token: the `csrf` that signing in answered".into(),
                retry_after: None,
            };
            return Err(self.deny(call, Some(&token), denial));
        }
        Ok(Identity {
            token,
            bearer_hash: None,
            session: Some((id.to_owned(), session)),
        })
    }

    /// `/api/v1/session`: sign in (POST), who is signed in (GET), sign out (DELETE).
    pub(super) async fn session(&self, request: Request, call: Call) -> Response {
        match call.method {
            Method::POST => self.sign_in(request, call).await,
            Method::GET | Method::HEAD => match self.authenticate(&request, &call) {
                Ok(identity) => Json(info(&identity)).into_response(),
                Err(denied) => denied.into_response(),
            },
            Method::DELETE => self.sign_out(&request, &call),
            _ => method_not_allowed("GET, POST, DELETE"),
        }
    }

    async fn sign_in(&self, request: Request, call: Call) -> Response {
        #[derive(serde::Deserialize)]
        struct SignIn {
            token: String,
        }
        // A form on another site can post text/plain, not JSON (that needs CORS, which this
        // server never grants): so no page but ours signs a browser in as someone else.
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            let error = CommandError::field("Content-Type", "signing in takes application/json")
                .with_hint("send Content-Type: application/json");
            return crate::api::error(StatusCode::UNSUPPORTED_MEDIA_TYPE, error);
        }
        // `listen::serve` read the body whole already: this only takes it back.
        let body = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        // serde's message is not repeated: it could quote what was sent.
        let Ok(SignIn { token }) = serde_json::from_slice(&body) else {
            let error = CommandError::field("token", "the body is not {\"token\": \"uc_...\"}")
                .with_hint("`uc token create` makes a token");
            return crate::api::error(StatusCode::BAD_REQUEST, error);
        };
        let token_hash = tokens::hash(&token);
        let token_info = match self.check_token(&call, Some(&token_hash)) {
            Ok(info) => info,
            Err(denied) => return denied.into_response(),
        };
        let now = crate::clock::now_ms();
        let Some((id, session)) = self.sessions.open(token_hash, now) else {
            let error = CommandError::new("no randomness for a session id");
            return crate::api::error(StatusCode::INTERNAL_SERVER_ERROR, error);
        };
        self.audit(&call, Some(&token_info), StatusCode::OK, Some("signed in"));
        let mut response = Json(SessionInfo {
            name: token_info.name,
            role: token_info.role,
            workspace: token_info.workspace,
            csrf: Some(session.csrf),
        })
        .into_response();
        self.set_cookie(&mut response, &id, "");
        response
    }

    fn sign_out(&self, request: &Request, call: &Call) -> Response {
        let identity = match self.authenticate(request, call) {
            Ok(identity) => identity,
            Err(denied) => return denied.into_response(),
        };
        let why = match &identity.session {
            Some((id, _)) => {
                self.sessions.end(id);
                "signed out"
            }
            None => "no session (a bearer token)",
        };
        self.audit(
            call,
            Some(&identity.token),
            StatusCode::NO_CONTENT,
            Some(why),
        );
        let mut response = StatusCode::NO_CONTENT.into_response();
        self.set_cookie(&mut response, "", "; Max-Age=0");
        response
    }

    /// The cookie is for scripts of no page (HttpOnly), no other site (SameSite=Strict), and
    /// over TLS only when `uc serve` has it (a loopback address may be plain HTTP).
    fn set_cookie(&self, response: &mut Response, value: &str, extra: &str) {
        let secure = if self.tls { "; Secure" } else { "" };
        let cookie = format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/{secure}{extra}");
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
    }
}

fn info(identity: &Identity) -> SessionInfo {
    SessionInfo {
        name: identity.token.name.clone(),
        role: identity.token.role,
        workspace: identity.token.workspace.clone(),
        csrf: identity.session.as_ref().map(|(_, s)| s.csrf.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_with_their_lifetime_or_when_ended() {
        let sessions = Sessions::default();
        let (id, session) = sessions.open("hash".into(), 1_000).unwrap();
        assert_eq!(id.len(), 64);
        assert_ne!(id, session.csrf);
        assert!(sessions.find(&id, 2_000).is_some());
        assert!(sessions.find(&id, 1_000 + LIFETIME_MS).is_none());
        assert!(sessions.find("other", 2_000).is_none());
        sessions.end(&id);
        assert!(sessions.find(&id, 2_000).is_none());
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; uc_session=abc"),
        );
        assert_eq!(cookie(&headers), Some("abc"));
        headers.clear();
        headers.append(header::COOKIE, HeaderValue::from_static("uc_session=; x=2"));
        assert_eq!(cookie(&headers), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
