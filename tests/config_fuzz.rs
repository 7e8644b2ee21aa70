//! Whatever text the loader is given (bytes, or YAML-ish trees full of `${`), it answers
//! with a workspace or problems, never a panic.

use std::path::Path;

use proptest::prelude::*;
use univers_container::config::{load_effective, load_str};

/// A YAML-ish document: maps, lists and scalars, some of them broken on purpose.
#[derive(Debug, Clone)]
enum Doc {
    Scalar(String),
    List(Vec<Doc>),
    Map(Vec<(String, Doc)>),
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "${",
            "${A",
            "${A:-",
            "${A:-${B:-x}}",
            "${secret:db}",
            "$$",
            "}",
            "~",
            "null",
            "8080",
            "70000",
            "true",
            "-1",
            "'x'",
            "\"y\"",
            "echo ${HOME}",
            "[",
            "{",
            "a: b",
            "#",
            "&a",
            "*a",
            "|",
            "5s",
            "on-failure",
            "healthy",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "workspace",
        "services",
        "api",
        "web",
        "command",
        "env",
        "environments",
        "vars",
        "secrets",
        "ports",
        "readiness",
        "depends_on",
        "dev",
        "prod",
        "file",
        "PORT",
        "x",
    ])
    .prop_map(str::to_owned)
}

fn doc() -> impl Strategy<Value = Doc> {
    scalar()
        .prop_map(Doc::Scalar)
        .prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Doc::List),
                prop::collection::vec((key(), inner), 0..5).prop_map(Doc::Map),
            ]
        })
}

fn render(doc: &Doc, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match doc {
        Doc::Scalar(s) => {
            out.push(' ');
            out.push_str(s);
            out.push('\n');
        }
        Doc::List(items) => {
            out.push('\n');
            for item in items {
                out.push_str(&pad);
                out.push('-');
                render(item, indent + 2, out);
            }
        }
        Doc::Map(entries) => {
            out.push('\n');
            for (key, value) in entries {
                out.push_str(&pad);
                out.push_str(key);
                out.push(':');
                render(value, indent + 2, out);
            }
        }
    }
}

fn load_everything(text: &str) {
    let dir = std::env::temp_dir();
    let file = Path::new("univers.yaml");
    let _ = load_str(text, file, &dir);
    let _ = load_effective(text, file, &dir, None);
    let _ = load_effective(text, file, &dir, Some("prod"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        load_everything(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn yaml_ish_trees_never_panic(doc in doc(), named in any::<bool>()) {
        let mut text = if named { "workspace: w".to_owned() } else { String::new() };
        render(&doc, 0, &mut text);
        load_everything(&text);
    }
}
