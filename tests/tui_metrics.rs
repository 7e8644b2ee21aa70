//! Metrics in the TUI: render snapshots of the services table's metrics columns, the selected
//! service's graphs and the host view from deterministic samples at a fixed clock, and
//! headless app tests of the time window, history requests and their answers.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use common::tui::{NOW, Tui, harness, service, workspace};
use univers_container::metrics::{
    DiskSample, HistoryQuery, HistoryResponse, HostSample, Metric, NetSample, Point, Sample,
    SeriesHistory, SeriesKey, ServiceSample,
};
use univers_container::protocol::{
    Event, Health, NoticeLevel, ServiceState, ServiceStatus, Snapshot,
};
use univers_container::tui::graphs::TimeWindow;
use univers_container::tui::state::Pane;
use univers_container::tui::{Request, Update};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// Four services: two running, one exited (its last sample must not show), one stopped.
fn fixture() -> Snapshot {
    Snapshot {
        config_file: None,
        services: vec![
            ServiceStatus {
                pid: Some(4242),
                started_at: Some(NOW - 7_500_000),
                health: Some(Health::Healthy),
                tags: vec!["data".into()],
                ..service("db", ServiceState::Running)
            },
            ServiceStatus {
                pid: Some(4310),
                started_at: Some(NOW - 192_000),
                health: Some(Health::Healthy),
                tags: vec!["backend".into()],
                ..service("api", ServiceState::Running)
            },
            ServiceStatus {
                exit_code: Some(1),
                ..service("worker", ServiceState::Exited)
            },
            service("cache", ServiceState::Stopped),
        ],
        seq: 1,
        ..workspace()
    }
}

/// Sample `i` of `n`, the last one at `NOW`, one a second; every value a smooth formula.
fn sample(i: usize, n: usize) -> Sample {
    let x = i as f64;
    let wave = |period: f64, phase: f64| (x / period + phase).sin();
    let at = NOW - (n - 1 - i) as u64 * 1000;
    Sample {
        at,
        anomalies: Vec::new(),
        host: HostSample {
            cpu_pct: (35.0 + 25.0 * wave(30.0, 0.0)) as f32,
            cores: (0..4)
                .map(|k| (50.0 + 40.0 * wave(8.0 + 4.0 * f64::from(k), f64::from(k))) as f32)
                .collect(),
            load: [1.25, 0.9, 0.6],
            mem_used: ((6.0 + wave(100.0, 0.0)) * GIB) as u64,
            mem_total: (16.0 * GIB) as u64,
            swap_used: (256.0 * MIB + x * 100_000.0) as u64,
            swap_total: (2.0 * GIB) as u64,
            disks: vec![
                DiskSample {
                    mount: "/".into(),
                    used: (120.0 * GIB) as u64,
                    total: (256.0 * GIB) as u64,
                    read_bps: 1.5 * MIB * (1.0 + wave(5.0, 0.0)),
                    write_bps: 300_000.0,
                    ..DiskSample::default()
                },
                DiskSample {
                    mount: "/home".into(),
                    used: (470.0 * GIB) as u64,
                    total: (500.0 * GIB) as u64,
                    ..DiskSample::default()
                },
            ],
            nets: vec![
                NetSample {
                    iface: "eth0".into(),
                    rx_bps: 1.2 * MIB * (1.0 + wave(7.0, 0.0)),
                    tx_bps: 300_000.0 * (1.0 + wave(11.0, 1.0)),
                    ..NetSample::default()
                },
                NetSample {
                    iface: "lo".into(),
                    rx_bps: 2048.0,
                    tx_bps: 2048.0,
                    ..NetSample::default()
                },
            ],
        },
        services: vec![
            ServiceSample {
                name: "db".into(),
                cpu_pct: (3.0 + 2.0 * wave(10.0, 0.0)) as f32,
                rss: ((180.0 + 10.0 * wave(60.0, 0.0)) * MIB) as u64,
                threads: 12,
                fds: Some(40),
                procs: 1,
                ..ServiceSample::default()
            },
            ServiceSample {
                name: "api".into(),
                cpu_pct: (20.0 + 15.0 * wave(15.0, 0.0)) as f32,
                rss: ((45.0 + 5.0 * wave(50.0, 0.0)) * MIB) as u64,
                threads: 7,
                fds: Some(23),
                procs: 2,
                ..ServiceSample::default()
            },
            ServiceSample {
                name: "worker".into(),
                cpu_pct: 50.0,
                rss: (10.0 * MIB) as u64,
                ..ServiceSample::default()
            },
        ],
    }
}

