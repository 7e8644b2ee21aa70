//! A playbook file as written. Scalars that need parsing (durations, sizes, paths, globs)
//! stay strings here, so the check can report every bad one at once with its place.

use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlaybookFile {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub roots: Vec<Spanned<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub steps: Vec<Spanned<StepSpec>>,
    #[serde(default)]
    pub stop_on_error: bool,
}

/// `steps:` with nothing under it means no steps.
fn nullable<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<T>>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// One step: a mapping with a single key naming what it does.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum StepSpec {
    Delete(DeleteSpec),
    Truncate(TruncateSpec),
    Rotate(RotateSpec),
    Run(RunSpec),
    Restart(Spanned<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeleteSpec {
    pub under: Spanned<String>,
    #[serde(rename = "match")]
    pub pattern: Spanned<String>,
    #[serde(default)]
    pub older_than: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TruncateSpec {
    pub file: Spanned<String>,
    #[serde(default)]
    pub over: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RotateSpec {
    pub file: Spanned<String>,
    #[serde(default)]
    pub over: Option<Spanned<String>>,
    #[serde(default)]
    pub keep: Option<Spanned<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RunSpec {
    pub command: Spanned<String>,
    #[serde(default)]
    pub timeout: Option<Spanned<String>>,
}
