//! Deploys end to end: the real `uc` binary, its engine in tmux on a private socket, a
//! fixture app (python3's http.server) in a real git repository, real HTTP. v1 deploys and
//! serves; v2 answers 500, fails its gate and is rolled back; v3 passes its gate and exits
//! in the soak, and is rolled back; an engine killed mid-deploy is undone by the next one
//! (after the switch: rolled back; during the build: the running release left alone).

mod common;

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use common::cli::Env;
use common::deploy::{HELD_GATE, Repo, free_port, get, held_gate, workspace};

const T: Duration = Duration::from_secs(30);

fn deploys_dir(env: &Env) -> PathBuf {
    env.state.join(&env.workspace).join("deploys/app")
}

/// The release `current` points at.
fn current(env: &Env) -> String {
    let link = std::fs::read_link(deploys_dir(env).join("current")).expect("current");
    link.file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned()
}

fn history(env: &Env) -> Vec<serde_json::Value> {
    let text = env.ok(&["deploy", "history", "--json"]);
    serde_json::from_str(&text).expect("history json")
}

fn stage_log(deploy: &serde_json::Value, stage: &str) -> String {
    let stages = deploy["stages"].as_array().expect("stages");
    let found = stages.iter().rfind(|s| s["stage"] == stage);
    found
        .map(|s| s["log"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default()
}

/// The milliseconds the rollback stage says the old release took to serve again.
fn serving_again_ms(deploy: &serde_json::Value) -> u64 {
    let log = stage_log(deploy, "rollback");
    let line = log
        .lines()
        .find(|l| l.contains("serves again"))
        .expect("serves again line");
    let ms = line
        .split(" serves again ")
        .nth(1)
        .and_then(|r| r.split(' ').next());
    ms.and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

/// The firing `DeployFailed` alert of `app`, once the engine has evaluated the deploy.
fn deploy_alert(env: &Env) -> Option<serde_json::Value> {
    let mut found = None;
    common::eventually(T, || {
        let out = env.ok(&["alerts", "--json"]);
        let alerts: Vec<serde_json::Value> = serde_json::from_str(&out).expect("alerts json");
        found = alerts.into_iter().find(|a| {
            a["rule"] == "DeployFailed" && a["labels"]["service"] == "app" && a["state"] == "firing"
        });
        found.is_some()
    });
    found
}

#[test]
fn a_bad_gate_and_a_crash_in_the_soak_roll_back_to_the_release_that_served() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    // The gate ends within 5 s of the start; v3 exits 6 s after it: always in the soak.
    let gate = "      gate: { passes: 2, interval: 200ms, timeout: 5s }\n      soak: 8s\n";
    let env = workspace(&repo, port, gate);

    let v1 = repo.commit("v1", "ok", "");
    let out = env.ok(&["deploy", "app"]);
    assert!(out.contains("deployed"), "{out}");
    assert_eq!(get(port), Some((200, "v1".into())));
    let release_v1 = current(&env);
    assert!(release_v1.ends_with(&v1[..7]), "{release_v1}");
    assert!(deploys_dir(&env).join("repo.git/HEAD").is_file());
    assert!(
        deploys_dir(&env)
            .join("releases")
            .join(&release_v1)
            .join("shared")
            .is_symlink()
    );

    repo.commit("v2", "500", "");
    let out = env.run(&["deploy", "app"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("rolled back"), "{text}");
    assert_eq!(current(&env), release_v1, "current is v1 again");
    assert_eq!(get(port), Some((200, "v1".into())), "v1 serves");
    let last = &history(&env)[0];
    assert_eq!(last["state"], "rolled_back");
    let cause = last["cause"].as_str().expect("cause");
    assert!(cause.contains("gate") && cause.contains("500"), "{cause}");
    let gate_ms = serving_again_ms(last);
    let alert = deploy_alert(&env).expect("a DeployFailed alert fires");
    let what = alert["annotations"]["deploy"].as_str().unwrap_or_default();
    assert!(
        what.contains("rolled back") && what.contains("500"),
        "{what}"
    );

    repo.commit("v3", "exit-after:6", "");
    let out = env.run(&["deploy", "app"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert_eq!(current(&env), release_v1);
    assert_eq!(get(port), Some((200, "v1".into())));
    let all = history(&env);
    let last = &all[0];
    assert_eq!(last["state"], "rolled_back");
    let cause = last["cause"].as_str().expect("cause");
    assert!(cause.contains("exited"), "{cause}");
    let stages: Vec<&str> = (last["stages"].as_array().expect("stages").iter())
        .map(|s| s["stage"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        stages,
        ["fetch", "build", "switch", "gate", "soak", "rollback"]
    );
    let soak_ms = serving_again_ms(last);
    let states: Vec<&str> = all
        .iter()
        .map(|d| d["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(states, ["rolled_back", "rolled_back", "succeeded"]);
    eprintln!(
        "FIGURE rollback after a failed gate: {gate_ms} ms; after a crash in the soak: {soak_ms} ms"
    );

    let status = env.ok(&["deploy", "status"]);
    assert!(status.contains("rolled_back"), "{status}");

    repo.commit("v4", "ok", "");
    env.ok(&["deploy", "app"]);
    let resolved = common::eventually(T, || {
        let out = env.ok(&["alerts", "--json"]);
        let alerts: Vec<serde_json::Value> = serde_json::from_str(&out).expect("alerts json");
        alerts
            .iter()
            .any(|a| a["rule"] == "DeployFailed" && a["state"] == "resolved")
    });
    assert!(resolved, "a deploy that succeeds resolves DeployFailed");
    env.ok(&["down"]);
}

#[test]
fn an_engine_killed_mid_deploy_is_undone_by_the_next() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    // The gate is the release's own gate.sh: v1's asks the app; v2's says it started, then
    // fails until the engine is killed.
    let gate = "      gate: { exec: sh gate.sh, passes: 1, interval: 200ms, timeout: 60s }\n";
    let env = workspace(&repo, port, gate);
    let serving = format!(
        "exec python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:{port}/up\")'\n"
    );
    repo.commit("v1", "ok", &serving);
    env.ok(&["deploy", "app"]);
    let release_v1 = current(&env);

    let marker = tmp.path().join("gate-started");
    repo.commit(
        "v2",
        "ok",
        &format!("touch '{}'; exit 1\n", marker.display()),
    );
    let mut deploying = env
        .uc(&["deploy", "app"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("deploy");
    assert!(common::eventually(T, || marker.exists()), "v2's gate ran");
    assert_ne!(current(&env), release_v1, "switched to v2");
    let engine = env.status()["engine"]["pid"].as_u64().expect("engine pid") as i32;
    let pid = nix::unistd::Pid::from_raw(engine);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill -9");
    assert!(common::eventually(T, || !common::pid_alive(engine as u32)));
    assert!(
        !deploying.wait().expect("wait").success(),
        "the deploy was cut off"
    );

    // The next engine (started by `uc up`; app runs, adopted) finds the deploy and goes back to v1.
    env.ok(&["up", "--no-wait"]);
    let rolled_back = common::eventually(T, || {
        history(&env)
            .first()
            .is_some_and(|d| d["state"] == "rolled_back")
    });
    assert!(rolled_back, "{:#?}", history(&env));
    let last = &history(&env)[0];
    assert_eq!(last["cause"], "the engine stopped during gate");
    assert_eq!(current(&env), release_v1);
    assert_eq!(get(port), Some((200, "v1".into())), "{last:#}");
    let status = env.status();
    assert_eq!(Env::service(&status, "app")["state"], "running");
    env.ok(&["down"]);
}

const GITHUB_SECRET: &str = "gh-hook-s3cret";

/// A POST over the engine's socket: the status and the JSON answer.
fn post(
    env: &Env,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, serde_json::Value) {
    use std::io::Write;
    let socket = env.state.join(&env.workspace).join("engine.sock");
    let mut stream = std::os::unix::net::UnixStream::connect(socket).expect("engine socket");
    let mut head = format!(
        "POST {path} HTTP/1.0\r\nHost: uc\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("head");
    let _ = stream.write_all(body);
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
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

/// GitHub's push of `after` to acme/app's main, signed with `secret`.
fn signed_push(env: &Env, secret: &str, delivery: &str, after: &str) -> u16 {
    use hmac::{Hmac, Mac};
    let body = serde_json::json!({
        "ref": "refs/heads/main",
        "before": "0000000000000000000000000000000000000000",
        "after": after,
        "repository": { "full_name": "acme/app" },
        "pusher": { "name": "ana" },
    })
    .to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    let headers = [
        ("X-GitHub-Event", "push".to_owned()),
        ("X-GitHub-Delivery", delivery.to_owned()),
        (
            "X-Hub-Signature-256",
            format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
        ),
        ("Content-Type", "application/json".to_owned()),
    ];
    post(env, "/api/v1/hooks/git", &headers, body.as_bytes()).0
}

#[test]
fn a_signed_push_deploys_a_wrong_one_does_not_and_rollback_by_hand_goes_back() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let services = format!(
        "  app:
    command: exec python3 app.py
    env: {{ PORT: {port} }}
    readiness: {{ http: http://127.0.0.1:{port}/up }}
    deploy:
      repo: {}
      gate: {{ passes: 1, interval: 100ms, timeout: 5s }}
",
        repo.dir.display()
    );
    let hooks = "webhooks:\n  incoming:\n    git: { secret: \"${secret:github_hook}\" }\n";
    let env = Env::with_settings(&services, hooks);
    let secrets = env.dir.join("configs/secrets.yaml");
    std::fs::create_dir_all(secrets.parent().expect("dir")).expect("configs");
    std::fs::write(&secrets, format!("github_hook: {GITHUB_SECRET}\n")).expect("secrets");
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    repo.commit("v1", "ok", "");
    env.ok(&["deploy", "app"]);
    let release_v1 = current(&env);

    let v2 = repo.commit("v2", "ok", "");
    assert_eq!(signed_push(&env, GITHUB_SECRET, "d-1", &v2), 202);
    let pushed = common::eventually(T, || {
        history(&env)
            .first()
            .is_some_and(|d| d["commit"] == v2.as_str() && d["state"] == "succeeded")
    });
    assert!(pushed, "{:#?}", history(&env));
    let last = &history(&env)[0];
    assert_eq!(
        (&last["trigger"], &last["by"]),
        (&"push".into(), &"ana".into())
    );
    assert_eq!(get(port), Some((200, "v2".into())));

    let v3 = repo.commit("v3", "ok", "");
    assert_eq!(signed_push(&env, "not-the-secret", "d-2", &v3), 401);
    // The refusal is answered before anything is published: no deploy can follow it.
    assert_eq!(history(&env).len(), 2);

    let out = env.ok(&["deploy", "rollback", "app"]);
    assert!(out.contains("deployed"), "{out}");
    assert_eq!(current(&env), release_v1);
    assert_eq!(get(port), Some((200, "v1".into())));
    assert_eq!(history(&env)[0]["trigger"], "rollback");

    let (status, answer) = post(
        &env,
        "/api/v1/services/app/deploy",
        &[],
        br#"{"ref": "--upload-pack=x"}"#,
    );
    assert_eq!((status, &answer["field"]), (400, &"ref".into()), "{answer}");
    let (status, _) = post(&env, "/api/v1/services/nope/deploy", &[], b"");
    assert_eq!(status, 404);
    let (status, answer) = post(
        &env,
        "/api/v1/services/app/rollback",
        &[],
        br#"{"release": "x"}"#,
    );
    assert_eq!(
        (status, &answer["field"]),
        (400, &"release".into()),
        "{answer}"
    );
    env.ok(&["down"]);
}

#[test]
fn on_a_terminal_the_running_stage_is_shown_live() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    // The gate passes once the test lets it: the running stage stays on the screen till then.
    let go = tmp.path().join("go");
    let env = workspace(&repo, port, HELD_GATE);
    let gate_sh = held_gate(port, &go);
    repo.commit("v1", "ok", &gate_sh);
    let screen = common::cli::Screen::shell(&env);
    let uc = env!("CARGO_BIN_EXE_uc");
    screen.type_line(&format!("{uc} -f '{}' deploy app", env.file.display()));
    let text = screen.wait("the gate running", T, |t| t.contains("gate     …"));
    for stage in ["fetch", "build", "switch"] {
        let line = text.lines().find(|l| l.trim_start().starts_with(stage));
        assert!(line.is_some_and(|l| l.contains(" ok ")), "{stage}:\n{text}");
    }
    std::fs::write(&go, "").expect("go");
    let text = screen.wait("deployed", T, |t| t.contains("deployed"));
    let gate_line = text.lines().find(|l| l.trim_start().starts_with("gate"));
    assert!(
        gate_line.is_some_and(|l| l.contains(" ok ") && !l.contains('…')),
        "{text}"
    );
    assert_eq!(get(port), Some((200, "v1".into())));
    env.ok(&["down"]);
}

#[test]
fn an_engine_killed_mid_build_leaves_the_running_release_alone() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let deploy =
        "      build: sh gate.sh\n      gate: { passes: 1, interval: 100ms, timeout: 10s }\n";
    let env = workspace(&repo, port, deploy);
    repo.commit("v1", "ok", "exit 0\n");
    env.ok(&["deploy", "app"]);
    let release_v1 = current(&env);
    let app = Env::pid_of(&env.status(), "app");

    // v2's build says it started, then waits for `go` (given once the engine is dead, so
    // the orphaned build ends).
    let (started, go) = (tmp.path().join("building"), tmp.path().join("go"));
    let build = format!(
        "touch '{}'; while [ ! -e '{}' ]; do sleep 0.05; done\n",
        started.display(),
        go.display()
    );
    repo.commit("v2", "ok", &build);
    let mut deploying = (env.uc(&["deploy", "app"]))
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("deploy");
    assert!(common::eventually(T, || started.exists()), "v2's build ran");
    let engine = env.status()["engine"]["pid"].as_u64().expect("engine pid") as i32;
    let pid = nix::unistd::Pid::from_raw(engine);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill -9");
    assert!(common::eventually(T, || !common::pid_alive(engine as u32)));
    std::fs::write(&go, "").expect("go");
    assert!(!deploying.wait().expect("wait").success());

    env.ok(&["up", "--no-wait"]);
    let failed = common::eventually(T, || {
        history(&env)
            .first()
            .is_some_and(|d| d["state"] == "failed")
    });
    assert!(failed, "{:#?}", history(&env));
    let cause = history(&env)[0]["cause"].clone();
    let want = "the engine stopped during build; the running release was not touched";
    assert_eq!(cause, want);
    assert_eq!(current(&env), release_v1);
    assert_eq!(
        Env::pid_of(&env.status(), "app"),
        app,
        "v1 kept running, untouched"
    );
    assert_eq!(get(port), Some((200, "v1".into())));
    env.ok(&["down"]);
}
