//! `channels.yaml` as written. Every scalar that validation may reject is [`Spanned`] and
//! stays a string until then, so all problems are reported at once with their place.

use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// An empty key (`channels:` with nothing under it) means the same as leaving it out.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsFile {
    #[serde(default, deserialize_with = "nullable")]
    pub channels: IndexMap<Spanned<String>, ChannelSpec>,
    #[serde(default)]
    pub route: Option<RouteSpec>,
}

/// One channel. The fields of every type share one struct so a misspelt key gets a
/// suggestion; validation rejects the keys that do not apply to the channel's type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    #[serde(default)]
    pub smtp: Option<Spanned<String>>,
    #[serde(default)]
    pub tls: Option<Spanned<String>>,
    #[serde(default)]
    pub username: Option<Spanned<String>>,
    #[serde(default)]
    pub password: Option<Spanned<String>>,
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub to: Option<Spanned<Addresses>>,
    #[serde(default)]
    pub secret: Option<Spanned<String>>,
    #[serde(default)]
    pub headers: Option<IndexMap<Spanned<String>, Spanned<String>>>,
}

/// `to: a@x` or `to: [a@x, b@x]`; a single address takes its place from the `Spanned`
/// around it.
#[derive(Debug)]
pub enum Addresses {
    One(String),
    Many(Vec<Spanned<String>>),
}

// Hand-written rather than `untagged`: untagged enums lose the locations of their contents.
impl<'de> Deserialize<'de> for Addresses {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AddressesVisitor;
        impl<'de> Visitor<'de> for AddressesVisitor {
            type Value = Addresses;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an email address or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Addresses, E> {
                Ok(Addresses::One(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Addresses, A::Error> {
                let mut all = Vec::new();
                while let Some(address) = seq.next_element()? {
                    all.push(address);
                }
                Ok(Addresses::Many(all))
            }
        }
        deserializer.deserialize_any(AddressesVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    #[serde(default, rename = "match")]
    pub matchers: Vec<Spanned<String>>,
    #[serde(default)]
    pub channels: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub group_by: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub group_wait: Option<Spanned<String>>,
    #[serde(default)]
    pub group_interval: Option<Spanned<String>>,
    #[serde(default)]
    pub repeat_interval: Option<Spanned<String>>,
    #[serde(default)]
    pub send_resolved: Option<bool>,
    #[serde(default, rename = "continue")]
    pub continue_matching: Option<Spanned<bool>>,
    #[serde(default, deserialize_with = "nullable")]
    pub routes: Vec<RouteSpec>,
}
