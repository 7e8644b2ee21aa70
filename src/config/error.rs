//! Configuration errors: every problem names the file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

/// Errors stop a config from loading; warnings are shown and the config is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProblemSeverity {
    #[default]
    Error,
    Warning,
}

/// One thing wrong with a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based; 0 when the problem has no single place (e.g. the file is empty).
    pub line: u64,
    /// 1-based.
    pub column: u64,
    pub message: String,
    /// "did you mean `depends_on`?"
    pub hint: Option<String>,
    /// The text of line `line`, so a caret can be drawn under `column`.
    pub source_line: Option<String>,
    /// Where in the document: `services.api.readiness.interval`; empty when unknown.
    pub path: String,
    pub severity: ProblemSeverity,
}

impl Problem {
    pub fn new(
        file: &Path,
        line: u64,
        column: u64,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Self {
        Self {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
            hint,
            source_line: None,
            path: String::new(),
            severity: ProblemSeverity::Error,
        }
    }

    pub fn is_warning(&self) -> bool {
        self.severity == ProblemSeverity::Warning
    }

    /// Two lines quoting the source with a caret under the column, compiler style.
    pub fn snippet(&self) -> Option<String> {
        let text = self.source_line.as_deref()?;
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        // Keep tabs so the caret lines up however the terminal expands them.
        let indent: String = text
            .chars()
            .take(usize::try_from(self.column.saturating_sub(1)).unwrap_or(0))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        Some(format!(" {number} | {text}\n {gutter} | {indent}^"))
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}{}",
            self.file.display(),
            self.line,
            self.column,
            if self.is_warning() { "warning: " } else { "" },
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        if !self.path.is_empty() {
            write!(f, " [at {}]", self.path)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// One problem per line, each followed by its source line and a caret.
    #[error("{}", render(problems))]
    Invalid { problems: Vec<Problem> },
}

fn render(problems: &[Problem]) -> String {
    let mut lines = Vec::with_capacity(problems.len() + 2);
    for problem in problems {
        lines.push(problem.to_string());
        if let Some(snippet) = problem.snippet() {
            lines.push(snippet);
        }
    }
    lines.join("\n")
}

impl ConfigError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Invalid { problems } => problems,
            Self::Io { .. } => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(line: u64, column: u64, message: &str, source: Option<&str>) -> Problem {
        let mut p = Problem::new(Path::new("u.yaml"), line, column, message, None);
        p.source_line = source.map(str::to_owned);
        p
    }

    #[test]
    fn display_puts_a_caret_under_every_problem() {
        let mut first = problem(
            7,
            5,
            "unknown field `depnds_on`",
            Some("    depnds_on: [db]"),
        );
        first.hint = Some("did you mean `depends_on`?".to_owned());
        first.path = "services.api.depnds_on".to_owned();
        let second = problem(12, 3, "bad", Some("  x: 1"));
        let err = ConfigError::Invalid {
            problems: vec![first, second],
        };
        assert_eq!(
            err.to_string(),
            "u.yaml:7:5: unknown field `depnds_on` (did you mean `depends_on`?) \
             [at services.api.depnds_on]\n \
             7 |     depnds_on: [db]\n   |     ^\nu.yaml:12:3: bad\n 12 |   x: 1\n    |   ^"
        );
    }

    #[test]
    fn caret_keeps_tabs() {
        let p = problem(1, 3, "m", Some("\tx: y"));
        assert_eq!(p.snippet().as_deref(), Some(" 1 | \tx: y\n   | \t ^"));
    }
}
