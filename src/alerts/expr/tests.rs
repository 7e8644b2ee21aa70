use std::time::Duration;

use super::*;
use crate::alerts::fixtures::readings;
use crate::alerts::readings::{FixedReadings, LogFilter};

fn parse(text: &str) -> Expr {
    Expr::parse(text).unwrap_or_else(|e| panic!("{text}: {e} at {}", e.offset))
}

fn parse_error(text: &str) -> (usize, String, Option<String>) {
    let err = Expr::parse(text).expect_err(text);
    (err.offset, err.message, err.hint)
}

/// The elements the expression yields and whether each holds, in order.
fn elements(text: &str, readings: &FixedReadings) -> Vec<(String, f64, bool)> {
    let expr = parse(text);
    let mut out = Vec::new();
    expr.for_each(readings, &mut |label, value| {
        out.push((label.to_owned(), value, expr.holds(value)));
    });
    out
}

fn holding(text: &str, readings: &FixedReadings) -> Vec<String> {
    let mut labels: Vec<String> = elements(text, readings)
        .into_iter()
        .filter(|(_, _, holds)| *holds)
        .map(|(label, _, _)| label)
        .collect();
    labels.sort();
    labels
}

#[test]
fn comparisons_and_units() {
    let expr = parse("  cpu >= 80 ");
    assert_eq!(expr.as_str(), "cpu >= 80");
    assert_eq!(
        expr.comparison(),
        Some(Comparison {
            op: Cmp::Ge,
            threshold: 80.0
        })
    );
    assert!(expr.holds(80.0) && !expr.holds(79.9));
    let threshold = |text: &str| parse(text).comparison().map(|c| c.threshold);
    assert_eq!(
        threshold("service_rss > 512Mi"),
        Some(512.0 * 1024.0 * 1024.0)
    );
    assert_eq!(threshold("net_rx_bps > 1.5M"), Some(1.5e6));
    assert_eq!(threshold("cpu > 80%"), Some(80.0));
    assert_eq!(threshold("load1>-1"), Some(-1.0));
    assert_eq!(threshold("load1 != 1e3"), Some(1000.0));
    for (text, op) in [
        ("<", Cmp::Lt),
        ("<=", Cmp::Le),
        ("==", Cmp::Eq),
        ("!=", Cmp::Ne),
    ] {
        assert_eq!(
            parse(&format!("cpu {text} 1")).comparison().map(|c| c.op),
            Some(op)
        );
    }
}

#[test]
fn no_comparison_means_not_zero() {
    let expr = parse("service_down");
    assert_eq!(expr.comparison(), None);
    assert!(expr.holds(1.0) && !expr.holds(0.0));
    assert_eq!(holding("service_down", &readings(10.0)), ["worker"]);
}

#[test]
fn host_metrics_have_one_unlabelled_element() {
    let r = readings(85.0);
    assert_eq!(elements("cpu > 80", &r), [(String::new(), 85.0, true)]);
    assert_eq!(elements("mem_pct", &r)[0].1, 75.0);
    assert_eq!(elements("load15", &r)[0].1, 2.5);
    assert_eq!(elements("swap_pct", &r)[0].1, 0.0);
    assert_eq!(elements("mem_used", &r)[0].1, f64::from(3u32 << 30));
    assert!(elements("cpu", &FixedReadings::default()).is_empty());
}

#[test]
fn labelled_metrics_yield_one_element_per_series() {
    let r = readings(10.0);
    assert_eq!(holding("core_cpu > 90", &r), ["1"]);
    assert_eq!(holding("disk_free_pct < 10", &r), ["/"]);
    assert_eq!(holding("disk_used_pct{mount!=\"/\"} > 1", &r), ["/home"]);
    assert_eq!(elements("disk_free{mount=\"/home\"}", &r)[0].1, 50.0);
    assert_eq!(elements("disk_write_bps{mount=~\"/h.*\"}", &r)[0].1, 2048.0);
    assert_eq!(holding("net_tx_bps{iface=eth0} > 100", &r), ["eth0"]);
    assert_eq!(holding("service_cpu > 50", &r), ["api", "db"]);
    assert_eq!(
        holding("service_cpu{service=~\"a.*|w.*\"} > 10", &r),
        ["api", "web"]
    );
    assert_eq!(
        holding("service_cpu{service!~\"a.*\"} > 10", &r),
        ["db", "web"]
    );
    // Regexes match whole values.
    assert!(holding("service_cpu{service=~\"ap\"}", &r).is_empty());
}

