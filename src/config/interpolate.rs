//! `${VAR}`, `${VAR:-default}`, `${VAR:?message}`, `${secret:name}` and `$$` in string
//! values, as docker compose spells them. A bare `$NAME` is left alone: commands are shell.
//!
//! A value that comes from outside the workspace's YAML (the secrets file, an env file, the
//! environment `uc` runs in) is a secret: it is shown, stored and reported by its reference
//! (`${NAME}`, `${secret:name}`), never by its value. In a command (see [`shell`]) no value
//! is substituted at all: each `${…}` becomes a quoted reference to a variable holding it.

use super::shell::{self, Lexer};

/// Where the values of variables and secrets come from.
pub(crate) trait Lookup {
    fn var(&self, name: &str) -> Option<Var>;
    /// The secret's value, or why it cannot be read.
    fn secret(&mut self, name: &str) -> Result<String, Failure>;
    /// The environment variable a command reads `value` from: `base`, or `base_2`, … when
    /// another value has `base` already (two defaults of one unset variable).
    fn env_name(&mut self, base: &str, value: &str) -> String;
}

/// A variable's value, and whether it came from outside the YAML (a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Var {
    pub value: String,
    pub outside: bool,
}

/// A secret used in a value: its reference as written and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hidden {
    pub reference: String,
    pub value: String,
}

/// Why a string could not be interpolated; `offset` is the byte offset of its `${`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            offset: 0,
            message: message.into(),
            hint,
        }
    }
}

/// The interpolated value, and the same with secrets left as references (for display and
/// storage), escaped so that interpolating it again gives `value` back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interpolated {
    pub value: String,
    pub shown: String,
    pub hidden: Vec<Hidden>,
}

pub(crate) fn interpolate(text: &str, lookup: &mut dyn Lookup) -> Result<Interpolated, Failure> {
    let (parts, _) = parse_parts(text, 0, None)?;
    let mut out = Vec::new();
    eval(&parts, lookup, &mut out)?;
    Ok(Interpolated {
        value: out.iter().map(Seg::value).collect(),
        shown: shown(&out),
        hidden: hidden(&out),
    })
}

/// A command for `/bin/sh -c`: its text, with a quoted reference to a variable in place
/// of each `${…}`, and the variables it reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Command {
    pub text: String,
    pub refs: Vec<Ref>,
    pub hidden: Vec<Hidden>,
}

/// A variable a command reads, and whether its value is (or holds) a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ref {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

pub(crate) fn command(text: &str, lookup: &mut dyn Lookup) -> Result<Command, Failure> {
    let (parts, _) = parse_parts(text, 0, None)?;
    let mut lexer = Lexer::default();
    let mut out = Command::default();
    for part in &parts {
        match part {
            Part::Text(c) => {
                lexer.push(*c);
                out.text.push(*c);
            }
            Part::Expr(expr) => {
                let mut segs = Vec::new();
                eval_expr(expr, lookup, &mut segs)?;
                let base = match expr.op {
                    Op::Secret => shell::secret_base(&expr.name),
                    _ => shell::var_base(&expr.name),
                };
                let value: String = segs.iter().map(Seg::value).collect();
                let name = lookup.env_name(&base, &value);
                let reference = lexer
                    .reference(&name)
                    .map_err(|why| at(expr.start, why.message(), Some(why.hint().to_owned())))?;
                out.text.push_str(&reference);
                let hidden = hidden(&segs);
                let secret = !hidden.is_empty();
                out.hidden.extend(hidden);
                out.refs.push(Ref {
                    name,
                    value,
                    secret,
                });
            }
        }
    }
    Ok(out)
}

/// `text` written so that interpolating it gives `text` back (for importers: a
/// Procfile's `${PORT}` is the shell's, not ours).
pub(crate) fn escape(text: &str) -> String {
    shown(&[Seg::Text(text.to_owned())])
}

#[derive(Debug)]
enum Part {
    Text(char),
    Expr(Expr),
}

#[derive(Debug)]
struct Expr {
    start: usize,
    /// The expression as written, `${` to `}`: how a secret it yields is shown.
    source: String,
    name: String,
    op: Op,
}

#[derive(Debug)]
enum Op {
    Plain,
    Default(Vec<Part>),
    Required(Vec<Part>),
    Secret,
}

