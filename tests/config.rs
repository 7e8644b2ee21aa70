//! Config fixtures: the valid workspace loads into the expected model, every invalid one is
//! reported at the exact line and column with the expected message and hint.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;
use univers_container::config::import::import_file;
use univers_container::config::{
    Condition, ConfigError, DEMO_YAML, GiveUp, LogInput, Probe, RestartPolicy, Retention,
    Workspace, demo_workspace, find_workspace_file, load_file, load_str,
};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// (line, column, message, hint) of every problem in an invalid fixture.
fn problems(name: &str) -> Vec<(u64, u64, String, Option<String>)> {
    let path = fixture(&format!("config/invalid/{name}.yaml"));
    let err = load_file(&path).expect_err("fixture is invalid");
    assert!(err.problems().iter().all(|p| p.file == path));
    err.problems()
        .iter()
        .map(|p| (p.line, p.column, p.message.clone(), p.hint.clone()))
        .collect()
}

fn one(
    line: u64,
    column: u64,
    message: &str,
    hint: Option<&str>,
) -> Vec<(u64, u64, String, Option<String>)> {
    vec![(line, column, message.to_owned(), hint.map(str::to_owned))]
}

#[test]
fn full_workspace_loads() {
    let path = fixture("config/valid/full.yaml");
    let ws = load_file(&path).expect("valid");
    let dir = path.parent().expect("dir");
    assert_eq!(ws.name, "hvac-dev");
    assert_eq!(ws.theme.as_deref(), Some("high-contrast"));
    assert_eq!(ws.file.as_deref(), Some(path.as_path()));
    let names: Vec<&str> = ws.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["db", "migrate", "api", "web"]);
    assert_eq!(ws.metrics.interval, Duration::from_secs(2));
    assert_eq!(ws.metrics.listen, Some("127.0.0.1:9464".parse().unwrap()));
    assert!(!ws.metrics.history);

    let db = ws.service("db").expect("db");
    assert_eq!(db.cwd, dir.join("db"));
    assert_eq!(db.tags, ["storage", "v1.2"]);
    assert_eq!(
        (db.stop.signal, db.stop.timeout),
        (Signal::SIGINT, Duration::from_secs(30))
    );
    let health = db.readiness.as_ref().expect("db health");
    assert_eq!(health.probe, Probe::Tcp("127.0.0.1:5432".into()));
    assert_eq!(health.interval, Duration::from_secs(2));
    assert_eq!(health.timeout, Duration::from_millis(500));
    assert_eq!(health.failure_threshold, 5);
    assert_eq!(health.start_period, Duration::from_secs(10));

    let migrate = ws.service("migrate").expect("migrate");
    assert_eq!(migrate.cwd, dir);
    assert_eq!(migrate.restart.policy, RestartPolicy::No);
    assert_eq!(migrate.depends_on[0].condition, Condition::Started);

    let api = ws.service("api").expect("api");
    assert_eq!(api.cwd, Path::new("/srv/api"));
    assert_eq!(api.env["PORT"], "8080");
    assert_eq!(api.env["DEBUG"], "true");
    assert_eq!(api.env["RATIO"], "0.5");
    let deps: Vec<_> = api
        .depends_on
        .iter()
        .map(|d| (d.service.as_str(), d.condition))
        .collect();
    assert_eq!(
        deps,
        [
            ("db", Condition::Healthy),
            ("migrate", Condition::Completed)
        ]
    );
    assert_eq!(api.restart.policy, RestartPolicy::OnFailure);
    assert_eq!(
        api.restart.backoff,
        Some((Duration::from_secs(1), Duration::from_secs(300)))
    );
    assert_eq!(api.restart.max, Some((5, Duration::from_secs(600))));
    assert_eq!(api.restart.then, GiveUp::Alert);
    assert_eq!(api.stop.signal, Signal::SIGTERM);
    assert_eq!(api.stop.timeout, Duration::from_secs(10));
    let health = api.readiness.as_ref().expect("api health");
    assert_eq!(
        health.probe,
        Probe::Http(http_probe("http://127.0.0.1:8080/health"))
    );
    assert_eq!(
        (health.interval, health.timeout, health.failure_threshold),
        (Duration::from_secs(1), Duration::from_secs(1), 3)
    );
    assert_eq!(health.start_period, Duration::ZERO);

    let web = ws.service("web").expect("web");
    assert_eq!(web.command, "npm run dev\n");
    assert_eq!(web.restart.policy, RestartPolicy::Always);
    assert_eq!(
        web.readiness.as_ref().map(|h| &h.probe),
        Some(&Probe::Exec("test -f .ready".into()))
    );

    let sources: Vec<(&str, &LogInput)> = ws
        .logs
        .sources
        .iter()
        .map(|s| (s.name.as_str(), &s.input))
        .collect();
    let nginx = ["/var/log/nginx/access.log", "/var/log/nginx/error.log"];
    assert_eq!(
        sources,
        [
            ("web", &LogInput::Files(vec![dir.join("web/logs/*.log")])),
            ("nginx", &LogInput::Files(nginx.map(PathBuf::from).to_vec())),
            (
                "ssh",
                &LogInput::Command {
                    command: "journalctl -f -u ssh".into(),
                    cwd: dir.to_path_buf(),
                    env: Default::default(),
                }
            ),
        ]
    );
    assert_eq!(
        ws.logs.retention,
        Retention {
            size: 1 << 30,
            age: Duration::from_secs(3 * 24 * 3600),
            segment: 64 << 20
        }
    );
}

