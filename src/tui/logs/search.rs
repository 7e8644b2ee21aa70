//! The `/` search of the logs pane: highlights matches on screen and moves the cursor
//! between matching lines. Smart case (lower-case text ignores case); text that is not a
//! valid regex is searched literally, so half-typed input still highlights.

use std::ops::Range;

use regex::{Regex, RegexBuilder};

#[derive(Debug, Clone)]
pub struct Search {
    pub text: String,
    regex: Regex,
}

impl PartialEq for Search {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Search {
    /// `None` for an empty text.
    pub fn new(text: &str) -> Option<Self> {
        if text.is_empty() {
            return None;
        }
        let ignore_case = !text.chars().any(char::is_uppercase);
        let build = |pattern: &str| {
            RegexBuilder::new(pattern)
                .case_insensitive(ignore_case)
                .build()
        };
        let regex = build(text).or_else(|_| build(&regex::escape(text))).ok()?;
        Some(Self {
            text: text.to_string(),
            regex,
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// Byte ranges of the non-empty matches in `text`.
    pub fn matches<'a>(&'a self, text: &'a str) -> impl Iterator<Item = Range<usize>> + 'a {
        self.regex
            .find_iter(text)
            .map(|m| m.range())
            .filter(|r| !r.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_case_and_literal_fallback() {
        let search = Search::new("timeout").unwrap();
        assert!(search.is_match("DB Timeout"));
        let exact = Search::new("Timeout").unwrap();
        assert!(!exact.is_match("db timeout"));
        let literal = Search::new("f(").unwrap();
        assert_eq!(
            literal.matches("call f(x) f(y)").collect::<Vec<_>>(),
            [5..7, 10..12]
        );
        assert!(Search::new("").is_none());
    }
}
