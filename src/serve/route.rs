//! Where a request to `uc serve` goes: one of serve's own routes, or a workspace's engine at
//! the path the engine knows (`/api/v1/workspaces/shop/services` → shop's `/api/v1/services`).

use percent_encoding::percent_decode_str;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/api/v1/health`: the one public route.
    Health,
    /// `/api/v1/workspaces`: the workspaces the state dir holds.
    Workspaces,
    /// `/api/v1/openapi.json`
    OpenApi,
    /// `/api/v1/session`: the web page's sign-in, who is signed in, sign-out.
    Session,
    /// `/api/v1/tokens`: the tokens `uc serve` accepts (list, create).
    Tokens,
    /// `/api/v1/tokens/<name>`: one of them (revoke), its name decoded.
    Token(String),
    /// `/`: the web page.
    Page,
    /// `/assets/<name>`: one of the page's bundles.
    Asset(String),
    /// An engine's route: in `workspace`, or the default one when `None`. `path` keeps the
    /// query string.
    Engine {
        workspace: Option<String>,
        path: String,
    },
    NotFound,
}

const PREFIX: &str = "/api/v1";

/// Where `path_and_query` goes; a workspace name that could not be a workspace's is an
/// error naming what is wrong with it.
pub fn route(path_and_query: &str) -> Result<Route, String> {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    if path == "/" {
        return Ok(Route::Page);
    }
    if let Some(name) = path.strip_prefix("/assets/") {
        if name.is_empty() || name.contains('/') {
            return Ok(Route::NotFound);
        }
        return Ok(Route::Asset(name.to_owned()));
    }
    let Some(rest) = path.strip_prefix(PREFIX).filter(|r| r.starts_with('/')) else {
        return Ok(Route::NotFound);
    };
    match rest {
        "/health" => return Ok(Route::Health),
        "/workspaces" => return Ok(Route::Workspaces),
        "/openapi.json" => return Ok(Route::OpenApi),
        "/session" => return Ok(Route::Session),
        "/tokens" => return Ok(Route::Tokens),
        _ => {}
    }
    if let Some(name) = rest.strip_prefix("/tokens/") {
        let name = percent_decode_str(name).decode_utf8_lossy();
        if name.is_empty() || name.contains('/') {
            return Ok(Route::NotFound);
        }
        return Ok(Route::Token(name.into_owned()));
    }
    let with_query = |path: String| match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let Some(scoped) = rest.strip_prefix("/workspaces/") else {
        return Ok(Route::Engine {
            workspace: None,
            path: with_query(path.to_owned()),
        });
    };
    let (name, inner) = scoped.split_at(scoped.find('/').unwrap_or(scoped.len()));
    let name = workspace_name(name)?;
    if inner.len() < 2 {
        return Ok(Route::NotFound);
    }
    Ok(Route::Engine {
        workspace: Some(name),
        path: with_query(format!("{PREFIX}{inner}")),
    })
}

/// A workspace's name as its state dir spells it (`paths::sanitize`): letters, digits, `-`
/// and `_`. Anything else (`..`, `/`, NUL, spaces) names no workspace.
pub fn workspace_name(encoded: &str) -> Result<String, String> {
    let name = percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|_| "the workspace name is not UTF-8".to_owned())?;
    if name.is_empty() || name.len() > 128 {
        return Err("a workspace name is 1 to 128 characters".into());
    }
    if crate::paths::sanitize(&name) != name {
        return Err(format!(
            "`{}` is not a workspace name (letters, digits, `-` and `_`)",
            name.escape_default()
        ));
    }
    Ok(name.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(workspace: Option<&str>, path: &str) -> Route {
        Route::Engine {
            workspace: workspace.map(str::to_owned),
            path: path.into(),
        }
    }

    #[test]
    fn the_workspace_prefix_is_stripped() {
        let routes = [
            ("/api/v1/health", Route::Health),
            ("/api/v1/workspaces", Route::Workspaces),
            ("/api/v1/openapi.json", Route::OpenApi),
            ("/api/v1/session", Route::Session),
            ("/api/v1/tokens", Route::Tokens),
            ("/api/v1/tokens/ci%2E1", Route::Token("ci.1".into())),
            ("/api/v1/tokens/", Route::NotFound),
            ("/?x", Route::Page),
            ("/assets/app-1.js", Route::Asset("app-1.js".into())),
            ("/index.html", Route::NotFound),
            ("/assets/", Route::NotFound),
            ("/assets/a/b.js", Route::NotFound),
            ("/api/v1/services?x=1", engine(None, "/api/v1/services?x=1")),
            (
                "/api/v1/workspaces/shop/services/api/stop",
                engine(Some("shop"), "/api/v1/services/api/stop"),
            ),
            (
                "/api/v1/workspaces/a-b_1/events?since=3",
                engine(Some("a-b_1"), "/api/v1/events?since=3"),
            ),
            ("/api/v1/workspaces/shop", Route::NotFound),
            ("/api/v1/workspaces/shop/", Route::NotFound),
            ("/v1/snapshot", Route::NotFound),
            ("/api/v1x", Route::NotFound),
        ];
        for (path, expected) in routes {
            assert_eq!(route(path), Ok(expected), "{path}");
        }
    }

    #[test]
    fn names_that_are_no_workspace_are_refused() {
        for bad in ["..", "%2e%2e%2fetc", "a%00b", "a%2Fb", "a.b", "%ff", ""] {
            let path = format!("/api/v1/workspaces/{bad}/services");
            assert!(route(&path).is_err(), "{bad}");
        }
        assert_eq!(
            workspace_name("a%00b"),
            Err("`a\\u{0}b` is not a workspace name (letters, digits, `-` and `_`)".into())
        );
    }
}
