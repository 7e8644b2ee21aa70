//! Layers point down (STYLE.md rule 14): every `crate::…` path a file of `src/` names is
//! checked against the layer of the file it names. From the ground up: `config`, the
//! `clock`, the state dir's `paths`, the human `format`s, `procfs` and each domain module's
//! plain data (its `model` files) →
//! `protocol` → the workers and `store` → `engine` and `api` → `client` → the frontends.
//! A file may name its own layer and those below, never one above; and two modules never
//! name each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layer of a top-level module of `src/`; higher builds on lower.
const LAYERS: &[(&str, u8)] = &[
    ("config", 0),
    ("clock", 0),
    ("paths", 0),
    ("format", 0),
    ("procfs", 0),
    ("protocol", 1),
    ("supervisor", 2),
    ("metrics", 2),
    ("logs", 2),
    ("alerts", 2),
    ("heal", 2),
    ("quota", 2),
    ("hooks", 2),
    ("deploy", 2),
    ("store", 2),
    ("config_center", 2),
    ("export", 2),
    ("assist", 2),
    ("engine", 3),
    ("api", 3),
    ("client", 4),
    ("serve", 4),
    ("tui", 5),
    ("cli", 6),
];

/// Pairs a lower-layer rule allows but the design does not: the TUI is a pure function of
/// its state and reaches the outside only through `tui::link`, bridged by the glue in `cli`.
const FORBIDDEN: &[(&str, &str)] = &[("tui", "client"), ("tui", "api"), ("tui", "engine")];

/// Files that are a domain module's plain data: they sit with `config`, below `protocol`,
/// which carries them in its events and snapshot.
const MODELS: &[&str] = &[
    "alerts/model.rs",
    "metrics/sample.rs",
    "logs/model.rs",
    "heal/event.rs",
    "metrics/series.rs",
    "hooks/push.rs",
    "deploy/model.rs",
    "assist/finding.rs",
];

fn layer_of_module(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The layer a file of `src/` (relative path) belongs to.
fn layer_of_file(rel: &str) -> Option<u8> {
    if MODELS.contains(&rel) {
        return Some(0);
    }
    let module = rel.split('/').next()?.trim_end_matches(".rs");
    layer_of_module(module)
}

/// The layer a `crate::` path lands in: a model file's items count as its layer.
fn layer_of_path(path: &[&str]) -> Option<u8> {
    let module = *path.first()?;
    if let Some(second) = path.get(1) {
        let file = format!("{module}/{second}.rs");
        if MODELS.contains(&file.as_str()) {
            return Some(0);
        }
    }
    layer_of_module(module)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::a::b…` path in `text`, with `use crate::{a::…, b}` groups expanded to their
/// first two segments; comments and string literals are skipped.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let code = strip_comments_and_strings(text);
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                paths.push(segments(item.trim()));
            }
        } else {
            paths.push(segments(rest));
        }
    }
    paths.retain(|p| !p.is_empty());
    paths
}

fn segments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        rest = &rest[name.len()..];
        out.push(name);
        if out.len() == 2 {
            break;
        }
        match rest.strip_prefix("::") {
            Some(r) if !r.starts_with('{') => rest = r,
            _ => break,
        }
    }
    out
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Comments and the insides of string literals become spaces (raw strings included), so
/// neither doc text nor test fixtures count as imports.
fn strip_comments_and_strings(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if text[i..].starts_with("//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if text[i..].starts_with("/*") {
            let end = text[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |e| i + 2 + e + 2);
            i = end;
        } else if text[i..].starts_with("r#\"") || text[i..].starts_with("r\"") {
            let hashes = text[i + 1..].chars().take_while(|c| *c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let open = i + 2 + hashes;
            i = text[open..]
                .find(&close)
                .map_or(bytes.len(), |e| open + e + close.len());
            out.push_str("\"\"");
        } else if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if bytes[i] == b'\'' && text[i..].chars().nth(2) == Some('\'') {
            out.push_str("' '");
            i += text[i..].chars().take(3).map(char::len_utf8).sum::<usize>();
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[test]
fn files_only_name_their_own_layer_and_those_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let rel = file
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .into_owned();
        if rel == "main.rs" || rel == "lib.rs" {
            continue;
        }
        let Some(own) = layer_of_file(&rel) else {
            upward.push(format!("{rel}: its module has no layer in tests/layers.rs"));
            continue;
        };
        let module = rel.split('/').next().unwrap_or("").trim_end_matches(".rs");
        let text = std::fs::read_to_string(file).expect("read");
        for path in crate_paths(&text) {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            let Some(target) = layer_of_path(&path) else {
                upward.push(format!("{rel}: crate::{} has no layer", path.join("::")));
                continue;
            };
            if FORBIDDEN.contains(&(module, path[0])) {
                upward.push(format!(
                    "{rel} names crate::{}: only cli's glue may",
                    path.join("::")
                ));
            }
            if target > own {
                upward.push(format!(
                    "{rel} (layer {own}) names crate::{} (layer {target})",
                    path.join("::")
                ));
            }
            // A model is plain data: naming one is no dependency on its module's workers.
            let model = target < layer_of_module(path[0]).unwrap_or(target);
            if path[0] != module && !model && layer_of_file(&rel) == layer_of_module(module) {
                names
                    .entry(module.to_owned())
                    .or_default()
                    .insert(path[0].to_owned());
            }
        }
    }
    let names = &names;
    let mutual: Vec<String> = names
        .iter()
        .flat_map(|(a, targets)| {
            targets
                .iter()
                .filter(move |b| a < *b && names.get(*b).is_some_and(|t| t.contains(a)))
                .map(move |b| format!("{a} and {b} name each other"))
        })
        .collect();
    assert!(
        upward.is_empty() && mutual.is_empty(),
        "{} names pointing up, {} pairs of modules naming each other:\n{}\n{}",
        upward.len(),
        mutual.len(),
        upward.join("\n"),
        mutual.join("\n")
    );
}

#[test]
fn the_path_reader_sees_groups_and_skips_comments_and_strings() {
    let text = r#"
        use crate::{engine::{Event, Hub}, config};
        // crate::tui in a comment
        let s = "crate::cli in a string";
        let x = crate::metrics::sample::Sample::default();
    "#;
    let paths = crate_paths(text);
    assert_eq!(
        paths,
        [
            vec!["engine".to_owned()],
            vec!["config".to_owned()],
            vec!["metrics".to_owned(), "sample".to_owned()],
        ]
    );
}
