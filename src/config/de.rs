//! Reads a schema type (the workspace file) straight from a [`Node`] tree with serde.
//!
//! Plain scalars are typed as serde-saphyr types them (see [`scalar`]) and errors are
//! serde-saphyr's own, so a file reads the same and fails with the same words as it would
//! from its text. Every error names the node it is about (origin and key path), and every
//! [`serde_saphyr::Spanned`] value gets a [`Location`] whose `source_id` indexes
//! [`Read::spots`], where its origin and key path are.

use std::cell::RefCell;
use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, Visitor};
use serde_saphyr::{Error as YamlError, Location};

use super::tree::{Key, Kind, Node, Origin, Step, key_path};

mod access;
mod scalar;

use access::{Entries, Items, Place, SPANNED, Spanned};

/// A value read from a tree, with where its `Spanned` parts were.
pub(crate) struct Read<T> {
    pub value: T,
    /// `source_id - 1` of a `Spanned` location indexes this: (origin, key path).
    pub spots: Vec<(Origin, String)>,
}

/// Why a tree did not read, and at which node.
#[derive(Debug)]
pub(crate) struct Failure {
    pub yaml: YamlError,
    pub spot: Option<Spot>,
}

/// A node and its key path.
#[derive(Debug, Clone)]
pub(crate) struct Spot {
    pub at: Origin,
    pub path: Vec<Step>,
}

/// Reads a `T` from `root`, leaving out its top-level keys named in `skip`.
pub(crate) fn from_tree<T: DeserializeOwned>(
    root: Option<&Node>,
    skip: &[&str],
) -> Result<Read<T>, Box<Failure>> {
    let Some(root) = root else {
        // An empty document ends where it starts.
        let yaml = YamlError::Eof {
            location: Location::UNKNOWN,
        };
        let at = Origin {
            file: 0,
            line: 1,
            column: 1,
        };
        let spot = Some(Spot {
            at,
            path: Vec::new(),
        });
        return Err(Box::new(Failure { yaml, spot }));
    };
    let spots = RefCell::new(Vec::new());
    let reader = Reader {
        source: Source::Node(root),
        trail: Trail::Root,
        spots: &spots,
        skip,
    };
    let value = T::deserialize(reader).map_err(|e| e.0)?;
    Ok(Read {
        value,
        spots: spots.into_inner(),
    })
}

/// serde's error type for [`Reader`]: serde-saphyr's error, and the node it is about once
/// known.
#[derive(Debug)]
pub(crate) struct Error(Box<Failure>);

impl Error {
    fn yaml(yaml: YamlError) -> Self {
        Self(Box::new(Failure { yaml, spot: None }))
    }

    /// Puts an error that names no node yet at `spot`: the innermost node that sees an
    /// error is the one it is about.
    fn or_at(mut self, spot: impl FnOnce() -> Spot) -> Self {
        if self.0.spot.is_none() {
            self.0.spot = Some(spot());
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.yaml.fmt(f)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::yaml(YamlError::custom(msg))
    }

    fn invalid_type(unexpected: de::Unexpected, expected: &dyn de::Expected) -> Self {
        Self::yaml(YamlError::invalid_type(unexpected, expected))
    }

    fn invalid_value(unexpected: de::Unexpected, expected: &dyn de::Expected) -> Self {
        Self::yaml(YamlError::invalid_value(unexpected, expected))
    }

    fn invalid_length(len: usize, expected: &dyn de::Expected) -> Self {
        Self::yaml(YamlError::invalid_length(len, expected))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::yaml(YamlError::unknown_variant(variant, expected))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::yaml(YamlError::unknown_field(field, expected))
    }

    fn missing_field(field: &'static str) -> Self {
        Self::yaml(YamlError::missing_field(field))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::yaml(YamlError::duplicate_field(field))
    }
}

/// The key path down to a node, kept on the stack while reading.
#[derive(Clone, Copy)]
enum Trail<'a> {
    Root,
    Key(&'a Trail<'a>, &'a str),
    Index(&'a Trail<'a>, usize),
}

impl Trail<'_> {
    fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        self.push_to(&mut steps);
        steps
    }

    fn push_to(&self, steps: &mut Vec<Step>) {
        match *self {
            Self::Root => {}
            Self::Key(parent, key) => {
                parent.push_to(steps);
                steps.push(Step::Key(key.to_owned()));
            }
            Self::Index(parent, index) => {
                parent.push_to(steps);
                steps.push(Step::Index(index));
            }
        }
    }
}

