//! Values are data, never shell: in a command `/bin/sh -c` runs, each `${…}` becomes a
//! reference to an environment variable that holds its value (`"${UC_VAR_PORT}"`), quoted
//! for where it stands, so no value is ever read as shell syntax and none is on a command
//! line. This module knows which values are commands and how `sh` quotes as it reads.

use super::tree::Step;

/// Commands a shell runs: a service's `command`, an exec probe, a `logs.commands` source.
pub(crate) fn is_command(path: &[Step]) -> bool {
    let key = |i: usize| match path.get(i) {
        Some(Step::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    match (key(0), path.len()) {
        (Some("services"), 3) => key(2) == Some("command"),
        (Some("services"), 4) => {
            matches!(key(2), Some("health" | "readiness" | "liveness")) && key(3) == Some("exec")
                || key(2) == Some("deploy") && key(3) == Some("build")
        }
        (Some("services"), 5) => {
            key(2) == Some("deploy") && key(3) == Some("gate") && key(4) == Some("exec")
        }
        (Some("logs"), 3) => key(1) == Some("commands") && key(2).is_some(),
        _ => false,
    }
}

/// The variable a command reads a `${NAME…}` from.
pub(crate) fn var_base(name: &str) -> String {
    format!("UC_VAR_{name}")
}

/// The variable a command reads `${secret:name}` from (a secret's name may hold `-`).
pub(crate) fn secret_base(name: &str) -> String {
    format!("UC_SECRET_{}", name.replace('-', "_"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Outside quotes, or inside `$( … )` (with its open parentheses).
    Plain {
        parens: u32,
    },
    Single,
    Double,
    Backquote,
}

/// Follows the quoting of a command as `sh` reads it, one character at a time.
#[derive(Debug)]
pub(crate) struct Lexer {
    frames: Vec<Frame>,
    escaped: bool,
    dollar: bool,
    less: bool,
    heredoc: bool,
}

impl Default for Lexer {
    fn default() -> Self {
        Self {
            frames: vec![Frame::Plain { parens: 0 }],
            escaped: false,
            dollar: false,
            less: false,
            heredoc: false,
        }
    }
}

impl Lexer {
    fn top(&self) -> Frame {
        self.frames
            .last()
            .copied()
            .unwrap_or(Frame::Plain { parens: 0 })
    }

    pub fn push(&mut self, c: char) {
        let dollar = std::mem::take(&mut self.dollar);
        let less = std::mem::take(&mut self.less);
        if std::mem::take(&mut self.escaped) {
            return;
        }
        match self.top() {
            Frame::Single => {
                if c == '\'' {
                    self.frames.pop();
                }
            }
            Frame::Double => match c {
                '\\' => self.escaped = true,
                '"' => {
                    self.frames.pop();
                }
                '`' => self.frames.push(Frame::Backquote),
                '$' => self.dollar = true,
                '(' if dollar => self.frames.push(Frame::Plain { parens: 0 }),
                _ => {}
            },
            top @ (Frame::Plain { .. } | Frame::Backquote) => match c {
                '\\' => self.escaped = true,
                '\'' => self.frames.push(Frame::Single),
                '"' => self.frames.push(Frame::Double),
                '`' if top == Frame::Backquote => {
                    self.frames.pop();
                }
                '`' => self.frames.push(Frame::Backquote),
                '$' => self.dollar = true,
                '(' if dollar => self.frames.push(Frame::Plain { parens: 0 }),
                '(' => {
                    if let Some(Frame::Plain { parens }) = self.frames.last_mut() {
                        *parens += 1;
                    }
                }
                ')' => {
                    let nested = self.frames.len() > 1;
                    match self.frames.last_mut() {
                        Some(Frame::Plain { parens }) if *parens > 0 => *parens -= 1,
                        Some(Frame::Plain { .. }) if nested => {
                            self.frames.pop();
                        }
                        _ => {}
                    }
                }
                '<' if less => self.heredoc = true,
                '<' => self.less = true,
                _ => {}
            },
        }
    }

    /// `${name}` written where the lexer stands so that it expands to exactly the
    /// variable's value: one word outside quotes, the same text inside them. `Err` names
    /// a place where that cannot be told.
    pub fn reference(&self, name: &str) -> Result<String, Unplaceable> {
        if self.escaped {
            return Err(Unplaceable::Escaped);
        }
        if self.heredoc {
            return Err(Unplaceable::HereDocument);
        }
        if self.frames.contains(&Frame::Backquote) {
            return Err(Unplaceable::Backquotes);
        }
        Ok(match self.top() {
            Frame::Plain { .. } | Frame::Backquote => format!("\"${{{name}}}\""),
            Frame::Double => format!("${{{name}}}"),
            Frame::Single => format!("'\"${{{name}}}\"'"),
        })
    }
}

/// Where a value cannot be placed in a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unplaceable {
    Escaped,
    HereDocument,
    Backquotes,
}

impl Unplaceable {
    pub fn message(self) -> &'static str {
        match self {
            Self::Escaped => "a `\\` right before `${` would escape the value's quoting",
            Self::HereDocument => "uc cannot pass a value safely into a here-document",
            Self::Backquotes => "uc cannot pass a value safely inside `…` backquotes",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Self::Escaped => "remove the `\\`, or write `$${` for the shell's own `${`",
            Self::HereDocument | Self::Backquotes => {
                "use `$(…)`, or put the value in `env:` and write `$$NAME` in the command"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference to `X` after `text`.
    fn placed(text: &str) -> Result<String, Unplaceable> {
        let mut lexer = Lexer::default();
        text.chars().for_each(|c| lexer.push(c));
        lexer.reference("X")
    }

    #[test]
    fn a_value_is_one_word_outside_quotes_and_plain_text_inside() {
        assert_eq!(placed("echo "), Ok("\"${X}\"".to_owned()));
        assert_eq!(placed("echo --port="), Ok("\"${X}\"".to_owned()));
        assert_eq!(placed("echo \"a "), Ok("${X}".to_owned()));
        assert_eq!(placed("echo 'a "), Ok("'\"${X}\"'".to_owned()));
        assert_eq!(placed("echo 'a' \"b\" "), Ok("\"${X}\"".to_owned()));
        assert_eq!(placed("echo \"it's "), Ok("${X}".to_owned()));
        assert_eq!(placed("echo \\' "), Ok("\"${X}\"".to_owned()));
        assert_eq!(placed("echo \"\\\" "), Ok("${X}".to_owned()));
    }

    #[test]
    fn command_substitution_starts_afresh_inside_quotes() {
        assert_eq!(placed("echo \"$(cat "), Ok("\"${X}\"".to_owned()));
        assert_eq!(placed("echo \"$(cat a) "), Ok("${X}".to_owned()));
        assert_eq!(placed("x=$( (true) ) "), Ok("\"${X}\"".to_owned()));
        assert_eq!(placed("echo \"$(echo 'q' \""), Ok("${X}".to_owned()));
    }

    #[test]
    fn places_that_cannot_be_told_are_refused() {
        assert_eq!(placed("echo \\"), Err(Unplaceable::Escaped));
        assert_eq!(placed("echo \"\\"), Err(Unplaceable::Escaped));
        assert_eq!(placed("cat <<EOF\n"), Err(Unplaceable::HereDocument));
        assert_eq!(placed("echo `echo "), Err(Unplaceable::Backquotes));
        assert_eq!(placed("echo `date` "), Ok("\"${X}\"".to_owned()));
        assert_eq!(placed("cat < in "), Ok("\"${X}\"".to_owned()));
    }

    #[test]
    fn commands_are_known_by_their_key_path() {
        let path = |keys: &[&str]| -> Vec<Step> {
            keys.iter().map(|k| Step::Key((*k).to_owned())).collect()
        };
        assert!(is_command(&path(&["services", "api", "command"])));
        assert!(is_command(&path(&["services", "api", "readiness", "exec"])));
        assert!(is_command(&path(&["services", "api", "health", "exec"])));
        assert!(is_command(&path(&["logs", "commands", "ssh"])));
        assert!(!is_command(&path(&["services", "api", "env", "command"])));
        assert!(!is_command(&path(&[
            "services",
            "api",
            "readiness",
            "http"
        ])));
        assert!(!is_command(&path(&["vars", "command"])));
    }
}
