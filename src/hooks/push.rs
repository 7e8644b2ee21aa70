//! A verified `git push`, as the hub carries it (`Event::GitPush`) and `hooks.db` keeps
//! it: plain data, read from a GitHub-shaped push payload.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitPush {
    /// The incoming hook it arrived on.
    pub hook: String,
    /// `X-GitHub-Delivery` or `webhook-id`.
    pub delivery: String,
    /// `owner/name`.
    pub repository: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub before: String,
    pub after: String,
    pub pusher: String,
    /// Unix ms at receipt.
    pub at: u64,
}

/// A payload that is not a push, naming the field that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PushError {
    pub field: &'static str,
    pub message: String,
}

/// Where a push came from and when.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub hook: &'a str,
    pub delivery: &'a str,
    pub at: u64,
}

impl GitPush {
    /// Reads GitHub's push payload; `repository` and `pusher` may also be plain strings
    /// (what a generic sender writes).
    pub fn parse(arrival: Arrival<'_>, body: &[u8]) -> Result<Self, PushError> {
        let json: Value = serde_json::from_slice(body).map_err(|e| PushError {
            field: "body",
            message: format!("not JSON: {e}"),
        })?;
        Ok(Self {
            hook: arrival.hook.to_owned(),
            delivery: arrival.delivery.to_owned(),
            repository: text(&json, "repository", Some("full_name"))?,
            git_ref: text(&json, "ref", None)?,
            before: text(&json, "before", None)?,
            after: text(&json, "after", None)?,
            pusher: text(&json, "pusher", Some("name"))?,
            at: arrival.at,
        })
    }
}

/// `json[field]` as a string, or `json[field][inner]` when it is an object.
fn text(json: &Value, field: &'static str, inner: Option<&str>) -> Result<String, PushError> {
    let value = match (&json[field], inner) {
        (Value::Object(object), Some(inner)) => object.get(inner).unwrap_or(&Value::Null),
        (value, _) => value,
    };
    match value {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::Null => Err(PushError {
            field,
            message: "missing".to_owned(),
        }),
        _ => Err(PushError {
            field,
            message: "expected a non-empty string".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARRIVAL: Arrival<'static> = Arrival {
        hook: "git",
        delivery: "d1",
        at: 5,
    };

    #[test]
    fn a_github_push_is_read() {
        let body = br#"{"ref":"refs/heads/main","before":"a1","after":"b2",
            "repository":{"full_name":"acme/api"},"pusher":{"name":"ana"}}"#;
        let push = GitPush::parse(ARRIVAL, body).unwrap();
        assert_eq!(push.repository, "acme/api");
        assert_eq!(push.git_ref, "refs/heads/main");
        assert_eq!((push.before.as_str(), push.after.as_str()), ("a1", "b2"));
        assert_eq!(push.pusher, "ana");
    }

    #[test]
    fn a_missing_or_wrong_field_is_named() {
        let body = br#"{"ref":"refs/heads/main","before":"a1","after":"b2","pusher":"ana"}"#;
        let e = GitPush::parse(ARRIVAL, body).unwrap_err();
        assert_eq!((e.field, e.message.as_str()), ("repository", "missing"));
        let body = br#"{"ref":7,"before":"a","after":"b","repository":"r","pusher":"p"}"#;
        assert_eq!(GitPush::parse(ARRIVAL, body).unwrap_err().field, "ref");
        assert_eq!(GitPush::parse(ARRIVAL, b"{").unwrap_err().field, "body");
    }
}
