//! The rules file: the shipped files parse, every kind of mistake is reported at its line
//! and column (inside expressions and templates too), all at once.

use std::path::Path;
use std::time::Duration;

use univers_container::alerts::rules::{DEFAULT_RULES, DEMO_RULES, load_rules, parse_rules};
use univers_container::alerts::{
    Evaluator, FixedReadings, LogCountQuery, LogFilter, ProbeTarget, Severity,
};
use univers_container::config::{ConfigError, DEMO_YAML};
use univers_container::protocol::{Health, ServiceState, ServiceStatus};

const FILE: &str = "rules.yaml";

/// Every problem as `file:line:col: message (hint)`.
fn problems(text: &str) -> Vec<String> {
    let err = parse_rules(text, Path::new(FILE)).expect_err("invalid");
    err.problems().iter().map(ToString::to_string).collect()
}

fn one_rule(body: &str) -> String {
    format!("rules:\n  - name: R\n{body}")
}

#[test]
fn shipped_rules_parse() {
    let rules = parse_rules(DEFAULT_RULES, Path::new("configs/rules.yaml")).expect("default rules");
    let names: Vec<&str> = rules.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "HighCpu",
            "HighMemory",
            "PortNotAnswering",
            "ServiceUnhealthy",
            "DiskAlmostFull",
            "RestartsExhausted",
            "DeployFailed",
            "LogPatternFlagged"
        ]
    );
    let cpu = &rules.rules[0];
    assert_eq!(cpu.pending_for, Duration::from_secs(300));
    assert_eq!(cpu.clear, Some(70.0));
    assert_eq!(cpu.channels, ["slack"]);
    assert_eq!(rules.rules[1].channels, ["email"]);
    assert_eq!(rules.rules[2].pending_for, Duration::from_secs(30));
    assert_eq!(rules.rules[4].severity, Severity::Critical);
    // No address of its own: only the ports the services declare.
    assert_eq!(rules.probes(), []);
    assert!(rules.reads_declared_ports());

    let demo = parse_rules(DEMO_RULES, Path::new("configs/demo/rules.yaml")).expect("demo rules");
    assert!(
        demo.rules.iter().all(|r| r.channels.is_empty()),
        "the demo needs no channels"
    );
    assert_eq!(
        demo.log_queries(),
        [LogCountQuery {
            service: "ticker".to_owned(),
            filter: LogFilter::Level("ERROR".to_owned()),
            window: Duration::from_secs(60),
        }]
    );
    let services = ["web", "pinger", "ticker", "worker"];
    assert!(demo.unknown_services(&services).is_empty());
    for service in services {
        assert!(
            DEMO_YAML.contains(&format!("\n  {service}:\n")),
            "{service}"
        );
    }
}

