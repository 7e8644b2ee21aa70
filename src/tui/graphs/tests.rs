use super::*;
use crate::metrics::{HostSample, Point, SeriesHistory, ServiceSample};

const T0: u64 = 1_700_000_000_000;

fn sample(i: u64, cpu: f32) -> Sample {
    Sample {
        at: T0 + i * 1000,
        anomalies: Vec::new(),
        host: HostSample {
            cpu_pct: cpu,
            cores: vec![cpu, 100.0 - cpu],
            mem_used: 4 << 30,
            mem_total: 16 << 30,
            ..HostSample::default()
        },
        services: vec![ServiceSample {
            name: "api".into(),
            cpu_pct: cpu,
            rss: 45 << 20,
            threads: 7,
            fds: Some(23),
            ..ServiceSample::default()
        }],
    }
}

fn key(metric: Metric, label: &str) -> SeriesKey {
    SeriesKey::new(metric, label)
}

fn response(tier: &str, key: SeriesKey, ts: &[f64]) -> HistoryResponse {
    HistoryResponse {
        tier: tier.into(),
        step: 1,
        series: vec![SeriesHistory {
            key,
            points: ts
                .iter()
                .map(|&t| Point {
                    t,
                    avg: t,
                    min: t,
                    max: t,
                })
                .collect(),
            anomalies: Vec::new(),
        }],
    }
}

#[test]
fn windows_parse_and_cycle() {
    for w in TimeWindow::ALL {
        assert_eq!(TimeWindow::parse(w.label()), Some(w));
        assert_eq!(w.ago(), format!("-{}", w.label()));
    }
    assert_eq!(TimeWindow::parse(" 1D "), Some(TimeWindow::H24));
    assert_eq!(TimeWindow::parse("2h"), None);
    assert_eq!(TimeWindow::default().next(), TimeWindow::H1);
    assert_eq!(TimeWindow::H24.next(), TimeWindow::M1);
}

#[test]
fn nice_numbers_and_axes() {
    assert_eq!(nice_ceil(0.0), 1.0);
    assert_eq!(nice_ceil(7.0), 8.0);
    assert_eq!(nice_ceil(21.0), 25.0);
    assert_eq!(nice_ceil(100.0), 100.0);
    assert_eq!(nice_ceil(101.0), 120.0);
    assert_eq!(nice_ceil(850.0), 1000.0);
    assert_eq!(bytes_axis(45.6 * 1024.0 * 1024.0).label, "50M");
    assert_eq!(bytes_axis(1100.0 * 1024.0 * 1024.0).label, "1.2G");
    assert_eq!(bytes_axis(2.1 * 1024.0 * 1024.0 * 1024.0).label, "2.5G");
    assert_eq!(percent_axis(25.0).label, "25%");
}

#[test]
fn sparklines_scale_to_their_max_with_a_floor() {
    let points: Vec<(f64, f64)> = (0..100)
        .map(|i| (f64::from(i), f64::from(i % 10)))
        .collect();
    let line = spark(&points, 1.0);
    assert_eq!(line.chars().count(), SPARK_POINTS);
    assert!(line.ends_with('█'), "{line}");
    assert_eq!(spark(&[(0.0, 0.1), (1.0, 0.2)], 5.0), "▁▁");
    assert_eq!(spark(&[], 5.0), "");
}

#[test]
fn samples_feed_memory_and_rows() {
    let mut g = Graphs::default();
    for i in 0..10 {
        g.push(&sample(i, i as f32 * 10.0));
    }
    g.push(&sample(5, 0.0)); // from the past: ignored
    g.derive(None, None);
    assert!(g.row("api").is_none());
    let last = sample(9, 90.0);
    g.derive(Some(&last), Some("api"));
    let row = g.row("api").unwrap();
    assert_eq!((row.cpu.as_str(), row.rss.as_str()), ("90.0%", "45.0M"));
    assert_eq!(row.spark.chars().count(), 10);
    let s = g.selected().unwrap();
    assert_eq!(s.cpu_title, "cpu 90.0%");
    assert_eq!(s.rss_title, "rss 45.0M · 7 threads · 23 fds");
    assert_eq!(s.cpu_axis.label, "100%");
    assert_eq!(s.rss_axis.label, "50M");
    let now = last.t();
    let cpu = s.cpu_key.clone();
    assert_eq!(g.series(&cpu, now).live.len(), 10);
    g.set_window(TimeWindow::M1);
    assert_eq!(g.series(&cpu, now + 55.0).live.len(), 6);
    let host = g.host();
    assert_eq!(host.cores.len(), 2);
    assert_eq!(host.mem_title, "mem 4.0G/16.0G");
    assert_eq!(host.swap_title, None);
}

