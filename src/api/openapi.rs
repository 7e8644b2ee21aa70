//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the protocol types' schemas. Every engine route is listed twice: as
//! `/api/v1/X` (the default workspace) and as `/api/v1/workspaces/{ws}/X`; the routes
//! `uc serve` answers itself are added here so the document is whole.

use serde::{Deserialize, Serialize};
use utoipa::OpenApi;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, PathItem, Paths};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Object, Ref, Required, Response, ResponseBuilder, Type};

use crate::api::{
    alerts, audit, config, deploys, doctor, events, heal, hooks, logs, metrics, services, terminal,
};
use crate::store::TokenInfo;

/// The routes `uc serve` answers without an engine (the web page among them).
pub const SERVE_ROUTES: &[&str] = &[
    "/api/v1/health",
    "/api/v1/workspaces",
    "/api/v1/openapi.json",
    "/api/v1/session",
    "/api/v1/tokens",
    "/api/v1/tokens/{name}",
    "/",
    "/assets/{name}",
];

/// `GET /api/v1/health`, answered by `uc serve` without a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ServeHealth, example = json!({"status": "ok", "version": "0.1.0"}))]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// One entry of `GET /api/v1/workspaces`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "shop", "running": true, "default": true}))]
pub struct WorkspaceEntry {
    pub name: String,
    /// Whether its engine answers.
    pub running: bool,
    /// The workspace unprefixed `/api/v1/...` routes act on.
    pub default: bool,
}

/// Who a session (or a bearer token) is: `POST` and `GET /api/v1/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "ana", "role": "operator", "workspace": null, "csrf": "9f2c…"}))]
pub struct SessionInfo {
    /// The token's name.
    pub name: String,
    #[schema(value_type = String, example = "operator")]
    pub role: crate::protocol::Role,
    /// The one workspace the token reaches; every one when null.
    pub workspace: Option<String>,
    /// What requests through the session that change something send as `X-CSRF-Token`;
    /// null for a bearer token.
    pub csrf: Option<String>,
}

/// The answer to `POST /api/v1/tokens`: the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"token": "uc_3f9a…", "info": {"name": "ci", "role": "operator",
    "workspace": null, "created": 1764979200000u64, "expires": 1767571200000u64,
    "last_used": null, "revoked": null}}))]
pub struct CreatedToken {
    /// Send it as `Authorization: Bearer <token>`; only its hash is kept.
    pub token: String,
    pub info: TokenInfo,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Univers-Container API",
        description = "The engine's powers over HTTP: \
        every route as `/api/v1/X` (the default workspace) and `/api/v1/workspaces/{ws}/X`. \
        Send `Authorization: Bearer <token>` (`uc token create`); errors are \
        `{\"error\", \"field\"?, \"hint\"?}`."
    ),
    paths(
        super::snapshot,
        super::command,
        events::events,
        services::list,
        services::one,
        services::start,
        services::stop,
        services::start_one,
        services::stop_one,
        services::restart_one,
        terminal::stream,
        terminal::keys,
        metrics::current,
        metrics::history,
        logs::lines,
        logs::follow_lines,
        logs::patterns,
        logs::stats,
        alerts::list,
        alerts::ack,
        alerts::history,
        alerts::silences,
        alerts::silence,
        alerts::expire,
        config::environments,
        config::environment_plan,
        config::switch,
        config::replace,
        config::validate,
        config::render,
        config::plan,
        config::apply,
        config::history,
        config::revision,
        config::revert,
        config::diff,
        heal::history,
        heal::playbooks,
        heal::playbook_source,
        heal::save_playbook,
        heal::delete_playbook,
        heal::run_playbook,
        hooks::deliveries,
        hooks::receive,
        audit::list,
        doctor::diagnose,
        deploys::deploy,
        deploys::rollback,
        deploys::push,
        deploys::approve,
        deploys::reject,
        deploys::list,
    ),
    components(schemas(
        Health,
        WorkspaceEntry,
        SessionInfo,
        CreatedToken,
        TokenInfo,
        crate::logs::PatternInfo,
        terminal::ScreenEvent
    ))
)]
struct Engine;