/// The built-in rules watch what a workspace declares and nothing else: a service's
/// `ports` while it runs, its readiness probe. A workspace declaring neither gets no alert.
#[test]
fn the_built_in_rules_watch_only_what_the_workspace_declares() {
    let rules = parse_rules(DEFAULT_RULES, Path::new("configs/rules.yaml")).expect("default rules");
    let port = |port| ProbeTarget::Port {
        host: "127.0.0.1".to_owned(),
        port,
    };
    let running = |name: &str, ports: Vec<u16>| ServiceStatus {
        state: ServiceState::Running,
        pid: Some(42),
        ports,
        ..ServiceStatus::new(name)
    };
    let mut readings = FixedReadings {
        services: vec![
            running("idle", vec![]),
            running("api", vec![8081]),
            running("web", vec![8082, 8083]),
            ServiceStatus {
                health: Some(Health::Unhealthy),
                ..running("db", vec![])
            },
            ServiceStatus::new("stopped"),
        ],
        probes: [
            (port(8080), false),
            (port(8081), true),
            (port(8082), true),
            (port(8083), false),
        ]
        .into(),
        ..FixedReadings::default()
    };
    readings.services[4].ports = vec![8084];
    let mut evaluator = Evaluator::new(rules);
    evaluator.evaluate(1_000, &readings);
    let alerts: Vec<(String, String)> = evaluator
        .alerts()
        .iter()
        .map(|a| {
            (
                a.rule.clone(),
                a.labels.get("service").cloned().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        alerts,
        [
            ("PortNotAnswering".to_owned(), "web".to_owned()),
            ("ServiceUnhealthy".to_owned(), "db".to_owned())
        ]
    );

    readings.services.retain(|s| s.name == "idle");
    let mut evaluator = Evaluator::new(
        parse_rules(DEFAULT_RULES, Path::new("configs/rules.yaml")).expect("default rules"),
    );
    evaluator.evaluate(1_000, &readings);
    evaluator.evaluate(3_600_000, &readings);
    assert_eq!(evaluator.alerts(), [], "a workspace that declares nothing");
}

#[test]
fn files_are_read_from_disk() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/rules.yaml");
    assert_eq!(load_rules(&path).expect("loads").rules.len(), 8);
    let missing = load_rules(Path::new("/nonexistent/rules.yaml")).expect_err("missing");
    assert!(matches!(missing, ConfigError::Io { .. }));
}

#[test]
fn a_full_rule_reads_every_field() {
    let text = r#"
rules:
  - name: ApiSlow
    expr: 'service_cpu{service="api"} >= 150'
    for: 1m30s
    keep_firing_for: 2m
    clear: 120
    severity: info
    labels: { team: web, tier: 1 }
    annotations:
      summary: "{{ $labels.service }} at {{ $value }}% ({{ $labels.team }})"
    channels: slack
"#;
    let rules = parse_rules(text, Path::new(FILE)).expect("valid");
    let rule = &rules.rules[0];
    assert_eq!(rule.expr.as_str(), r#"service_cpu{service="api"} >= 150"#);
    assert_eq!(rule.pending_for, Duration::from_secs(90));
    assert_eq!(rule.keep_firing_for, Duration::from_secs(120));
    assert_eq!(rule.severity, Severity::Info);
    assert_eq!(rule.labels.get("tier").map(String::as_str), Some("1"));
    assert_eq!(rule.channels, ["slack"]);
    let labels = rule.alert_labels("api");
    let rendered = rule.render_annotations(151.5, &labels);
    assert_eq!(rendered["summary"], "api at 151.5% (web)");
    let keys: Vec<&str> = labels.keys().map(String::as_str).collect();
    assert_eq!(keys, ["alertname", "service", "severity", "team", "tier"]);
    assert!(rule.still_active(120.0) && !rule.still_active(119.0));
    assert!(!rule.holds(149.0));
}

#[test]
fn unknown_keys_suggest_the_nearest() {
    assert_eq!(
        problems(&one_rule("    expr: cpu > 1\n    fro: 5m\n")),
        ["rules.yaml:4:5: unknown field `fro` (did you mean `for`?)"]
    );
    assert_eq!(
        problems("rule:\n  - name: R\n"),
        ["rules.yaml:1:1: unknown field `rule` (did you mean `rules`?)"]
    );
}

#[test]
fn bad_values_point_at_the_value() {
    assert_eq!(
        problems(&one_rule("    expr: cpu > 1\n    for: soon\n")),
        [
            "rules.yaml:4:10: invalid duration `soon` (e.g. `90s`, `1.5h`, `1h30m`, or a number of seconds)"
        ]
    );
    assert_eq!(
        problems(&one_rule("    expr: cpu > 1\n    severity: critcal\n")),
        ["rules.yaml:4:15: unknown severity `critcal` (did you mean `critical`?)"]
    );
    assert_eq!(
        problems(&one_rule("    expr: cpu > 1\n    labels: [a]\n")),
        ["rules.yaml:4:13: expected a mapping for `labels`, found a list"]
    );
    assert_eq!(
        problems(&one_rule(
            "    expr: cpu > 1\n    labels: { severity: high, alertname: x }\n"
        )),
        [
            "rules.yaml:4:15: cannot set label `severity` (it comes from the rule's `severity`)",
            "rules.yaml:4:31: cannot set label `alertname` (it comes from the rule's `name`)"
        ]
    );
    assert_eq!(
        problems("rules:\n  - expr: cpu > 1\n  - cpu > 1\n"),
        [
            "rules.yaml:2:5: rule has no `name`",
            "rules.yaml:3:5: expected a rule with `name` and `expr`, found a single value"
        ]
    );
}

#[test]
fn expression_errors_point_inside_the_expression() {
    assert_eq!(
        problems(&one_rule("    expr: cpu >> 80\n")),
        ["rules.yaml:3:16: expected a number after `>`, found `>`"]
    );
    // Quoted: the column counts the opening quote.
    assert_eq!(
        problems(&one_rule("    expr: \"servce_cpu > 80\"\n")),
        ["rules.yaml:3:12: unknown metric `servce_cpu` (did you mean `service_cpu`?)"]
    );
    assert_eq!(
        problems(&one_rule("    expr: restart_in(10m) > 3\n")),
        ["rules.yaml:3:11: unknown function `restart_in` (did you mean `restarts_in`?)"]
    );
    assert_eq!(
        problems(&one_rule(
            "    expr: 'log_match(api, \"(unclosed\", 5m) > 0'\n"
        )),
        ["rules.yaml:3:27: invalid regex `(unclosed`: unclosed group"]
    );
    // A folded block: the start of the value, since its columns are not the text's.
    assert_eq!(
        problems(&one_rule("    expr: >-\n      cpu >\n      eighty\n")),
        ["rules.yaml:4:7: expected a number after `>`, found `eighty`"]
    );
}

#[test]
fn hysteresis_must_be_on_the_safe_side() {
    assert_eq!(
        problems(&one_rule("    expr: cpu > 80\n    clear: 90\n")),
        [
            "rules.yaml:4:12: `clear: 90` is above the firing threshold 80 (the alert stays firing while the value is still > 90; use at most 80)"
        ]
    );
    assert_eq!(
        problems(&one_rule("    expr: disk_free_pct < 10\n    clear: 5\n")),
        [
            "rules.yaml:4:12: `clear: 5` is below the firing threshold 10 (the alert stays firing while the value is still < 5; use at least 10)"
        ]
    );
    assert_eq!(
        problems(&one_rule("    expr: service_down\n    clear: 0\n")),
        ["rules.yaml:4:12: `clear` needs an expression compared with `>`, `>=`, `<` or `<=`"]
    );
    assert_eq!(
        problems(&one_rule("    expr: cpu > 80\n    clear: low\n")),
        ["rules.yaml:4:12: `clear` must be a number, found `low`"]
    );
    assert!(
        parse_rules(
            &one_rule("    expr: cpu > 80\n    clear: 80\n"),
            Path::new(FILE)
        )
        .is_ok()
    );
}

#[test]
fn template_errors_point_inside_the_template() {
    assert_eq!(
        problems(&one_rule(
            "    expr: cpu > 1\n    annotations:\n      summary: \"CPU {{ $vale }}\"\n"
        )),
        ["rules.yaml:5:24: unknown placeholder `$vale` (did you mean `$value`?)"]
    );
    assert_eq!(
        problems(&one_rule(
            "    expr: service_cpu > 1\n    annotations:\n      summary: on {{ $labels.servce }}\n"
        )),
        [
            "rules.yaml:5:22: this rule's alerts have no label `servce` (did you mean `$labels.service`?)"
        ]
    );
    assert_eq!(
        problems(&one_rule(
            "    expr: cpu > 1\n    annotations:\n      summary: on {{ $labels.mount }}\n"
        )),
        [
            "rules.yaml:5:22: this rule's alerts have no label `mount` (they have `alertname`, `severity`)"
        ]
    );
}

#[test]
fn duplicate_names_name_the_first() {
    let text = "rules:\n  - name: A\n    expr: cpu > 1\n  - name: A\n    expr: cpu > 2\n";
    assert_eq!(
        problems(text),
        ["rules.yaml:4:11: duplicate rule name `A` (the first is on line 2)"]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = "\
rules:
  - name: One
    expr: cpux > 80
    severty: warning
  - name: Two
    expr: cpu > 80
    for: soon
    clear: 95
  - name: One
    expr: log_match(api, \"[\")
    annotations:
      summary: \"{{ $foo }}\"
";
    let found = problems(text);
    assert_eq!(
        found,
        [
            "rules.yaml:3:11: unknown metric `cpux` (did you mean `cpu`?)",
            "rules.yaml:4:5: unknown field `severty` (did you mean `severity`?)",
            "rules.yaml:7:10: invalid duration `soon` (e.g. `90s`, `1.5h`, `1h30m`, or a number of seconds)",
            "rules.yaml:8:12: `clear: 95` is above the firing threshold 80 (the alert stays firing while the value is still > 95; use at most 80)",
            "rules.yaml:9:11: duplicate rule name `One` (the first is on line 2)",
            "rules.yaml:10:26: invalid regex `[`: unclosed character class",
            "rules.yaml:12:20: unknown placeholder `$foo` (use `$value`, `$labels.<name>` or `$rule`)",
        ]
    );
    // The first problem is shown with its line and a caret.
    let err = parse_rules(text, Path::new(FILE)).expect_err("invalid");
    assert!(
        err.to_string()
            .contains(" 3 |     expr: cpux > 80\n   |           ^"),
        "{err}"
    );
}

#[test]
fn values_of_the_wrong_shape() {
    assert_eq!(
        problems(&one_rule(
            "    expr: [cpu]\n    channels: [slack, 'no spaces']\n    labels: { 9x: a, ok: [b] }\n"
        )),
        [
            "rules.yaml:3:11: expected a single value for `expr`, found a list",
            "rules.yaml:4:23: invalid channel name `no spaces` (use only letters, digits, `_` and `-`)",
            "rules.yaml:5:15: cannot set label `9x` (label names use only letters, digits and `_`)",
            "rules.yaml:5:26: expected a single value for `ok`, found a list",
        ]
    );
    assert_eq!(
        problems(&one_rule("    expr: cpu > 1\n    for: 1m\n    for: 2m\n")),
        ["rules.yaml:5:5: duplicate mapping key `for` is not allowed here"]
    );
    assert_eq!(
        problems("rules:\n  - name: Bad name\n    expr: cpu > 1\n"),
        [
            "rules.yaml:2:11: invalid rule name `Bad name` (use only letters, digits, `_` and `-`, e.g. `HighCpu`)"
        ]
    );
}
