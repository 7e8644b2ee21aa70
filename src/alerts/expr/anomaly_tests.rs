//! `anomaly(series, window)`: parsing, its errors, and its elements.

use std::time::Duration;

use super::*;
use crate::alerts::fixtures::readings;
use crate::alerts::readings::FixedReadings;
use crate::metrics::{Metric as SeriesMetric, SeriesKey};

fn parse(text: &str) -> Expr {
    Expr::parse(text).unwrap_or_else(|e| panic!("{text}: {e} at {}", e.offset))
}

fn parse_error(text: &str) -> (usize, String, Option<String>) {
    let err = Expr::parse(text).expect_err(text);
    (err.offset, err.message, err.hint)
}

/// The elements and their values, in the sample's order.
fn elements(text: &str, readings: &FixedReadings) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    parse(text).for_each(readings, &mut |label, value| {
        out.push((label.to_owned(), value));
    });
    out
}

fn flagged(series: &[(SeriesMetric, &str)]) -> FixedReadings {
    FixedReadings {
        anomalous: series
            .iter()
            .map(|(metric, label)| SeriesKey::new(*metric, *label))
            .collect(),
        ..readings(50.0)
    }
}

#[test]
fn every_series_of_the_metric_is_an_element_worth_1_when_flagged() {
    let r = flagged(&[(SeriesMetric::ServiceCpu, "api")]);
    let expr = parse("anomaly(service_cpu, 5m) > 0");
    assert_eq!(expr.series_label(), Some("service"));
    assert_eq!(
        elements("anomaly(service_cpu, 5m)", &r),
        [
            ("api".to_owned(), 1.0),
            ("web".to_owned(), 0.0),
            ("db".to_owned(), 0.0)
        ]
    );
    assert!(expr.holds(1.0) && !expr.holds(0.0));
    // The flagged series of another metric does not count.
    assert_eq!(
        elements("anomaly(service_rss)", &r)
            .iter()
            .map(|(_, v)| *v)
            .sum::<f64>(),
        0.0
    );
}

#[test]
fn host_series_have_one_element_and_cpu_reads_as_host_cpu() {
    let r = flagged(&[(SeriesMetric::HostCpu, ""), (SeriesMetric::CoreCpu, "1")]);
    for text in ["anomaly(cpu)", "anomaly(host_cpu, 1m)"] {
        assert_eq!(parse(text).series_label(), None);
        assert_eq!(elements(text, &r), [(String::new(), 1.0)], "{text}");
    }
    assert_eq!(
        elements("anomaly(mem_used, 1h)", &r),
        [(String::new(), 0.0)]
    );
    assert_eq!(
        elements("anomaly(core_cpu, 1m)", &r),
        [("0".to_owned(), 0.0), ("1".to_owned(), 1.0)]
    );
    assert_eq!(
        elements("anomaly(disk_write_bps)", &r),
        [("/".to_owned(), 0.0), ("/home".to_owned(), 0.0)]
    );
}

#[test]
fn a_named_label_narrows_the_series_and_names_the_service() {
    let r = flagged(&[(SeriesMetric::ServiceRss, "api")]);
    let text = "anomaly(service_rss, 10m, service=api)";
    assert_eq!(elements(text, &r), [("api".to_owned(), 1.0)]);
    assert_eq!(parse(text).services(), ["api"]);
    assert_eq!(
        elements("anomaly(service_rss, service=\"web\")", &r),
        [("web".to_owned(), 0.0)]
    );
    assert_eq!(
        elements("anomaly(core_cpu, core=1)", &r),
        [("1".to_owned(), 0.0)]
    );
}

#[test]
fn no_sample_no_elements() {
    let r = FixedReadings::default();
    assert!(elements("anomaly(service_cpu)", &r).is_empty());
    assert!(elements("anomaly(cpu)", &r).is_empty());
}

#[test]
fn errors_name_the_argument_and_show_the_usage() {
    let hint = |s: &str| Some(s.to_owned());
    assert_eq!(
        parse_error("anomaly() > 0"),
        (
            8,
            "missing arguments to `anomaly`".into(),
            hint("write e.g. `anomaly(service_cpu, 5m)`")
        )
    );
    assert_eq!(
        parse_error("anomaly(service_cpuu, 5m)"),
        (
            8,
            "`anomaly` does not watch `service_cpuu`".into(),
            hint("did you mean `service_cpu`?")
        )
    );
    let (at, message, hint_text) = parse_error("anomaly(mem_pct)");
    assert_eq!(
        (at, message.as_str()),
        (8, "`anomaly` does not watch `mem_pct`")
    );
    assert!(hint_text.is_some());
    let (at, message, hint_text) = parse_error("anomaly(\"api\")");
    assert_eq!(
        (at, message.as_str()),
        (8, "expected a metric series, found a string")
    );
    assert!(hint_text.is_some_and(|h| h.contains("service_cpu")), "hint");
    assert_eq!(
        parse_error("anomaly(cpu, 5m, service=api)"),
        (
            17,
            "`anomaly` takes no argument `service`".into(),
            hint("write e.g. `anomaly(service_cpu, 5m)`")
        )
    );
    assert_eq!(
        parse_error("anomaly(service_cpu, mount=\"/\")").1,
        "`anomaly` takes no argument `mount`"
    );
    assert_eq!(
        parse_error("anomaly(service_cpu, 0s)").1,
        "the duration must not be 0"
    );
    assert_eq!(parse_error("anomaly(service_cpu, 5m, 1m)").0, 25);
    assert_eq!(
        parse_error("anomaly > 0"),
        (
            0,
            "`anomaly` is a function".into(),
            hint("call it, e.g. `anomaly(service_cpu, 5m)`")
        )
    );
}

#[test]
fn the_window_defaults_to_five_minutes() {
    let expr = parse("anomaly(service_cpu)");
    assert!(matches!(
        expr.source,
        Source::Anomaly { window, .. } if window == Duration::from_secs(300)
    ));
}
