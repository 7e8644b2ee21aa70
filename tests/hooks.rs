//! Webhooks through a real engine in tmux: signed deliveries sent to its socket
//! (`POST /api/v1/hooks/<name>`) are verified, recorded once and published; outgoing
//! subscriptions reach a real receiver on 127.0.0.1 that checks the Standard Webhooks
//! signature itself, and a receiver that is down for a minute (while the engine is killed
//! and started again) still gets every event once.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::cli::Env;
use common::receivers::{HttpReceiver, Received, free_port};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const GITHUB_SECRET: &str = "gh-hook-s3cret";
/// Standard Webhooks secrets: `whsec_` + base64 of the key.
const STD_SECRET: &str = "whsec_c3RhbmRhcmQtaG9vay1rZXktMDE=";
const CI_SECRET: &str = "whsec_b3V0Z29pbmcta2V5LWZvci1jaS0wMQ==";
const T: Duration = Duration::from_secs(20);

const SERVICES: &str = r#"
  api:
    command: "exec sleep 3201"
  web:
    command: "exec sleep 3202"
"#;

/// A workspace with the three secrets in its secrets file and `webhooks` as its section.
fn workspace(webhooks: &str) -> Env {
    let env = Env::with_settings(SERVICES, webhooks);
    let secrets = env.dir.join("configs/secrets.yaml");
    std::fs::create_dir_all(secrets.parent().expect("dir")).expect("configs");
    let text =
        format!("github_hook: {GITHUB_SECRET}\nstd_hook: {STD_SECRET}\nci_hook: {CI_SECRET}\n");
    std::fs::write(&secrets, text).expect("secrets");
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    env
}

const INCOMING: &str = r#"webhooks:
  incoming:
    git: { secret: "${secret:github_hook}" }
    std: { format: standard, secret: "${secret:std_hook}" }
"#;

fn socket(env: &Env) -> PathBuf {
    env.state.join(&env.workspace).join("engine.sock")
}

