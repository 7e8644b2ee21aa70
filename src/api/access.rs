//! The permission each engine route needs (`protocol::access`). Paths are the engine's own,
//! without a `/api/v1/workspaces/{ws}` prefix.

use crate::protocol::{Permission, Role};

/// The permission `method path` needs. Unknown routes need admin, so a route added without
/// an entry here is closed rather than open.
pub fn permission(method: &str, path: &str) -> Permission {
    let path = path.split('?').next().unwrap_or(path);
    if path == "/api/v1/health" {
        return Permission::Public;
    }
    if path.starts_with("/api/v1/hooks/") && method == "POST" {
        return Permission::Signed;
    }
    match method {
        "GET" | "HEAD" => Permission::Role(Role::Viewer),
        _ => Permission::Role(Role::Admin),
    }
}
