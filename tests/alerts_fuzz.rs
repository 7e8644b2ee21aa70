//! Whatever a rules file holds (templates, expressions, regexes), loading answers with rules
//! or problems at file:line:col, and rendering what loaded never panics nor grows without
//! bound.

use std::path::Path;

use proptest::prelude::*;
use univers_container::alerts::Labels;
use univers_container::alerts::expr::Expr;
use univers_container::alerts::rules::parse_rules;
use univers_container::alerts::template::{MAX_RENDERED, Template};
use univers_container::config::ConfigError;

/// Values an alert may carry: ordinary, huge, tiny, not numbers at all.
const VALUES: [f64; 8] = [
    0.0,
    -0.0,
    81.456,
    -1e-300,
    1e308,
    f64::MAX,
    f64::INFINITY,
    f64::NAN,
];

fn labels() -> Labels {
    [
        ("service", "api".to_owned()),
        ("pattern", "x".repeat(40_000)),
        ("instance", "é".repeat(5_000)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[test]
fn a_huge_printf_width_is_a_load_error_at_its_place() {
    let text = "rules:\n  - name: Wide\n    expr: cpu > 1\n    annotations:\n      summary: '{{ printf \"%70000d\" $value }}'\n";
    let Err(ConfigError::Invalid { problems }) = parse_rules(text, Path::new("rules.yaml")) else {
        panic!("a 70000-wide printf must not load");
    };
    let found: Vec<(u64, u64, &str)> = problems
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect();
    assert_eq!(found, [(5, 27, "width 70000 is over 200")]);
}

fn template_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "{{",
            "}}",
            "{{-",
            "-}}",
            " ",
            "$value",
            "$labels.service",
            "$labels.pattern",
            "$labels.instance",
            "$labels.",
            "$rule",
            "$alertname",
            "|",
            "printf",
            "humanize",
            "humanizeBytes",
            "humanize1024",
            "\"",
            "\\",
            "%",
            "%%",
            "%d",
            "%s",
            "%v",
            "%f",
            ".",
            "70000",
            "200",
            "20",
            "21",
            "99999999999999999999",
            "%200.20f",
            "%.300f",
            "é",
            "\n",
            "printf \"",
            "\"%70000d\"",
            "\"%.99999f\" $value",
            "{{ printf \"%65536s\" $rule }}",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,6}",
    ]
}

fn expr_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "cpu",
            "service_cpu",
            "disk_free_pct",
            "restarts_in",
            "port_open",
            "http_ok",
            "log_rate",
            "log_match",
            "{",
            "}",
            "(",
            ")",
            ",",
            "=",
            "!=",
            "=~",
            "!~",
            ">",
            ">=",
            "<",
            "==",
            "\"",
            "'",
            "\\",
            "service",
            "mount",
            "level",
            "ERROR",
            "api",
            "1m",
            "99999999999999999999d",
            "0",
            "-1",
            "1e400",
            "512Mi",
            "70000",
            "\"http://x\"",
            "\"(a{1000}){1000}\"",
            "\"((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))\"",
            "\"[\"",
            " ",
            "%",
            ".",
            "é",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,6}",
    ]
}

fn joined(piece: impl Strategy<Value = String>, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(piece, 0..max).prop_map(|pieces| pieces.concat())
}

fn render_all(template: &Template) {
    let labels = labels();
    for value in VALUES {
        let out = template.render(value, &labels, "Rule");
        assert!(out.len() <= MAX_RENDERED, "{} bytes", out.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn templates_parse_or_fail_and_render_within_bounds(text in joined(template_piece(), 24)) {
        if let Ok(template) = Template::parse(&text) {
            render_all(&template);
        }
    }

    #[test]
    fn expressions_parse_or_fail_and_evaluate(text in joined(expr_piece(), 16)) {
        if let Ok(expr) = Expr::parse(&text) {
            for value in VALUES {
                let _ = expr.holds(value);
            }
            let _ = (expr.series_label(), expr.probe(), expr.log_query(), expr.services());
        }
    }

    #[test]
    fn rules_files_load_or_fail_and_render(
        expr in joined(expr_piece(), 8),
        summary in joined(template_piece(), 12),
        clear in "[ -~]{0,8}",
    ) {
        let quote = |s: &str| serde_json::to_string(s).expect("json string");
        let text = format!(
            "rules:\n  - name: R\n    expr: {}\n    clear: {}\n    annotations:\n      summary: {}\n",
            quote(&expr),
            quote(&clear),
            quote(&summary),
        );
        match parse_rules(&text, Path::new("rules.yaml")) {
            Ok(set) => {
                for rule in &set.rules {
                    for value in VALUES {
                        for out in rule.render_annotations(value, &labels()).values() {
                            assert!(out.len() <= MAX_RENDERED);
                        }
                    }
                }
            }
            Err(ConfigError::Invalid { problems }) => {
                assert!(problems.iter().all(|p| p.line > 0 && p.column > 0), "{problems:?}");
            }
            Err(other) => panic!("{other}"),
        }
    }
}
