//! The permission each API route needs (`protocol::access`): one table, which the router is
//! checked against (a route cannot be served without an entry) and which `uc serve` asks
//! before forwarding. Paths are the engine's own, without a `/api/v1/workspaces/{ws}` prefix.
//! The engine asks it too, in [`guard`], for every caller of its socket: the owner (the uid
//! running the engine) is admin, or holds the role `uc serve` forwards; anyone else holds
//! what the workspace's `access:` grants their user or groups, or nothing.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::protocol::access::{self as rules, Access, Action};
use crate::protocol::{Command, CommandError, Hub, Permission, Role};
use crate::store::{AuditEntry, AuditRecord, Auditor};

use super::audit::{ACTOR, Peer, ROLE, via_of};

/// Every route of the API: the engine's and those `uc serve` answers itself.
pub const ROUTES: &[(&str, &str, Permission)] = &[
    ("GET", "/api/v1/health", Permission::Public),
    ("GET", "/api/v1/workspaces", VIEWER),
    ("GET", "/api/v1/openapi.json", VIEWER),
    // The web page: it holds no data, and reads everything through the routes below.
    ("GET", "/", Permission::Public),
    ("GET", "/assets/{name}", Permission::Public),
    // Signing in checks the token the body carries; the session then stands for it.
    ("POST", "/api/v1/session", Permission::Public),
    ("GET", "/api/v1/session", VIEWER),
    ("DELETE", "/api/v1/session", VIEWER),
    // The tokens themselves: host-wide, so also only with a token for every workspace.
    ("GET", "/api/v1/tokens", ADMIN),
    ("POST", "/api/v1/tokens", ADMIN),
    ("DELETE", "/api/v1/tokens/{name}", ADMIN),
    ("GET", "/api/v1/snapshot", VIEWER),
    ("GET", "/api/v1/events", VIEWER),
    // The generic command entry of the CLI and TUI: any command, so the highest role.
    ("POST", "/api/v1/commands", ADMIN),
    ("GET", "/api/v1/services", VIEWER),
    ("POST", "/api/v1/services/start", OPERATOR),
    ("POST", "/api/v1/services/stop", OPERATOR),
    ("GET", "/api/v1/services/{name}", VIEWER),
    ("POST", "/api/v1/services/{name}/start", OPERATOR),
    ("POST", "/api/v1/services/{name}/stop", OPERATOR),
    ("POST", "/api/v1/services/{name}/restart", OPERATOR),
    // Watching a service's window is reading; typing into it is acting on the service.
    ("GET", "/api/v1/services/{name}/terminal", VIEWER),
    ("POST", "/api/v1/services/{name}/terminal/keys", OPERATOR),
    ("POST", "/api/v1/services/{name}/deploy", DEPLOYER),
    ("POST", "/api/v1/services/{name}/rollback", DEPLOYER),
    // The git hook's word that a ref moved: it deploys, so it needs what a deploy needs.
    ("POST", "/api/v1/services/{name}/push", DEPLOYER),
    // A stage's `approve:` may ask for admin: the engine checks that one.
    ("POST", "/api/v1/services/{name}/approve", DEPLOYER),
    ("POST", "/api/v1/services/{name}/reject", DEPLOYER),
    ("GET", "/api/v1/deploys", VIEWER),
    ("GET", "/api/v1/metrics", VIEWER),
    ("GET", "/api/v1/metrics/history", VIEWER),
    ("GET", "/api/v1/logs", VIEWER),
    ("GET", "/api/v1/logs/follow", VIEWER),
    ("GET", "/api/v1/logs/patterns", VIEWER),
    ("GET", "/api/v1/logs/stats", VIEWER),
    ("GET", "/api/v1/alerts", VIEWER),
    ("POST", "/api/v1/alerts/{id}/ack", OPERATOR),
    ("GET", "/api/v1/alerts/history", VIEWER),
    ("GET", "/api/v1/silences", VIEWER),
    ("POST", "/api/v1/silences", OPERATOR),
    ("DELETE", "/api/v1/silences/{id}", OPERATOR),
    ("GET", "/api/v1/environments", VIEWER),
    ("GET", "/api/v1/environments/{name}/plan", VIEWER),
    ("POST", "/api/v1/environments/{name}/switch", DEPLOYER),
    ("POST", "/api/v1/config", ADMIN),
    ("POST", "/api/v1/config/validate", VIEWER),
    ("GET", "/api/v1/config/render", VIEWER),
    ("GET", "/api/v1/config/plan", VIEWER),
    ("POST", "/api/v1/config/apply", ADMIN),
    ("GET", "/api/v1/config/history", VIEWER),
    ("GET", "/api/v1/config/revisions/{id}", VIEWER),
    ("POST", "/api/v1/config/revisions/{id}/revert", ADMIN),
    ("GET", "/api/v1/config/diff", VIEWER),
    ("GET", "/api/v1/heal/events", VIEWER),
    ("GET", "/api/v1/heal/playbooks", VIEWER),
    ("GET", "/api/v1/heal/playbooks/{name}", VIEWER),
    ("PUT", "/api/v1/heal/playbooks/{name}", ADMIN),
    ("DELETE", "/api/v1/heal/playbooks/{name}", ADMIN),
    // A dry run (`?dry_run=true`) only plans: operator (see `permission`).
    ("POST", "/api/v1/heal/playbooks/{name}/run", ADMIN),
    ("GET", "/api/v1/hooks/deliveries", VIEWER),
    // Who did what, tokens' names included: for whoever may grant and revoke them.
    ("GET", "/api/v1/audit", ADMIN),
    ("GET", "/api/v1/doctor", VIEWER),
    // Checked by the hook's own signature, not a token.
    ("POST", "/api/v1/hooks/{name}", Permission::Signed),
];

