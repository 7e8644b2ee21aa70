//! The web page in a real browser against the built `uc serve` and a real engine in tmux:
//! Debian's chromium driven by `web/tests/dashboard.mjs` (playwright-core from `web/`'s
//! lock file). Sign in as an operator, see the services live, stop and start one and see
//! each change in the DOM within a second of the click; a cookie without the CSRF token
//! changes nothing; a viewer's buttons are disabled and the API refuses them; sign out; the
//! workspace goes down and up again and the page follows it back to live by itself.

mod common;

use std::process::Command;
use std::time::Duration;

use common::browser::web_dir;
use common::cli::Env;
use common::serve::{Serve, token, wait_audit};
use serde_json::Value;

const SERVICES: &str = r#"
  api:
    command: "exec sleep 3401"
  web:
    command: "exec sleep 3402"
"#;

/// From the click to the state cell showing the change.
const BUDGET_MS: f64 = 1000.0;

#[test]
fn the_dashboard_shows_services_live_and_acts_as_the_role_allows() {
    let web = web_dir();
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    let running = |s: &Value| {
        ["api", "web"]
            .iter()
            .all(|name| Env::service(s, name)["state"] == "running")
    };
    env.wait_status(Duration::from_secs(20), running);
    let operator = token(&env, "ops", "operator", &[]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);

    let mut node = Command::new("node");
    node.env_remove("TMUX").env_remove("TMUX_PANE");
    for (key, value) in env.envs() {
        node.env(key, value);
    }
    let out = node
        .arg(web.join("tests/dashboard.mjs"))
        .current_dir(&web)
        .env("UC_BIN", env!("CARGO_BIN_EXE_uc"))
        .env("UC_FILE", &env.file)
        .env("UC_URL", serve.url(""))
        .env("UC_WORKSPACE", &env.workspace)
        .env("UC_SERVICE", "web")
        .env("UC_OPERATOR_TOKEN", &operator)
        .env("UC_VIEWER_TOKEN", &viewer)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed:\n{stdout}{stderr}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    let times: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    for key in ["stop_ms", "start_ms"] {
        let ms = times[key].as_f64().unwrap_or(f64::MAX);
        assert!(ms < BUDGET_MS, "{key}: {ms} ms from the click to the DOM");
    }
    println!("from the click to the DOM: {times}");

    // What the page did reached the engine, and serve recorded who did it and what it
    // refused.
    env.wait_status(Duration::from_secs(10), running);
    let rows = wait_audit(&env, |rows| {
        let has = |method: &str, route: &str, actor: &str, outcome: &str| {
            rows.iter().any(|r| {
                r.method == method
                    && r.route == route
                    && r.actor == actor
                    && r.outcome.contains(outcome)
            })
        };
        let stop = "/api/v1/services/web/stop";
        has("POST", "/api/v1/session", "ops", "signed in")
            && has("POST", "/api/v1/session", "watch", "signed in")
            && has("POST", stop, "ops", "ok")
            && has("POST", "/api/v1/services/web/start", "ops", "ok")
            && has("POST", stop, "ops", "CSRF")
            && has("POST", stop, "watch", "needs role operator")
            && has("DELETE", "/api/v1/session", "ops", "signed out")
    });
    // The page's calls carry its session: on record as from the web page.
    let by_page = rows
        .iter()
        .filter(|r| r.route.starts_with("/api/v1/services/web/") && r.outcome == "ok");
    assert!(by_page.clone().count() >= 2 && by_page.clone().all(|r| r.via == "web"));
    let secrets = [operator.as_str(), viewer.as_str()];
    for row in &rows {
        let text = format!("{row:?}");
        assert!(!secrets.iter().any(|s| text.contains(s)), "{text}");
    }
}