#[test]
fn bad_log_settings() {
    let size_hint = "write a number of bytes with a unit, e.g. `512KiB`, `32MiB`, `1GiB`";
    assert_eq!(
        problems("bad_logs"),
        vec![
            (
                5,
                12,
                "`./*/x.log`: wildcards are allowed only in the file name".to_owned(),
                Some("write e.g. `./app/logs/*.log`".to_owned())
            ),
            (
                8,
                5,
                "invalid log source name `bad name`".to_owned(),
                Some("use only letters, digits, `_` and `-`".to_owned())
            ),
            (
                10,
                11,
                "log source `tail` has an empty command".to_owned(),
                None
            ),
            (
                11,
                22,
                "invalid size `10 parsecs`".to_owned(),
                Some(size_hint.to_owned())
            ),
        ]
    );
}

#[test]
fn unknown_key_suggests_the_nearest() {
    assert_eq!(
        problems("unknown_key"),
        one(
            7,
            5,
            "unknown field `depnds_on`",
            Some("did you mean `depends_on`?")
        )
    );
}

#[test]
fn unknown_dependency_suggests_a_service() {
    assert_eq!(
        problems("unknown_dependency"),
        one(
            7,
            18,
            "`api` depends on unknown service `databse`",
            Some("did you mean `database`?")
        )
    );
}

#[test]
fn cycle_is_named_in_order() {
    assert_eq!(
        problems("cycle"),
        one(
            5,
            18,
            "dependency cycle: a -> b -> c -> a",
            Some("remove one of these `depends_on` entries")
        )
    );
}

#[test]
fn bad_duration() {
    let hint = "e.g. `90s`, `1.5h`, `1h30m`, or a number of seconds";
    assert_eq!(
        problems("bad_duration"),
        one(6, 16, "invalid duration `10 secs please`", Some(hint))
    );
}

#[test]
fn metrics_on_a_non_loopback_address_need_allow_remote() {
    let hint =
        "listen on `127.0.0.1:9464`, or add `allow_remote: true` to serve the network on purpose";
    assert_eq!(
        problems("remote_metrics"),
        one(
            6,
            11,
            "`0.0.0.0:9464` would serve /metrics to other machines",
            Some(hint)
        )
    );
    let path = fixture("config/invalid/remote_metrics.yaml");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("univers.yaml");
    std::fs::write(&file, format!("{text}  allow_remote: true\n")).expect("write");
    let ws = load_file(&file).expect("allowed on purpose");
    assert_eq!(ws.metrics.listen, Some("0.0.0.0:9464".parse().unwrap()));
}

#[test]
fn bad_metrics_settings() {
    assert_eq!(
        problems("bad_metrics"),
        vec![
            (
                6,
                13,
                "metrics interval `10ms` is out of range".to_owned(),
                Some("use a duration from 100ms to 1h".to_owned())
            ),
            (
                7,
                11,
                "invalid listen address `localhost:9464`".to_owned(),
                Some("use ip:port, e.g. `127.0.0.1:9464`".to_owned())
            ),
        ]
    );
}

#[test]
fn bad_signal_suggests_the_nearest() {
    assert_eq!(
        problems("bad_signal"),
        one(
            5,
            21,
            "unknown signal `SIGTREM`",
            Some("did you mean `SIGTERM`?")
        )
    );
}

