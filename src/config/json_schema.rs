//! JSON Schema (draft-07, what yaml-language-server reads) for `univers.yaml` and for
//! environment overlays, so editors complete keys and flag typos.

use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::schema::WorkspaceFile;

/// The schema of `univers.yaml`.
pub fn workspace_schema() -> Value {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<WorkspaceFile>();
    let mut value = schema.to_value();
    close_objects(&mut value);
    if let Some(root) = value.as_object_mut() {
        root.insert("title".into(), "univers.yaml".into());
    }
    value
}

/// The schema of an overlay (`configs/environments/<name>.yaml`): any workspace key but
/// `workspace` and `environments`, none required.
pub fn overlay_schema() -> Value {
    let mut value = workspace_schema();
    if let Some(root) = value.as_object_mut() {
        root.remove("required");
        root.insert("title".into(), "univers.yaml environment overlay".into());
        if let Some(Value::Object(properties)) = root.get_mut("properties") {
            properties.remove("workspace");
            properties.remove("environments");
        }
    }
    value
}

/// Every object with named properties refuses others, so a misspelt key is flagged.
fn close_objects(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}