/// A client's view of `uc serve` with the cookie it was given (reqwest keeps no jar here:
/// the test sends exactly what it means to).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_cached_and_compressed_and_sessions_follow_their_token() {
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    let operator = token(&env, "ops", "operator", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let http = client();

    let index = http.get(serve.url("/")).send().await.expect("index");
    assert_eq!(index.status(), 200);
    assert_eq!(header(&index, "cache-control"), "no-cache");
    assert!(header(&index, "content-security-policy").contains("script-src 'self';"));
    assert_eq!(header(&index, "referrer-policy"), "no-referrer");
    let html = index.text().await.expect("html");
    let script = html
        .split('"')
        .find(|s| s.starts_with("/assets/app-") && s.ends_with(".js"))
        .unwrap_or_else(|| panic!("no script in {html}"))
        .to_owned();
    let plain = http.get(serve.url(&script)).send().await.expect("script");
    assert_eq!(
        header(&plain, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        header(&plain, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(header(&plain, "x-content-type-options"), "nosniff");
    let plain_len = plain.bytes().await.expect("body").len();
    let gzipped = http
        .get(serve.url(&script))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .expect("script");
    assert_eq!(header(&gzipped, "content-encoding"), "gzip");
    let gzipped_len = gzipped.bytes().await.expect("body").len();
    assert!(gzipped_len * 2 < plain_len, "{gzipped_len} vs {plain_len}");
    let missing = http.get(serve.url("/assets/app-0.js")).send().await;
    assert_eq!(missing.expect("answer").status(), 404);
    let posted = http.post(serve.url("/")).send().await.expect("answer");
    assert_eq!(posted.status(), 405, "the page is read only");

    let sign_in = |token: String| {
        http.post(serve.url("/api/v1/session"))
            .json(&serde_json::json!({ "token": token }))
            .send()
    };
    let wrong = sign_in(format!("uc_{}", "0".repeat(64)))
        .await
        .expect("answer");
    assert_eq!(wrong.status(), 401);
    let signed = sign_in(operator.clone()).await.expect("answer");
    assert_eq!(signed.status(), 200);
    let cookie = header(&signed, "set-cookie").to_owned();
    assert!(
        cookie.ends_with("; HttpOnly; SameSite=Strict; Path=/"),
        "no Secure without TLS: {cookie}"
    );
    let session = cookie.split(';').next().unwrap_or_default().to_owned();
    let who: Value = signed.json().await.expect("json");
    assert_eq!(who["name"], "ops");
    assert_eq!(who["role"], "operator");
    let csrf = who["csrf"].as_str().unwrap_or_default().to_owned();
    assert_eq!(csrf.len(), 64, "{who}");

    let with_cookie = |method: reqwest::Method, path: &str| {
        http.request(method, serve.url(path))
            .header("cookie", &session)
    };
    let services = with_cookie(reqwest::Method::GET, "/api/v1/services")
        .send()
        .await
        .expect("answer");
    assert_eq!(services.status(), 200, "the cookie stands for the token");
    let forged = with_cookie(reqwest::Method::POST, "/api/v1/services/web/restart")
        .header("x-csrf-token", "0".repeat(64))
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status(), 403, "a wrong CSRF token");

    let mut stream = with_cookie(reqwest::Method::GET, "/api/v1/events")
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), 200);
    let first = stream.chunk().await.expect("read").expect("a snapshot");
    assert!(String::from_utf8_lossy(&first).contains("event: snapshot"));

    // Revoking the token ends its session within the token cache's refresh, and the stream
    // opened through it.
    env.ok(&["token", "revoke", "ops"]);
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while stream.chunk().await.ok().flatten().is_some() {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the event stream outlived its session's token"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status = with_cookie(reqwest::Method::GET, "/api/v1/session")
            .send()
            .await
            .expect("answer")
            .status();
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            std::time::Instant::now() < deadline,
            "the session outlived its token"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_session_cookie_is_secure() {
    let env = Env::new(SERVICES);
    let operator = token(&env, "ops", "operator", &[]);
    let (serve, https) = Serve::start_tls(&env);
    let signed = https
        .post(serve.url("/api/v1/session"))
        .json(&serde_json::json!({ "token": operator }))
        .send()
        .await
        .expect("answer");
    assert_eq!(signed.status(), 200);
    let cookie = header(&signed, "set-cookie");
    assert!(cookie.ends_with("; Path=/; Secure"), "{cookie}");
}
