//! The permission each API route needs (`protocol::access`): one table, which the router is
//! checked against (a route cannot be served without an entry) and which `uc serve` asks
//! before forwarding. Paths are the engine's own, without a `/api/v1/workspaces/{ws}` prefix.

use crate::protocol::{Permission, Role};

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
}
