//! The built `uc serve` on loopback against real engines in tmux: forwarding with the
//! workspace prefix stripped, serve's own routes, SSE streamed through, engines going and
//! coming back, hostile input, TLS.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::cli::Env;
use common::serve::{Body, Serve, token, wait_audit};
use serde_json::{Value, json};

const IDLE: &str = "  idle:\n    command: sleep 1000\n";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

async fn get(serve: &Serve, token: &str, path: &str) -> (u16, Value) {
    serve.call_json("GET", path, token, Body::None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_forwards_to_the_engine_and_answers_its_own_routes() {
    let env = Env::new(IDLE);
    env.ok(&["up"]);
    let admin = token(&env, "ops", "admin", &[]);
    let serve = Serve::start(&env, &[]);
    let ws = env.workspace.as_str();

    let health = client()
        .get(serve.url("/api/v1/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200, "public");
    let (status, body) = get(&serve, "", "/api/v1/workspaces").await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["hint"]
            .as_str()
            .is_some_and(|h| h.contains("uc token create")),
        "{body}"
    );

    let (status, list) = get(&serve, &admin, "/api/v1/workspaces").await;
    assert_eq!(status, 200);
    assert_eq!(
        list,
        json!([{"name": ws, "running": true, "default": true}])
    );

    for path in [
        format!("/api/v1/workspaces/{ws}/snapshot"),
        "/api/v1/snapshot".into(),
    ] {
        let (status, snapshot) = get(&serve, &admin, &path).await;
        assert_eq!(status, 200, "{path}: {snapshot}");
        assert_eq!(snapshot["workspace"], ws, "{path}");
    }

    let stop = client()
        .post(serve.url(&format!("/api/v1/workspaces/{ws}/commands")))
        .bearer_auth(&admin)
        .json(&json!({"command": "stop", "services": ["idle"]}))
        .send()
        .await
        .expect("stop");
    assert_eq!(stop.status(), 200);
    env.wait_status(Duration::from_secs(10), |s| {
        Env::service(s, "idle")["state"] == "stopped"
    });
    let rows = wait_audit(&env, |rows| rows.iter().any(|r| r.status == 200));
    let row = rows.iter().find(|r| r.status == 200).expect("the stop");
    assert_eq!(
        (
            row.actor.as_str(),
            row.token.as_deref(),
            row.method.as_str(),
            row.route.as_str()
        ),
        ("ops", Some("ops"), "POST", "/api/v1/commands")
    );
    assert_eq!(
        (row.workspace.as_deref(), row.target.as_deref()),
        (Some(ws), Some("idle"))
    );

    // The CLI's own call went to the engine's audit log; `uc audit` shows both.
    let audit: Vec<Value> = env
        .ok(&["audit", "--json"])
        .lines()
        .map(|line| serde_json::from_str(line).expect("audit json line"))
        .collect();
    let sources: Vec<&str> = audit.iter().filter_map(|r| r["source"].as_str()).collect();
    assert!(
        sources.contains(&"socket") && sources.contains(&"127.0.0.1"),
        "{audit:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_through_and_a_dead_engine_is_503_until_it_is_back() {
    let env = Env::new(IDLE);
    env.ok(&["up"]);
    let viewer = token(&env, "view", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);

    let mut events = client()
        .get(serve.url("/api/v1/events"))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("events");
    assert_eq!(events.status(), 200);
    let mut first = String::new();
    while !first.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk())
            .await
            .expect("the first event in time")
            .expect("read")
            .expect("a chunk");
        first.push_str(&String::from_utf8_lossy(&chunk));
    }
    let fields: Vec<&str> = first
        .lines()
        .map(|l| l.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(fields[..3], ["id", "event", "data"], "{first}");
    assert!(
        first.contains("\nevent: snapshot\ndata: {\"event\":\"snapshot\""),
        "{first}"
    );
    drop(events);

    env.ok(&["down"]);
    let (status, body) = get(&serve, &viewer, "/api/v1/snapshot").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["hint"].as_str().is_some_and(|h| h.contains("uc up")),
        "{body}"
    );
    env.ok(&["up"]);
    let (status, body) = get(&serve, &viewer, "/api/v1/snapshot").await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = get(&serve, &viewer, "/api/v1/workspaces/nowhere/snapshot").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_are_no_workspace_are_400_naming_the_field() {
    let env = Env::new(IDLE);
    let serve = Serve::start(&env, &[]);
    // Raw, as an HTTP library would resolve `..` before sending it.
    for bad in ["..%2F..%2Fetc", "a%00b", "..", "a.b"] {
        let request = format!(
            "GET /api/v1/workspaces/{bad}/snapshot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        );
        let answer = raw(serve.port, request.as_bytes());
        assert!(answer.starts_with("HTTP/1.1 400"), "{bad}: {answer}");
        assert!(answer.contains(r#""field":"workspace""#), "{bad}: {answer}");
    }
}

/// A raw HTTP/1.1 exchange: what a misbehaving client sends.
fn raw(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_bodies_are_413_and_slow_or_idle_clients_starve_nobody() {
    let env = Env::new(IDLE);
    let serve = Serve::start(&env, &[]);
    let big = format!(
        "POST /api/v1/commands HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        10 << 20
    );
    let answer = raw(serve.port, big.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Chunked, so no length is announced: counted as it arrives.
    let mut chunked = String::from(
        "POST /api/v1/commands HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    for _ in 0..20 {
        chunked.push_str(&format!("{:x}\r\n{}\r\n", 100 << 10, "x".repeat(100 << 10)));
    }
    chunked.push_str("0\r\n\r\n");
    let answer = raw(serve.port, chunked.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Slowloris: a head that never ends is cut off.
    let started = Instant::now();
    let mut slow = TcpStream::connect(("127.0.0.1", serve.port)).expect("connect");
    slow.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
        .expect("head");
    slow.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let cut = started.elapsed();
    assert!(cut < Duration::from_secs(10), "closed after {cut:?}");

    let idle: Vec<TcpStream> = (0..2000)
        .map(|_| TcpStream::connect(("127.0.0.1", serve.port)).expect("idle connection"))
        .collect();
    let started = Instant::now();
    let health = client()
        .get(serve.url("/api/v1/health"))
        .send()
        .await
        .expect("health");
    let took = started.elapsed();
    assert_eq!(health.status(), 200);
    assert!(
        took < Duration::from_secs(1),
        "answered in {took:?} beside 2000 idle"
    );
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_https_and_plain_http_off_loopback_is_refused() {
    let env = Env::new(IDLE);
    let out = Serve::command(&env, "0.0.0.0:1", &[])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--insecure-http") && stderr.contains("--tls-cert"),
        "{stderr}"
    );

    let (serve, https) = Serve::start_tls(&env);
    let health = https
        .get(serve.url("/api/v1/health"))
        .send()
        .await
        .expect("https");
    assert_eq!(health.status(), 200);
    let body: Value = health.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    let plain = format!("http://127.0.0.1:{}/api/v1/health", serve.port);
    assert!(
        client().get(plain).send().await.is_err(),
        "no plain HTTP on the TLS port"
    );
}