fn key(metric: Metric, label: &str) -> SeriesKey {
    SeriesKey::new(metric, label)
}

/// A history answer for `keys` over the last `secs`, one point every `step` seconds.
fn history(tier: &str, keys: &[SeriesKey], secs: u64, step: u64) -> HistoryResponse {
    let now = NOW / 1000;
    HistoryResponse {
        tier: tier.into(),
        step,
        series: keys
            .iter()
            .map(|key| SeriesHistory {
                key: key.clone(),
                points: (0..secs / step)
                    .map(|j| {
                        let t = (now - secs + j * step) as f64;
                        let x = j as f64 / (secs / step) as f64 * std::f64::consts::TAU;
                        let avg = match key.metric {
                            Metric::ServiceRss => (40.0 + 20.0 * x.sin()) * MIB,
                            Metric::MemUsed => (6.0 + x.sin()) * GIB,
                            _ => 30.0 + 20.0 * x.sin(),
                        };
                        Point {
                            t,
                            avg,
                            min: avg,
                            max: avg,
                        }
                    })
                    .collect(),
                anomalies: Vec::new(),
            })
            .collect(),
    }
}

harness! {
    /// The shared harness with the metrics fixture.
    struct Harness;
}

impl Harness {
    /// The fixture, `samples` seconds of metrics, the clock at `NOW`.
    fn new(samples: usize) -> Self {
        let mut tui = Tui::new((120, 30), NOW);
        tui.snapshot(fixture());
        for i in 0..samples {
            tui.event(Event::Metrics(Box::new(sample(i, samples))));
        }
        Self(tui)
    }
}

fn query(keys: &[SeriesKey], since: u64) -> Request {
    Request::History(HistoryQuery {
        series: keys.to_vec(),
        since,
        step: None,
    })
}

fn service_keys(name: &str) -> [SeriesKey; 2] {
    [key(Metric::ServiceCpu, name), key(Metric::ServiceRss, name)]
}

fn host_keys() -> [SeriesKey; 3] {
    [
        key(Metric::HostCpu, ""),
        key(Metric::MemUsed, ""),
        key(Metric::SwapUsed, ""),
    ]
}

// ---- render snapshots -------------------------------------------------------------------

#[test]
fn snapshot_services_with_metrics() {
    let mut h = Harness::new(400);
    h.keys(&["j"]);
    insta::assert_snapshot!("metrics_services_120x30", h.resize(120, 30).screen());
    insta::assert_snapshot!("metrics_services_80x24", h.resize(80, 24).screen());
}

#[test]
fn snapshot_service_graphs_by_window() {
    let mut h = Harness::new(400);
    h.keys(&["j", "1"]);
    insta::assert_snapshot!("metrics_graphs_1m", h.resize(120, 30).screen());
    h.keys(&["2"]);
    insta::assert_snapshot!("metrics_graphs_5m", h.resize(120, 40).screen());
}

#[test]
fn snapshot_host_view() {
    let mut h = Harness::new(400);
    h.keys(&["m"]);
    insta::assert_snapshot!("metrics_host_120x40", h.resize(120, 40).screen());
    insta::assert_snapshot!("metrics_host_80x24", h.resize(80, 24).screen());
    insta::assert_snapshot!("metrics_host_200x50", h.resize(200, 50).screen());
}

#[test]
fn snapshot_host_view_before_the_first_sample() {
    let mut h = Harness::new(0);
    h.keys(&["m"]);
    insta::assert_snapshot!("metrics_host_waiting", h.resize(80, 24).screen());
}

#[test]
fn snapshot_one_hour_from_history() {
    let mut h = Harness::new(400);
    h.keys(&["j", "3"]);
    insta::assert_snapshot!("metrics_graphs_1h_loading", h.resize(120, 30).screen());
    let keys = service_keys("api");
    assert_eq!(h.sent(), [query(&keys, 3600)]);
    h.app
        .on_update(Update::History(Ok(history("1m", &keys, 3600, 60))));
    insta::assert_snapshot!("metrics_graphs_1h", h.resize(120, 30).screen());
}

