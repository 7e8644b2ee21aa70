use serde::Deserialize;
use serde_saphyr::Spanned;

use super::*;
use crate::config::tree::parse;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    name: Spanned<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    list: Vec<Spanned<String>>,
}

fn read(text: &str) -> Result<Read<Doc>, Box<Failure>> {
    let root = parse(text, 3).expect("parses");
    from_tree(root.as_ref(), &["skipped"])
}

fn failure(text: &str) -> (String, Origin, String) {
    let failure = read(text).err().expect("fails");
    let spot = failure.spot.expect("located");
    let message = failure.yaml.to_string();
    (message, spot.at, key_path(&spot.path))
}

#[test]
fn spanned_values_point_at_their_spot() {
    let read = read("skipped: [x]\nname: 8080\nlist: [a, 'b']\n").expect("reads");
    assert_eq!(read.value.name.value, "8080");
    let id = read.value.list[1].referenced.source_id() as usize;
    let (at, path) = &read.spots[id - 1];
    assert_eq!((at.file, at.line, at.column), (3, 3, 11));
    assert_eq!(path, "list[1]");
    assert_eq!(read.value.list[1].referenced.line(), 3);
}

#[test]
fn errors_name_their_node() {
    let (message, at, path) = failure("name: x\nport: 70000\n");
    assert!(message.contains("invalid u16"), "{message}");
    assert_eq!((at.line, at.column, path.as_str()), (2, 7, "port"));

    let (message, at, path) = failure("name: x\nprot: 1\n");
    assert!(message.starts_with("unknown field `prot`"), "{message}");
    assert_eq!((at.line, at.column, path.as_str()), (2, 1, "prot"));

    let (message, at, path) = failure("list:\n  - [a]\n");
    assert!(message.contains("expected string scalar"), "{message}");
    assert_eq!((at.line, at.column, path.as_str()), (2, 5, "list[0]"));
}

#[test]
fn a_missing_field_is_at_its_map() {
    let (message, at, path) = failure("port: 1\n");
    assert!(message.starts_with("missing field `name`"), "{message}");
    assert_eq!((at.line, at.column, path.as_str()), (1, 1, ""));
}

#[test]
fn null_is_not_a_string_and_quoted_text_is() {
    let (message, ..) = failure("name: ~\n");
    assert!(message.contains("null"), "{message}");
    let read = read("name: '~'\nport: '80'\n").expect("reads");
    assert_eq!(read.value.name.value, "~");
    assert_eq!(read.value.port, Some(80));
}

#[test]
fn an_empty_document_ends_at_its_start() {
    let failure = from_tree::<Doc>(None, &[]).err().expect("fails");
    assert!(matches!(failure.yaml, YamlError::Eof { .. }));
    let at = failure.spot.expect("located").at;
    assert_eq!((at.line, at.column), (1, 1));
}
