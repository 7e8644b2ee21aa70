//! The web page: `web/` built into `assets/web/dist` (content-hashed bundles, an index.html
//! naming them, and a `.gz` of each made at build time) and embedded by build.rs. `/` is the
//! index, never cached without asking; `/assets/<name>` are the bundles, cached for good
//! since a change makes a new name. The page holds no data: it is public, and reads
//! everything through the API with the session cookie it signs in for.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One file of the dist folder, as build.rs lists them.
struct Asset {
    name: &'static str,
    plain: &'static [u8],
    /// Compressed at build time (`web/build.mjs`), so serving costs no CPU.
    gzip: Option<&'static [u8]>,
}

mod files {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// Scripts, styles and requests from this origin only; nothing inline, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'self'";

const INDEX: &str = "index.html";

/// `/`: the index.
pub fn index(request: &HeaderMap) -> Response {
    answer(INDEX, request, "no-cache")
}

/// `/assets/<name>`: a bundle. The index is only `/`, so that it is never cached for good.
pub fn asset(name: &str, request: &HeaderMap) -> Response {
    if name == INDEX {
        return not_found(name);
    }
    answer(name, request, "public, max-age=31536000, immutable")
}

fn answer(name: &str, request: &HeaderMap, cache: &'static str) -> Response {
    let Some(asset) = files::FILES.iter().find(|a| a.name == name) else {
        return not_found(name);
    };
    let (body, gzip) = match asset.gzip {
        Some(gz) if accepts_gzip(request) => (gz, true),
        _ => (asset.plain, false),
    };
    let mut response = Body::from(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    secure(headers);
    response
}

/// What every answer of the page carries: the CSP and no guessing of types or referrers.
fn secure(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn not_found(name: &str) -> Response {
    let error = crate::protocol::CommandError::new(format!("no asset `{}`", name.escape_default()))
        .with_hint("the page names its assets: open /");
    let mut response = crate::api::error(StatusCode::NOT_FOUND, error);
    secure(response.headers_mut());
    response
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Whether `Accept-Encoding` lists gzip (or `*`) without `q=0`.
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        h
    }

    #[test]
    fn gzip_is_sent_only_to_who_accepts_it() {
        assert!(accepts_gzip(&headers("gzip, deflate, br")));
        assert!(accepts_gzip(&headers("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&headers("*")));
        assert!(!accepts_gzip(&headers("gzip;q=0, br")));
        assert!(!accepts_gzip(&headers("br, identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    /// The index and every file it names are embedded, each with its `.gz`; every other
    /// file is a chunk a bundle loads when it needs it (the terminal's xterm.js).
    #[test]
    fn the_index_names_embedded_bundles() {
        let page = files::FILES.iter().find(|a| a.name == INDEX).unwrap();
        let html = std::str::from_utf8(page.plain).unwrap();
        let named_by_a_bundle = |name: &str| {
            files::FILES.iter().any(|a| {
                a.name.ends_with(".js")
                    && html.contains(&format!("/assets/{}", a.name))
                    && String::from_utf8_lossy(a.plain).contains(name)
            })
        };
        for asset in files::FILES {
            let name = asset.name;
            assert!(asset.gzip.is_some(), "{name} has no .gz");
            if name != INDEX {
                assert!(
                    html.contains(&format!("/assets/{name}")) || named_by_a_bundle(name),
                    "{name} not in {html} nor in its scripts"
                );
            }
        }
        assert!(
            !html.contains("<script>") && !html.contains("<style"),
            "inline: {html}"
        );
        let response = asset("nope.js", &HeaderMap::new());
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let response = index(&headers("gzip"));
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(response.headers()[header::CONTENT_SECURITY_POLICY], CSP);
    }
}