#[test]
fn healthy_needs_a_health_check() {
    assert_eq!(
        problems("healthy_without_health"),
        one(
            8,
            11,
            "`api` waits for `db` to be healthy, but `db` has no readiness probe",
            Some("add `readiness:` to `db` or wait for `started`")
        )
    );
}

#[test]
fn wrong_type() {
    assert_eq!(
        problems("wrong_type"),
        one(7, 16, "expected a whole number, 0 or more", None)
    );
}

#[test]
fn yaml_syntax_error() {
    assert_eq!(problems("syntax_error"), one(4, 14, "unclosed quote", None));
}

#[test]
fn two_problems_are_reported_together_in_file_order() {
    let mut expected = one(
        5,
        18,
        "`api` depends on unknown service `wbe`",
        Some("did you mean `web`?"),
    );
    let hint = "e.g. `90s`, `1.5h`, `1h30m`, or a number of seconds";
    expected.extend(one(10, 17, "invalid duration `soon`", Some(hint)));
    assert_eq!(problems("two_problems"), expected);
}

#[test]
fn unknown_values_suggest_the_nearest() {
    let mut expected = one(
        9,
        11,
        "unknown condition `healty`",
        Some("did you mean `healthy`?"),
    );
    expected.extend(one(
        11,
        15,
        "unknown restart policy `on_failure`",
        Some("did you mean `on-failure`?"),
    ));
    expected.extend(one(
        12,
        13,
        "unknown `then` action `alrt`",
        Some("did you mean `alert`?"),
    ));
    assert_eq!(problems("unknown_values"), expected);
}

#[test]
fn display_is_one_problem_per_line_with_a_snippet_and_key_path_each() {
    let err = load_str(
        "workspace: demo\nservices:\n  api:\n    command: ./api\n    depends_on: [wbe]\n  web:\n    command: ./web\n    stop: { timeout: soon }\n",
        Path::new("univers.yaml"),
        Path::new("/tmp"),
    )
    .expect_err("invalid");
    let hint = "e.g. `90s`, `1.5h`, `1h30m`, or a number of seconds";
    assert_eq!(
        err.to_string(),
        format!(
            "univers.yaml:5:18: `api` depends on unknown service `wbe` (did you mean `web`?) \
             [at services.api.depends_on[0]]\n \
             5 |     depends_on: [wbe]\n   |                  ^\n\
             univers.yaml:8:22: invalid duration `soon` ({hint}) [at services.web.stop.timeout]\n \
             8 |     stop: {{ timeout: soon }}\n   |                      ^"
        )
    );
}

#[test]
fn missing_file_is_an_io_error() {
    let err = load_file(Path::new("/nonexistent/univers.yaml")).expect_err("missing");
    assert!(matches!(err, ConfigError::Io { .. }));
    assert!(
        err.to_string()
            .starts_with("cannot read /nonexistent/univers.yaml: ")
    );
}

#[test]
fn finds_the_workspace_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(find_workspace_file(dir.path()), None);
    let path = dir.path().join("univers.yaml");
    std::fs::write(&path, "workspace: t\n").expect("write");
    assert_eq!(find_workspace_file(dir.path()), Some(path));
}

#[test]
fn relative_dirs_become_absolute() {
    let ws = load_str(
        "workspace: t\nservices:\n  a:\n    command: x\n    cwd: ./sub\n",
        Path::new("u.yaml"),
        Path::new(""),
    )
    .expect("valid");
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(ws.dir, cwd);
    assert_eq!(ws.services[0].cwd, cwd.join("sub"));
}

fn assert_dependencies_satisfiable(ws: &Workspace) {
    for service in &ws.services {
        for dep in &service.depends_on {
            let target = ws.service(&dep.service).expect("dependency exists");
            if dep.condition == Condition::Healthy {
                assert!(
                    target.readiness.is_some(),
                    "{} has no health check",
                    target.name
                );
            }
        }
    }
}

