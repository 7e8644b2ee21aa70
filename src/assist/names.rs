//! Finding the workspace's names (services, environments) in typed words, forgiving typos.

/// Words that never name a service even when they are a typo away from one ("we" ~ "web").
const COMMON: &[&str] = &[
    "a", "an", "the", "me", "my", "we", "us", "it", "its", "is", "are", "be", "do", "to", "of",
    "in", "on", "at", "for", "from", "and", "or", "if", "up", "all", "any", "app", "pls", "please",
    "now", "again", "keeps", "log", "logs", "last", "past", "show", "what", "why", "how", "with",
    "that", "this", "one", "service", "services", "alert", "alerts", "error", "errors", "down",
    "back", "off", "out", "go", "get", "let", "can", "you", "just", "into", "over", "env",
];

/// Allowed typo distance for a name of this length.
fn tolerance(name: &str) -> usize {
    if name.chars().count() <= 6 { 1 } else { 2 }
}

/// The ASCII words of `text`, lowercase: service names are ASCII, and Chinese text has no
/// spaces, so every non-name character separates words ("重启api" → ["api"]).
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_ascii_alphanumeric() || "-_.=~'".contains(c)))
        .map(|w| w.trim_matches(|c| c == '.' || c == '\''))
        .map(|w| w.strip_suffix("'s").unwrap_or(w).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Where a name was found and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Exact(String),
    Near(String),
    /// Two or more names are equally near: never guess between them.
    Ambiguous(Vec<String>),
    None,
}

/// The one name of `names` the words mention: an exact word first, else the nearest within
/// the typo tolerance. `skip` are words already used for something else (verbs).
pub fn find(words: &[String], names: &[String], skip: &dyn Fn(&str) -> bool) -> Found {
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    for word in words {
        if let Some(i) = lower.iter().position(|n| n == word) {
            return Found::Exact(names[i].clone());
        }
    }
    let mut best: Option<(usize, Vec<String>)> = None;
    for word in words
        .iter()
        .filter(|w| w.len() >= 2 && !COMMON.contains(&w.as_str()) && !skip(w))
    {
        for (i, name) in lower.iter().enumerate() {
            let d = strsim::damerau_levenshtein(word, name);
            if d == 0 || d > tolerance(name) || d >= name.len() {
                continue;
            }
            match &mut best {
                Some((bd, list)) if *bd == d => {
                    if !list.contains(&names[i]) {
                        list.push(names[i].clone());
                    }
                }
                Some((bd, _)) if *bd < d => {}
                _ => best = Some((d, vec![names[i].clone()])),
            }
        }
    }
    match best {
        Some((_, mut list)) if list.len() == 1 => Found::Near(list.remove(0)),
        Some((_, list)) => Found::Ambiguous(list),
        None => Found::None,
    }
}

/// A name written inside Chinese text without spaces, or a known name as a word prefix
/// ("production" for "prod").
pub fn find_prefix(text: &str, words: &[String], names: &[String]) -> Option<String> {
    let lower = text.to_lowercase();
    names
        .iter()
        .find(|n| {
            words
                .iter()
                .any(|w| w.len() > n.len() && n.len() >= 3 && w.starts_with(&n.to_lowercase()))
        })
        .or_else(|| {
            names
                .iter()
                .find(|n| n.len() >= 3 && lower.contains(&n.to_lowercase()))
        })
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["api", "web", "worker", "db"].map(String::from).to_vec()
    }

    #[test]
    fn exact_then_typos_never_common_words() {
        let none = |_: &str| false;
        assert_eq!(
            find(&words("restart the API"), &names(), &none),
            Found::Exact("api".into())
        );
        assert_eq!(
            find(&words("restart wokrer"), &names(), &none),
            Found::Near("worker".into())
        );
        assert_eq!(find(&words("we should"), &names(), &none), Found::None);
        assert_eq!(words("重启api服务"), vec!["api"]);
    }
}
