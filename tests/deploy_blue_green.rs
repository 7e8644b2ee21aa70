//! Blue-green deploys end to end: the real `uc` binary, its engine in tmux on a private
//! socket, the fixture app (python3's http.server) in a real git repository, a load
//! generator sending 200 requests/s through the built-in proxy. A deploy, a failed gate and
//! a rollback by hand lose no request and never go back and forth between releases; an
//! engine killed in the gate (the proxy had not moved) or in the drain (it had) is rolled
//! back or finished by the next one, which serves exactly one colour.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::cli::Env;
use common::deploy::{Repo, free_port, get};

const T: Duration = Duration::from_secs(30);
const RATE: u32 = 200;

/// The gate's check of the colour being deployed: the app answers on its own `$PORT`.
const SERVES: &str = "exec python3 -c 'import os, urllib.request; \
     urllib.request.urlopen(\"http://127.0.0.1:%s/up\" % os.environ[\"PORT\"])'\n";

struct Ports {
    listen: u16,
    blue: u16,
    green: u16,
}

/// `gate` is the gate's timeout.
fn workspace(repo: &Repo, ports: &Ports, drain: &str, gate: &str) -> Env {
    let services = format!(
        "  app:
    command: exec python3 app.py
    readiness: {{ http: http://127.0.0.1:{}/up }}
    deploy:
      repo: {}
      strategy: blue-green
      proxy: {{ listen: {}, ports: [{}, {}] }}
      drain: {drain}
      build: test ! -e build.sh || sh build.sh
      gate: {{ exec: sh gate.sh, passes: 2, interval: 100ms, timeout: {gate} }}
",
        ports.listen,
        repo.dir.display(),
        ports.listen,
        ports.blue,
        ports.green
    );
    Env::new(&services)
}

fn ports() -> Ports {
    Ports {
        listen: free_port(),
        blue: free_port(),
        green: free_port(),
    }
}

/// Requests at `RATE` per second through the proxy, from `WORKERS` threads each sending
/// one after the other on a fixed schedule (late ones go at once), until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    /// Answers received so far, all threads.
    done: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<Vec<Answer>>>,
    began: Instant,
}

const WORKERS: u32 = 4;

/// A status and body, or `None` when the request failed.
type Answer = Option<(u16, String)>;

/// What a load run saw: each thread's answers in order.
struct Seen {
    answers: Vec<Vec<Answer>>,
    took: Duration,
}

impl Load {
    fn start(port: u16) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let began = Instant::now();
        let every = Duration::from_secs(1) * WORKERS / RATE;
        let threads = (0..WORKERS)
            .map(|n| {
                let flag = stop.clone();
                let count = done.clone();
                std::thread::spawn(move || {
                    let mut answers = Vec::new();
                    let mut next = began + every * n / WORKERS;
                    while !flag.load(Ordering::Relaxed) {
                        if let Some(wait) = next.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        answers.push(get(port));
                        count.fetch_add(1, Ordering::Relaxed);
                        next += every;
                    }
                    answers
                })
            })
            .collect();
        Self {
            stop,
            done,
            threads,
            began,
        }
    }

    /// Stops once each thread has had time for two more requests: what was asked of the
    /// engine before is then in what the load saw.
    fn stop(self) -> Seen {
        let now = self.done.load(Ordering::Relaxed);
        let more = now + 2 * WORKERS as usize;
        let seen = common::eventually(T, || self.done.load(Ordering::Relaxed) >= more);
        assert!(seen, "the load stalled");
        self.stop.store(true, Ordering::Relaxed);
        let took = self.began.elapsed();
        let answers = (self.threads.into_iter())
            .map(|t| t.join().expect("load thread"))
            .collect();
        Seen { answers, took }
    }
}

impl Seen {
    fn all(&self) -> impl Iterator<Item = &Answer> {
        self.answers.iter().flatten()
    }

    fn failed(&self) -> usize {
        self.all().filter(|a| !matches!(a, Some((200, _)))).count()
    }

    /// The versions answered in order, each run of the same one once (`[v1, v2]` is a
    /// clean move). No thread saw a version come back, or an order another thread did not.
    fn versions(&self) -> Vec<String> {
        let runs: Vec<Vec<&str>> = (self.answers.iter())
            .map(|answers| {
                let mut run: Vec<&str> = (answers.iter().flatten())
                    .map(|(_, body)| body.as_str())
                    .collect();
                run.dedup();
                run
            })
            .collect();
        let longest = runs
            .iter()
            .max_by_key(|r| r.len())
            .cloned()
            .unwrap_or_default();
        for run in &runs {
            let mut rest = longest.iter();
            let ordered = run.iter().all(|v| rest.any(|l| l == v));
            assert!(ordered, "a thread saw {run:?}, another {longest:?}");
        }
        longest.into_iter().map(str::to_owned).collect()
    }