/// Parts up to the end of `text`, or up to the `}` closing the `${` at `open`.
fn parse_parts(
    text: &str,
    mut i: usize,
    open: Option<usize>,
) -> Result<(Vec<Part>, usize), Failure> {
    let mut parts = Vec::new();
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        if c == '}' && open.is_some() {
            return Ok((parts, i + 1));
        } else if rest.starts_with("$$") {
            parts.push(Part::Text('$'));
            i += 2;
        } else if rest.starts_with("${") {
            let (expr, next) = parse_expr(text, i)?;
            parts.push(Part::Expr(expr));
            i = next;
        } else {
            parts.push(Part::Text(c));
            i += c.len_utf8();
        }
    }
    match open {
        Some(start) => Err(at(
            start,
            "unclosed `${`",
            Some("close it with `}`".to_owned()),
        )),
        None => Ok((parts, i)),
    }
}

fn parse_expr(text: &str, start: usize) -> Result<(Expr, usize), Failure> {
    let body = start + 2;
    if let Some(name) = text[body..].strip_prefix("secret:") {
        let len = name
            .find('}')
            .ok_or_else(|| at(start, "unclosed `${`", Some("close it with `}`".to_owned())))?;
        let name = &name[..len];
        if !super::values::is_name(name) {
            let hint = Some("a secret name uses letters, digits, `_` and `-`".to_owned());
            return Err(at(start, format!("invalid secret name `{name}`"), hint));
        }
        let next = body + "secret:".len() + len + 1;
        let expr = Expr {
            start,
            source: text[start..next].to_owned(),
            name: name.to_owned(),
            op: Op::Secret,
        };
        return Ok((expr, next));
    }
    let len = text[body..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len() - body);
    let name = text[body..body + len].to_owned();
    if name.is_empty() {
        let hint = Some("write `${NAME}`, or `$${` for a literal `${`".to_owned());
        return Err(at(start, "expected a variable name after `${`", hint));
    }
    let after = body + len;
    let rest = &text[after..];
    let (op, next) = if rest.starts_with('}') {
        (Op::Plain, after + 1)
    } else if rest.starts_with(":-") {
        let (parts, next) = parse_parts(text, after + 2, Some(start))?;
        (Op::Default(parts), next)
    } else if rest.starts_with(":?") {
        let (parts, next) = parse_parts(text, after + 2, Some(start))?;
        (Op::Required(parts), next)
    } else {
        let hint = Some("write `${NAME}`, `${NAME:-default}` or `${NAME:?message}`".to_owned());
        return Err(at(
            start,
            format!("unexpected text after `${{{name}`"),
            hint,
        ));
    };
    let source = text[start..next].to_owned();
    Ok((
        Expr {
            start,
            source,
            name,
            op,
        },
        next,
    ))
}

fn at(offset: usize, message: impl Into<String>, hint: Option<String>) -> Failure {
    Failure {
        offset,
        message: message.into(),
        hint,
    }
}

/// A piece of the result: literal text, or a secret shown by reference.
enum Seg {
    Text(String),
    Hidden(Hidden),
}

impl Seg {
    fn value(&self) -> &str {
        match self {
            Self::Text(t) => t,
            Self::Hidden(h) => &h.value,
        }
    }
}

fn hidden(segs: &[Seg]) -> Vec<Hidden> {
    segs.iter()
        .filter_map(|s| match s {
            Seg::Hidden(h) => Some(h.clone()),
            Seg::Text(_) => None,
        })
        .collect()
}

/// A variable's value: literal text when it was written in the YAML, a secret otherwise.
fn var_seg(expr: &Expr, var: Var) -> Seg {
    if var.outside {
        Seg::Hidden(Hidden {
            reference: expr.source.clone(),
            value: var.value,
        })
    } else {
        Seg::Text(var.value)
    }
}

fn push(out: &mut Vec<Seg>, seg: Seg) {
    match seg {
        Seg::Text(t) => text(out, &t),
        hidden => out.push(hidden),
    }
}

fn eval(parts: &[Part], lookup: &mut dyn Lookup, out: &mut Vec<Seg>) -> Result<(), Failure> {
    for part in parts {
        match part {
            Part::Text(c) => text(out, c.encode_utf8(&mut [0; 4])),
            Part::Expr(expr) => eval_expr(expr, lookup, out)?,
        }
    }
    Ok(())
}