// ---- headless app tests -----------------------------------------------------------------

#[test]
fn window_key_requests_history_for_long_windows_only() {
    let mut h = Harness::new(60);
    let keys = service_keys("db");
    assert_eq!(h.app.state().graphs.window(), TimeWindow::M5);
    h.keys(&["w"]);
    assert_eq!(h.app.state().graphs.window(), TimeWindow::H1);
    assert_eq!(h.sent(), [query(&keys, 3600)]);
    h.app
        .on_update(Update::History(Ok(history("1m", &keys, 3600, 60))));
    h.keys(&["w"]);
    assert_eq!(h.app.state().graphs.window(), TimeWindow::H24);
    assert_eq!(h.sent(), [query(&keys, 86_400)]);
    h.app
        .on_update(Update::History(Ok(history("1h", &keys, 86_400, 3600))));
    h.keys(&["w", "w"]);
    assert_eq!(h.app.state().graphs.window(), TimeWindow::M5);
    assert!(h.sent().is_empty(), "1m and 5m read memory");
    // Cached history is used again while fresh, and refreshed when stale.
    h.keys(&["3"]);
    assert!(h.sent().is_empty());
    h.app.on_tick(NOW + 31_000);
    assert_eq!(h.sent(), [query(&keys, 3600)]);
    h.app.on_tick(NOW + 32_000);
    assert!(h.sent().is_empty(), "one request at a time");
}

#[test]
fn a_history_request_waits_for_the_previous_answer() {
    let mut h = Harness::new(60);
    h.keys(&["3", "4"]);
    assert_eq!(h.sent(), [query(&service_keys("db"), 3600)]);
    h.app.on_update(Update::History(Ok(history(
        "1m",
        &service_keys("db"),
        3600,
        60,
    ))));
    assert_eq!(h.sent(), [query(&service_keys("db"), 86_400)]);
}

#[test]
fn switching_the_selection_requests_that_services_history() {
    let mut h = Harness::new(60);
    h.keys(&["3"]);
    let db = service_keys("db");
    assert_eq!(h.sent(), [query(&db, 3600)]);
    h.app
        .on_update(Update::History(Ok(history("1m", &db, 3600, 60))));
    h.keys(&["j"]);
    assert_eq!(h.sent(), [query(&service_keys("api"), 3600)]);
    // The host view asks for the host's series.
    h.app.on_update(Update::History(Ok(history(
        "1m",
        &service_keys("api"),
        3600,
        60,
    ))));
    h.keys(&["m"]);
    assert_eq!(h.sent(), [query(&host_keys(), 3600)]);
    // Back on db: cached, nothing to ask.
    h.app
        .on_update(Update::History(Ok(history("1m", &host_keys(), 3600, 60))));
    h.keys(&["esc", "k"]);
    assert!(h.sent().is_empty());
}

#[test]
fn history_errors_show_in_the_status_line() {
    let mut h = Harness::new(60);
    h.keys(&["3"]);
    h.sent();
    h.app
        .on_update(Update::History(Err("no such table: metrics_1m".into())));
    assert_eq!(h.status(), "metrics history: no such table: metrics_1m");
    assert_eq!(
        h.app.state().status.as_ref().unwrap().level,
        NoticeLevel::Error
    );
    let screen = h.resize(120, 30).screen();
    assert!(screen.contains("no history"), "{screen}");
    assert!(!screen.contains("loading"), "{screen}");
    // Not asked again at once.
    h.app.on_tick(NOW + 1000);
    assert!(h.sent().is_empty());
}

#[test]
fn metrics_events_update_the_columns() {
    let mut h = Harness::new(0);
    let row = |h: &mut Harness, name: &str| {
        h.resize(120, 24)
            .screen()
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap()
            .to_string()
    };
    assert!(row(&mut h, "api").contains("running"));
    assert!(!row(&mut h, "api").contains('%'));
    let mut latest = sample(0, 1);
    latest.services[1].cpu_pct = 99.0;
    latest.services[1].rss = (512.0 * MIB) as u64;
    h.app
        .on_update(Update::Event(Event::Metrics(Box::new(latest.clone()))));
    let api = row(&mut h, "api");
    assert!(api.contains("99.0%") && api.contains("512M"), "{api}");
    // Exited services show no metrics even when a sample still lists them.
    let worker = row(&mut h, "worker");
    assert!(!worker.contains("50.0%"), "{worker}");
    latest.at += 1000;
    latest.services[1].cpu_pct = 1.5;
    h.app
        .on_update(Update::Event(Event::Metrics(Box::new(latest))));
    assert!(row(&mut h, "api").contains("1.5%"));
}

