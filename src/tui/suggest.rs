//! "Did you mean ...?" for serde messages about the keymap and theme files.

pub use crate::config::suggest as did_you_mean;

/// serde says "unknown variant `strat`, expected one of quit, ..." (or "unknown field");
/// append the nearest expected name when the word looks like a typo of it.
pub fn with_suggestion(message: &str) -> String {
    let rest = ["unknown variant `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p));
    let Some(rest) = rest else {
        return message.to_string();
    };
    let (word, rest) = rest.split_once('`').unwrap_or((rest, ""));
    let names = rest.rsplit_once("expected ").map_or("", |(_, n)| n);
    let names = names
        .trim_start_matches("one of ")
        .split(", ")
        .map(|n| n.trim_matches('`'));
    match did_you_mean(word, names) {
        Some(name) => format!("{message} (did you mean `{name}`?)"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_only() {
        let names = ["api", "web", "worker", "db"];
        assert_eq!(did_you_mean("apu", names), Some("api"));
        assert_eq!(did_you_mean("wokrer", names), Some("worker"));
        assert_eq!(did_you_mean("postgres", names), None);
    }

    #[test]
    fn suggests_for_serde_messages() {
        assert_eq!(
            with_suggestion("unknown field `stat_running`, expected one of `fg`, `state_running`"),
            "unknown field `stat_running`, expected one of `fg`, `state_running` \
             (did you mean `state_running`?)"
        );
        assert_eq!(with_suggestion("invalid type"), "invalid type");
    }
}
