//! The built `uc serve` on loopback as users reach it: the seed's six endpoints on the
//! default workspace with their effect seen in `uc status`, an event stream dropped and
//! resumed through serve with `Last-Event-ID` that loses and repeats nothing, and `uc
//! serve` run as a service of its own workspace, outliving its engine.

mod common;

use std::time::{Duration, Instant};

use common::cli::Env;
use common::receivers::free_port;
use common::serve::{Body, Serve, token};
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(20);

const SERVICES: &str = r#"
  api:
    command: "while true; do echo INFO tick; sleep 0.2; done"
    tags: [backend]
  web:
    command: "exec sleep 3301"
"#;

async fn call(
    serve: &Serve,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, String) {
    let body = match &body {
        Some(value) => Body::Json(value),
        None => Body::None,
    };
    serve.call(method, path, token, body).await
}

/// `POST /api/v1/services/{action}` with `body`, which must be accepted.
async fn act(serve: &Serve, token: &str, action: &str, body: Value) {
    let path = format!("/api/v1/services/{action}");
    let (status, answer) = call(serve, "POST", &path, token, Some(body)).await;
    assert_eq!(status, 200, "{path}: {answer}");
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn state(env: &Env, name: &str) -> String {
    Env::service(&env.status(), name)["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn wait_state(env: &Env, name: &str, wanted: &str) {
    env.wait_status(T, |s| Env::service(s, name)["state"] == wanted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_endpoints_act_on_the_default_workspace() {
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    wait_state(&env, "api", "running");
    wait_state(&env, "web", "running");
    let operator = token(&env, "ops", "operator", &[]);
    let admin = token(&env, "root", "admin", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);

    let (status, body) = call(&serve, "GET", "/api/v1/services", &operator, None).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<String> = json_of(&body)
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["api", "web"]);

    act(&serve, &operator, "stop", json!({"names": ["web"]})).await;
    wait_state(&env, "web", "stopped");
    assert_eq!(state(&env, "api"), "running", "only web was named");

    let backend = json!({"tags": ["backend"]});
    act(&serve, &operator, "stop", backend.clone()).await;
    wait_state(&env, "api", "stopped");
    act(&serve, &operator, "start", backend).await;
    wait_state(&env, "api", "running");
    assert_eq!(state(&env, "web"), "stopped", "web has no backend tag");
    act(&serve, &operator, "start", json!({"names": ["web"]})).await;
    wait_state(&env, "web", "running");

    // The first sample comes within the sampling interval; until then the answer is 503.
    let deadline = Instant::now() + T;
    let metrics = loop {
        let (status, body) = call(&serve, "GET", "/api/v1/metrics", &operator, None).await;
        if status == 200 {
            break json_of(&body);
        }
        assert_eq!(status, 503, "{body}");
        assert!(Instant::now() < deadline, "no metrics sample in {T:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(metrics["host"].is_object(), "{metrics}");

    let deadline = Instant::now() + T;
    loop {
        let (status, body) = call(
            &serve,
            "GET",
            "/api/v1/logs?sources=api&limit=5",
            &operator,
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if body.contains("tick") {
            break;
        }
        assert!(Instant::now() < deadline, "no api line in the logs: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let config = format!(
        "workspace: {}\nservices:\n{SERVICES}  extra:\n    command: \"exec sleep 3302\"\n",
        env.workspace
    );
    let replace = |token: &str| {
        reqwest::Client::new()
            .post(serve.url("/api/v1/config"))
            .bearer_auth(token.to_owned())
            .header("content-type", "application/yaml")
            .body(config.clone())
            .send()
    };
    let denied = replace(&operator).await.expect("answer");
    assert_eq!(denied.status(), 403);
    let denied: Value = denied.json().await.expect("json");
    assert!(
        denied["hint"]
            .as_str()
            .is_some_and(|h| h.starts_with("needs role admin")),
        "{denied}"
    );
    let applied = replace(&admin).await.expect("answer");
    assert_eq!(applied.status(), 200, "{:?}", applied.text().await);
    wait_state(&env, "extra", "running");
    let on_disk = std::fs::read_to_string(&env.file).expect("univers.yaml");
    assert!(on_disk.contains("exec sleep 3302"), "{on_disk}");
}

/// One SSE event as read off the wire.
#[derive(Debug, Clone, PartialEq)]
struct Sse {
    id: String,
    event: String,
    data: Value,
}

struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(serve: &Serve, token: &str, last: Option<&str>) -> Self {
        let mut request = reqwest::Client::new()
            .get(serve.url("/api/v1/events"))
            .bearer_auth(token);
        if let Some(id) = last {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("events");
        assert_eq!(response.status(), 200);
        Self {
            response,
            buffer: String::new(),
        }
    }

    async fn next(&mut self) -> Sse {
        loop {
            if let Some((block, rest)) = self.buffer.split_once("\n\n") {
                let (block, rest) = (block.to_owned(), rest.to_owned());
                self.buffer = rest;
                if let Some(event) = parse(&block) {
                    return event;
                }
                continue;
            }
            let chunk = tokio::time::timeout(T, self.response.chunk())
                .await
                .expect("an event in time")
                .expect("read")
                .expect("the stream is open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events up to and including the first that `done` accepts.
    async fn until(&mut self, done: impl Fn(&Sse) -> bool) -> Vec<Sse> {
        let mut seen = Vec::new();
        loop {
            let event = self.next().await;
            let last = done(&event);
            seen.push(event);
            if last {
                return seen;
            }
        }
    }
}

fn parse(block: &str) -> Option<Sse> {
    let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    let data = serde_json::from_str(&data).ok()?;
    Some(Sse { id, event, data })
}

fn is_state(event: &Sse, service: &str, state: &str) -> bool {
    event.event == "service" && event.data["name"] == service && event.data["state"] == state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_resumed_through_serve_loses_and_repeats_no_event() {
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    wait_state(&env, "web", "running");
    let viewer = token(&env, "watch", "viewer", &[]);
    let operator = token(&env, "ops", "operator", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);

    // A reference stream that never drops, and one that will.
    let mut reference = Stream::open(&serve, &viewer, None).await;
    let mut dropped = Stream::open(&serve, &viewer, None).await;
    assert_eq!(reference.next().await.event, "snapshot");
    assert_eq!(dropped.next().await.event, "snapshot");

    act(&serve, &operator, "stop", json!({"names": ["web"]})).await;
    let before = dropped.until(|e| is_state(e, "web", "stopped")).await;
    let last_id = before.last().expect("an event").id.clone();
    drop(dropped);

    // What happens while the client is away: web starts again, then api stops.
    act(&serve, &operator, "start", json!({"names": ["web"]})).await;
    wait_state(&env, "web", "running");
    act(&serve, &operator, "stop", json!({"names": ["api"]})).await;
    wait_state(&env, "api", "stopped");

    let mut resumed = Stream::open(&serve, &viewer, Some(&last_id)).await;
    let missed = resumed.until(|e| is_state(e, "api", "stopped")).await;
    assert_ne!(missed[0].event, "resync", "{missed:#?}");
    let all = reference.until(|e| is_state(e, "api", "stopped")).await;
    let after: Vec<&Sse> = all.iter().skip_while(|e| e.id != last_id).skip(1).collect();
    let missed: Vec<&Sse> = missed.iter().collect();
    assert_eq!(missed, after, "the resumed stream is the reference's tail");
    assert!(missed.iter().any(|e| is_state(e, "web", "running")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_as_a_service_of_its_own_workspace_and_outlives_its_engine() {
    let port = free_port();
    let uc = env!("CARGO_BIN_EXE_uc");
    let services = format!(
        "  gateway:\n    command: \"exec {uc} serve --listen 127.0.0.1:{port}\"\n  web:\n    command: \"exec sleep 3303\"\n"
    );
    let env = Env::new(&services);
    env.ok(&["up"]);
    wait_state(&env, "gateway", "running");
    let viewer = token(&env, "view", "viewer", &[]);
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let get = |path: String| {
        let viewer = viewer.clone();
        async move {
            let response = reqwest::Client::new()
                .get(path)
                .bearer_auth(viewer)
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            match response {
                Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                Err(_) => (0, String::new()),
            }
        }
    };
    let wait_for = |path: &'static str, wanted: u16| {
        let get = &get;
        let url = &url;
        async move {
            let deadline = Instant::now() + T;
            loop {
                let (status, body) = get(url(path)).await;
                if status == wanted {
                    return body;
                }
                assert!(Instant::now() < deadline, "{path}: {status} {body}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };

    let workspaces = json_of(&wait_for("/api/v1/workspaces", 200).await);
    assert_eq!(
        workspaces,
        json!([{"name": env.workspace, "running": true, "default": true}])
    );
    let services = json_of(&wait_for("/api/v1/services", 200).await);
    let gateway = services
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == "gateway"))
        .expect("serve lists itself");
    assert_eq!(gateway["state"], "running");
    let serve_pid = Env::pid_of(&env.status(), "gateway");

    // The engine goes away (killed, not stopped): its services, serve among them, stay.
    let engine = env.status()["engine"]["pid"].as_u64().expect("engine pid") as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(engine),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill the engine");
    let body = wait_for("/api/v1/services", 503).await;
    assert!(body.contains("uc up"), "{body}");
    env.ok(&["up"]);
    wait_for("/api/v1/services", 200).await;
    assert_eq!(
        Env::pid_of(&env.status(), "gateway"),
        serve_pid,
        "serve kept running"
    );
}