#[test]
fn prefill_merges_with_points_already_in_memory() {
    let mut g = Graphs::default();
    g.push(&sample(5, 50.0));
    g.push(&sample(6, 60.0));
    let cpu = key(Metric::HostCpu, "");
    let t = |i: u64| (T0 + i * 1000) as f64 / 1000.0;
    let prefill = response("memory", cpu.clone(), &[t(3), t(4), t(5), t(7)]);
    assert_eq!(g.on_history(Ok(prefill), 0), None);
    let points: Vec<f64> = g
        .recent()
        .get(&cpu)
        .unwrap()
        .as_slice()
        .iter()
        .map(|p| p.0)
        .collect();
    assert_eq!(points, [t(3), t(4), t(5), t(6), t(7)]);
    // Memory keeps the value it had for t(5).
    assert_eq!(g.recent().get(&cpu).unwrap().as_slice()[2].1, 50.0);
    // Series only in memory survive.
    assert!(g.recent().get(&key(Metric::ServiceCpu, "api")).is_some());
}

#[test]
fn history_is_requested_cached_refreshed_and_matched() {
    let mut g = Graphs::default();
    let cpu = key(Metric::ServiceCpu, "api");
    let shown = [cpu.clone()];
    assert_eq!(g.next_query(&shown, T0), None, "5m reads memory");
    g.set_window(TimeWindow::H1);
    let query = g.next_query(&shown, T0).unwrap();
    assert_eq!(query.since, 3600);
    assert_eq!(query.series, shown);
    assert!(g.series(&cpu, 0.0).loading);
    assert_eq!(
        g.next_query(&shown, T0 + 1000),
        None,
        "one request at a time"
    );
    // The prefill arriving meanwhile is not the answer.
    let prefill = HistoryResponse {
        tier: "memory".into(),
        step: 1,
        series: vec![],
    };
    g.on_history(Ok(prefill), T0);
    assert!(g.is_loading());
    g.on_history(Ok(response("1m", cpu.clone(), &[10.0, 20.0])), T0 + 500);
    assert!(!g.is_loading());
    let series = g.series(&cpu, 3000.0);
    assert_eq!(series.history, &[(10.0, 10.0), (20.0, 20.0)]);
    assert!(!series.loading);
    assert_eq!(g.next_query(&shown, T0 + 10_000), None, "fresh");
    assert!(
        g.next_query(&shown, T0 + 31_000).is_some(),
        "stale after 30 s"
    );
    // Errors are returned for the status line and stop the loading state.
    assert_eq!(
        g.on_history(Err("no store".into()), T0 + 32_000),
        Some("no store".into())
    );
    assert_eq!(g.series(&cpu, 3000.0).history.len(), 2, "old points kept");
    let other = [key(Metric::ServiceCpu, "db")];
    g.next_query(&other, T0 + 33_000).unwrap();
    g.on_history(Err("down".into()), T0 + 33_000);
    let failed = g.series(&other[0], 3000.0);
    assert!(failed.failed && !failed.loading);
    // A lost answer does not block forever.
    g.set_window(TimeWindow::H24);
    assert!(g.next_query(&shown, T0 + 40_000).is_some());
    assert!(g.next_query(&shown, T0 + 50_000).is_none());
    assert!(g.next_query(&shown, T0 + 61_000).is_some());
}

#[test]
fn long_windows_draw_history_then_the_live_tail() {
    let mut g = Graphs::default();
    for i in 0..10 {
        g.push(&sample(i, 1.0));
    }
    let cpu = key(Metric::ServiceCpu, "api");
    g.set_window(TimeWindow::H1);
    g.next_query(std::slice::from_ref(&cpu), T0).unwrap();
    let t = |i: u64| (T0 + i * 1000) as f64 / 1000.0;
    g.on_history(Ok(response("raw", cpu.clone(), &[t(0) - 600.0, t(4)])), T0);
    let series = g.series(&cpu, t(9));
    assert_eq!(series.history.len(), 2);
    assert_eq!(series.live.first().map(|p| p.0), Some(t(5)));
    assert_eq!(series.live.len(), 5);
}

#[test]
fn one_thread_and_one_fd_are_singular() {
    let mut g = Graphs::default();
    let mut single = sample(0, 1.0);
    single.services[0].threads = 1;
    single.services[0].fds = Some(1);
    g.push(&single);
    g.derive(Some(&single), Some("api"));
    assert_eq!(
        g.selected().unwrap().rss_title,
        "rss 45.0M · 1 thread · 1 fd"
    );
}