#[test]
fn demo_loads_and_its_dependencies_are_satisfiable() {
    let ws =
        load_str(DEMO_YAML, Path::new("univers.yaml"), Path::new("/tmp")).expect("demo is valid");
    assert_dependencies_satisfiable(&ws);
    let demo = demo_workspace(Path::new("/run/uc/demo")).expect("demo");
    assert_eq!(demo.name, "demo");
    assert_eq!(demo.file, None);
    assert!(
        demo.services
            .iter()
            .all(|s| s.cwd == Path::new("/run/uc/demo"))
    );
    let names: Vec<&str> = demo.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "pinger", "ticker", "worker"]);
    let web = demo.service("web").expect("web");
    assert!(matches!(
        web.readiness.as_ref().map(|h| &h.probe),
        Some(Probe::Exec(_))
    ));
    assert_eq!(web.tags, ["frontend"]);
    let pinger = demo.service("pinger").expect("pinger");
    assert_eq!(pinger.depends_on[0].service, "web");
    assert_eq!(pinger.depends_on[0].condition, Condition::Healthy);
    assert_eq!(
        demo.service("worker").map(|w| w.restart.policy),
        Some(RestartPolicy::OnFailure)
    );
    // A backoff, so its healing shows: crash-looping with a countdown, ServiceDown.
    let five = Duration::from_secs(5);
    assert_eq!(
        demo.service("worker").and_then(|w| w.restart.backoff),
        Some((five, five))
    );
    // Only what a fresh Debian machine has.
    assert!(demo.services.iter().all(|s| !s.command.contains("curl")));
}

#[test]
fn imports_a_procfile() {
    let yaml = import_file(&fixture("import/Procfile"), "shop").expect("imported");
    insta::assert_snapshot!(yaml);
    let ws = load_str(&yaml, Path::new("univers.yaml"), Path::new("/tmp")).expect("loads");
    let names: Vec<&str> = ws.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "worker", "assets"]);
    assert_eq!(ws.services[0].env["PORT"], "5000");
    assert_eq!(ws.services[2].env["PORT"], "5200");
}

#[test]
fn imports_process_compose() {
    let yaml = import_file(&fixture("import/process-compose.yaml"), "shop").expect("imported");
    insta::assert_snapshot!(yaml);
    assert!(yaml.contains("# not imported: processes.api.log_location\n"));
    let ws = load_str(&yaml, Path::new("univers.yaml"), Path::new("/tmp")).expect("loads");
    let names: Vec<&str> = ws.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["db", "migrate", "api", "frontend-dev", "redis"]);
    assert_dependencies_satisfiable(&ws);

    let db = ws.service("db").expect("db");
    assert_eq!(
        (db.stop.signal, db.stop.timeout),
        (Signal::SIGINT, Duration::from_secs(20))
    );
    let health = db.readiness.as_ref().expect("db health");
    assert_eq!(health.probe, Probe::Exec("pg_isready -h 127.0.0.1".into()));
    assert_eq!(
        (health.interval, health.timeout, health.failure_threshold),
        (Duration::from_secs(5), Duration::from_secs(3), 10)
    );
    assert_eq!(health.initial_delay, Duration::from_secs(2));

    let api = ws.service("api").expect("api");
    assert_eq!(api.env["LOG_LEVEL"], "debug");
    assert_eq!(api.env["PORT"], "8080");
    assert_eq!(api.restart.policy, RestartPolicy::OnFailure);
    assert_eq!(
        api.restart.backoff,
        Some((Duration::from_secs(2), Duration::from_secs(2)))
    );
    let probe = api.readiness.as_ref().map(|h| &h.probe);
    assert_eq!(
        probe,
        Some(&Probe::Http(http_probe("http://127.0.0.1:8080/health")))
    );
    let deps: Vec<_> = api
        .depends_on
        .iter()
        .map(|d| (d.service.as_str(), d.condition))
        .collect();
    assert_eq!(
        deps,
        [
            ("db", Condition::Healthy),
            ("migrate", Condition::Completed)
        ]
    );
}

#[test]
fn alerts_files_must_exist_and_keys_are_checked() {
    let found = problems("bad_alerts");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (6, 10));
    assert!(found[0].2.starts_with("no such file: "));
    let (line, column, message, hint) = &found[1];
    assert_eq!((*line, *column), (7, 3));
    assert_eq!(message, "unknown field `chanels`");
    assert_eq!(hint.as_deref(), Some("did you mean `channels`?"));

    let dir = tempfile::tempdir().unwrap();
    let text = "workspace: demo\nservices: {}\nalerts:\n  rules: no-such-rules.yaml\n";
    let err = load_str(text, &dir.path().join("univers.yaml"), dir.path()).unwrap_err();
    let problem = &err.problems()[0];
    assert_eq!((problem.line, problem.column), (4, 10));
    assert!(
        problem.message.starts_with("no such file: "),
        "{}",
        problem.message
    );
}

fn http_probe(url: &str) -> univers_container::config::HttpProbe {
    univers_container::config::HttpProbe {
        url: url.to_owned(),
        status: (200, 399),
        body: None,
    }
}