/// The whole document, as `uc serve` serves it at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = Engine::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let engine = std::mem::take(&mut doc.paths.paths);
    let mut paths = Paths::new();
    for (path, mut item) in engine {
        answers_on_the_way(&mut item, true);
        paths.paths.insert(format!("/api/v1{path}"), item.clone());
        paths.paths.insert(
            format!("/api/v1/workspaces/{{ws}}{path}"),
            in_workspace(item),
        );
    }
    for (path, mut item) in serve_paths() {
        answers_on_the_way(&mut item, false);
        paths.paths.insert(path, item);
    }
    doc.paths = paths;
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearerAuth",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    doc.security = Some(vec![SecurityRequirement::new(
        "bearerAuth",
        Vec::<String>::new(),
    )]);
    doc
}

/// Adds to each operation of `item` what `uc serve` and the listener may answer before its
/// handler runs, unless the operation documents that status itself: 401 / 403 / 429 for a
/// token's operations, 404 (no such workspace) and 503 (its engine is not running) on the way
/// to an engine, 400 (a query or body that cannot be read) and 413 (a body over the limit).
fn answers_on_the_way(item: &mut PathItem, to_engine: bool) {
    let operations = [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ];
    for operation in operations.into_iter().flatten() {
        // `security(())`: a webhook, whose signature the handler checks.
        let with_token = operation.security.is_none();
        let mut statuses = vec![(
            "400",
            "A query or body that cannot be read; `field` says which",
        )];
        if with_token {
            statuses.extend([
                (
                    "401",
                    "No token, or one that is unknown, expired or revoked; `hint` says which",
                ),
                (
                    "403",
                    "The token's role or workspace does not allow it; `hint` names what is needed",
                ),
                (
                    "429",
                    "Too many wrong tokens from this address; see `Retry-After`",
                ),
            ]);
        }
        if to_engine {
            statuses.extend([
                (
                    "404",
                    "No such workspace (or no default one), or no such resource",
                ),
                (
                    "503",
                    "The workspace's engine is not running; `hint` says how to start it",
                ),
            ]);
        }
        if operation.request_body.is_some() {
            statuses.push(("413", "The body is over the limit (1 MiB)"));
        }
        for (status, description) in statuses {
            let responses = &mut operation.responses.responses;
            responses
                .entry(status.to_owned())
                .or_insert_with(|| error_response(description).into());
        }
    }
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("CommandError")))
                .build(),
        )
        .build()
}

/// `item` under `/api/v1/workspaces/{ws}`: the same operations, with the workspace named.
fn in_workspace(mut item: PathItem) -> PathItem {
    let ws: Parameter = ParameterBuilder::new()
        .name("ws")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("Workspace name"))
        .schema(Some(Object::with_type(Type::String)))
        .build();
    item.parameters.get_or_insert_with(Vec::new).push(ws);
    item
}

