//! `uc serve`: the host's one HTTP server for every workspace's engine. It owns bearer
//! tokens, roles and their scope, the counting of failed attempts, TLS, limits and the audit
//! of what comes in over TCP; everything else is the engine's, reached over its Unix socket
//! (`/api/v1/workspaces/{ws}/X` → that engine's `/api/v1/X`; unprefixed → the default
//! workspace). It also serves the web page (`page`) and its sign-in (`session`).

mod auth;
mod forward;
mod page;
pub mod route;
mod session;
mod tls;
mod tokens;
mod workspaces;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::WorkspaceEntry;
use crate::api::listen::{self, Limits};
use crate::protocol::{CommandError, Permission};
use crate::store::{AuditEntry, AuditRecord, Auditor, StoreError, TokenInfo};
use auth::{Failures, Keys, Rejected};
use forward::{Caller, Engines};
use route::Route;
use session::{Identity, Sessions};
use workspaces::Workspaces;

/// What `uc serve` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    /// PEM certificate chain and key.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub insecure_http: bool,
    /// Where unprefixed requests go (`--default`, else `./univers.yaml`'s workspace).
    pub default: Option<String>,
}

/// Many clients at once, each with a small body: bigger is refused before it is read.
pub const LIMITS: Limits = Limits {
    max_connections: 4096,
    request_timeout: Duration::from_secs(5),
    max_body: 1 << 20,
};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to serve plain HTTP on {0}, which is not a loopback address: tokens would \
         cross the network in clear; give --tls-cert and --tls-key, or --insecure-http"
    )]
    Insecure(SocketAddr),
    #[error(transparent)]
    StateDir(#[from] crate::paths::StateDirError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// `<state>/.serve/`: tokens and audit log. A workspace is never named so: names are
/// sanitized to letters, digits, `-` and `_`.
pub fn dir() -> Result<PathBuf, crate::paths::StateDirError> {
    Ok(crate::paths::state_base()?.join(".serve"))
}

pub fn tokens_db(dir: &std::path::Path) -> PathBuf {
    dir.join("tokens.db")
}

/// Before `audit.jsonl`: still read by `uc audit`.
pub fn audit_db(dir: &std::path::Path) -> PathBuf {
    dir.join("audit.db")
}

pub fn audit_log(dir: &std::path::Path) -> PathBuf {
    dir.join("audit.jsonl")
}

/// Serves until the process ends. `ready` is told the address once it listens.
pub async fn run(options: Options, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    if !options.listen.ip().is_loopback() && options.tls.is_none() && !options.insecure_http {
        return Err(ServeError::Insecure(options.listen));
    }
    raise_open_files();
    let base = crate::paths::state_base()?;
    let dir = base.join(".serve");
    crate::paths::private_dir(&dir)?;
    let server = Arc::new(Server {
        keys: Keys::open(&tokens_db(&dir))?,
        failures: Failures::default(),
        auditor: Auditor::spawn(audit_log(&dir)),
        engines: Engines::default(),
        workspaces: Workspaces::new(base, options.default.clone()),
        sessions: Sessions::default(),
        tls: options.tls.is_some(),
    });
    let router = Router::new().fallback(handle).with_state(server);
    let listen_error = |source| ServeError::Listen {
        addr: options.listen,
        source,
    };
    let tcp = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(listen_error)?;
    let local = tcp.local_addr().map_err(listen_error)?;
    match &options.tls {
        Some((cert, key)) => {
            let listener =
                tls::TlsListener::new(tcp, tls::config(cert, key)?).map_err(listen_error)?;
            ready(local);
            listen::serve(listener, router, LIMITS).await;
        }
        None => {
            ready(local);
            listen::serve(tcp, router, LIMITS).await;
        }
    }
    Ok(())
}

/// Each connection is a descriptor: allow as many as the hard limit does.
fn raise_open_files() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
        && let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard)
    {
        tracing::warn!("cannot raise the open files limit to {hard}: {e}");
    }
}

struct Server {
    keys: Keys,
    failures: Failures,
    auditor: Auditor,
    engines: Engines,
    workspaces: Workspaces,
    sessions: Sessions,
    /// Whether clients reach it over TLS: its cookies are then `Secure`.
    tls: bool,
}

fn refuse(status: StatusCode, error: impl Into<String>, hint: Option<String>) -> Response {
    let mut body = CommandError::new(error);
    body.hint = hint;
    crate::api::error(status, body)
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut response = refuse(StatusCode::METHOD_NOT_ALLOWED, "method not allowed", None);
    let allow = HeaderValue::from_static(allow);
    response.headers_mut().insert(header::ALLOW, allow);
    response
}

/// A request turned away before it reached an engine.
struct Denial {
    status: StatusCode,
    error: &'static str,
    hint: String,
    retry_after: Option<u64>,
}