const VIEWER: Permission = Permission::Role(Role::Viewer);
const OPERATOR: Permission = Permission::Role(Role::Operator);
const DEPLOYER: Permission = Permission::Role(Role::Deployer);
const ADMIN: Permission = Permission::Role(Role::Admin);

/// The permission `method path` needs (`path` may carry its query string). Unknown routes
/// need admin, so a route missing from [`ROUTES`] is closed rather than open.
pub fn permission(method: &str, path: &str) -> Permission {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let method = if method == "HEAD" { "GET" } else { method };
    let Some(&(_, pattern, needed)) = ROUTES
        .iter()
        .find(|(m, pattern, _)| *m == method && matches(pattern, path))
    else {
        return ADMIN;
    };
    let dry_run = query.split('&').any(|p| p == "dry_run=true");
    if pattern.ends_with("/run") && dry_run {
        return OPERATOR;
    }
    needed
}

/// The REST routes that are an action `access.environments` rules may name; each needs the
/// role `protocol::access::usual_role` gives its action (a test says so).
const ROUTE_ACTIONS: &[(&str, &str, Action)] = &[
    ("POST", "/api/v1/services/start", Action::Start),
    ("POST", "/api/v1/services/stop", Action::Stop),
    ("POST", "/api/v1/services/{name}/start", Action::Start),
    ("POST", "/api/v1/services/{name}/stop", Action::Stop),
    ("POST", "/api/v1/services/{name}/restart", Action::Restart),
    (
        "POST",
        "/api/v1/services/{name}/terminal/keys",
        Action::Type,
    ),
    ("POST", "/api/v1/services/{name}/deploy", Action::Deploy),
    ("POST", "/api/v1/services/{name}/push", Action::Deploy),
    ("POST", "/api/v1/services/{name}/rollback", Action::Rollback),
    ("POST", "/api/v1/services/{name}/approve", Action::Approve),
    ("POST", "/api/v1/services/{name}/reject", Action::Approve),
    ("POST", "/api/v1/alerts/{id}/ack", Action::Ack),
    ("POST", "/api/v1/silences", Action::Silence),
    ("DELETE", "/api/v1/silences/{id}", Action::Expire),
    ("POST", "/api/v1/environments/{name}/switch", Action::Switch),
    ("POST", "/api/v1/config/apply", Action::Apply),
    (
        "POST",
        "/api/v1/config/revisions/{id}/revert",
        Action::Revert,
    ),
];

/// What the engine's guard knows: the workspace's grants and who owns the engine.
#[derive(Clone)]
pub struct Guard {
    /// Replaced when a config is applied (`engine::share::follow`).
    pub access: Arc<std::sync::RwLock<Arc<Access>>>,
    pub owner: u32,
    pub hub: Hub,
    pub auditor: Auditor,
}

