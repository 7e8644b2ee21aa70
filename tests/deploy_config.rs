//! `deploy:` in univers.yaml: defaults, the gate's check (its own or the readiness probe),
//! the release directory the service runs in, and every mistake at file:line:col.

use std::path::{Path, PathBuf};
use std::time::Duration;

use univers_container::config::{HttpProbe, Probe, Strategy, load_file, load_str};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

const FULL: &str = "\
workspace: shop
services:
  api:
    command: python3 app.py
    cwd: web
    readiness: { http: http://127.0.0.1:8080/up }
    deploy:
      repo: ../api.git
  worker:
    command: ./worker
    deploy:
      repo: https://example.com/worker.git
      branch: release
      build: make
      keep: 3
      gate: { passes: 2, interval: 200ms, timeout: 5s, tcp: 127.0.0.1:9000 }
      soak: 10s
      strategy: restart
";

#[test]
fn defaults_and_the_readiness_probe_make_the_gate() {
    let ws = load_str(FULL, Path::new("/ws/univers.yaml"), Path::new("/ws")).expect("valid");
    let api = ws.service("api").expect("api");
    let deploy = api.deploy.as_ref().expect("deploy");
    assert_eq!(deploy.repo, "/ws/../api.git");
    assert_eq!(deploy.branch, "main");
    assert_eq!((deploy.keep, deploy.soak), (5, Duration::ZERO));
    assert_eq!(deploy.strategy, Strategy::Restart);
    assert_eq!(deploy.build, None);
    let up = Probe::Http(HttpProbe {
        url: "http://127.0.0.1:8080/up".into(),
        status: (200, 399),
        body: None,
    });
    assert_eq!(deploy.gate.probe, up);
    assert_eq!(deploy.gate.passes, 3);
    assert_eq!(deploy.gate.interval, Duration::from_secs(1));
    assert_eq!(deploy.gate.timeout, Duration::from_secs(30));
    assert!(deploy.dir.ends_with("shop/deploys/api"), "{deploy:?}");
    assert_eq!(
        api.cwd,
        deploy.dir.join("current/web"),
        "runs in the release"
    );

    let worker = ws
        .service("worker")
        .and_then(|s| s.deploy.as_ref())
        .expect("worker");
    assert_eq!(worker.repo, "https://example.com/worker.git");
    assert_eq!(worker.branch, "release");
    assert_eq!(worker.build.as_deref(), Some("make"));
    assert_eq!((worker.keep, worker.soak), (3, Duration::from_secs(10)));
    assert_eq!(worker.gate.probe, Probe::Tcp("127.0.0.1:9000".into()));
    assert_eq!(worker.gate.passes, 2);
    assert_eq!(worker.gate.interval, Duration::from_millis(200));
}

#[test]
fn every_mistake_is_placed() {
    let path = fixture("config/invalid/bad_deploy.yaml");
    let err = load_file(&path).expect_err("invalid");
    let got: Vec<(u64, u64, String)> = err
        .problems()
        .iter()
        .map(|p| (p.line, p.column, p.message.clone()))
        .collect();
    let want = [
        (7, 15, "invalid git ref `--upload-pack=evil`"),
        (8, 13, "`keep` must be at least 2"),
        (9, 23, "`passes` must be at least 1"),
        (9, 32, "invalid health URL `ftp://x`"),
        (10, 13, "invalid duration `soon`"),
        (11, 17, "unknown deploy strategy `canary`"),
    ];
    let want: Vec<(u64, u64, String)> = want
        .iter()
        .map(|(l, c, m)| (*l, *c, (*m).to_owned()))
        .collect();
    assert_eq!(got, want, "{err}");
    let strategy = err
        .problems()
        .iter()
        .find(|p| p.message.contains("strategy"));
    let hint = strategy.and_then(|p| p.hint.as_deref());
    assert_eq!(
        hint,
        Some("write `strategy: restart` or `strategy: blue-green`")
    );
}

const TRIGGERS: &str = "\
workspace: shop
environments: [staging, prod]
services:
  api:
    command: python3 app.py
    deploy:
      repo: ../api.git
      poll: 1m
      rules:
        - { branch: main, environment: staging }
        - { tag: \"v*\", environment: prod }
      pipeline:
        - { environment: staging }
        - { environment: prod, approve: deployer, gate: { passes: 5, exec: ./check } }
";

#[test]
fn rules_poll_and_a_pipeline_with_an_approval_are_read() {
    let ws = load_str(TRIGGERS, Path::new("/ws/univers.yaml"), Path::new("/ws")).expect("valid");
    let deploy = ws
        .service("api")
        .and_then(|s| s.deploy.as_ref())
        .expect("deploy");
    assert_eq!(deploy.poll, Some(Duration::from_secs(60)));
    let rules: Vec<(&str, &str)> = (deploy.rules.iter())
        .map(|r| (r.pattern.as_str(), r.environment.as_str()))
        .collect();
    assert_eq!(
        rules,
        [("refs/heads/main", "staging"), ("refs/tags/v*", "prod")]
    );
    let [staging, prod] = deploy.pipeline.as_slice() else {
        panic!("{:?}", deploy.pipeline)
    };
    assert_eq!((staging.approve.as_deref(), &staging.gate), (None, &None));
    assert_eq!(prod.approve.as_deref(), Some("deployer"));
    let gate = prod.gate.as_ref().expect("prod's own gate");
    assert_eq!(
        (gate.passes, &gate.probe),
        (5, &Probe::Exec("./check".into()))
    );
}

#[test]
fn every_trigger_mistake_is_placed() {
    let err = load_file(&fixture("config/invalid/bad_triggers.yaml")).expect_err("invalid");
    let got: Vec<(u64, u64, String)> = err
        .problems()
        .iter()
        .map(|p| (p.line, p.column, p.message.clone()))
        .collect();
    let want = [
        (8, 13, "`poll` must be at least 5s"),
        (10, 40, "unknown environment `stagin`"),
        (11, 11, "a rule names a `branch` or a `tag`"),
        (12, 18, "invalid git ref `-xx`"),
        (
            15,
            41,
            "`approve` names a role that cannot deploy: `operator`",
        ),
    ];
    let want: Vec<(u64, u64, String)> = want
        .iter()
        .map(|(l, c, m)| (*l, *c, (*m).to_owned()))
        .collect();
    assert_eq!(got, want, "{err}");
    let hint = |needle: &str| {
        (err.problems().iter())
            .find(|p| p.message.contains(needle))
            .and_then(|p| p.hint.clone())
    };
    assert_eq!(hint("stagin").as_deref(), Some("did you mean `staging`?"));
}