#[test]
fn the_prefill_fills_memory() {
    let mut h = Harness::new(0);
    h.keys(&["j"]);
    let keys = [
        key(Metric::HostCpu, ""),
        key(Metric::ServiceCpu, "api"),
        key(Metric::ServiceRss, "api"),
    ];
    h.app
        .on_update(Update::History(Ok(history("memory", &keys, 600, 1))));
    let graphs = &h.app.state().graphs;
    for key in &keys {
        assert_eq!(graphs.recent().get(key).unwrap().len(), 600);
    }
    assert!(h.sent().is_empty());
    assert_eq!(h.status(), "");
    // The graphs draw it before the first sample arrives.
    let screen = h.resize(120, 30).screen();
    assert!(!screen.contains("no data yet"), "{screen}");
}

#[test]
fn view_keys_and_commands() {
    let mut h = Harness::new(10);
    h.keys(&["m"]);
    assert_eq!(h.app.state().pane, Pane::Host);
    let screen = h.resize(120, 30).screen();
    let footer = screen.lines().last().unwrap();
    assert!(footer.contains("esc services"), "{footer}");
    h.keys(&["esc"]);
    assert_eq!(h.app.state().pane, Pane::Services);
    h.keys(&["tab"]);
    assert_eq!(h.app.state().pane, Pane::Host);
    h.keys(&["tab"]);
    assert_eq!(h.app.state().pane, Pane::Logs);
    assert!(matches!(h.sent().as_slice(), [Request::Logs(_)]));
    h.keys(&["tab"]);
    assert_eq!(h.app.state().pane, Pane::Alerts);
    h.keys(&["tab"]);
    assert_eq!(h.app.state().pane, Pane::Services);
    h.command("host");
    assert_eq!(h.app.state().pane, Pane::Host);
    // Service keys do nothing in the host view; the filter goes back to the services.
    h.keys(&["s"]);
    assert!(h.sent().is_empty());
    h.keys(&["/"]);
    assert_eq!(h.app.state().pane, Pane::Services);
    h.keys(&["esc"]);
    h.command("window 1m");
    assert_eq!(h.app.state().graphs.window(), TimeWindow::M1);
    h.command("window 2h");
    assert_eq!(
        h.status(),
        "unknown time window `2h` (use 1m, 5m, 1h or 24h)"
    );
    h.command("window db");
    assert_eq!(h.sent(), [Request::ShowService("db".into())]);
    h.command("services");
    assert_eq!(h.app.state().pane, Pane::Services);
    h.keys(&["4"]);
    assert_eq!(h.app.state().graphs.window(), TimeWindow::H24);
    let screen = h.resize(160, 30).screen();
    let footer = screen.lines().last().unwrap();
    assert!(footer.contains("m host"), "{footer}");
    assert!(footer.contains("w time window"), "{footer}");
}

#[test]
fn help_lists_the_graph_keys() {
    let mut h = Harness::new(0);
    h.keys(&["?"]);
    let screen = h.resize(120, 300).screen();
    for text in [
        "Host view",
        "Back to the services",
        "Cycle the graphs' time window: 1m, 5m, 1h, 24h",
        ":window WINDOW",
        "The graphs' time window: 1m, 5m, 1h or 24h",
        ":host",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
}

#[test]
fn every_view_draws_at_every_size() {
    let views: [&[&str]; 6] = [&["1"], &["2"], &["3"], &["m"], &["m", "1"], &["m", "4"]];
    for samples in [0, 120] {
        for keys in views {
            let mut h = Harness::new(samples);
            h.keys(keys);
            for width in [1, 2, 8, 16, 30, 47, 60, 80, 133, 200] {
                for height in [1, 2, 5, 12, 24, 29, 30, 31, 50] {
                    h.resize(width, height).screen();
                }
            }
        }
    }
}