/// The caller's role, or a 403 naming what it lacks (audited). Requests of others than the
/// owner lose any `X-UC-Actor`/`X-UC-Role` they claim and carry the role found here; every
/// answer says the caller's role in `X-UC-Role`, so a frontend hides what it may not do.
pub async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let peer = (parts.extensions.get::<ConnectInfo<Peer>>()).map(|c| c.0.clone());
    let owner = peer.as_ref().is_none_or(|p| p.uid == Some(guard.owner));
    let role = if owner {
        match parts.headers.get(ROLE) {
            None => Some(Role::Admin),
            Some(v) => v.to_str().ok().and_then(Role::parse),
        }
    } else {
        // Others may lower their own role (`uc --read-only`), never raise it.
        let claimed = (parts.headers.get(ROLE)).and_then(|v| Role::parse(v.to_str().ok()?));
        parts.headers.remove(ACTOR);
        parts.headers.remove(ROLE);
        let granted = peer.as_ref().and_then(|p| guard.role_of(p));
        granted.map(|g| claimed.map_or(g, |c| c.min(g)))
    };
    let user = peer.as_ref().map_or("-", |p| &p.user).to_owned();
    let Some(role) = role else {
        let refusal = rules::deny_stranger(&user, &guard.hub.workspace());
        return guard.deny(&parts, &user, None, refusal);
    };
    // `listen::serve` read the body whole already: this only takes it back.
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if let Err(refusal) = guard.check(&parts, &body, role) {
        return guard.deny(&parts, &user, Some(&body), refusal);
    }
    if !owner {
        parts
            .headers
            .insert(ROLE, HeaderValue::from_static(role.name()));
    }
    let mut response = next.run(Request::from_parts(parts, Body::from(body))).await;
    (response.headers_mut()).insert(ROLE, HeaderValue::from_static(role.name()));
    response
}

impl Guard {
    /// The grants in force; none (only the owner gets in) if a writer panicked.
    fn grants(&self) -> Arc<Access> {
        self.access.read().map(|a| a.clone()).unwrap_or_default()
    }

    /// What `access:` grants the peer's user and the groups it is in.
    fn role_of(&self, peer: &Peer) -> Option<Role> {
        use nix::unistd::{Gid, Group, Uid, User, getgrouplist};
        let user = User::from_uid(Uid::from_raw(peer.uid?)).ok()??;
        let name = std::ffi::CString::new(user.name.clone()).ok()?;
        let gids = getgrouplist(&name, user.gid).unwrap_or_else(|_| vec![user.gid]);
        let groups: Vec<String> = (gids.into_iter())
            .filter_map(|gid: Gid| Group::from_gid(gid).ok().flatten())
            .map(|g| g.name)
            .collect();
        self.grants().role_of(&user.name, &groups)
    }

    /// `role` may make this request: its command's or route's action, under the active
    /// environment's rules, else the route's permission.
    fn check(
        &self,
        parts: &axum::http::request::Parts,
        body: &[u8],
        role: Role,
    ) -> Result<(), CommandError> {
        let method = parts.method.as_str();
        let path = parts.uri.path();
        let action = if parts.method == Method::POST && path == "/api/v1/commands" {
            // A body that does not parse is the handler's 400 to give.
            Command::from_json(body).ok().map(|c| c.action())
        } else {
            route_action(method, path)
        };
        if let Some(action) = action {
            let access = self.grants();
            let env = (!access.environments.is_empty())
                .then(|| self.hub.environment())
                .flatten();
            return rules::decide(&access, env.as_deref(), role, action);
        }
        let target = parts.uri.path_and_query().map_or(path, |p| p.as_str());
        match permission(method, target) {
            Permission::Role(needed) if role < needed => {
                Err(rules::deny_route(role, method, path, needed))
            }
            _ => Ok(()),
        }
    }

