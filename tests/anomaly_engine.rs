//! Anomaly detection through the real engine: a real service that idles, then spins once a
//! file appears; the engine's detector flags its CPU, its chart in the TUI is marked, a rule
//! using `anomaly()` fires, and the flagged stretch is in the metric history.

mod common;

use std::time::{Duration, Instant};

use common::cli::{Env, Screen};
use serde_json::Value;

/// Idles (one short `sleep` a second) until `go` exists, then burns a core.
const SPINNER: &str =
    "  spinner:\n    command: while [ ! -e go ]; do sleep 1; done; while :; do :; done\n";

/// Four samples a second, so the detector's 60-sample warm-up takes 15 s.
const SETTINGS: &str = "metrics: { interval: 250ms }\nalerts: { rules: rules.yaml }\n";

const RULES: &str = "rules:\n  - name: SpinnerCpuAnomaly\n    expr: anomaly(service_cpu, 5m, service=spinner) > 0\n";

fn alerts(env: &Env) -> Vec<Value> {
    let out = env.ok(&["alerts", "--json"]);
    serde_json::from_str::<Value>(&out)
        .expect("alerts json")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "no {what} after {timeout:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One-second buckets of the spinner's CPU over the last minute that hold samples.
fn cpu_seconds_sampled(env: &Env) -> usize {
    let out = env.ok(&["metrics", "spinner", "--since", "1m", "--json"]);
    let report: Value = serde_json::from_str(&out).expect("metrics json");
    report["history"]["series"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["key"]["metric"] == "service_cpu")
        .and_then(|s| s["points"].as_array())
        .map_or(0, Vec::len)
}

#[test]
fn a_service_whose_cpu_jumps_is_marked_on_its_graph_fires_a_rule_and_is_kept() {
    let env = Env::with_settings(SPINNER, SETTINGS);
    std::fs::write(env.dir.join("rules.yaml"), RULES).expect("rules");
    env.ok(&["up"]);

    // 20 full seconds at 4 samples a second are more than the 60 samples of warm-up.
    wait_for("warm-up", Duration::from_secs(60), || {
        cpu_seconds_sampled(&env) >= 21
    });
    let idle = alerts(&env);
    assert!(
        idle.iter().all(|a| a["rule"] != "SpinnerCpuAnomaly"),
        "an idle service is not anomalous: {idle:#?}"
    );
    // The TUI, on the spinner's graphs: nothing marked yet.
    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "{} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    let graphs = screen.wait("the spinner's graphs", Duration::from_secs(30), |t| {
        t.contains("spinner · cpu")
    });
    assert!(!graphs.contains("anomalous"), "{graphs}");

    std::fs::write(env.dir.join("go"), "").expect("go");
    screen.wait(
        "the CPU chart marked anomalous",
        Duration::from_secs(30),
        |t| {
            t.lines()
                .any(|l| l.contains("spinner · cpu") && l.contains("anomalous"))
        },
    );
    wait_for("firing SpinnerCpuAnomaly", Duration::from_secs(30), || {
        alerts(&env)
            .iter()
            .any(|a| a["rule"] == "SpinnerCpuAnomaly" && a["state"] == "firing")
    });
    let firing = alerts(&env)
        .into_iter()
        .find(|a| a["rule"] == "SpinnerCpuAnomaly")
        .expect("alert");
    assert_eq!(firing["labels"]["service"], "spinner", "{firing:#?}");
    assert_eq!(firing["value"], 1.0, "{firing:#?}");

    // Stored with the history: the sample that fired the rule was kept before it was sent,
    // so the flagged stretch is in the engine's memory (1m) and in the history file (2h).
    for since in ["1m", "2h"] {
        let spans = cpu_anomalies(&env, since);
        assert_eq!(spans.len(), 1, "{since}: {spans:#?}");
        let (from, to) = (spans[0]["from"].as_f64(), spans[0]["to"].as_f64());
        assert!(
            from.zip(to).is_some_and(|(f, t)| f <= t),
            "{since}: {spans:#?}"
        );
    }
}

/// The flagged stretches of the spinner's CPU the history answers with over `since`.
fn cpu_anomalies(env: &Env, since: &str) -> Vec<Value> {
    let out = env.ok(&["metrics", "spinner", "--since", since, "--json"]);
    let report: Value = serde_json::from_str(&out).expect("metrics json");
    report["history"]["series"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["key"]["metric"] == "service_cpu")
        .and_then(|s| s["anomalies"].as_array().cloned())
        .unwrap_or_default()
}