impl Denial {
    fn unauthorized(error: &'static str, hint: String) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error,
            hint,
            retry_after: None,
        }
    }

    fn forbidden(hint: String) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            error: "forbidden",
            hint,
            retry_after: None,
        }
    }
}

impl IntoResponse for Denial {
    fn into_response(self) -> Response {
        let mut response = refuse(self.status, self.error, Some(self.hint));
        if let Some(secs) = self.retry_after {
            let value = HeaderValue::from(secs);
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// One request as it arrived: for checks and the audit.
struct Call {
    method: Method,
    source: IpAddr,
    route: String,
    workspace: Option<String>,
    target: Option<String>,
    /// The `command` the body sends (`stop`), for the action on record.
    command: Option<String>,
    /// `web` for the page (its session cookie), `web (assistant)` for what its assistant
    /// applied, `api` for other clients.
    via: &'static str,
}

/// Who is calling: the page (by its session cookie; through its assistant when it says so)
/// or another client.
fn via(headers: &HeaderMap) -> &'static str {
    if !session::has_cookie(headers) {
        return "api";
    }
    match headers.get(crate::api::VIA).and_then(|v| v.to_str().ok()) {
        Some(WEB_ASSISTANT) => WEB_ASSISTANT,
        _ => "web",
    }
}

/// What the page's assistant names itself: the user acting through it.
pub const WEB_ASSISTANT: &str = "web (assistant)";

async fn handle(
    State(server): State<Arc<Server>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let route = match route::route(&path) {
        Ok(route) => route,
        Err(problem) => {
            let body = CommandError::field("workspace", problem);
            return crate::api::error(StatusCode::BAD_REQUEST, body);
        }
    };
    let mut call = Call {
        method: request.method().clone(),
        source: peer.ip(),
        route: request.uri().path().to_owned(),
        workspace: None,
        target: None,
        command: None,
        via: via(request.headers()),
    };
    match route {
        Route::Health => health(),
        Route::NotFound => refuse(StatusCode::NOT_FOUND, format!("no route {path}"), None),
        Route::Page | Route::Asset(_) => {
            // The route table says which methods the page has: anything else is not one.
            if crate::api::permission(call.method.as_str(), &call.route) != Permission::Public {
                return method_not_allowed("GET, HEAD");
            }
            match route {
                Route::Asset(name) => page::asset(&name, request.headers()),
                _ => page::index(request.headers()),
            }
        }
        Route::Session => server.session(request, call).await,
        Route::Tokens => server.tokens(request, call, None).await,
        Route::Token(name) => server.tokens(request, call, Some(name)).await,
        Route::Workspaces | Route::OpenApi => {
            let permission = crate::api::permission(call.method.as_str(), &call.route);
            match server.authorize(&request, &call, permission) {
                Ok(identity) if route == Route::Workspaces => {
                    Json(server.visible_workspaces(&identity.token)).into_response()
                }
                Ok(_) => Json(crate::api::openapi()).into_response(),
                Err(denied) => denied.into_response(),
            }
        }
        Route::Engine { workspace, path } => {
            call.route = path.split('?').next().unwrap_or(&path).to_owned();
            call.workspace = workspace;
            server.engine_call(request, call, &path).await
        }
    }
}

fn health() -> Response {
    Json(crate::api::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
    .into_response()
}

impl Server {
    async fn engine_call(
        self: &Arc<Self>,
        request: Request,
        mut call: Call,
        path: &str,
    ) -> Response {
        // With the query: a playbook's dry run (`?dry_run=true`) needs less than its run.
        let permission = crate::api::permission(call.method.as_str(), path);
        let identity = match permission {
            Permission::Public | Permission::Signed => None,
            Permission::Role(_) => match self.authorize(&request, &call, permission) {
                Ok(identity) => Some(identity),
                Err(denied) => return denied.into_response(),
            },
        };
        let token = identity.as_ref().map(|i| &i.token);
        let Some(workspace) = call.workspace.clone().or_else(|| self.workspaces.default()) else {
            let hint = "name one: /api/v1/workspaces/{ws}/...; `uc serve --default WS` sets it";
            let error = "no default workspace (none or several are running)";
            return refuse(StatusCode::NOT_FOUND, error, Some(hint.into()));
        };
        call.workspace = Some(workspace.clone());
        if let Some(token) = token
            && let Err(denied) = self.in_scope(token, &call)
        {
            return denied.into_response();
        }
        let Some(socket) = self.workspaces.socket(&workspace) else {
            let hint = "`GET /api/v1/workspaces` lists them".to_owned();
            return refuse(
                StatusCode::NOT_FOUND,
                format!("no workspace `{workspace}`"),
                Some(hint),
            );
        };
        let mutating = !matches!(call.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let (parts, body) = request.into_parts();
        // `listen::serve` read the body whole already: this only takes it back.
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        if mutating {
            call.target = AuditEntry::target_of(&body);
            call.command = AuditEntry::command_of(&body);
        }
        let request = Request::from_parts(parts, Body::from(body));
        // Audited here: the engine must not record it again as its local user's.
        let caller = match token {
            Some(t) => Caller {
                name: &t.name,
                role: Some(t.role),
            },
            None => Caller {
                name: "webhook",
                role: None,
            },
        };
        let response = match self.engines.forward(socket, path, request, caller).await {
            Some(response) => response,
            None => refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("workspace `{workspace}` is not running"),
                Some(format!(
                    "start it: `uc up` in the directory of its univers.yaml ({workspace})"
                )),
            ),
        };
        let refused = matches!(response.status().as_u16(), 403 | 429);
        let (why, response) = if refused {
            crate::api::refusal_of(response).await
        } else {
            (None, response)
        };
        if mutating {
            // On record before the caller hears it was done.
            let record = self.record(&call, token, response.status(), why.as_deref());
            self.auditor.commit(record).await;
        }
        match &identity {
            Some(identity) => session::while_valid(Arc::clone(self), identity, response),
            None => response,
        }
    }

    /// The token of the request (its bearer, or its session's), if it may do what
    /// `permission` allows; otherwise the refusal, counted and audited.
    fn authorize(
        &self,
        request: &Request,
        call: &Call,
        permission: Permission,
    ) -> Result<Identity, Denial> {
        let identity = self.authenticate(request, call)?;
        let token = &identity.token;
        if let Permission::Role(needed) = permission
            && !permission.allows(Some(token.role))
        {
            let hint = format!(
                "needs role {}; token {} is {}",
                needed.name(),
                token.name,
                token.role.name()
            );
            return Err(self.deny(call, Some(token), Denial::forbidden(hint)));
        }
        Ok(identity)
    }

    /// A refusal when the address tried too many wrong tokens lately.
    fn not_blocked(&self, call: &Call, now: u64) -> Result<(), Denial> {
        match self.failures.blocked(call.source, now) {
            None => Ok(()),
            Some(retry) => {
                let denial = Denial {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    error: "too many failed attempts from this address",
                    hint: format!("try again in {retry} s"),
                    retry_after: Some(retry),
                };
                Err(self.deny(call, None, denial))
            }
        }
    }

    /// The token whose hash `bearer_hash` is, if it is valid; a wrong one is counted against
    /// the address.
    fn check_token(&self, call: &Call, bearer_hash: Option<&str>) -> Result<TokenInfo, Denial> {
        let now = crate::clock::now_ms();
        self.not_blocked(call, now)?;
        let checked = match bearer_hash {
            Some(hash) => self.keys.check_hash(hash, now),
            None => Err(Rejected::Missing),
        };
        checked.map_err(|rejected| {
            // A request with no token guesses nothing: only wrong tokens count.
            if rejected != Rejected::Missing {
                self.failures.failed(call.source, now);
            }
            let error = match rejected {
                Rejected::Missing => "unauthorized: no bearer token",
                _ => "unauthorized: the token is not valid",
            };
            self.deny(call, None, Denial::unauthorized(error, rejected.hint()))
        })
    }

    /// A token made for one workspace reaches no other.
    fn in_scope(&self, token: &TokenInfo, call: &Call) -> Result<(), Denial> {
        match (&token.workspace, &call.workspace) {
            (Some(scope), Some(target)) if scope != target => {
                let hint = format!("token {} is for workspace {scope} only", token.name);
                Err(self.deny(call, Some(token), Denial::forbidden(hint)))
            }
            _ => Ok(()),
        }
    }

    /// Every denial is audited, with why.
    fn deny(&self, call: &Call, token: Option<&TokenInfo>, denial: Denial) -> Denial {
        let why = format!("{} ({})", denial.error, denial.hint);
        self.audit(call, token, denial.status, Some(&why));
        denial
    }

    fn visible_workspaces(&self, token: &TokenInfo) -> Vec<WorkspaceEntry> {
        let mut all = self.workspaces.list();
        if let Some(scope) = &token.workspace {
            all.retain(|w| &w.name == scope);
        }
        all
    }

    fn audit(&self, call: &Call, token: Option<&TokenInfo>, status: StatusCode, why: Option<&str>) {
        self.auditor.record(self.record(call, token, status, why));
    }

    fn record(
        &self,
        call: &Call,
        token: Option<&TokenInfo>,
        status: StatusCode,
        why: Option<&str>,
    ) -> AuditRecord {
        let status = status.as_u16();
        let actor = token.map_or("-", |t| t.name.as_str());
        let action =
            AuditEntry::action_of(call.method.as_str(), &call.route, call.command.as_deref());
        let mut record = AuditRecord::now(actor, call.via, &action, AuditEntry::outcome_of(status));
        record.workspace.clone_from(&call.workspace);
        record.target.clone_from(&call.target);
        record.reason = why.map(str::to_owned);
        record.status = Some(status);
        record.source = Some(call.source.to_string());
        record
    }
}

fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
