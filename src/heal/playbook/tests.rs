use std::path::Path;

use super::*;

const FILE: &str = "/w/configs/playbooks/cleanup.yaml";

fn load(text: &str) -> Result<Playbook, Vec<Problem>> {
    parse(text, Path::new(FILE), Path::new("/w"))
}

fn problems(text: &str) -> Vec<String> {
    load(text)
        .expect_err("problems")
        .iter()
        .map(|p| format!("{}:{} {} ({:?})", p.line, p.column, p.message, p.hint))
        .collect()
}

#[test]
fn a_full_playbook_loads() {
    let playbook = load(
        "description: Free space\n\
         roots: [./logs, /var/tmp/app/../app]\n\
         stop_on_error: true\n\
         steps:\n\
         \x20 - delete: { under: ./logs/, match: \"**/*.log.*\", older_than: 7d }\n\
         \x20 - truncate: { file: ./logs/api.log, over: 100MiB }\n\
         \x20 - rotate: { file: /var/tmp/app/worker.log, keep: 3 }\n\
         \x20 - run: { command: \"psql -c 'VACUUM'\", timeout: 30s }\n\
         \x20 - restart: api\n",
    )
    .unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(playbook.name, "cleanup");
    assert_eq!(playbook.description.as_deref(), Some("Free space"));
    assert!(playbook.stop_on_error);
    let roots = [PathBuf::from("/w/logs"), PathBuf::from("/var/tmp/app")];
    assert_eq!(playbook.roots, roots);
    let labels: Vec<&str> = playbook.steps.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "delete ./logs/**/*.log.* older than 7d",
            "truncate ./logs/api.log over 100MiB",
            "rotate /var/tmp/app/worker.log, keep 3",
            "run psql -c 'VACUUM'",
            "restart api",
        ]
    );
    let StepKind::Files(FileStep::Delete {
        under, older_than, ..
    }) = &playbook.steps[0].kind
    else {
        panic!("a delete step")
    };
    assert_eq!(under, Path::new("/w/logs"));
    assert_eq!(*older_than, Some(Duration::from_secs(7 * 86_400)));
    let StepKind::Run { timeout, .. } = &playbook.steps[3].kind else {
        panic!("a run step")
    };
    assert_eq!(*timeout, Duration::from_secs(30));
}

#[test]
fn typos_are_named_with_a_suggestion() {
    let text = "roots: [./logs]\nsteps:\n  - delete: { under: ./logs, mtch: \"*.log\" }\n";
    assert_eq!(
        problems(text),
        ["3:30 unknown field `mtch` (Some(\"did you mean `match`?\"))"]
    );
    let text = "roots: [./logs]\nsteps:\n  - delet: { under: ./logs }\n";
    assert_eq!(
        problems(text),
        ["3:5 unknown value `delet` (Some(\"did you mean `delete`?\"))"]
    );
}

#[test]
fn every_bad_value_is_reported_at_once() {
    let text = "roots: [./logs, \"\"]\n\
                steps:\n\
                \x20 - delete: { under: ./logs, match: ../*, older_than: 7x }\n\
                \x20 - run: { command: x, timeout: 0s }\n\
                \x20 - rotate: { file: ./logs/w.log, over: lots, keep: 0 }\n\
                \x20 - restart: \"api v2\"\n";
    let found = problems(text);
    let places: Vec<&str> = found
        .iter()
        .map(|p| p.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(
        places,
        ["1:17", "3:37", "3:55", "4:33", "5:41", "5:53", "6:14"]
    );
    assert!(found[0].contains("empty root"));
    assert!(found[1].contains("reaches out of `under`"));
    assert!(found[2].contains("invalid duration `7x`"));
    assert!(found[3].contains("`0s` is no time"));
    assert!(found[4].contains("invalid size `lots`"));
    assert!(found[5].contains("`keep` must be 1 or more"));
    assert!(found[6].contains("invalid service name `api v2`"));
}

#[test]
fn paths_outside_the_roots_are_refused() {
    let text = "roots: [./logs]\nsteps:\n  - truncate: { file: ./logs/../../etc/passwd }\n";
    let found = load(text).expect_err("refused");
    assert_eq!((found[0].line, found[0].column), (3, 23));
    assert_eq!(
        found[0].to_string(),
        format!(
            "{FILE}:3:23: refused: `./logs/../../etc/passwd` (/etc/passwd) is outside the \
             playbook's roots (add its directory to `roots`, or fix the path)"
        )
    );
    assert_eq!(
        found[0].source_line.as_deref(),
        Some("  - truncate: { file: ./logs/../../etc/passwd }")
    );
    let text = "steps:\n  - delete: { under: ./logs, match: \"*\" }\n";
    assert!(problems(text)[0].starts_with("2:22 refused"));
}

#[test]
fn wide_roots_are_refused() {
    assert!(problems("roots: [/]\n")[0].starts_with("1:9 refused root: `/`"));
    assert!(problems("roots: [/w/../..]\n")[0].starts_with("1:9 refused root: `/`"));
}

#[test]
fn empty_files_and_bad_names_are_problems() {
    for text in ["", "# nothing yet\n"] {
        assert_eq!(
            problems(text),
            ["0:0 empty playbook (Some(\"a playbook has `roots:` and `steps:`\"))"]
        );
    }
    let found = parse(
        "steps: []\n",
        Path::new("/w/clean up.yaml"),
        Path::new("/w"),
    );
    assert!(
        found.expect_err("refused")[0]
            .message
            .contains("invalid playbook name")
    );
}

#[test]
fn the_shipped_example_loads() {
    let text = include_str!("../../../configs/playbooks/cleanup.yaml");
    let file = Path::new("/w/configs/playbooks/cleanup.yaml");
    let playbook = parse(text, file, Path::new("/w")).unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(playbook.roots, [PathBuf::from("/w/tmp")]);
    assert_eq!(playbook.steps.len(), 2);
}
