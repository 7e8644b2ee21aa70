//! Which lines the logs pane shows: one service or all, a lowest level, a regex, one
//! pattern. The engine applies the same filter to the stream ([`LogFilter::query`]); the
//! pane applies it again to what arrives, so lines of a stream being replaced stay out.

use regex::Regex;

use super::window::WINDOW_LINES;
use crate::logs::{Level, LogLine, LogQuery};

#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// `None`: every service, merged.
    pub service: Option<String>,
    /// Lowest level shown; lines without a level are hidden when set.
    pub level: Option<Level>,
    pub grep: Option<Grep>,
    pub pattern: Option<PatternChoice>,
}

/// A regex the line's text must match, as typed and compiled.
#[derive(Debug, Clone)]
pub struct Grep {
    pub text: String,
    regex: Regex,
}

impl Grep {
    /// `None` for an empty text; the regex error otherwise.
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        let regex = crate::config::values::regex(text).map_err(|rejected| rejected.message)?;
        Ok(Some(Self {
            text: text.to_string(),
            regex,
        }))
    }
}

/// "Only lines of this pattern", with its template for the pane's title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternChoice {
    pub id: u32,
    pub template: String,
}

impl PartialEq for LogFilter {
    fn eq(&self, other: &Self) -> bool {
        self.service == other.service
            && self.level == other.level
            && self.grep.as_ref().map(|g| &g.text) == other.grep.as_ref().map(|g| &g.text)
            && self.pattern == other.pattern
    }
}

impl LogFilter {
    /// The engine query for this filter: the newest window's worth of stored lines, then
    /// live ones.
    pub fn query(&self) -> LogQuery {
        LogQuery {
            sources: self.service.iter().cloned().collect(),
            level: self.level,
            grep: self.grep.as_ref().map(|g| g.text.clone()),
            pattern: self.pattern.as_ref().map(|p| p.id),
            since: None,
            limit: Some(WINDOW_LINES),
            follow: true,
        }
    }

    pub fn matches(&self, line: &LogLine) -> bool {
        self.service.as_ref().is_none_or(|s| *s == line.source)
            && self
                .level
                .is_none_or(|min| line.level.is_some_and(|l| l >= min))
            && self
                .pattern
                .as_ref()
                .is_none_or(|p| line.pattern == Some(p.id))
            && self
                .grep
                .as_ref()
                .is_none_or(|g| g.regex.is_match(&line.text))
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// all → debug+ → info+ → warn+ → error+ → all.
    pub fn cycle_level(&mut self) {
        self.level = match self.level {
            None => Some(Level::Debug),
            Some(Level::Trace | Level::Debug) => Some(Level::Info),
            Some(Level::Info) => Some(Level::Warn),
            Some(Level::Warn) => Some(Level::Error),
            Some(Level::Error | Level::Fatal) => None,
        };
    }

    /// Short words for the pane's title: `≥WARN`, `/timeout/`, `pattern #12`.
    pub fn chips(&self) -> Vec<String> {
        let mut chips = Vec::new();
        if let Some(level) = self.level {
            chips.push(format!("≥{}", level.as_str()));
        }
        if let Some(grep) = &self.grep {
            chips.push(format!("grep /{}/", grep.text));
        }
        if let Some(pattern) = &self.pattern {
            chips.push(format!("pattern #{}", pattern.id));
        }
        chips
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(source: &str, level: Option<Level>, pattern: u32, text: &str) -> LogLine {
        LogLine {
            seq: 0,
            at: 0,
            source: source.into(),
            level,
            pattern: Some(pattern),
            text: text.into(),
            header: None,
            continues: false,
        }
    }

    #[test]
    fn matches_like_the_query_says() {
        let mut filter = LogFilter::default();
        let error = line("api", Some(Level::Error), 3, "db timeout after 5s");
        let plain = line("web", None, 4, "GET /");
        assert!(filter.matches(&error) && filter.matches(&plain));
        filter.cycle_level();
        filter.cycle_level();
        filter.cycle_level();
        assert_eq!(filter.level, Some(Level::Warn));
        assert!(filter.matches(&error) && !filter.matches(&plain));
        filter.grep = Grep::parse("time(out)?").unwrap();
        filter.service = Some("api".into());
        filter.pattern = Some(PatternChoice {
            id: 3,
            template: "db timeout after <*>".into(),
        });
        assert!(filter.matches(&error));
        let query = filter.query();
        assert_eq!(query.sources, ["api"]);
        assert_eq!(query.grep.as_deref(), Some("time(out)?"));
        assert_eq!(
            (query.pattern, query.limit, query.follow),
            (Some(3), Some(WINDOW_LINES), true)
        );
        assert_eq!(filter.chips(), ["≥WARN", "grep /time(out)?/", "pattern #3"]);
        filter.pattern.as_mut().unwrap().id = 4;
        assert!(!filter.matches(&error));
    }

    #[test]
    fn bad_regex_is_explained_in_one_line() {
        let error = Grep::parse("(unclosed").unwrap_err();
        assert_eq!(error, "invalid regex `(unclosed`: unclosed group");
        assert!(!error.contains('\n'));
        assert!(Grep::parse("").unwrap().is_none());
    }
}
