//! Procfile, as read by Overmind and foreman: `name: command` lines, `#` comments.

use std::path::Path;

use super::{Imported, bare_service};
use crate::config::Problem;
use crate::config::schema::{EnvValue, unspanned};
use crate::config::values;

/// Overmind and foreman give each process `PORT` = 5000 + 100 × its position.
const BASE_PORT: i64 = 5000;
const PORT_STEP: i64 = 100;

pub(super) fn import(text: &str, file: &Path) -> Result<Imported, Vec<Problem>> {
    let mut imported = Imported::default();
    let mut problems = Vec::new();
    for (number, line) in (1u64..).zip(text.lines()) {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let column = (line.len() - line.trim_start().len()) as u64 + 1;
        let problem = |message: String, hint: Option<String>| {
            Problem::new(file, number, column, message, hint)
        };
        let Some((name, command)) = entry(trimmed) else {
            let hint = Some("each line is `name: command`".to_owned());
            problems.push(problem("not a Procfile entry".to_owned(), hint));
            continue;
        };
        if imported.services.keys().any(|k| k.value == name) {
            problems.push(problem(format!("process `{name}` is defined twice"), None));
            continue;
        }
        let mut service = bare_service(command.to_owned());
        if command.contains("$PORT") || command.contains("${PORT") {
            let index = imported.services.len() as i64;
            let port = BASE_PORT + PORT_STEP * index;
            service
                .env
                .insert("PORT".to_owned(), EnvValue::Integer(port));
            imported.notes.push(format!(
                "{name}: PORT={port}, as Overmind and foreman would set it"
            ));
        }
        imported
            .services
            .insert(unspanned(name.to_owned()), service);
    }
    if problems.is_empty() {
        Ok(imported)
    } else {
        Err(problems)
    }
}

/// `web: bundle exec rails s` → (`web`, `bundle exec rails s`).
fn entry(line: &str) -> Option<(&str, &str)> {
    let (name, command) = line.split_once(':')?;
    let command = command.trim();
    (values::is_name(name) && !command.is_empty()).then_some((name, command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries() {
        assert_eq!(
            entry("web: rails s -p $PORT"),
            Some(("web", "rails s -p $PORT"))
        );
        assert_eq!(entry("a_b-1:x"), Some(("a_b-1", "x")));
        assert_eq!(entry("web rails s"), None);
        assert_eq!(entry("web:"), None);
        assert_eq!(entry("my web: x"), None);
    }

    #[test]
    fn reports_bad_lines_with_their_place() {
        let problems =
            import("web: a\n  oops\nweb: b\n", Path::new("Procfile")).expect_err("invalid");
        let places: Vec<_> = problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(places, [(2, 3), (3, 1)]);
        assert_eq!(problems[1].message, "process `web` is defined twice");
    }
}
