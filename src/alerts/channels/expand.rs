//! `${VAR}` in channel settings: credentials stay out of the file (and out of git).

use super::Env;
use crate::config::values::Rejected;

/// The text with every variable replaced, or the variables that are missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expanded {
    Value(String),
    /// Unset or empty variables, in order of appearance; a channel using one is disabled.
    Missing(Vec<String>),
}

/// Expands `${NAME}` and `${NAME:-default}`; `$$` is a literal `$`, and so is a `$` that
/// starts nothing. An empty variable counts as unset: an empty URL or password is never
/// what the user meant.
pub fn expand(text: &str, env: Env<'_>) -> Result<Expanded, Rejected> {
    let mut out = String::with_capacity(text.len());
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').ok_or_else(|| unclosed(text))?;
            let (name, default) = match inner[..end].split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (&inner[..end], None),
            };
            if !is_var_name(name) {
                return Err(bad_name(name));
            }
            match (env(name).filter(|v| !v.is_empty()), default) {
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => {
                    if !missing.iter().any(|m| m == name) {
                        missing.push(name.to_owned());
                    }
                }
            }
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(if missing.is_empty() {
        Expanded::Value(out)
    } else {
        Expanded::Missing(missing)
    })
}

/// "SLACK_URL is not set", "SMTP_USER and SMTP_PASSWORD are not set".
pub fn missing_reason(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("{one} is not set"),
        [init @ .., last] => format!("{} and {last} are not set", init.join(", ")),
    }
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn unclosed(text: &str) -> Rejected {
    Rejected {
        message: format!("`${{` without a closing `}}` in `{text}`"),
        hint: Some("write `${NAME}`, or `$$` for a literal `$`".to_owned()),
    }
}

fn bad_name(name: &str) -> Rejected {
    Rejected {
        message: format!("`{name}` is not an environment variable name"),
        hint: Some("use letters, digits and `_`, e.g. `${SLACK_URL}`".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("smtp.example.com".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn value(text: &str) -> Expanded {
        expand(text, &env).unwrap()
    }

    #[test]
    fn expands_set_variables_and_defaults() {
        assert_eq!(
            value("${HOST}:587"),
            Expanded::Value("smtp.example.com:587".into())
        );
        assert_eq!(value("${PORT:-25}"), Expanded::Value("25".into()));
        assert_eq!(
            value("${HOST:-x}"),
            Expanded::Value("smtp.example.com".into())
        );
        assert_eq!(value("a$$b $c"), Expanded::Value("a$b $c".into()));
        assert_eq!(value("plain"), Expanded::Value("plain".into()));
    }

    #[test]
    fn unset_and_empty_variables_are_missing() {
        assert_eq!(
            value("${A}${EMPTY}${A}"),
            Expanded::Missing(vec!["A".into(), "EMPTY".into()])
        );
        assert_eq!(
            missing_reason(&["SLACK_URL".into()]),
            "SLACK_URL is not set"
        );
        assert_eq!(
            missing_reason(&["A".into(), "B".into(), "C".into()]),
            "A, B and C are not set"
        );
    }

    #[test]
    fn malformed_references_are_rejected() {
        assert!(
            expand("${HOST", &env)
                .unwrap_err()
                .message
                .contains("closing")
        );
        assert!(expand("${1X}", &env).unwrap_err().message.contains("`1X`"));
        assert!(expand("${}", &env).is_err());
    }
}