#[test]
fn service_states_cover_every_configured_service() {
    let r = readings(10.0);
    assert_eq!(holding("service_up == 0", &r), ["cron", "worker"]);
    assert_eq!(holding("service_healthy == 0", &r), ["db"]);
    assert_eq!(elements("service_healthy", &r).len(), 2);
    assert_eq!(holding("service_restarts > 3", &r), ["worker"]);
    assert_eq!(elements("service_threads", &r).len(), 3);
}

#[test]
fn functions_read_their_probe_or_log_count() {
    let mut r = readings(10.0);
    let port = parse("port_open(8080) == 0");
    let probe = port.probe().cloned().expect("a probe");
    assert_eq!(
        probe,
        ProbeTarget::Port {
            host: "127.0.0.1".to_owned(),
            port: 8080
        }
    );
    assert_eq!(port.series_label(), Some("instance"));
    // No reading yet: no element, so nothing can fire.
    assert!(elements("port_open(8080) == 0", &r).is_empty());
    r.probes.insert(probe, false);
    assert_eq!(
        elements("port_open(8080) == 0", &r),
        [("127.0.0.1:8080".to_owned(), 0.0, true)]
    );

    let logs = parse("log_rate(\"api\", level=error, 1m) > 5");
    let query = logs.log_query().cloned().expect("a query");
    assert_eq!(query.filter, LogFilter::Level("ERROR".to_owned()));
    assert!(elements("log_rate(api, level=ERROR) > 5", &r).is_empty());
    r.logs.insert(query, 7.0);
    assert_eq!(holding("log_rate(api, level=ERROR, 60s) > 5", &r), ["api"]);

    r.restarts.insert("worker".to_owned(), 4.0);
    assert_eq!(holding("restarts_in(10m) > 3", &r), ["worker"]);
    assert_eq!(elements("restarts_in(10m)", &r).len(), 5);
}

#[test]
fn function_arguments() {
    let probe = |text: &str| parse(text).probe().cloned().expect("probe");
    assert_eq!(
        probe("port_open(\"db.internal:5432\")"),
        ProbeTarget::Port {
            host: "db.internal".to_owned(),
            port: 5432
        }
    );
    assert_eq!(probe("port_open('[::1]:80')").to_string(), "[::1]:80");
    assert_eq!(
        probe("http_ok(\"http://127.0.0.1:8080/health\")"),
        ProbeTarget::Http {
            url: "http://127.0.0.1:8080/health".to_owned(),
            timeout: Duration::from_secs(2)
        }
    );
    assert!(matches!(
        probe("http_ok('https://example.com', 500ms)"),
        ProbeTarget::Http { timeout, .. } if timeout == Duration::from_millis(500)
    ));
    let query = |text: &str| parse(text).log_query().cloned().expect("query");
    let q = query("log_match(my-api, \"time(d)? out|\\d+ refused\", 5m)");
    assert_eq!(q.service, "my-api");
    assert_eq!(
        q.filter,
        LogFilter::Regex("time(d)? out|\\d+ refused".to_owned())
    );
    assert_eq!(q.window, Duration::from_secs(300));
    assert_eq!(query("log_match(api, 'x')").window, Duration::from_secs(60));
    assert_eq!(parse("log_rate(api, level=WARN)").services(), ["api"]);
    assert_eq!(parse("service_up{service=\"db\"}").services(), ["db"]);
}

#[test]
fn equal_text_means_equal_expressions() {
    assert_eq!(parse("cpu > 80"), parse(" cpu > 80"));
    assert_ne!(parse("cpu > 80"), parse("cpu > 81"));
    assert_eq!(parse("cpu > 80").to_string(), "cpu > 80");
}

#[test]
fn syntax_errors_point_at_the_token() {
    let hint = |s: &str| Some(s.to_owned());
    assert_eq!(
        parse_error("cpux > 80"),
        (
            0,
            "unknown metric `cpux`".into(),
            hint("did you mean `cpu`?")
        )
    );
    assert_eq!(
        parse_error("service_cpu{service=\"a\"} > 8O"),
        (
            27,
            "unknown unit `O`".into(),
            hint("units: k, M, G, T (powers of 1000), Ki, Mi, Gi, Ti (powers of 1024), %")
        )
    );
    assert_eq!(parse_error("").1, "empty expression");
    assert_eq!(
        parse_error("cpu >").1,
        "expected a number after `>`, found the end"
    );
    assert_eq!(
        parse_error("cpu = 80"),
        (
            4,
            "unexpected `=` after the expression".into(),
            hint("to compare, write `==`")
        )
    );
    assert_eq!(parse_error("cpu > 80 and mem_pct > 90").0, 9);
    assert_eq!(
        parse_error("cpu{service=\"x\"}"),
        (4, "`cpu` has no labels".into(), None)
    );
    assert_eq!(
        parse_error("disk_free_pct{mnt=\"/\"}"),
        (
            14,
            "`disk_free_pct` has no label `mnt`".into(),
            hint("its label is `mount`")
        )
    );
    assert_eq!(parse_error("service_up{service=~\"(\"}").0, 20);
    assert!(
        parse_error("service_up{service=~\"(\"}")
            .1
            .starts_with("invalid regex `(`: ")
    );
    assert_eq!(
        parse_error("cpu > 80 # x"),
        (9, "unexpected `#`".into(), None)
    );
    assert_eq!(parse_error("log_match(api, \"[\")").0, 15);
    assert_eq!(
        parse_error("service_up{service=\"x}").1,
        "unterminated string"
    );
}