fn text(out: &mut Vec<Seg>, s: &str) {
    match out.last_mut() {
        Some(Seg::Text(t)) => t.push_str(s),
        _ => out.push(Seg::Text(s.to_owned())),
    }
}

fn eval_expr(expr: &Expr, lookup: &mut dyn Lookup, out: &mut Vec<Seg>) -> Result<(), Failure> {
    match &expr.op {
        Op::Secret => {
            let value = lookup.secret(&expr.name).map_err(|f| Failure {
                offset: expr.start,
                ..f
            })?;
            out.push(Seg::Hidden(Hidden {
                reference: expr.source.clone(),
                value,
            }));
        }
        Op::Plain => match lookup.var(&expr.name) {
            Some(var) => push(out, var_seg(expr, var)),
            None => {
                let message = format!("variable `{}` is not set", expr.name);
                let hint = format!(
                    "set it in the environment, an env file or `vars:`, or write `${{{}:-default}}`",
                    expr.name
                );
                return Err(at(expr.start, message, Some(hint)));
            }
        },
        Op::Default(parts) => match lookup_set(expr, lookup) {
            Some(var) => push(out, var_seg(expr, var)),
            None => eval(parts, lookup, out)?,
        },
        Op::Required(parts) => match lookup_set(expr, lookup) {
            Some(var) => push(out, var_seg(expr, var)),
            None => {
                let mut message = Vec::new();
                eval(parts, lookup, &mut message)?;
                // Written as shown: a secret in the message stays a reference.
                let message = unescape_shown(&shown(&message));
                let message = if message.is_empty() {
                    format!("variable `{}` is required", expr.name)
                } else {
                    format!("`{}`: {message}", expr.name)
                };
                return Err(at(expr.start, message, None));
            }
        },
    }
    Ok(())
}

/// `:-` and `:?` treat an empty value as unset, as compose and the shell do.
fn lookup_set(expr: &Expr, lookup: &dyn Lookup) -> Option<Var> {
    lookup.var(&expr.name).filter(|v| !v.value.is_empty())
}

/// Shown text for people: `$$` back to `$` (references stay).
fn unescape_shown(text: &str) -> String {
    text.replace("$$", "$")
}

