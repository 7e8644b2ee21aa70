//! The healing keys of a service: probes (`readiness`, `liveness`, and `health`, the older
//! name of `readiness`) and the restart triggers (`watch`).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// One probe and its timing. Exactly one of `exec`, `tcp`, `http`, `process`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub exec: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub tcp: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<HttpSpec>")]
    pub http: Option<Spanned<HttpSpec>>,
    /// `process: true`: the service's main process is alive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<bool>")]
    pub process: Option<Spanned<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub initial_delay: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u32>")]
    pub success_threshold: Option<Spanned<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u32>")]
    pub failure_threshold: Option<Spanned<u32>>,
    /// Docker's name for `failure_threshold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u32>")]
    pub retries: Option<Spanned<u32>>,
    /// Docker's grace period: failures before the first success within it do not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub start_period: Option<Spanned<String>>,
}

/// `http: http://127.0.0.1:8080/health` or
/// `http: { url: ..., status: 200..299, body: ok }`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum HttpSpec {
    Url(String),
    Full(Box<HttpFull>),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpFull {
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    /// `200`, `200..299` (both ends included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Scalar>")]
    pub status: Option<Spanned<Scalar>>,
    /// A substring the response body must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub body: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for HttpSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HttpVisitor;
        impl<'de> Visitor<'de> for HttpVisitor {
            type Value = HttpSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a URL or a map with `url`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HttpSpec, E> {
                Ok(HttpSpec::Url(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<HttpSpec, A::Error> {
                HttpFull::deserialize(MapAccessDeserializer::new(map))
                    .map(|full| HttpSpec::Full(Box::new(full)))
            }
        }
        deserializer.deserialize_any(HttpVisitor)
    }
}

/// A value written as a number or a string (`status: 200` or `status: 200..299`), kept as
/// text for validation to parse.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Scalar(pub String);

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["integer", "string"] })
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// `watch: [src, config.toml]` or
/// `watch: { paths: [src], include: ["**/*.rs"], exclude: ["target/**"], debounce: 500ms }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WatchSpec {
    pub paths: Vec<Spanned<String>>,
    pub include: Vec<Spanned<String>>,
    pub exclude: Vec<Spanned<String>>,
    pub debounce: Option<Spanned<String>>,
}

impl JsonSchema for WatchSpec {
    fn schema_name() -> Cow<'static, str> {
        "WatchSpec".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let paths = generator.subschema_for::<Vec<String>>();
        let full = generator.subschema_for::<WatchFull>();
        json_schema!({ "anyOf": [paths, full] })
    }
}

/// Paths to watch (relative to the service's cwd), globs to include and exclude, and how
/// long changes must settle before the restart.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WatchFull {
    #[schemars(with = "Vec<String>")]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    debounce: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for WatchSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WatchVisitor;
        impl<'de> Visitor<'de> for WatchVisitor {
            type Value = WatchSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of paths or a map with `paths`")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WatchSpec, A::Error> {
                let mut paths = Vec::new();
                while let Some(path) = seq.next_element()? {
                    paths.push(path);
                }
                Ok(WatchSpec {
                    paths,
                    ..WatchSpec::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<WatchSpec, A::Error> {
                let full = WatchFull::deserialize(MapAccessDeserializer::new(map))?;
                Ok(WatchSpec {
                    paths: full.paths,
                    include: full.include,
                    exclude: full.exclude,
                    debounce: full.debounce,
                })
            }
        }
        deserializer.deserialize_any(WatchVisitor)
    }
}