#[test]
fn function_errors_name_the_function() {
    let hint = |s: &str| Some(s.to_owned());
    assert_eq!(
        parse_error("restarts_inn(10m) > 1"),
        (
            0,
            "unknown function `restarts_inn`".into(),
            hint("did you mean `restarts_in`?")
        )
    );
    assert_eq!(
        parse_error("restarts_in > 1").1,
        "`restarts_in` is a function"
    );
    assert_eq!(
        parse_error("cpu() > 1").1,
        "`cpu` is a metric, not a function"
    );
    assert_eq!(
        parse_error("restarts_in() > 1"),
        (
            12,
            "missing arguments to `restarts_in`".into(),
            hint("write e.g. `restarts_in(10m)`")
        )
    );
    assert_eq!(parse_error("restarts_in(10x)").1, "invalid duration `10x`");
    assert_eq!(
        parse_error("restarts_in(0s)").1,
        "the duration must not be 0"
    );
    assert_eq!(parse_error("restarts_in(1m, 2m)").0, 16);
    assert_eq!(parse_error("port_open(99999)").0, 10);
    assert_eq!(
        parse_error("http_ok(\"ftp://x\")").1,
        "expected an http:// or https:// URL, found a string"
    );
    assert_eq!(
        parse_error("log_rate(api, 1m)").1,
        "`log_rate` needs a level"
    );
    assert_eq!(
        parse_error("log_rate(api, level=EROR)"),
        (
            20,
            "unknown log level `EROR`".into(),
            hint("did you mean `ERROR`?")
        )
    );
    assert_eq!(
        parse_error("log_rate(api, lvl=ERROR)").1,
        "`log_rate` takes no argument `lvl`"
    );
    assert_eq!(
        parse_error("log_match(api, 5m)").1,
        "expected a quoted regex, found `5m`"
    );
    assert_eq!(
        parse_error("log_match(\"a b\", 'x')").1,
        "expected a service name, found a string"
    );
}

#[test]
fn flagged_log_patterns_are_elements_labelled_by_pattern() {
    let r = FixedReadings {
        log_patterns: vec![
            ("api [errors] db <*> refused".into(), 12.0),
            ("web [new] slow <*>".into(), 3.0),
        ],
        ..FixedReadings::default()
    };
    let expr = parse("log_pattern_flagged{pattern=~\"api.*\"}");
    assert_eq!(expr.series_label(), Some("pattern"));
    assert_eq!(
        elements("log_pattern_flagged{pattern=~\"api.*\"}", &r),
        [("api [errors] db <*> refused".to_owned(), 12.0, true)]
    );
    assert_eq!(holding("log_pattern_flagged > 5", &r).len(), 1);
}

#[test]
fn lengths_and_regexes_are_bounded() {
    let long = format!("service_cpu{{service=\"{}\"}} > 1", "a".repeat(3000));
    assert_eq!(
        parse_error(&long).1,
        "the expression is 3027 bytes, over the 2048 an expression may take"
    );
    let (at, message, _) = parse_error("log_match(api, \"(a{1000}){1000}\")");
    assert_eq!(at, 15);
    assert!(message.contains("exceeds size limit"), "{message}");
    let deep = format!(
        "service_cpu{{service=~\"{}a{}\"}}",
        "(".repeat(40),
        ")".repeat(40)
    );
    assert!(parse_error(&deep).1.contains("nest"), "{deep}");
}

#[test]
fn disk_full_is_one_element_for_the_state_directory() {
    let mut storage = crate::protocol::StorageInfo::new(std::path::Path::new("/state/ws"));
    let mut r = FixedReadings::default();
    assert!(
        elements("disk_full", &r).is_empty(),
        "no reading, no element"
    );
    r.storage = Some(storage.clone());
    assert_eq!(
        elements("disk_full", &r),
        [("/state/ws".to_owned(), 0.0, false)]
    );
    storage.set_waiting("log store", true, 1);
    r.storage = Some(storage);
    assert_eq!(parse("disk_full").series_label(), Some("path"));
    assert_eq!(
        elements("disk_full", &r),
        [("/state/ws".to_owned(), 1.0, true)]
    );
}