    fn deny(
        &self,
        parts: &axum::http::request::Parts,
        user: &str,
        body: Option<&[u8]>,
        refusal: CommandError,
    ) -> Response {
        let command = body.and_then(AuditEntry::command_of);
        let action =
            AuditEntry::action_of(parts.method.as_str(), parts.uri.path(), command.as_deref());
        let mut record = AuditRecord::now(user, via_of(&parts.headers), &action, "denied");
        record.target = body.and_then(AuditEntry::target_of);
        record.workspace = Some(self.hub.workspace());
        record.reason = Some(refusal.message.clone());
        record.status = Some(StatusCode::FORBIDDEN.as_u16());
        record.source = Some("socket".into());
        // A call `uc serve` forwards (it names its caller) is audited there, once.
        if !parts.headers.contains_key(ACTOR) {
            self.auditor.record(record);
        }
        super::error(StatusCode::FORBIDDEN, refusal)
    }
}

/// The action a REST route is, when it is one.
fn route_action(method: &str, path: &str) -> Option<Action> {
    (ROUTE_ACTIONS.iter())
        .find(|(m, pattern, _)| *m == method && matches(pattern, path))
        .map(|(_, _, action)| *action)
}

/// Whether `path` fits `pattern`, a `{param}` matching one non-empty segment.
pub(super) fn matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut path = path.split('/');
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with('{') => {
                if s.is_empty() {
                    return false;
                }
            }
            (Some(p), Some(s)) if p == s => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_need_the_role_the_issue_names() {
        let needs = |m, p| permission(m, p);
        assert_eq!(needs("GET", "/api/v1/health"), Permission::Public);
        assert_eq!(needs("GET", "/"), Permission::Public);
        assert_eq!(needs("GET", "/assets/app-X1.js"), Permission::Public);
        assert_eq!(needs("POST", "/"), ADMIN, "the page is read only");
        assert_eq!(needs("POST", "/api/v1/session"), Permission::Public);
        assert_eq!(needs("DELETE", "/api/v1/session"), VIEWER);
        assert_eq!(needs("GET", "/api/v1/services/api"), VIEWER);
        assert_eq!(needs("HEAD", "/api/v1/services"), VIEWER);
        assert_eq!(needs("POST", "/api/v1/services/api/restart"), OPERATOR);
        assert_eq!(needs("POST", "/api/v1/alerts/3fa2/ack"), OPERATOR);
        assert_eq!(needs("GET", "/api/v1/services/api/terminal"), VIEWER);
        assert_eq!(
            needs("POST", "/api/v1/services/api/terminal/keys"),
            OPERATOR
        );
        assert_eq!(needs("POST", "/api/v1/environments/prod/switch"), DEPLOYER);
        assert_eq!(needs("POST", "/api/v1/config"), ADMIN);
        assert_eq!(needs("POST", "/api/v1/services/api/deploy"), DEPLOYER);
        assert_eq!(needs("POST", "/api/v1/services/api/rollback"), DEPLOYER);
        assert_eq!(needs("GET", "/api/v1/deploys"), VIEWER);
        assert_eq!(needs("POST", "/api/v1/services/api/approve"), DEPLOYER);
        assert_eq!(needs("POST", "/api/v1/services/api/reject"), DEPLOYER);
        assert_eq!(needs("POST", "/api/v1/services/api/push"), DEPLOYER);
        assert_eq!(needs("POST", "/api/v1/heal/playbooks/x/run"), ADMIN);
        assert_eq!(needs("GET", "/api/v1/heal/playbooks/x"), VIEWER);
        assert_eq!(needs("PUT", "/api/v1/heal/playbooks/x"), ADMIN);
        assert_eq!(needs("DELETE", "/api/v1/heal/playbooks/x"), ADMIN);
        assert_eq!(
            needs("POST", "/api/v1/heal/playbooks/x/run?dry_run=true"),
            OPERATOR
        );
        assert_eq!(needs("POST", "/api/v1/hooks/git"), Permission::Signed);
        assert_eq!(needs("DELETE", "/api/v1/services"), ADMIN, "unknown");
        assert_eq!(needs("GET", "/api/v1/services//start"), ADMIN, "empty name");
    }

    #[test]
    fn a_route_that_is_an_action_needs_the_role_its_command_needs() {
        for (method, pattern, action) in ROUTE_ACTIONS {
            let path = pattern.replace("{name}", "api").replace("{id}", "3");
            let needed = Permission::Role(rules::usual_role(*action));
            assert_eq!(permission(method, &path), needed, "{method} {pattern}");
            assert_eq!(route_action(method, &path), Some(*action));
        }
        assert_eq!(route_action("GET", "/api/v1/services/api"), None);
    }
}
