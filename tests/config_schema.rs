//! `uc config schema`: draft-07 (what yaml-language-server reads), closed objects so typos
//! are flagged, and the demo workspace and its overlays fit it.

use serde_json::Value;
use univers_container::config::{DEMO_YAML, overlay_schema, workspace_schema};

fn definition<'a>(schema: &'a Value, name: &str) -> &'a Value {
    &schema["definitions"][name]
}

/// Resolves `#/definitions/X`.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/definitions/");
            resolve(root, definition(root, name))
        }
        None => schema,
    }
}

fn type_fits(value: &Value, schema: &Value) -> bool {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = |t: &Value| t == kind || (t == "number" && kind == "integer");
    match schema.get("type") {
        None => true,
        Some(Value::Array(types)) => types.iter().any(fits),
        Some(t) => fits(t),
    }
}

/// Every key of `value` is a property the schema knows (the subset of JSON Schema that
/// schemars writes).
fn fits(root: &Value, value: &Value, schema: &Value) -> bool {
    let schema = resolve(root, schema);
    if let Some(Value::Array(branches)) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
        return branches.iter().any(|b| fits(root, value, b));
    }
    if !type_fits(value, schema) {
        return false;
    }
    match value {
        Value::Object(map) => map.iter().all(|(key, item)| {
            match (
                schema.get("properties").and_then(|p| p.get(key)),
                schema.get("additionalProperties"),
            ) {
                (Some(property), _) => fits(root, item, property),
                (None, Some(Value::Bool(false))) => false,
                (None, Some(extra)) => fits(root, item, extra),
                (None, None) => true,
            }
        }),
        Value::Array(items) => match schema.get("items") {
            Some(item_schema) => items.iter().all(|item| fits(root, item, item_schema)),
            None => true,
        },
        _ => true,
    }
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("YAML")
}

#[test]
fn the_schema_is_draft_07_with_closed_objects() {
    let schema = workspace_schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(
        definition(&schema, "ServiceSpec")["additionalProperties"],
        false
    );
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["required"], serde_json::json!(["workspace"]));
    let command = &definition(&schema, "ServiceSpec")["properties"]["command"];
    assert!(
        command["description"]
            .as_str()
            .is_some_and(|d| d.contains("/bin/sh"))
    );
}

#[test]
fn the_demo_fits_the_schema_and_typos_do_not() {
    let schema = workspace_schema();
    assert!(fits(&schema, &yaml(DEMO_YAML), &schema));
    let typo = yaml("workspace: w\nservices:\n  a:\n    comand: x\n");
    assert!(!fits(&schema, &typo, &schema));
    let overlay = overlay_schema();
    for text in [
        include_str!("../configs/demo/environments/staging.yaml"),
        include_str!("../configs/demo/environments/prod.yaml"),
    ] {
        assert!(fits(&overlay, &yaml(text), &overlay));
    }
    assert!(!fits(&overlay, &yaml("workspace: w\n"), &overlay));
}
