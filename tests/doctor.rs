//! `uc doctor` end to end: a healthy workspace has nothing to report, and each analyzer
//! owned here names a fault injected into real processes as the first finding. The other
//! analyzers' scenarios are in tests/doctor_faults_*.rs.

mod common;

use std::time::{Duration, Instant};

use common::cli::Env;
use common::doctor::{Expect, diagnose, first_finding};

const T: Duration = Duration::from_secs(20);

#[test]
fn a_healthy_workspace_has_no_findings_and_exits_0() {
    let env = Env::new(
        r#"
  api:
    command: "exec sleep 3301"
"#,
    );
    env.ok(&["up"]);
    env.wait_status(T, |s| Env::service(s, "api")["state"] == "running");
    let d = diagnose(&env);
    assert_eq!(d["findings"], serde_json::json!([]), "{d:#}");
    let text = env.ok(&["doctor"]);
    assert!(
        text.starts_with("no problems found in the workspace"),
        "{text}"
    );
    let unknown = env.run(&["doctor", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown service `nope`"));
}

#[test]
fn fault_dependency_down_names_the_dependency() {
    let env = Env::new(
        r#"
  db:
    command: "exec sleep 3302"
    restart: "no"
  api:
    command: "exec sleep 3303"
    depends_on: [db]
"#,
    );
    env.ok(&["up"]);
    let status = env.wait_status(T, |s| Env::service(s, "api")["state"] == "running");
    let db = Env::pid_of(&status, "db");
    let fault = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(db as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill db");
    let expect = Expect {
        analyzer: "dependency_down",
        service: Some("api"),
        cause_has: "db",
    };
    let first = first_finding(&env, "dependency down", fault, T, &expect);
    assert_eq!(first["severity"], "critical");
    let text = env.run(&["doctor", "api"]);
    assert_eq!(text.status.code(), Some(1), "a critical finding exits 1");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("api depends on db, which is exited"),
        "{text}"
    );
    assert!(text.contains("try      uc restart db"), "{text}");
}

#[test]
fn fault_a_dependency_in_a_workspace_that_is_down() {
    let env = Env::new(
        r#"
  api:
    command: "exec sleep 3304"
    depends_on: { nowhere/db: healthy }
"#,
    );
    let fault = Instant::now();
    env.ok(&["up", "--no-wait"]);
    let expect = Expect {
        analyzer: "dependency_down",
        service: Some("api"),
        cause_has: "nowhere/db",
    };
    let first = first_finding(&env, "remote dependency down", fault, T, &expect);
    let evidence = first["evidence"][0]["text"].as_str().unwrap_or_default();
    assert!(
        evidence.contains("workspace nowhere not running"),
        "{first:#}"
    );
}
