//! The Prometheus exposition: well-formed text a real parser reads, served by the engine on
//! a loopback TCP address.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::time::Duration;

use common::cli::Env;
use univers_container::metrics::{
    DiskSample, HostSample, NetSample, Sample, ServiceSample, prometheus,
};
use univers_container::protocol::{EngineInfo, Health, ServiceState, ServiceStatus, Snapshot};

fn snapshot() -> Snapshot {
    let mut api = ServiceStatus::new("api");
    api.state = ServiceState::Running;
    api.health = Some(Health::Healthy);
    api.restarts = 2;
    let mut worker = ServiceStatus::new("wor\"ker");
    worker.state = ServiceState::Exited;
    Snapshot {
        workspace: "shop".into(),
        environment: None,
        config_file: None,
        engine: EngineInfo {
            pid: 1,
            started_at: 0,
            version: "t".into(),
            tmux_socket: "s".into(),
            tmux_session: "s".into(),
        },
        services: vec![api, worker],
        metrics: Some(Sample {
            at: 1_000,
            anomalies: Vec::new(),
            host: HostSample {
                cpu_pct: 12.5,
                cores: vec![10.0, 15.0],
                load: [0.5, 0.25, 0.125],
                mem_used: 1 << 30,
                mem_total: 4 << 30,
                swap_used: 0,
                swap_total: 1 << 30,
                disks: vec![DiskSample {
                    mount: "/".into(),
                    used: 100,
                    total: 1000,
                    read_total: 5,
                    write_total: 6,
                    ..DiskSample::default()
                }],
                nets: vec![NetSample {
                    iface: "eth0".into(),
                    rx_total: 7,
                    tx_total: 8,
                    ..NetSample::default()
                }],
            },
            services: vec![ServiceSample {
                name: "api".into(),
                cpu_pct: 42.0,
                rss: 2048,
                threads: 3,
                fds: Some(9),
                procs: 2,
                cpu_seconds: 1.5,
            }],
        }),
        alerts: Vec::new(),
        silences: Vec::new(),
        alerting: Default::default(),
        config: Default::default(),
        storage: Default::default(),
        deploys: Vec::new(),
        quota: Default::default(),
        seq: 0,
    }
}

/// Parse with the `prometheus-parse` crate, after checking what it is lenient about: every
/// sample line is `name{labels} value`, every family has HELP and TYPE before its samples,
/// no series appears twice.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut typed = HashSet::new();
    let mut seen = HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().expect("name");
            let kind = parts.next().expect("kind");
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            assert!(typed.insert(name.to_string()), "TYPE twice: {line}");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("series value");
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let name = series.split('{').next().expect("name");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad name: {line}"
        );
        assert!(typed.contains(name), "sample before its TYPE: {line}");
        assert!(seen.insert(series.to_string()), "duplicate series: {line}");
    }
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("prometheus-parse reads it");
    assert_eq!(
        scrape.samples.len(),
        seen.len(),
        "the parser read every sample"
    );
    scrape
        .samples
        .into_iter()
        .map(|s| {
            let mut labels: Vec<String> =
                s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            labels.sort();
            let value = match s.value {
                prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Untyped(v) => v,
                other => panic!("unexpected value {other:?}"),
            };
            (format!("{}{{{}}}", s.metric, labels.join(",")), value)
        })
        .collect()
}

#[test]
fn exposition_is_well_formed_and_complete() {
    let text = prometheus::render(&snapshot());
    let samples = parse(&text);
    let get = |key: &str| {
        samples
            .get(key)
            .copied()
            .unwrap_or_else(|| panic!("{key} missing in\n{text}"))
    };
    assert_eq!(get("uc_service_up{service=api,workspace=shop}"), 1.0);
    // A quote in a service name arrives escaped; the parser reads the value back.
    let quoted: Vec<_> = samples
        .keys()
        .filter(|k| k.starts_with("uc_service_up{service=wor"))
        .collect();
    assert_eq!(quoted.len(), 1, "{quoted:?}");
    assert_eq!(samples[quoted[0]], 0.0);
    assert_eq!(get("uc_service_healthy{service=api,workspace=shop}"), 1.0);
    assert_eq!(
        get("uc_service_restarts_total{service=api,workspace=shop}"),
        2.0
    );
    assert_eq!(
        get("uc_service_cpu_percent{service=api,workspace=shop}"),
        42.0
    );
    assert_eq!(
        get("uc_service_memory_rss_bytes{service=api,workspace=shop}"),
        2048.0
    );
    assert_eq!(get("uc_service_open_fds{service=api,workspace=shop}"), 9.0);
    assert_eq!(get("uc_host_cpu_percent{workspace=shop}"), 12.5);
    assert_eq!(get("uc_host_core_cpu_percent{core=1,workspace=shop}"), 15.0);
    assert_eq!(get("uc_host_load{window=5m,workspace=shop}"), 0.25);
    assert_eq!(get("uc_disk_read_bytes_total{mount=/,workspace=shop}"), 5.0);
    assert_eq!(
        get("uc_network_transmit_bytes_total{interface=eth0,workspace=shop}"),
        8.0
    );
    if let Some(check) = promtool_check(&text) {
        assert!(check.0, "promtool check metrics:\n{}", check.1);
    }
}

/// `promtool check metrics` when Prometheus' own checker is installed (Debian: prometheus).
fn promtool_check(text: &str) -> Option<(bool, String)> {
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), report))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn scrape(port: u16) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let (head, body) = response.split_once("\r\n\r\n").expect("http response");
    (head.to_string(), body.to_string())
}

#[test]
fn the_engine_serves_metrics_on_loopback() {
    let port = free_port();
    let env = Env::with_settings(
        "  api:\n    command: \"exec sleep 3001\"\n",
        &format!("metrics:\n  interval: 200ms\n  listen: 127.0.0.1:{port}\n"),
    );
    env.ok(&["up"]);
    env.wait_status(Duration::from_secs(20), |s| {
        s["metrics"]["services"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["name"] == "api"))
    });
    let (head, body) = scrape(port);
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    assert!(
        head.to_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let samples = parse(&body);
    let ws = &env.workspace;
    assert_eq!(
        samples[&format!("uc_service_up{{service=api,workspace={ws}}}")],
        1.0
    );
    assert!(samples[&format!("uc_service_memory_rss_bytes{{service=api,workspace={ws}}}")] > 0.0);
    assert!(samples.keys().any(|k| k.starts_with("uc_host_cpu_percent")));
}
