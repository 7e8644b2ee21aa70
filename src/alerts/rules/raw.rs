//! Any YAML value with its location. Rules are read into these and checked by hand, so an
//! unknown key or a value of the wrong type in one rule does not hide the problems of the
//! others (serde stops at its first error).

use std::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de};
use serde_saphyr::Spanned;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Raw {
    Null,
    /// Strings, numbers and booleans, as text.
    Scalar(String),
    List(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<String>, Spanned<Raw>)>),
}

impl Raw {
    /// What the value is, for "expected ..., found ..." messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Self::Null => "nothing",
            Self::Scalar(_) => "a single value",
            Self::List(_) => "a list",
            Self::Map(_) => "a mapping",
        }
    }
}

/// The top level of `rules.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RulesFile {
    #[serde(default, deserialize_with = "nullable")]
    pub rules: Vec<Spanned<Raw>>,
}

/// `rules:` with nothing under it means no rules.
fn nullable<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Spanned<Raw>>, D::Error> {
    Option::<Vec<Spanned<Raw>>>::deserialize(deserializer).map(Option::unwrap_or_default)
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Scalar(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Scalar(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Scalar(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Scalar(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Scalar(v.to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        Raw::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> RulesFile {
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn values_keep_their_text_and_place() {
        let file =
            parse("rules:\n  - expr: \"cpu > 80\"\n    clear: 70\n    x: [1, true]\n    y:\n");
        let Raw::Map(entries) = &file.rules[0].value else {
            panic!("a map")
        };
        let found: Vec<(&str, &Raw, u64, u64)> = entries
            .iter()
            .map(|(k, v)| {
                (
                    k.value.as_str(),
                    &v.value,
                    v.referenced.line(),
                    v.referenced.column(),
                )
            })
            .collect();
        assert_eq!(found[0], ("expr", &Raw::Scalar("cpu > 80".into()), 2, 11));
        assert_eq!(found[1], ("clear", &Raw::Scalar("70".into()), 3, 12));
        assert!(matches!(found[2].1, Raw::List(items) if items.len() == 2));
        assert_eq!(found[3].1, &Raw::Null);
        // The location of a quoted string is its opening quote.
        assert_eq!(entries[0].1.referenced.span().byte_offset(), Some(17));
    }

    #[test]
    fn empty_files_have_no_rules() {
        for text in ["", "# nothing yet\n", "rules:\n", "rules: []\n"] {
            assert!(parse(text).rules.is_empty(), "{text:?}");
        }
    }
}
