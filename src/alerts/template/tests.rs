use super::*;

fn labels() -> Labels {
    [("service", "api"), ("mount", "/"), ("alertname", "HighCpu")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn render(text: &str, value: f64) -> String {
    Template::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .render(value, &labels(), "HighCpu")
}

fn parse_error(text: &str) -> (usize, String, Option<String>) {
    let err = Template::parse(text).expect_err(text);
    (err.offset, err.message, err.hint)
}

#[test]
fn values_render_compactly() {
    assert_eq!(render("CPU at {{ $value }}%", 81.0), "CPU at 81%");
    assert_eq!(render("{{$value}}", 81.5), "81.5");
    assert_eq!(render("{{ $value }}", 81.456), "81.46");
    assert_eq!(render("{{ $value }}", -0.001), "0");
    assert_eq!(render("{{ $value }}", f64::NAN), "NaN");
    assert_eq!(render("{{ $value }}", 1e12), "1000000000000");
}

#[test]
fn labels_and_rule_names_render() {
    assert_eq!(
        render(
            "{{ $labels.service }} on {{ $labels.mount }} ({{ $rule }}, {{ $alertname }})",
            1.0
        ),
        "api on / (HighCpu, HighCpu)"
    );
    assert_eq!(render("[{{ $labels.team }}]", 1.0), "[]");
}

#[test]
fn humanize_and_printf() {
    assert_eq!(render("{{ humanize $value }}", 1234.0), "1.23k");
    assert_eq!(render("{{ $value | humanize }}", 45_600_000.0), "45.6M");
    assert_eq!(render("{{ humanize $value }}", 999.0), "999");
    assert_eq!(
        render("{{ humanizeBytes $value }}", 1.5 * 1024.0 * 1024.0 * 1024.0),
        "1.5G"
    );
    assert_eq!(render("{{ printf \"%.1f\" $value }}", 81.456), "81.5");
    assert_eq!(render("{{ printf \"%.0f%%\" $value }}", 81.6), "82%");
    assert_eq!(render("{{ printf \"%d\" $value }}", 7.4), "7");
    assert_eq!(render("{{ printf \"%6.2f\" $value }}", 4.56789), "  4.57");
    assert_eq!(render("{{ $value | printf \"%.2f\" }}", 2.0), "2.00");
    assert_eq!(
        render("{{ printf \"svc=%s\" $labels.service }}", 0.0),
        "svc=api"
    );
}

#[test]
fn trim_markers_eat_whitespace() {
    assert_eq!(render("a  {{- $value -}}  b", 1.0), "a1b");
    assert_eq!(render("a {{ $value }} b", 1.0), "a 1 b");
}

#[test]
fn label_references_are_listed_with_offsets() {
    let t = Template::parse("{{ $labels.service }} {{ $value }} {{$labels.mount}}").unwrap();
    let refs: Vec<(&str, usize)> = t.labels().collect();
    assert_eq!(refs, [("service", 3), ("mount", 37)]);
}

#[test]
fn unknown_placeholders_are_errors_with_offsets() {
    assert_eq!(
        parse_error("CPU {{ $vlaue }}"),
        (
            7,
            "unknown placeholder `$vlaue`".to_owned(),
            Some("did you mean `$value`?".to_owned())
        )
    );
    assert_eq!(
        parse_error("{{ $label.service }}").2.as_deref(),
        Some("did you mean `$labels.service`?")
    );
    assert_eq!(
        parse_error("{{ humanise $value }}"),
        (
            3,
            "unknown function `humanise`".to_owned(),
            Some("did you mean `humanize`?".to_owned())
        )
    );
    assert_eq!(parse_error("x {{ $value ").0, 2);
    assert_eq!(parse_error("x {{ $value ").1, "unclosed `{{`");
    assert_eq!(parse_error("{{ }}").1, "empty placeholder `{{ }}`");
    assert_eq!(
        parse_error("{{ humanize $labels.service }}").1,
        "`humanize` needs `$value`"
    );
    assert_eq!(
        parse_error("{{ printf \"%x\" $value }}").1,
        "unsupported format `%x`"
    );
    assert_eq!(
        parse_error("{{ printf \"%f %f\" $value }}").1,
        "`printf` formats one value"
    );
    assert_eq!(
        parse_error("{{ printf $value }}").1,
        "`printf` takes a quoted format"
    );
}

#[test]
fn compact_and_humanize_edges() {
    assert_eq!(compact(0.0), "0");
    assert_eq!(compact(100.0), "100");
    assert_eq!(compact(-12.5), "-12.5");
    assert_eq!(compact(f64::INFINITY), "+Inf");
    assert_eq!(humanize(-2500.0), "-2.5k");
}

#[test]
fn widths_precisions_and_lengths_are_bounded_at_parse_time() {
    let (at, message, hint) = parse_error("v={{ printf \"%70000d\" $value }}");
    assert_eq!((at, message.as_str()), (12, "width 70000 is over 200"));
    assert_eq!(hint.as_deref(), Some("use a width from 0 to 200"));
    assert_eq!(
        parse_error("{{ printf \"%99999999999999999999999f\" $value }}").1,
        "width 99999999999999999999999 is over 200"
    );
    assert_eq!(
        parse_error("{{ printf \"%.21f\" $value }}").1,
        "precision 21 is over 20"
    );
    assert_eq!(render("{{ printf \"%200.20f\" $value }}", 1.5).len(), 200);
    let long = "x".repeat(MAX_TEMPLATE + 1);
    assert_eq!(
        parse_error(&long).1,
        "the template is 8193 bytes, over the 8 KiB a template may take"
    );
}

#[test]
fn long_renderings_are_cut() {
    let template = Template::parse("{{ $labels.pattern }}{{ $value }}").unwrap();
    let mut labels = labels();
    labels.insert("pattern".to_owned(), "é".repeat(MAX_RENDERED));
    let out = template.render(1.0, &labels, "r");
    assert!(out.len() <= MAX_RENDERED, "{}", out.len());
    assert!(out.ends_with("é…"));
}
