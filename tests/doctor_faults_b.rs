//! `uc doctor` fault scenarios, part B: memory growth, disk filling, what changed, alert
//! storms and flapping rules, failed deploys. Each injects a real fault into real processes
//! and requires the doctor's first finding to name it (see tests/common/doctor.rs).

mod common;

use std::time::{Duration, Instant};

use common::cli::Env;
use common::deploy::{Repo, free_port, workspace};
use common::disk::SmallDisk;
use common::doctor::{Expect, first_finding};

const T: Duration = Duration::from_secs(30);

#[test]
fn fault_memory_leak_names_the_slope_and_the_time_to_the_limit() {
    let env = Env::with_settings(
        r#"
  leaky:
    command: "exec python3 leak.py"
    max_memory: 2GiB
"#,
        "metrics: { interval: 1s }\n",
    );
    // 2 MiB written (so resident) every 100 ms: 20 MiB/s.
    let leak = "import time\nkept = []\nwhile True:\n    kept.append(b'x' * (2 << 20))\n    time.sleep(0.1)\n";
    std::fs::write(env.dir.join("leak.py"), leak).expect("leak.py");
    let fault = Instant::now();
    env.ok(&["up"]);
    let expect = Expect {
        analyzer: "memory_growth",
        service: Some("leaky"),
        cause_has: "its max_memory 2.0G in",
    };
    let first = first_finding(&env, "memory leak", fault, T, &expect);
    let cause = first["cause"].as_str().unwrap_or_default();
    let rate: f64 = cause
        .split("grows ")
        .nth(1)
        .and_then(|r| r.split("M/s").next())
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("no rate in {cause}"));
    assert!((12.0..=28.0).contains(&rate), "about 20M/s: {cause}");
    assert_eq!(first["severity"], "warning");
    assert!(
        first["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["action"] == "raise_limit")),
        "{first:#}"
    );
}

#[test]
fn fault_disk_filling_names_the_time_to_full_and_the_biggest_file() {
    let env = Env::with_settings(
        r#"
  writer:
    command: "exec python3 fill.py"
"#,
        "",
    );
    let workspace = std::fs::read(&env.file).expect("workspace file");
    // The workspace's own small disk, with the workspace file put back on it.
    let Some(_disk) = SmallDisk::mount(&env.dir, "64m") else {
        return;
    };
    std::fs::write(&env.file, workspace).expect("workspace file on the disk");
    // 600 KiB every 100 ms: about 6 MiB/s, full in about ten seconds.
    let fill = "import time\nout = open('data.bin', 'wb', buffering=0)\nwhile True:\n    out.write(b'x' * (600 << 10))\n    time.sleep(0.1)\n";
    std::fs::write(env.dir.join("fill.py"), fill).expect("fill.py");
    let fault = Instant::now();
    env.ok(&["up"]);
    let expect = Expect {
        analyzer: "disk_filling",
        service: None,
        cause_has: "full in",
    };
    let first = first_finding(&env, "disk filling", fault, T, &expect);
    let cause = first["cause"].as_str().unwrap_or_default();
    assert!(
        cause.starts_with("the disk holding the workspace ("),
        "{cause}"
    );
    assert!(cause.contains("free of 64.0M"), "{cause}");
    let biggest = first["evidence"].as_array().and_then(|e| {
        e.iter()
            .find(|e| e["text"].as_str().is_some_and(|t| t.ends_with("/data.bin")))
    });
    assert!(biggest.is_some(), "the biggest file is named: {first:#}");
}

#[test]
fn fault_failed_build_names_the_deploy_and_its_stage() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let env = workspace(&repo, port, "      build: sh gate.sh\n");
    repo.commit("v1", "ok", "exit 0\n");
    env.ok(&["deploy", "app"]);
    repo.commit(
        "v2",
        "ok",
        "echo 'error: app.py: no such module' >&2\nexit 2\n",
    );
    let fault = Instant::now();
    let out = env.run(&["deploy", "app"]);
    assert!(!out.status.success(), "v2's build fails");
    let expect = Expect {
        analyzer: "deploy_failed",
        service: Some("app"),
        cause_has: "failed at build",
    };
    let first = first_finding(&env, "failed deploy", fault, T, &expect);
    let evidence = first["evidence"].to_string();
    assert!(evidence.contains("no such module"), "{first:#}");
}