/// What is read: a node, or a map's key (a scalar).
#[derive(Clone, Copy)]
enum Source<'a> {
    Node(&'a Node),
    Key(&'a Key),
}

/// The serde `Deserializer` of one node.
#[derive(Clone, Copy)]
struct Reader<'a> {
    source: Source<'a>,
    trail: Trail<'a>,
    spots: &'a RefCell<Vec<(Origin, String)>>,
    /// Keys of this node's map to leave out.
    skip: &'a [&'a str],
}

impl<'a> Reader<'a> {
    fn child(&self, source: Source<'a>, trail: Trail<'a>) -> Self {
        Reader {
            source,
            trail,
            spots: self.spots,
            skip: &[],
        }
    }

    fn at(&self) -> Origin {
        match self.source {
            Source::Node(node) => node.at,
            Source::Key(key) => key.at,
        }
    }

    fn spot(&self) -> Spot {
        Spot {
            at: self.at(),
            path: self.trail.steps(),
        }
    }

    fn located<T>(self, result: Result<T, Error>) -> Result<T, Error> {
        result.map_err(|e| e.or_at(|| self.spot()))
    }

    /// The text of a scalar, and whether it is plain.
    fn scalar(&self) -> Option<(&'a str, bool)> {
        match self.source {
            Source::Node(Node {
                kind: Kind::Scalar(s),
                ..
            }) => Some((&s.value, s.plain)),
            Source::Key(key) => Some((&key.name, !key.quoted)),
            Source::Node(_) => None,
        }
    }

    fn is_null(&self) -> bool {
        self.scalar()
            .is_some_and(|(text, plain)| plain && scalar::is_null(text))
    }

    /// Any scalar's text, for a typed read.
    fn text(&self) -> Result<&'a str, Error> {
        self.scalar()
            .map(|(text, _)| text)
            .ok_or_else(|| unexpected("string scalar"))
    }

    /// Where a `Spanned` value is, recorded in `spots`.
    fn place(&self) -> Place {
        let mut spots = self.spots.borrow_mut();
        spots.push((self.at(), key_path(&self.trail.steps())));
        let number = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Place {
            line: number(self.at().line),
            column: number(self.at().column),
            id: number(spots.len() as u64),
        }
    }

    fn any<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Some((text, plain)) = self.scalar() {
            return if plain {
                typed(text, visitor)
            } else {
                visitor.visit_str(text)
            };
        }
        match self.source {
            Source::Node(Node {
                kind: Kind::Seq { items, .. },
                ..
            }) => visitor.visit_seq(Items::new(self, items)),
            Source::Node(Node {
                kind: Kind::Map { entries, .. },
                ..
            }) => visitor.visit_map(Entries::new(self, entries)),
            _ => Err(unexpected("scalar")),
        }
    }

    fn string<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_null() {
            let location = Location::UNKNOWN;
            return Err(Error::yaml(YamlError::NullIntoString { location }));
        }
        visitor.visit_str(self.text()?)
    }

    fn unsigned<T: TryFrom<u128>>(self, ty: &'static str) -> Result<T, Error> {
        let value = scalar::unsigned(self.text()?);
        value
            .and_then(|v| T::try_from(v).ok())
            .ok_or_else(|| invalid(ty))
    }

    fn signed<T: TryFrom<i128>>(self, ty: &'static str) -> Result<T, Error> {
        let value = scalar::signed(self.text()?);
        value
            .and_then(|v| T::try_from(v).ok())
            .ok_or_else(|| invalid(ty))
    }

    fn float(self) -> Result<f64, Error> {
        scalar::float(self.text()?).ok_or_else(|| invalid("floating point"))
    }

    fn boolean(self) -> Result<bool, Error> {
        scalar::boolean(self.text()?).ok_or_else(|| invalid("boolean"))
    }

    fn char<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let location = Location::UNKNOWN;
        if self.is_null() {
            return Err(Error::yaml(YamlError::InvalidCharNull { location }));
        }
        let mut chars = self.text()?.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(Error::yaml(YamlError::InvalidCharNotSingleScalar {
                location,
            })),
        }
    }

    fn option<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn unit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.is_null() {
            return visitor.visit_unit();
        }
        let location = Location::UNKNOWN;
        Err(Error::yaml(YamlError::UnexpectedValueForUnit { location }))
    }

    fn unit_struct<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.source {
            Source::Node(Node {
                kind: Kind::Map { entries, .. },
                ..
            }) if entries.is_empty() => visitor.visit_unit(),
            Source::Node(Node {
                kind: Kind::Map { .. },
                ..
            }) => Err(Error::yaml(YamlError::ExpectedEmptyMappingForUnitStruct {
                location: Location::UNKNOWN,
            })),
            _ => self.unit(visitor),
        }
    }

    fn newtype<'de, V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == SPANNED {
            visitor.visit_newtype_struct(Spanned(self))
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn seq<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.source {
            Source::Node(Node {
                kind: Kind::Seq { items, .. },
                ..
            }) => visitor.visit_seq(Items::new(self, items)),
            _ => Err(unexpected("sequence start")),
        }
    }

    fn map<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.source {
            Source::Node(Node {
                kind: Kind::Map { entries, .. },
                ..
            }) => visitor.visit_map(Entries::new(self, entries)),
            _ => Err(unexpected("mapping start")),
        }
    }

    /// An externally tagged enum written as its unit variant's name.
    fn enumeration<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.scalar() {
            Some((name, _)) => visitor.visit_enum(StrDeserializer::<Error>::new(name)),
            None => Err(Error::yaml(
                YamlError::ExternallyTaggedEnumExpectedScalarOrMapping {
                    location: Location::UNKNOWN,
                },
            )),
        }
    }
}

