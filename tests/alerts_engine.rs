//! Alerting through the real engine: the `uc` binary, real services in a private tmux, a
//! real loopback webhook receiver, rules and channels files on disk.

mod common;

use std::time::{Duration, Instant};

use common::cli::Env;
use common::receivers::{HttpReceiver, Received, free_port};
use serde_json::Value;

fn alerts(env: &Env) -> Vec<Value> {
    let out = env.ok(&["alerts", "--json"]);
    serde_json::from_str::<Value>(&out)
        .expect("alerts json")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn wait_alert(env: &Env, rule: &str, state: &str, timeout: Duration) -> Value {
    let start = Instant::now();
    loop {
        let found = alerts(env)
            .into_iter()
            .find(|a| a["rule"] == rule && a["state"] == state);
        if let Some(alert) = found {
            return alert;
        }
        assert!(
            start.elapsed() < timeout,
            "no {state} {rule} after {timeout:?}: {:#?}",
            alerts(env)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Accepted webhook payloads with this status and alertname.
fn notifications(hook: &HttpReceiver, name: &str, status: &str) -> Vec<Received> {
    hook.accepted()
        .into_iter()
        .filter(|r| {
            let json = r.json();
            json["status"] == status && json["commonLabels"]["alertname"] == name
        })
        .collect()
}

fn wait_notifications(hook: &HttpReceiver, name: &str, status: &str, n: usize, timeout: Duration) {
    let start = Instant::now();
    while notifications(hook, name, status).len() < n {
        assert!(
            start.elapsed() < timeout,
            "{} of {n} {status} {name} notifications after {timeout:?}; requests: {:?}",
            notifications(hook, name, status).len(),
            hook.requests()
                .iter()
                .map(|r| (r.status, String::from_utf8_lossy(&r.body).into_owned()))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const BURNER: &str = "  burner:\n    command: while :; do :; done\n";

#[test]
fn a_cpu_burner_fires_after_for_notifies_and_ack_stops_the_repeats() {
    let rt = common::runtime();
    let hook = rt.block_on(HttpReceiver::start());
    let rules = "rules:\n  - name: Burning\n    expr: service_cpu{service=\"burner\"} > 20\n    for: 3s\n    annotations:\n      summary: \"burner at {{ $value }}%\"\n";
    let env = Env::with_alerting(BURNER, rules, &hook.url("/hook"), "2s");
    env.ok(&["up"]);

    let pending = wait_alert(&env, "Burning", "pending", Duration::from_secs(15));
    let firing = wait_alert(&env, "Burning", "firing", Duration::from_secs(15));
    let waited = firing["fired_at"].as_u64().unwrap() - pending["active_since"].as_u64().unwrap();
    assert!(
        waited >= 3000,
        "fired {waited} ms after pending, before `for: 3s`"
    );
    assert!(
        firing["annotations"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("burner at ")
    );

    // The first notification, then a repeat after repeat_interval.
    wait_notifications(&hook, "Burning", "firing", 2, Duration::from_secs(15));
    let first = &notifications(&hook, "Burning", "firing")[0];
    let payload = first.json();
    assert_eq!(payload["version"], "4");
    assert_eq!(payload["alerts"][0]["labels"]["service"], "burner");
    assert!(
        first
            .header("x-uc-signature")
            .is_some_and(|s| s.starts_with("sha256="))
    );

    let id = firing["id"].as_str().unwrap();
    let out = env.ok(&["alerts", "ack", &id[..6]]);
    assert!(
        out.contains("acknowledged Burning{service=burner}"),
        "{out}"
    );
    let at_ack = notifications(&hook, "Burning", "firing").len();
    std::thread::sleep(Duration::from_secs(6));
    // One repeat may have been on its way when the ack landed; none after that.
    let after = notifications(&hook, "Burning", "firing").len();
    assert!(
        after <= at_ack + 1,
        "repeats went on after the ack: {at_ack} then {after}"
    );
    let acked = wait_alert(&env, "Burning", "firing", Duration::from_secs(1));
    assert_eq!(acked["ack"]["by"], univers_container::cli::user());

    env.ok(&["down", "burner"]);
    wait_notifications(&hook, "Burning", "resolved", 1, Duration::from_secs(15));
    let history = env.ok(&["alerts", "history", "--since", "1h"]);
    for kind in ["pending", "firing", "ack", "resolved", "notify"] {
        assert!(history.contains(kind), "no {kind} in history:\n{history}");
    }
    env.ok(&["down"]);
}

#[test]
fn a_notification_pending_when_the_engine_dies_is_delivered_once_after_restart() {
    let rt = common::runtime();
    let hook = rt.block_on(HttpReceiver::start());
    let rules = "rules:\n  - name: Down\n    expr: service_down\n";
    let env = Env::with_alerting(
        "  crasher:\n    command: exit 3\n",
        rules,
        &hook.url("/hook"),
        "4h",
    );
    hook.set_down(true);
    env.ok(&["up", "--no-wait"]);
    wait_alert(&env, "Down", "firing", Duration::from_secs(15));
    let start = Instant::now();
    while hook.requests().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no delivery attempt"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let engine = env.status()["engine"]["pid"].as_u64().unwrap() as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(engine),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill engine");
    assert!(
        common::eventually(Duration::from_secs(10), || !common::pid_alive(
            engine as u32
        )),
        "the engine outlived kill -9"
    );
    hook.set_down(false);

    // Any command starts a new engine, which resumes the outbox and the firing alert.
    let status = env.status();
    assert_ne!(status["engine"]["pid"].as_u64().unwrap() as i32, engine);
    wait_notifications(&hook, "Down", "firing", 1, Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        notifications(&hook, "Down", "firing").len(),
        1,
        "delivered twice"
    );
    env.ok(&["down"]);
}

#[test]
fn a_broken_rules_file_keeps_the_previous_rules_and_says_where() {
    let rt = common::runtime();
    let hook = rt.block_on(HttpReceiver::start());
    let rules = "rules:\n  - name: Down\n    expr: service_down\n";
    let env = Env::with_alerting(
        "  idle:\n    command: sleep 1000\n",
        rules,
        &hook.url("/hook"),
        "4h",
    );
    env.ok(&["up"]);
    let alerting = |env: &Env| env.status()["alerting"].clone();
    assert_eq!(alerting(&env)["rules"], 1);

    let broken =
        "rules:\n  - name: Down\n    expr: service_down >> 1\n  - name: Other\n    expr: cpu > 1\n";
    std::fs::write(env.dir.join("rules.yaml"), broken).unwrap();
    let start = Instant::now();
    let problem = loop {
        if let Some(p) = alerting(&env)["problem"].as_str() {
            break p.to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no problem reported"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(problem.contains("rules.yaml:3:"), "{problem}");
    assert_eq!(
        alerting(&env)["rules"],
        1,
        "the broken file replaced the rules"
    );

    let fixed =
        "rules:\n  - name: Down\n    expr: service_down\n  - name: Other\n    expr: cpu > 1000\n";
    std::fs::write(env.dir.join("rules.yaml"), fixed).unwrap();
    let start = Instant::now();
    while alerting(&env)["rules"] != 2 || !alerting(&env)["problem"].is_null() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "fixed file not loaded"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    env.ok(&["down"]);
}

#[test]
fn a_silence_mutes_until_it_is_expired() {
    let rt = common::runtime();
    let hook = rt.block_on(HttpReceiver::start());
    let rules = "rules:\n  - name: Down\n    expr: service_down\n";
    let env = Env::with_alerting(
        "  crasher:\n    command: sleep 2; exit 1\n",
        rules,
        &hook.url("/hook"),
        "4h",
    );
    env.ok(&["up"]);
    let out = env.ok(&[
        "alerts",
        "silence",
        "-m",
        "service=crasher",
        "--for",
        "1h",
        "--comment",
        "known",
    ]);
    assert!(out.contains("silenced service=crasher for 1h"), "{out}");
    let firing = wait_alert(&env, "Down", "firing", Duration::from_secs(15));
    let silence = firing["silenced_by"].as_str().expect("silenced").to_owned();
    std::thread::sleep(Duration::from_secs(2));
    assert!(hook.requests().is_empty(), "a silenced alert was sent");
    let listed = env.ok(&["alerts", "silences"]);
    assert!(
        listed.contains(&silence) && listed.contains("known"),
        "{listed}"
    );

    env.ok(&["alerts", "expire", &silence[..4]]);
    wait_notifications(&hook, "Down", "firing", 1, Duration::from_secs(10));
    let history: Value = serde_json::from_str(&env.ok(&["alerts", "history", "--json"])).unwrap();
    let kinds: Vec<&str> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for kind in ["silence", "firing", "expire", "notify"] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    env.ok(&["down"]);
}

#[test]
fn log_port_and_http_rules_read_real_logs_and_sockets() {
    let rt = common::runtime();
    let hook = rt.block_on(HttpReceiver::start());
    let closed = free_port();
    let rules = format!(
        "rules:\n  - name: Errors\n    expr: log_rate(talker, level=ERROR, 1m) > 3\n\
         \x20 - name: PortClosed\n    expr: port_open({closed}) == 0\n\
         \x20 - name: HookUp\n    expr: http_ok(\"{}\") == 1\n",
        hook.url("/health")
    );
    let talker = "  talker:\n    command: while :; do echo \"$(date +%T) ERROR boom\"; echo INFO fine; sleep 0.2; done\n";
    let env = Env::with_alerting(talker, &rules, &hook.url("/hook"), "4h");
    env.ok(&["up"]);
    let errors = wait_alert(&env, "Errors", "firing", Duration::from_secs(15));
    assert_eq!(errors["labels"]["service"], "talker");
    wait_alert(&env, "PortClosed", "firing", Duration::from_secs(10));
    wait_alert(&env, "HookUp", "firing", Duration::from_secs(10));
    env.ok(&["down"]);
}

/// A JSON line whose message says `error` but whose level field says `info`: read by its
/// first level word it would be an ERROR line, the logs pane calls it INFO, and so must the
/// rules.
#[test]
fn log_rate_counts_a_line_at_the_level_the_logs_pane_shows() {
    let rt = common::runtime();
    let hook = rt.block_on(HttpReceiver::start());
    let rules = "rules:\n  - name: ErrorsSeen\n    expr: log_rate(jsonlog, level=ERROR, 1m) > 0\n\
                 \x20 - name: InfosSeen\n    expr: log_rate(jsonlog, level=INFO, 1m) > 3\n";
    let service = "  jsonlog:\n    command: |\n      \
                   while :; do echo '{\"msg\":\"retrying after error\",\"level\":\"info\"}'; sleep 0.2; done\n";
    let env = Env::with_alerting(service, rules, &hook.url("/hook"), "4h");
    env.ok(&["up"]);
    let infos = wait_alert(&env, "InfosSeen", "firing", Duration::from_secs(15));
    assert_eq!(infos["labels"]["service"], "jsonlog");
    // Evaluated on the same counts as InfosSeen: its lines were not taken for ERROR ones.
    let errors: Vec<Value> = alerts(&env)
        .into_iter()
        .filter(|a| a["rule"] == "ErrorsSeen")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let out = env.ok(&["logs", "jsonlog", "-n", "1", "--json"]);
    let line: Value = serde_json::from_str(out.trim()).expect("one json line");
    assert_eq!(
        line["text"],
        r#"{"msg":"retrying after error","level":"info"}"#
    );
    assert_eq!(line["level"], "INFO");
    let stored_errors = env.ok(&["logs", "jsonlog", "--level", "error", "-c"]);
    assert_eq!(stored_errors.trim(), "0");
    env.ok(&["down"]);
}

#[test]
fn alert_commands_name_the_bad_field() {
    let env = Env::new("  idle:\n    command: sleep 1000\n");
    env.ok(&["up"]);
    let out = env.run(&["alerts", "ack", "ffffffff"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("alert: unknown alert"));
    let out = env.run(&["alerts", "silence", "-m", "service", "--for", "1h"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("matchers[0]"));
    let out = env.run(&["alerts", "silence", "-m", "service=a", "--for", "soon"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("for: invalid duration `soon`"));
    env.ok(&["down"]);
}

#[test]
fn config_check_reads_the_rules_and_channels_files() {
    let rules = "rules:\n  - name: Down\n    expr: service_down{service=\"nope\"}\n";
    let env = Env::with_alerting(
        "  idle:\n    command: sleep 1000\n",
        rules,
        "http://127.0.0.1:9/",
        "4h",
    );
    let out = env.run(&["config", "check"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("rules.yaml: ok — 1 rule")
            && stdout.contains("channels.yaml: ok — 1 channel"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rule Down names service `nope`"),
        "{stderr}"
    );

    std::fs::write(
        env.dir.join("rules.yaml"),
        "rules:\n  - name: Down\n    expr: service_dwn\n",
    )
    .unwrap();
    let out = env.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rules.yaml:3:") && stderr.contains("service_down"),
        "{stderr}"
    );
}

#[test]
fn giving_up_escalates_with_the_last_log_lines_and_heal_history_tells_the_story() {
    let rt = common::runtime();
    let hook = rt.block_on(HttpReceiver::start());
    let crasher = "  crasher:\n    command: 'echo \"fatal: config key db.url missing\"; exit 3'\n    restart: { policy: on-failure, backoff: 100ms..200ms, max: 2 within 1m, then: alert }\n";
    let rules = "rules:\n  - name: RestartsExhausted\n    expr: service_escalated\n    severity: critical\n    annotations:\n      summary: \"{{ $labels.service }} gave up\"\n";
    let env = Env::with_alerting(crasher, rules, &hook.url("/hook"), "1h");
    env.ok(&["up", "crasher", "--no-wait"]);

    let alert = wait_alert(&env, "RestartsExhausted", "firing", Duration::from_secs(20));
    assert_eq!(alert["labels"]["service"], "crasher");
    let logs = alert["annotations"]["logs"].as_str().unwrap_or_default();
    assert!(
        logs.contains("fatal: config key db.url missing"),
        "{alert:#}"
    );
    wait_notifications(
        &hook,
        "RestartsExhausted",
        "firing",
        1,
        Duration::from_secs(10),
    );
    let sent = notifications(&hook, "RestartsExhausted", "firing")[0].json();
    assert!(
        sent["alerts"][0]["annotations"]["logs"]
            .as_str()
            .is_some_and(|l| l.contains("db.url missing")),
        "{sent:#}"
    );
    let status = env.ok(&["status", "--json"]);
    assert!(status.contains("\"gave_up\""), "{status}");

    let history = env.ok(&["heal", "history", "crasher"]);
    for expected in [
        "restart  exited with code 3 after ",
        "backoff  exited with code 3; restarting in ",
        "restart  backoff over; restarted",
        "gave-up  gave up: 2 restarts within 1m (last: exited with code 3)",
        "│ fatal: config key db.url missing",
    ] {
        assert!(
            history.contains(expected),
            "{expected:?} not in:\n{history}"
        );
    }
    // Starting it again ends the escalation: the alert resolves.
    env.ok(&["up", "crasher", "--no-wait"]);
    wait_alert(
        &env,
        "RestartsExhausted",
        "resolved",
        Duration::from_secs(20),
    );
    let refused = env.run(&["heal", "history", "nosuch"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("service: unknown service `nosuch`"),
        "{stderr}"
    );
}

/// Restarts someone asked for (`uc restart`, a stop and a start, an environment switch) are
/// counted apart from restarts after a crash: five of them raise no `CrashLooping`, and
/// `restarts_in` sees only the crash that follows.
#[test]
fn restarts_by_hand_are_not_crashes() {
    let rules = "rules:\n  - name: CrashLooping\n    expr: restarts_in(10m) > 3\n    severity: critical\n\
                 \x20 - name: Crashed\n    expr: restarts_in(10m) > 0\n";
    let env = Env::with_settings(
        "  svc:\n    command: sleep 1000\n    env: { LEVEL: a }\n    restart: on-failure\n",
        "environments: [one, two]\nalerts: { rules: rules.yaml }\n",
    );
    std::fs::write(env.dir.join("rules.yaml"), rules).expect("rules");
    let overlays = env.dir.join("configs/environments");
    std::fs::create_dir_all(&overlays).expect("overlays");
    std::fs::write(
        overlays.join("two.yaml"),
        "services:\n  svc:\n    env: { LEVEL: b }\n",
    )
    .expect("overlay");
    env.ok(&["up"]);
    for _ in 0..3 {
        env.ok(&["restart", "svc"]);
    }
    env.ok(&["down", "svc"]);
    env.ok(&["up", "svc"]);
    env.ok(&["env", "use", "two", "--yes"]);
    let status = env.status();
    let svc = Env::service(&status, "svc");
    assert_eq!(
        (&svc["restarts"], &svc["user_restarts"]),
        (&Value::from(0), &Value::from(5)),
        "{svc:#}"
    );

    // A crash is a restart of its own, and the alerts count it alone.
    let pid = nix::unistd::Pid::from_raw(Env::pid_of(&status, "svc") as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill -9");
    let crashed = wait_alert(&env, "Crashed", "firing", Duration::from_secs(10));
    assert_eq!(crashed["value"], 1.0, "{crashed:#}");
    assert!(
        !alerts(&env).iter().any(|a| a["rule"] == "CrashLooping"),
        "{:#?}",
        alerts(&env)
    );
    let svc = env.wait_status(Duration::from_secs(10), |s| {
        Env::service(s, "svc")["restarts"] == 1
    });
    assert_eq!(Env::service(&svc, "svc")["user_restarts"], 5);
    let table = env.ok(&["status"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("svc ") && l.contains("1 +5")),
        "{table}"
    );
    env.ok(&["down"]);
}

/// A new workspace on the built-in rules: the ports its services declare are probed (one
/// that does not answer goes pending), and nothing it does not declare (8080) is watched.
#[test]
fn built_in_rules_watch_the_declared_ports_only() {
    let closed = free_port();
    let env = Env::new(&format!(
        "  web:\n    command: sleep 1000\n    ports: [{closed}]\n  idle:\n    command: sleep 1000\n"
    ));
    env.ok(&["up"]);
    let alert = wait_alert(&env, "PortNotAnswering", "pending", Duration::from_secs(10));
    assert_eq!(alert["labels"]["service"], "web", "{alert:#}");
    assert_eq!(alert["severity"], "critical");
    let all = alerts(&env);
    assert_eq!(all.len(), 1, "{all:#?}");
    env.ok(&["down"]);
}