#[test]
fn fault_errors_after_a_config_change_name_the_revision() {
    let services = |mode: &str| {
        format!(
            r#"
  api:
    command: "exec python3 -u app.py"
    env: {{ MODE: {mode} }}
"#
        )
    };
    let env = Env::new(&services("ok"));
    // One line every 100 ms: served requests, or with MODE=bad, a refused database.
    let app = "import os, time\nn = 0\nwhile True:\n    n += 1\n    if os.environ['MODE'] == 'ok':\n        print(f'INFO served request {n}')\n    else:\n        print(f'ERROR db connection refused after {n} tries')\n    time.sleep(0.1)\n";
    std::fs::write(env.dir.join("app.py"), app).expect("app.py");
    env.ok(&["up"]);
    let served = || {
        let out = env.ok(&["logs", "api"]);
        out.contains("served request")
    };
    assert!(common::eventually(T, served), "api logs before the change");
    let workspace = std::fs::read_to_string(&env.file).expect("workspace");
    let bad = workspace.replace(&services("ok"), &services("bad"));
    std::fs::write(&env.file, bad).expect("the edit");
    let fault = Instant::now();
    env.ok(&["config", "apply", "--yes"]);
    let expect = Expect {
        analyzer: "what_changed",
        service: Some("api"),
        cause_has: "(env.MODE changed)",
    };
    let first = first_finding(&env, "errors after a config change", fault, T, &expect);
    let cause = first["cause"].as_str().unwrap_or_default();
    assert!(cause.starts_with("errors in api started"), "{cause}");
    assert!(cause.contains("after revision 2"), "{cause}");
    assert!(
        first.to_string().contains("db connection refused"),
        "{first:#}"
    );
}

#[test]
fn fault_flapping_rule_is_named_with_a_silence() {
    let port = free_port();
    let env = Env::with_settings(
        r#"
  blinker:
    command: "exec python3 blink.py"
"#,
        "metrics: { interval: 500ms }\nalerts: { rules: rules.yaml }\n",
    );
    let rules = format!("rules:\n  - name: PortFlap\n    expr: port_open({port})\n    for: 0s\n");
    std::fs::write(env.dir.join("rules.yaml"), rules).expect("rules");
    // Listens for a second, then not for a second, and again.
    let blink = format!(
        "import socket, time\nwhile True:\n    s = socket.socket()\n    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n    s.bind(('127.0.0.1', {port}))\n    s.listen()\n    time.sleep(1)\n    s.close()\n    time.sleep(1)\n"
    );
    std::fs::write(env.dir.join("blink.py"), blink).expect("blink.py");
    let fault = Instant::now();
    env.ok(&["up"]);
    let expect = Expect {
        analyzer: "flapping_rule",
        service: None,
        cause_has: "PortFlap",
    };
    let first = first_finding(&env, "flapping rule", fault, T, &expect);
    let silence = &first["actions"][0];
    assert_eq!(silence["action"], "silence", "{first:#}");
    assert_eq!(silence["matchers"][0], "alertname=PortFlap", "{first:#}");
}

#[test]
fn fault_alert_storm_is_grouped_by_its_common_label() {
    let port = free_port();
    let env = Env::with_settings(
        &format!(
            r#"
  listener:
    command: "exec python3 -m http.server {port} --bind 127.0.0.1"
"#
        ),
        "metrics: { interval: 500ms }\nalerts: { rules: rules.yaml }\n",
    );
    let rules: String = (1..=6)
        .map(|i| {
            format!(
                "  - name: Storm{i}\n    expr: port_open({port})\n    labels: {{ team: web }}\n"
            )
        })
        .collect();
    std::fs::write(env.dir.join("rules.yaml"), format!("rules:\n{rules}")).expect("rules");
    let fault = Instant::now();
    env.ok(&["up"]);
    let expect = Expect {
        analyzer: "alert_storm",
        service: None,
        cause_has: "6 alerts are firing at once",
    };
    let first = first_finding(&env, "alert storm", fault, T, &expect);
    let silence = &first["actions"][0];
    assert_eq!(silence["action"], "silence", "{first:#}");
    let matcher = silence["matchers"][0].as_str().unwrap_or_default();
    assert!(
        matcher == "team=web" || matcher.starts_with("instance="),
        "{first:#}"
    );
}