    fn rate(&self) -> f64 {
        self.all().count() as f64 / self.took.as_secs_f64()
    }
}

fn history(env: &Env) -> Vec<serde_json::Value> {
    let text = env.ok(&["deploy", "history", "--json"]);
    serde_json::from_str(&text).expect("history json")
}

fn state(env: &Env, service: &str) -> String {
    let status = env.status();
    Env::service(&status, service)["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// `running` runs and `stopped` does not, once the engine has acted.
fn only_runs(env: &Env, running: &str, stopped: &str) {
    env.wait_status(T, |status| {
        Env::service(status, running)["state"] == "running"
            && Env::service(status, stopped)["state"] != "running"
            && Env::service(status, stopped)["state"] != "stopping"
    });
}

#[test]
fn deploys_a_failed_gate_and_a_rollback_lose_no_request_at_200_per_second() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let ports = ports();
    let env = workspace(&repo, &ports, "10s", "5s");

    repo.commit("v1", "ok", SERVES);
    let out = env.ok(&["deploy", "app"]);
    assert!(out.contains("deployed"), "{out}");
    assert_eq!(get(ports.listen), Some((200, "v1".into())));
    // The first release went to the colour that did not serve: green.
    only_runs(&env, "app-green", "app");
    assert_eq!(get(ports.green), Some((200, "v1".into())));

    repo.commit("v2", "ok", SERVES);
    let load = Load::start(ports.listen);
    assert!(common::eventually(T, || history(&env).len() == 1));
    let out = env.ok(&["deploy", "app"]);
    let deploy = load.stop();
    assert!(out.contains("deployed"), "{out}");
    assert_eq!(deploy.failed(), 0, "{:?}", deploy.versions());
    assert_eq!(deploy.versions(), ["v1", "v2"]);
    only_runs(&env, "app", "app-green");
    let last = &history(&env)[0];
    let stages: Vec<&str> = (last["stages"].as_array().expect("stages").iter())
        .map(|s| s["stage"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(stages, ["fetch", "build", "switch", "gate", "drain"]);
    assert_eq!(last["colours"]["release"], "blue");
    assert_eq!(last["colours"]["serving"], "blue");

    repo.commit("v3", "500", "exit 1\n");
    let load = Load::start(ports.listen);
    let out = env.run(&["deploy", "app"]);
    let gate = load.stop();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && text.contains("rolled back"),
        "{text}"
    );
    assert_eq!(gate.failed(), 0);
    assert_eq!(gate.versions(), ["v2"], "the old release kept serving");
    only_runs(&env, "app", "app-green");
    let last = &history(&env)[0];
    assert_eq!(last["state"], "rolled_back");
    assert_eq!(last["colours"]["serving"], "blue");

    let load = Load::start(ports.listen);
    let out = env.ok(&["deploy", "rollback", "app"]);
    let rollback = load.stop();
    assert!(
        out.contains("deployed") || out.contains("succeeded"),
        "{out}"
    );
    assert_eq!(rollback.failed(), 0);
    assert_eq!(rollback.versions(), ["v2", "v1"]);
    only_runs(&env, "app-green", "app");
    let status = env.ok(&["deploy", "status"]);
    assert!(status.contains("[green serves]"), "{status}");
    // `uc up` starts the colour that serves, never the other.
    env.ok(&["down"]);
    env.ok(&["up"]);
    only_runs(&env, "app-green", "app");
    assert_eq!(state(&env, "app"), "stopped");
    let up = || get(ports.listen) == Some((200, "v1".into()));
    assert!(
        common::eventually(T, up),
        "v1 serves through a new engine's proxy"
    );
    for (what, seen) in [
        ("deploy", &deploy),
        ("failed gate", &gate),
        ("rollback", &rollback),
    ] {
        eprintln!(
            "FIGURE blue-green {what}: {} requests at {:.0} req/s, {} failed",
            seen.all().count(),
            seen.rate(),
            seen.failed()
        );
    }
    env.ok(&["down"]);
}

fn kill_engine(env: &Env) {
    let engine = env.status()["engine"]["pid"].as_u64().expect("engine pid") as i32;
    let pid = nix::unistd::Pid::from_raw(engine);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill -9");
    assert!(common::eventually(T, || !common::pid_alive(engine as u32)));
}

/// The stage the latest deploy is in, from the engine's snapshot.
fn running_stage(env: &Env) -> Option<String> {
    let text = env.ok(&["deploy", "status", "--json"]);
    let deploys: Vec<serde_json::Value> = serde_json::from_str(&text).expect("status json");
    let stages = deploys.first()?["stages"].as_array()?.clone();
    let running = stages.iter().rfind(|s| s["status"] == "running")?;
    running["stage"].as_str().map(str::to_owned)
}

/// Every answer of `n` in a row through the proxy is `version`.
fn serves_only(port: u16, version: &str, n: usize) -> bool {
    (0..n).all(|_| get(port) == Some((200, version.to_owned())))
}

#[test]
fn an_engine_killed_in_the_gate_or_the_drain_leaves_exactly_one_colour_serving() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let ports = ports();
    let env = workspace(&repo, &ports, "60s", "60s");
    repo.commit("v1", "ok", SERVES);
    env.ok(&["deploy", "app"]);
    only_runs(&env, "app-green", "app");

    // Killed in the build: no colour was touched; the next engine records it failed.
    let built = tmp.path().join("build-started");
    let go = tmp.path().join("build-go");
    let build = format!(
        "touch '{}'; while [ ! -e '{}' ]; do sleep 0.1; done\n",
        built.display(),
        go.display()
    );
    std::fs::write(repo.dir.join("build.sh"), build).expect("build.sh");
    repo.commit("v1b", "ok", SERVES);
    let mut deploying = (env.uc(&["deploy", "app"]))
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("deploy");
    assert!(common::eventually(T, || built.exists()), "the build ran");
    kill_engine(&env);
    assert!(!deploying.wait().expect("wait").success());
    std::fs::write(&go, "").expect("go");
    env.ok(&["up", "--no-wait"]);
    assert!(common::eventually(T, || history(&env)[0]["state"] == "failed"));
    let cause = history(&env)[0]["cause"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        cause.contains("during build") && cause.contains("not touched"),
        "{cause}"
    );
    only_runs(&env, "app-green", "app");
    assert!(serves_only(ports.listen, "v1", 20));
    repo.git(&["rm", "--quiet", "build.sh"]);

    // Killed in the gate: the proxy had not moved; the next engine rolls back.
    let marker = tmp.path().join("gate-started");
    let gate = format!("touch '{}'; exit 1\n", marker.display());
    repo.commit("v2", "ok", &gate);
    let mut deploying = env
        .uc(&["deploy", "app"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("deploy");
    assert!(common::eventually(T, || marker.exists()), "v2's gate ran");
    assert_eq!(state(&env, "app"), "running", "v2 runs in blue next to v1");
    kill_engine(&env);
    assert!(!deploying.wait().expect("wait").success());
    env.ok(&["up", "--no-wait"]);
    let rolled_back = common::eventually(T, || history(&env)[0]["state"] == "rolled_back");
    assert!(rolled_back, "{:#?}", history(&env)[0]);
    assert_eq!(history(&env)[0]["cause"], "the engine stopped during gate");
    only_runs(&env, "app-green", "app");
    assert!(serves_only(ports.listen, "v1", 20));

    // Killed in the drain: the proxy had moved; the next engine finishes the deploy.
    repo.commit("v3", "ok", SERVES);
    let held = std::thread::spawn(move || {
        let _ = std::net::TcpStream::connect(("127.0.0.1", ports.listen)).map(|mut s| {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /sleep/120 HTTP/1.0\r\n\r\n");
            let _ = s.read_to_end(&mut Vec::new());
        });
    });
    let mut deploying = env
        .uc(&["deploy", "app"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("deploy");
    let draining = common::eventually(T, || running_stage(&env).as_deref() == Some("drain"));
    assert!(draining, "the drain waits for the request held in green");
    assert!(
        serves_only(ports.listen, "v3", 5),
        "new requests go to blue"
    );
    kill_engine(&env);
    assert!(!deploying.wait().expect("wait").success());
    let _ = held.join();
    env.ok(&["up", "--no-wait"]);
    let finished = common::eventually(T, || history(&env)[0]["state"] == "succeeded");
    assert!(finished, "{:#?}", history(&env)[0]);
    only_runs(&env, "app", "app-green");
    assert!(serves_only(ports.listen, "v3", 20));
    env.ok(&["down"]);
}