/// One HTTP/1.0 request over the engine's socket: its status and JSON body.
fn request(
    socket: &Path,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, serde_json::Value) {
    let mut stream = UnixStream::connect(socket).expect("engine socket");
    let mut head = format!(
        "POST {path} HTTP/1.0\r\nHost: uc\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("head");
    // The engine may answer before it read a body it refuses.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{response}"));
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

fn push_body(after: &str) -> Vec<u8> {
    serde_json::json!({
        "ref": "refs/heads/main",
        "before": "0000000000000000000000000000000000000000",
        "after": after,
        "repository": { "full_name": "acme/api" },
        "pusher": { "name": "ana" },
    })
    .to_string()
    .into_bytes()
}

/// GitHub's headers for `body`, signed with `secret`.
fn github(secret: &str, delivery: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    vec![
        ("X-GitHub-Event", "push".to_owned()),
        ("X-GitHub-Delivery", delivery.to_owned()),
        ("X-Hub-Signature-256", signature),
        ("Content-Type", "application/json".to_owned()),
    ]
}

/// `v1,<base64>` of `{id}.{timestamp}.{body}` with the key of a `whsec_` secret, written
/// here from the spec rather than with uc's own code.
fn standard_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// The engine's event stream (`GET /api/v1/events`), read line by line.
struct Events {
    lines: BufReader<UnixStream>,
}

impl Events {
    fn open(socket: &Path) -> Self {
        let mut stream = UnixStream::connect(socket).expect("engine socket");
        stream
            .write_all(b"GET /api/v1/events HTTP/1.0\r\nHost: uc\r\n\r\n")
            .expect("request");
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .expect("timeout");
        Self {
            lines: BufReader::new(stream),
        }
    }

    /// The next event whose `event` is `kind`; panics after `timeout`.
    fn next(&mut self, kind: &str, timeout: Duration) -> serde_json::Value {
        let start = Instant::now();
        let mut line = String::new();
        while start.elapsed() < timeout {
            line.clear();
            if self.lines.read_line(&mut line).is_err() {
                continue;
            }
            let Some(data) = line.strip_prefix("data:") else {
                continue;
            };
            let event: serde_json::Value = serde_json::from_str(data.trim()).expect("event JSON");
            if event["event"] == kind {
                return event;
            }
        }
        panic!("no {kind} event within {timeout:?}");
    }
}

#[test]
fn signed_pushes_are_published_once_and_bad_ones_refused() {
    let env = workspace(INCOMING);
    env.ok(&["up"]);
    let socket = socket(&env);
    let mut events = Events::open(&socket);
    let body = push_body("1111111111111111111111111111111111111111");

    let (status, answer) = request(
        &socket,
        "/api/v1/hooks/git",
        &github(GITHUB_SECRET, "d-1", &body),
        &body,
    );
    assert_eq!(
        (status, &answer["status"]),
        (202, &"accepted".into()),
        "{answer}"
    );
    let push = events.next("git_push", T);
    assert_eq!(push["delivery"], "d-1");
    assert_eq!(push["repository"], "acme/api");
    assert_eq!(push["ref"], "refs/heads/main");
    assert_eq!(push["after"], "1111111111111111111111111111111111111111");
    assert_eq!(push["pusher"], "ana");

    // The same delivery again (a replay, or GitHub's "redeliver"): said so, not published.
    let (status, answer) = request(
        &socket,
        "/api/v1/hooks/git",
        &github(GITHUB_SECRET, "d-1", &body),
        &body,
    );
    assert_eq!(
        (status, &answer["status"]),
        (200, &"duplicate".into()),
        "{answer}"
    );

    let (status, answer) = request(
        &socket,
        "/api/v1/hooks/git",
        &github("not-the-secret", "d-2", &body),
        &body,
    );
    assert_eq!(
        (status, &answer["field"]),
        (401, &"X-Hub-Signature-256".into()),
        "{answer}"
    );
    let mut unsigned = github(GITHUB_SECRET, "d-3", &body);
    unsigned.retain(|(name, _)| *name != "X-Hub-Signature-256");
    assert_eq!(
        request(&socket, "/api/v1/hooks/git", &unsigned, &body).0,
        401
    );
    let tampered = push_body("2222222222222222222222222222222222222222");
    let (status, _) = request(
        &socket,
        "/api/v1/hooks/git",
        &github(GITHUB_SECRET, "d-4", &body),
        &tampered,
    );
    assert_eq!(status, 401);
    let no_ref = br#"{"before":"a","after":"b","repository":"acme/api","pusher":"ana"}"#;
    let (status, answer) = request(
        &socket,
        "/api/v1/hooks/git",
        &github(GITHUB_SECRET, "d-5", no_ref),
        no_ref,
    );
    assert_eq!((status, &answer["field"]), (400, &"ref".into()), "{answer}");
    let (status, _) = request(
        &socket,
        "/api/v1/hooks/nope",
        &github(GITHUB_SECRET, "d-6", &body),
        &body,
    );
    assert_eq!(status, 404);
    let mut ping = github(GITHUB_SECRET, "d-ping", b"{}");
    ping[0].1 = "ping".to_owned();
    let (status, answer) = request(&socket, "/api/v1/hooks/git", &ping, b"{}");
    assert_eq!(
        (status, &answer["status"]),
        (200, &"ignored".into()),
        "{answer}"
    );
    let big = vec![b' '; 3 << 20];
    assert_eq!(
        request(
            &socket,
            "/api/v1/hooks/git",
            &github(GITHUB_SECRET, "d-7", &big),
            &big
        )
        .0,
        413
    );

    // Standard Webhooks: a fresh timestamp is taken, one past five minutes is not.
    let standard = |id: &str, timestamp: u64, body: &[u8]| {
        let timestamp = timestamp.to_string();
        vec![
            ("webhook-id", id.to_owned()),
            (
                "webhook-signature",
                standard_signature(STD_SECRET, id, &timestamp, body),
            ),
            ("webhook-timestamp", timestamp),
        ]
    };
    let second = push_body("3333333333333333333333333333333333333333");
    let (status, answer) = request(
        &socket,
        "/api/v1/hooks/std",
        &standard("msg_1", unix_now(), &second),
        &second,
    );
    assert_eq!(status, 202, "{answer}");
    // The next push published is this one: the replayed d-1 was not published again.
    let push = events.next("git_push", T);
    assert_eq!(
        (&push["hook"], &push["delivery"]),
        (&"std".into(), &"msg_1".into()),
        "{push}"
    );
    let stale = standard("msg_2", unix_now() - 6 * 60, &second);
    let (status, answer) = request(&socket, "/api/v1/hooks/std", &stale, &second);
    assert_eq!(
        (status, &answer["field"]),
        (400, &"webhook-timestamp".into()),
        "{answer}"
    );

    let db = env.state.join(&env.workspace).join("hooks.db");
    let mode = std::fs::metadata(&db)
        .expect("hooks.db")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "hooks.db is {mode:o}");
    let state_dir = std::fs::read_dir(env.state.join(&env.workspace)).expect("state dir");
    for file in state_dir.flatten().filter(|f| f.path().is_file()) {
        let text = std::fs::read(file.path()).unwrap_or_default();
        let found = text
            .windows(GITHUB_SECRET.len())
            .any(|w| w == GITHUB_SECRET.as_bytes());
        assert!(!found, "the hook's secret is in {}", file.path().display());
    }
}

/// Checks a delivery as a receiver written from the spec would: the signature over
/// `{id}.{timestamp}.{body}` with the subscription's key, and a timestamp within 5 minutes.
fn verify(delivery: &Received) -> (String, serde_json::Value) {
    let id = delivery
        .header("webhook-id")
        .expect("webhook-id")
        .to_owned();
    let timestamp = delivery
        .header("webhook-timestamp")
        .expect("webhook-timestamp");
    let sent: u64 = timestamp.parse().expect("seconds");
    assert!(unix_now().abs_diff(sent) < 300, "timestamp {sent}");
    let expected = standard_signature(CI_SECRET, &id, timestamp, &delivery.body);
    let signatures = delivery
        .header("webhook-signature")
        .expect("webhook-signature");
    assert!(
        signatures.split(' ').any(|s| s == expected),
        "{signatures} is not {expected}"
    );
    (id, delivery.json())
}

fn deliveries(env: &Env) -> Vec<serde_json::Value> {
    let list: serde_json::Value =
        serde_json::from_str(&env.ok(&["hooks", "deliveries", "--json"])).expect("JSON");
    list["deliveries"].as_array().cloned().unwrap_or_default()
}

fn wait_deliveries(
    env: &Env,
    timeout: Duration,
    what: &str,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let start = Instant::now();
    loop {
        let list = deliveries(env);
        if done(&list) {
            return list;
        }
        assert!(
            start.elapsed() < timeout,
            "{what} not within {timeout:?}: {list:#?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_receiver_down_for_a_while_gets_every_event_once_signed() {
    let port = free_port();
    let outgoing = format!(
        "{INCOMING}  outgoing:\n    ci: {{ url: \"http://127.0.0.1:{port}/hook\", events: [service.state, git.push, config.applied], secret: \"${{secret:ci_hook}}\" }}\n"
    );
    let env = workspace(&outgoing);
    let down_since = Instant::now();
    env.ok(&["up"]);
    let body = push_body("4444444444444444444444444444444444444444");
    let (status, _) = request(
        &socket(&env),
        "/api/v1/hooks/git",
        &github(GITHUB_SECRET, "d-out", &body),
        &body,
    );
    assert_eq!(status, 202);
    // Nothing listens on the port: the first delivery is tried, refused, and retried.
    let tried = wait_deliveries(&env, T, "a retried delivery", |list| {
        list.iter()
            .any(|d| d["attempts"].as_u64() >= Some(2) && d["last_error"].is_string())
    });
    assert!(tried.iter().all(|d| d["state"] == "pending"), "{tried:#?}");
    let table = env.ok(&["hooks", "deliveries"]);
    assert!(table.starts_with("HOOK  EVENT"), "{table}");
    assert!(
        table.contains("pending") && table.contains("git.push"),
        "{table}"
    );
    env.ok(&["restart", "web"]);
    // A new engine sends what the old one queued: killed with -9, it flushed nothing.
    let engine = env.status()["engine"]["pid"].as_u64().expect("engine pid") as i32;
    let pid = nix::unistd::Pid::from_raw(engine);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill engine");
    let gone = common::eventually(T, || !common::pid_alive(engine as u32));
    assert!(gone, "the engine outlived kill -9");
    env.ok(&["up"]);
    assert_ne!(env.status()["engine"]["pid"].as_u64(), Some(engine as u64));

    // Down long enough for four failed tries (1 s, 2 s, 4 s, 8 s apart); the cap of a minute
    // between tries is the backoff's unit tests'.
    let rt = common::runtime();
    while down_since.elapsed() < Duration::from_secs(12) {
        std::thread::sleep(Duration::from_millis(500));
    }
    let receiver = rt.block_on(HttpReceiver::start_on(port));
    // The next try is at most 16 s (+20 %) after the last failed one.
    let list = wait_deliveries(
        &env,
        Duration::from_secs(40),
        "every delivery delivered",
        |list| !list.is_empty() && list.iter().all(|d| d["state"] == "delivered"),
    );
    // No `config.applied`: the revision the engine started with is not news.
    let kinds: BTreeSet<&str> = list
        .iter()
        .filter_map(|d| d["group_key"].as_str())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["git.push", "service.state"]),
        "{list:#?}"
    );
    let queued: BTreeSet<String> = list
        .iter()
        .filter_map(|d| d["dedup_key"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(queued.len(), list.len(), "one row per delivery id");

    let received = receiver.accepted();
    let mut ids = Vec::new();
    for delivery in &received {
        let (id, payload) = verify(delivery);
        let row = list
            .iter()
            .find(|d| d["dedup_key"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} was never queued"));
        assert_eq!(payload["type"], row["group_key"], "{payload}");
        ids.push(id);
    }
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "a delivery arrived twice: {ids:?}");
    assert_eq!(unique, queued, "every queued delivery arrived");
    let push = received
        .iter()
        .map(Received::json)
        .find(|p| p["type"] == "git.push")
        .expect("git.push");
    assert_eq!(
        push["data"]["after"],
        "4444444444444444444444444444444444444444"
    );
    let restarted = received
        .iter()
        .map(Received::json)
        .filter(|p| p["data"]["service"] == "web" && p["data"]["state"] == "running")
        .count();
    assert_eq!(
        restarted, 2,
        "web ran twice: started, then restarted while the receiver was down"
    );
    let table = env.ok(&["hooks", "deliveries"]);
    assert!(
        table.contains("delivered") && !table.contains("pending"),
        "{table}"
    );
}

#[test]
fn a_secret_written_in_the_file_and_an_unknown_event_are_refused_where_they_are() {
    let env = workspace(
        r#"webhooks:
  incoming:
    git: { secret: plain-text-secret }
    deliveries: { secret: "${secret:github_hook}" }
  outgoing:
    ci:
      url: ftp://ci.example/hook
      events: [service.stat, alert.*]
      secret: "${secret:github_hook}"
"#,
    );
    let out = env.run(&["config", "check"]);
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    for expected in [
        "univers.yaml:11:20: a webhook secret must not be written in the file",
        "univers.yaml:12:5: the hook name `deliveries` is taken",
        "univers.yaml:15:12: invalid webhook URL `ftp://ci.example/hook`",
        "univers.yaml:16:16: unknown event `service.stat` (did you mean `service.state`?)",
        "univers.yaml:17:15: the secret is not a Standard Webhooks secret",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(
        !text.contains(GITHUB_SECRET),
        "the referenced secret was shown:\n{text}"
    );
}

/// GitHub calls `uc serve`, not the socket: a signed push needs no token there (its
/// signature is the credential), reaches the default workspace's engine with its headers
/// and body intact, and is audited by serve under the hook's name; a wrong one is 401.
#[test]
fn a_signed_push_through_uc_serve_needs_no_token() {
    let env = workspace(INCOMING);
    env.ok(&["up"]);
    let mut events = Events::open(&socket(&env));
    let serve = common::serve::Serve::start(&env, &["--default", &env.workspace]);
    let body = push_body("2222222222222222222222222222222222222222");
    let post = |headers: &[(&'static str, String)]| {
        let rt = common::runtime();
        rt.block_on(async {
            let mut request = reqwest::Client::new()
                .post(serve.url("/api/v1/hooks/git"))
                .body(body.clone());
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let response = request.send().await.expect("answer");
            let status = response.status().as_u16();
            (
                status,
                response.json::<serde_json::Value>().await.expect("json"),
            )
        })
    };

    let (status, answer) = post(&github(GITHUB_SECRET, "via-serve-1", &body));
    assert_eq!(
        (status, &answer["status"]),
        (202, &"accepted".into()),
        "{answer}"
    );
    let push = events.next("git_push", T);
    assert_eq!(push["delivery"], "via-serve-1");
    assert_eq!(push["after"], "2222222222222222222222222222222222222222");

    let (status, answer) = post(&github("not-the-secret", "via-serve-2", &body));
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["field"], "X-Hub-Signature-256", "{answer}");

    let rows = common::serve::wait_audit(&env, |rows| rows.len() >= 2);
    let routes: Vec<(&str, u16)> = rows.iter().map(|r| (r.route.as_str(), r.status)).collect();
    assert_eq!(
        routes,
        [("/api/v1/hooks/git", 202), ("/api/v1/hooks/git", 401)],
        "{rows:#?}"
    );
}