/// A plain scalar to a visitor that takes what it is.
fn typed<'de, V: Visitor<'de>>(text: &str, visitor: V) -> Result<V::Value, Error> {
    match scalar::typed(text) {
        scalar::Typed::Null => visitor.visit_unit(),
        scalar::Typed::Bool(b) => visitor.visit_bool(b),
        scalar::Typed::Unsigned(n) => visitor.visit_u64(n),
        scalar::Typed::Signed(n) => visitor.visit_i64(n),
        scalar::Typed::Float(f) if f.is_finite() => visitor.visit_f64(f),
        scalar::Typed::Float(_) => Err(Error::yaml(YamlError::NonFiniteFloat {
            value: text.to_owned(),
            location: Location::UNKNOWN,
        })),
        scalar::Typed::Text => visitor.visit_str(text),
    }
}

fn unexpected(expected: &'static str) -> Error {
    let location = Location::UNKNOWN;
    Error::yaml(YamlError::Unexpected { expected, location })
}

fn invalid(ty: &'static str) -> Error {
    let location = Location::UNKNOWN;
    Error::yaml(YamlError::InvalidScalar { ty, location })
}

impl<'de> de::Deserializer<'de> for Reader<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.any(visitor))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.boolean().and_then(|b| visitor.visit_bool(b)))
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.signed("i8").and_then(|n| visitor.visit_i8(n)))
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.signed("i16").and_then(|n| visitor.visit_i16(n)))
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.signed("i32").and_then(|n| visitor.visit_i32(n)))
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.signed("i64").and_then(|n| visitor.visit_i64(n)))
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.signed("i128").and_then(|n| visitor.visit_i128(n)))
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.unsigned("u8").and_then(|n| visitor.visit_u8(n)))
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.unsigned("u16").and_then(|n| visitor.visit_u16(n)))
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.unsigned("u32").and_then(|n| visitor.visit_u32(n)))
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.unsigned("u64").and_then(|n| visitor.visit_u64(n)))
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.unsigned("u128").and_then(|n| visitor.visit_u128(n)))
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.float().and_then(|f| visitor.visit_f64(f)))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.char(visitor))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.string(visitor))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.string(visitor))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        let location = Location::UNKNOWN;
        let error = YamlError::BytesNotSupportedMissingBinaryTag { location };
        self.located(Err(Error::yaml(error)))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.option(visitor))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.unit(visitor))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.located(self.unit_struct(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.located(self.newtype(name, visitor))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.seq(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.located(self.seq(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.located(self.seq(visitor))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.map(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.located(self.map(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.located(self.enumeration(visitor))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(self.string(visitor))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

#[cfg(test)]
mod tests;