/// Literal `$` doubled where it would otherwise start `${` or `$$`, or is part of a run.
fn shown(segs: &[Seg]) -> String {
    let mut out = String::new();
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Hidden(h) => out.push_str(&h.reference),
            Seg::Text(t) => {
                let next_is_ref = matches!(segs.get(i + 1), Some(Seg::Hidden(_)));
                let mut chars = t.chars().peekable();
                let mut previous = None;
                while let Some(c) = chars.next() {
                    out.push(c);
                    let next = chars.peek().copied();
                    // A whole run of `$` is doubled: `$$$$` reads better than `$$$`.
                    let ambiguous = previous == Some('$')
                        || match next {
                            Some(n) => n == '{' || n == '$',
                            None => next_is_ref,
                        };
                    if c == '$' && ambiguous {
                        out.push('$');
                    }
                    previous = Some(c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// `OUT` comes from outside the YAML (an env file, say); the others from `vars:`.
    struct Vars(HashMap<&'static str, &'static str>, HashMap<String, String>);

    impl Lookup for Vars {
        fn var(&self, name: &str) -> Option<Var> {
            self.0.get(name).map(|v| Var {
                value: (*v).to_owned(),
                outside: name == "OUT",
            })
        }
        fn secret(&mut self, name: &str) -> Result<String, Failure> {
            match name {
                "db" => Ok("pa$$word".to_owned()),
                _ => Err(Failure::new(format!("unknown secret `{name}`"), None)),
            }
        }
        fn env_name(&mut self, base: &str, value: &str) -> String {
            let mut n = 1;
            loop {
                let name = if n == 1 {
                    base.to_owned()
                } else {
                    format!("{base}_{n}")
                };
                match self.1.get(&name) {
                    Some(v) if v != value => n += 1,
                    _ => {
                        self.1.insert(name.clone(), value.to_owned());
                        return name;
                    }
                }
            }
        }
    }

    fn vars() -> Vars {
        let values = [
            ("A", "1"),
            ("EMPTY", ""),
            ("D", "$x"),
            ("OUT", "t0ken; rm -rf x"),
        ];
        Vars(HashMap::from(values), HashMap::new())
    }

    fn run(text: &str) -> Result<Interpolated, Failure> {
        interpolate(text, &mut vars())
    }

    fn value(text: &str) -> String {
        run(text).expect("interpolates").value
    }

    #[test]
    fn forms() {
        assert_eq!(value("a=${A} b=${B:-two} c=${EMPTY:-3}"), "a=1 b=two c=3");
        assert_eq!(value("${B:-${C:-${A}}}"), "1");
        assert_eq!(
            value("$$HOME $${A} $PATH $(date) $"),
            "$HOME ${A} $PATH $(date) $"
        );
        assert_eq!(value("${A:?needed}"), "1");
    }

    #[test]
    fn errors_point_at_their_dollar() {
        let err = run("x ${NOPE}").expect_err("unset");
        assert_eq!(
            (err.offset, err.message.as_str()),
            (2, "variable `NOPE` is not set")
        );
        let err = run("ab ${B:?give B a value}").expect_err("required");
        assert_eq!(
            (err.offset, err.message.as_str()),
            (3, "`B`: give B a value")
        );
        let err = run("${B:?${OUT} is not B}").expect_err("required");
        assert_eq!(err.message, "`B`: ${OUT} is not B");
        assert_eq!(run("${A").expect_err("unclosed").offset, 0);
        assert_eq!(run("a ${secret:zz}").expect_err("unknown").offset, 2);
        assert!(run("${}").is_err() && run("${A B}").is_err());
    }

    #[test]
    fn shown_keeps_secret_references_and_round_trips() {
        let out = run("u:${secret:db}@$${A}$").expect("ok");
        assert_eq!(out.value, "u:pa$$word@${A}$");
        assert_eq!(out.shown, "u:${secret:db}@$${A}$");
        assert_eq!(value(&out.shown), out.value);
        let dollars = run("$$$$ ${D}").expect("ok");
        assert_eq!(
            (dollars.value.as_str(), dollars.shown.as_str()),
            ("$$ $x", "$$$$ $x")
        );
        assert_eq!(value(&dollars.shown), dollars.value);
        assert_eq!(escape("a ${PORT} $$ $x"), "a $${PORT} $$$$ $x");
    }

    #[test]
    fn values_from_outside_the_yaml_are_shown_as_written() {
        let out = run("${A}:${OUT}:${X:-${OUT}}:${OUT:-d}").expect("ok");
        let token = "t0ken; rm -rf x";
        assert_eq!(out.value, format!("1:{token}:{token}:{token}"));
        assert_eq!(out.shown, "1:${OUT}:${OUT}:${OUT:-d}");
        let references: Vec<&str> = out.hidden.iter().map(|h| h.reference.as_str()).collect();
        assert_eq!(references, ["${OUT}", "${OUT}", "${OUT:-d}"]);
        assert!(out.hidden.iter().all(|h| h.value == token));
    }

    fn shell(text: &str) -> Command {
        command(text, &mut vars()).expect("a command")
    }

    #[test]
    fn a_command_reads_each_value_from_a_variable() {
        let out = shell("echo ${OUT} \"${A}\" '${secret:db}' $${A} ${B:-x} ${B:-y}");
        assert_eq!(
            out.text,
            "echo \"${UC_VAR_OUT}\" \"${UC_VAR_A}\" ''\"${UC_SECRET_db}\"'' ${A} \"${UC_VAR_B}\" \"${UC_VAR_B_2}\""
        );
        let refs: Vec<(&str, &str, bool)> = out
            .refs
            .iter()
            .map(|r| (r.name.as_str(), r.value.as_str(), r.secret))
            .collect();
        assert_eq!(
            refs,
            [
                ("UC_VAR_OUT", "t0ken; rm -rf x", true),
                ("UC_VAR_A", "1", false),
                ("UC_SECRET_db", "pa$$word", true),
                ("UC_VAR_B", "x", false),
                ("UC_VAR_B_2", "y", false),
            ]
        );
        assert!(!out.text.contains("t0ken") && !out.text.contains("word"));
    }

    #[test]
    fn a_value_the_shell_would_misread_is_refused_at_its_dollar() {
        let err = command("cat <<EOF\n${A}\nEOF", &mut vars()).expect_err("heredoc");
        assert_eq!(err.offset, 10);
        assert!(err.message.contains("here-document"), "{}", err.message);
    }
}
