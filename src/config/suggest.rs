//! "did you mean ...?" hints for misspelt keys, service names and values.

/// Above this Jaro-Winkler similarity a candidate is a likely typo or a shortening
/// (`depends` for `depends_on`).
const MIN_SIMILARITY: f64 = 0.8;

/// The candidate closest to `word`, if any is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    // Jaro-Winkler alone misses swapped letters in short words (`wbe` for `web`).
    let max_edits = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let lower = candidate.to_ascii_lowercase();
            let edits = strsim::damerau_levenshtein(&word, &lower);
            let close = edits <= max_edits || strsim::jaro_winkler(&word, &lower) >= MIN_SIMILARITY;
            close.then_some((edits, candidate))
        })
        .min_by_key(|&(edits, _)| edits)
        .map(|(_, candidate)| candidate)
}

/// "did you mean `x`?" when one candidate is close, otherwise the list of valid choices
/// (when there are any).
pub fn hint(word: &str, candidates: &[&str]) -> Option<String> {
    if let Some(best) = closest(word, candidates.iter().copied()) {
        return Some(format!("did you mean `{best}`?"));
    }
    (!candidates.is_empty()).then(|| format!("expected one of {}", quoted_list(candidates)))
}

/// `` `a`, `b`, `c` ``
pub fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 4] = ["command", "cwd", "depends_on", "health"];

    #[test]
    fn finds_typos() {
        assert_eq!(closest("depnds_on", FIELDS), Some("depends_on"));
        assert_eq!(closest("comand", FIELDS), Some("command"));
        assert_eq!(closest("HEALTH", FIELDS), Some("health"));
        assert_eq!(closest("depends", FIELDS), Some("depends_on"));
        assert_eq!(closest("wbe", ["api", "web"]), Some("web"));
    }

    #[test]
    fn ignores_unrelated_words() {
        assert_eq!(closest("zzz", FIELDS), None);
        assert_eq!(closest("x", []), None);
    }

    #[test]
    fn hint_falls_back_to_the_list() {
        assert_eq!(
            hint("healty", &["started", "healthy"]).as_deref(),
            Some("did you mean `healthy`?")
        );
        assert_eq!(
            hint("zzz", &["no", "always"]).as_deref(),
            Some("expected one of `no`, `always`")
        );
        assert_eq!(hint("zzz", &[]), None);
    }
}
