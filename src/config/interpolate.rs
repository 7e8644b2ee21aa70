//! `${VAR}`, `${VAR:-default}`, `${VAR:?message}`, `${secret:name}` and `$$` in string
//! values, as docker compose spells them. A bare `$NAME` is left alone: commands are shell.

/// Where the values of variables and secrets come from.
pub(crate) trait Lookup {
    fn var(&self, name: &str) -> Option<String>;
    /// The secret's value, or why it cannot be read.
    fn secret(&mut self, name: &str) -> Result<String, Failure>;
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
}

pub(crate) fn interpolate(text: &str, lookup: &mut dyn Lookup) -> Result<Interpolated, Failure> {
    let (parts, _) = parse_parts(text, 0, None)?;
    let mut out = Vec::new();
    eval(&parts, lookup, &mut out)?;
    Ok(Interpolated {
        value: out.iter().map(Seg::value).collect(),
        shown: shown(&out),
    })
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
        let expr = Expr {
            start,
            name: name.to_owned(),
            op: Op::Secret,
        };
        return Ok((expr, body + "secret:".len() + len + 1));
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
    Ok((Expr { start, name, op }, next))
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
    Secret { name: String, value: String },
}

impl Seg {
    fn value(&self) -> &str {
        match self {
            Self::Text(t) => t,
            Self::Secret { value, .. } => value,
        }
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
            let name = expr.name.clone();
            out.push(Seg::Secret { name, value });
        }
        Op::Plain => match lookup.var(&expr.name) {
            Some(value) => text(out, &value),
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
            Some(value) => text(out, &value),
            None => eval(parts, lookup, out)?,
        },
        Op::Required(parts) => match lookup_set(expr, lookup) {
            Some(value) => text(out, &value),
            None => {
                let mut message = Vec::new();
                eval(parts, lookup, &mut message)?;
                let message: String = message.iter().map(Seg::value).collect();
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
fn lookup_set(expr: &Expr, lookup: &dyn Lookup) -> Option<String> {
    lookup.var(&expr.name).filter(|v| !v.is_empty())
}

/// Literal `$` doubled where it would otherwise start `${` or `$$`, or is part of a run.
fn shown(segs: &[Seg]) -> String {
    let mut out = String::new();
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Secret { name, .. } => {
                out.push_str("${secret:");
                out.push_str(name);
                out.push('}');
            }
            Seg::Text(t) => {
                let next_is_ref = matches!(segs.get(i + 1), Some(Seg::Secret { .. }));
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

    struct Vars(HashMap<&'static str, &'static str>);

    impl Lookup for Vars {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
        fn secret(&mut self, name: &str) -> Result<String, Failure> {
            match name {
                "db" => Ok("pa$$word".to_owned()),
                _ => Err(Failure::new(format!("unknown secret `{name}`"), None)),
            }
        }
    }

    fn run(text: &str) -> Result<Interpolated, Failure> {
        let mut vars = Vars(HashMap::from([("A", "1"), ("EMPTY", ""), ("D", "$x")]));
        interpolate(text, &mut vars)
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
}