/// The paths `uc serve` answers itself.
fn serve_paths() -> Vec<(String, PathItem)> {
    let error = serde_json::json!({"$ref": "#/components/schemas/CommandError"});
    let items = [
        (
            "/api/v1/health",
            serde_json::json!({"get": {
                "tags": ["serve"], "operationId": "health", "security": [],
                "summary": "Whether `uc serve` is up; the only route without a token",
                "responses": {"200": {"description": "Up", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ServeHealth"}}}}}}}),
        ),
        (
            "/api/v1/workspaces",
            serde_json::json!({"get": {
                "tags": ["serve"], "operationId": "workspaces",
                "summary": "The user's workspaces, running or not",
                "responses": {"200": {"description": "Workspaces", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/WorkspaceEntry"}}}}},
                    "401": {"description": "No valid token", "content": {"application/json": {"schema": error}}}}}}),
        ),
        (
            "/api/v1/openapi.json",
            serde_json::json!({"get": {
                "tags": ["serve"], "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {
                    "schema": {"type": "object"}}}}}}}),
        ),
        ("/api/v1/session", session_item()),
        ("/api/v1/tokens", tokens_item()),
        ("/api/v1/tokens/{name}", token_item()),
        (
            "/",
            serde_json::json!({"get": {
                "tags": ["page"], "operationId": "page", "security": [],
                "summary": "The web page (sign in with a token, then the dashboard)",
                "responses": {"200": {"description": "index.html", "content": {"text/html": {
                    "schema": {"type": "string"}}}}}}}),
        ),
        (
            "/assets/{name}",
            serde_json::json!({"get": {
                "tags": ["page"], "operationId": "pageAsset", "security": [],
                "summary": "One of the page's bundles, named by its content's hash (cached for good)",
                "parameters": [{"name": "name", "in": "path", "required": true,
                    "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "The bundle", "content": {
                        "text/javascript": {"schema": {"type": "string"}},
                        "text/css": {"schema": {"type": "string"}}}},
                    "404": {"description": "No such bundle", "content": {"application/json": {
                        "schema": error}}}}}}),
        ),
    ];
    items
        .into_iter()
        .filter_map(|(path, item)| Some((path.to_owned(), serde_json::from_value(item).ok()?)))
        .collect()
}

/// `/api/v1/session`: the web page's sign-in with a token, who is signed in, sign-out.
fn session_item() -> serde_json::Value {
    let info = serde_json::json!({"application/json": {
        "schema": {"$ref": "#/components/schemas/SessionInfo"}}});
    let error = serde_json::json!({"application/json": {
        "schema": {"$ref": "#/components/schemas/CommandError"}}});
    let cookie = serde_json::json!({"Set-Cookie": {
        "description": "`uc_session=<id>; HttpOnly; SameSite=Strict; Path=/` (`; Secure` over TLS)",
        "schema": {"type": "string"}}});
    serde_json::json!({
        "post": {
            "tags": ["session"], "operationId": "signIn", "security": [],
            "summary": "Trade a token for a session cookie and its CSRF token",
            "description": "Requests with the cookie are the token's; those that change something \
                must send `X-CSRF-Token` (403 otherwise). The session ends at sign-out, after \
                12 h, when the token is revoked or expires, or when `uc serve` restarts.",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["token"],
                "properties": {"token": {"type": "string"}}}}}},
            "responses": {
                "200": {"description": "Signed in", "headers": cookie, "content": info},
                "401": {"description": "The token is unknown, expired or revoked", "content": error},
                "415": {"description": "The body is not `application/json`", "content": error},
                "429": {"description": "Too many wrong tokens from this address; see `Retry-After`",
                    "content": error}}},
        "get": {
            "tags": ["session"], "operationId": "session",
            "summary": "Who the session cookie (or bearer token) is",
            "responses": {"200": {"description": "Signed in", "content": info}}},
        "delete": {
            "tags": ["session"], "operationId": "signOut",
            "summary": "End the session (needs `X-CSRF-Token`); clears the cookie",
            "responses": {"204": {"description": "Signed out"}}},
    })
}

/// `/api/v1/tokens`: list and create, as `uc token list|create` do.
fn tokens_item() -> serde_json::Value {
    let error = serde_json::json!({"application/json": {
        "schema": {"$ref": "#/components/schemas/CommandError"}}});
    let role = serde_json::json!({"type": "string",
        "enum": ["viewer", "operator", "deployer", "admin"]});
    serde_json::json!({
        "get": {
            "tags": ["tokens"], "operationId": "tokens",
            "summary": "Every token: name, role, scope, times (never the token itself)",
            "description": "Needs an admin token for every workspace.",
            "responses": {"200": {"description": "The tokens, by name", "content": {
                "application/json": {"schema": {"type": "array",
                    "items": {"$ref": "#/components/schemas/TokenInfo"}}}}}}},
        "post": {
            "tags": ["tokens"], "operationId": "createToken",
            "summary": "Make a token; the answer is the only time it is shown",
            "description": "Needs an admin token for every workspace. Audited.",
            "requestBody": {"required": true, "content": {"application/json": {
                "schema": {"type": "object", "required": ["name", "role"],
                    "additionalProperties": false,
                    "properties": {
                        "name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                        "role": role,
                        "workspace": {"type": ["string", "null"],
                            "description": "The one workspace it reaches (default: all)"},
                        "expires": {"type": ["string", "null"],
                            "description": "How long it works, e.g. `30d` (default: until revoked)"}}},
                "example": {"name": "ci", "role": "operator", "expires": "30d"}}}},
            "responses": {
                "201": {"description": "Made", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CreatedToken"}}}},
                "409": {"description": "A token of that name exists", "content": error}}},
    })
}

/// `/api/v1/tokens/{name}`: revoke, as `uc token revoke` does.
fn token_item() -> serde_json::Value {
    let error = serde_json::json!({"application/json": {
        "schema": {"$ref": "#/components/schemas/CommandError"}}});
    serde_json::json!({
        "delete": {
            "tags": ["tokens"], "operationId": "revokeToken",
            "summary": "Revoke a token: it, its sessions and its open streams stop within a second",
            "description": "Needs an admin token for every workspace. Audited.",
            "parameters": [{"name": "name", "in": "path", "required": true,
                "schema": {"type": "string"}}],
            "responses": {
                "204": {"description": "Revoked"},
                "404": {"description": "No such token, or revoked already", "content": error}}},
    })
}
