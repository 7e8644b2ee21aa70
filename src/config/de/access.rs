//! What a [`Reader`] hands to visitors: a sequence's items, a map's entries, and the
//! fields of a `Spanned` value.

use serde::de::value::{BoolDeserializer, MapDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Visitor};
use serde_saphyr::{Error as YamlError, Location};

use super::{Error, Reader, Source, Trail};
use crate::config::tree::{Entry, Node};

/// A sequence's items.
pub(super) struct Items<'a> {
    parent: Reader<'a>,
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    len: usize,
}

impl<'a> Items<'a> {
    pub(super) fn new(parent: Reader<'a>, items: &'a [Node]) -> Self {
        Self {
            parent,
            items: items.iter().enumerate(),
            len: items.len(),
        }
    }
}

impl<'de> de::SeqAccess<'de> for Items<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((index, item)) = self.items.next() else {
            return Ok(None);
        };
        let trail = Trail::Index(&self.parent.trail, index);
        let reader = self.parent.child(Source::Node(item), trail);
        reader.located(seed.deserialize(reader).map(Some))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

/// A map's entries, less the skipped ones.
pub(super) struct Entries<'a> {
    parent: Reader<'a>,
    entries: std::slice::Iter<'a, Entry>,
    /// The entry whose key was read last, for its value.
    current: Option<&'a Entry>,
}

impl<'a> Entries<'a> {
    pub(super) fn new(parent: Reader<'a>, entries: &'a [Entry]) -> Self {
        Self {
            parent,
            entries: entries.iter(),
            current: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for Entries<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let skip = self.parent.skip;
        let Some(entry) = self.entries.find(|e| !skip.contains(&e.key.name.as_str())) else {
            return Ok(None);
        };
        self.current = Some(entry);
        let trail = Trail::Key(&self.parent.trail, &entry.key.name);
        let reader = self.parent.child(Source::Key(&entry.key), trail);
        reader.located(seed.deserialize(reader).map(Some))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some(entry) = self.current.take() else {
            let location = Location::UNKNOWN;
            return Err(Error::yaml(YamlError::ValueRequestedBeforeKey { location }));
        };
        let trail = Trail::Key(&self.parent.trail, &entry.key.name);
        let reader = self.parent.child(Source::Node(&entry.value), trail);
        reader.located(seed.deserialize(reader))
    }
}

/// The name serde-saphyr's `Spanned` asks its deserializer for, and the key that marks the
/// map it is then given as the deserializer's own (serde-saphyr 2.2).
pub(super) const SPANNED: &str = "__yaml_spanned";
const SPANNED_MARKER: &str = "__serde_saphyr_private_spanned";
const SPANNED_FIELDS: [&str; 4] = [SPANNED_MARKER, "value", "referenced", "defined"];

/// A node as `Spanned` reads it: `{marker: true, value, referenced, defined}`.
pub(super) struct Spanned<'a>(pub(super) Reader<'a>);

impl<'de> de::Deserializer<'de> for Spanned<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let place = self.0.place();
        visitor.visit_map(SpannedFields {
            reader: self.0,
            place,
            next: 0,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct SpannedFields<'a> {
    reader: Reader<'a>,
    place: Place,
    next: usize,
}

/// A `Spanned` value's location: its line and column, and its spot (1-based).
#[derive(Clone, Copy)]
pub(super) struct Place {
    pub(super) line: u32,
    pub(super) column: u32,
    pub(super) id: u32,
}

impl<'de> de::MapAccess<'de> for SpannedFields<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(&field) = SPANNED_FIELDS.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(StrDeserializer::<Error>::new(field))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.next {
            1 => seed.deserialize(BoolDeserializer::<Error>::new(true)),
            2 => seed.deserialize(self.reader),
            _ => seed.deserialize(self.place.fields()),
        }
    }
}

impl Place {
    /// As `Location` reads itself: `{line, column, source_id}`.
    fn fields<'de>(
        self,
    ) -> MapDeserializer<'de, std::array::IntoIter<(&'static str, u32), 3>, Error> {
        let fields = [
            ("line", self.line),
            ("column", self.column),
            ("source_id", self.id),
        ];
        MapDeserializer::new(fields.into_iter())
    }
}
