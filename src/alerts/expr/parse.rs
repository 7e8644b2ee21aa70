//! Hand-written lexer and recursive-descent parser for rule expressions:
//!
//! ```text
//! expr     = selector [ cmp number ]
//! selector = name [ "{" matcher { "," matcher } [ "," ] "}" ] | function "(" [ arg { "," arg } ] ")"
//! matcher  = label ( "=" | "!=" | "=~" | "!~" ) value
//! arg      = [ name "=" ] ( name | string | word )
//! ```

use super::call::Call;
use super::{Cmp, Comparison, Expr, ExprError, FUNCTIONS, METRICS, Metric, Source};
use crate::alerts::model::{MatchOp, Matcher};
use crate::config::suggest;

/// Threshold units: SI and binary multiples; `%` only documents the threshold.
const UNITS: [(&str, f64); 10] = [
    ("%", 1.0),
    ("k", 1e3),
    ("K", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("T", 1e12),
    ("Ki", 1024.0),
    ("Mi", 1024.0 * 1024.0),
    ("Gi", 1024.0 * 1024.0 * 1024.0),
    ("Ti", 1024.0 * 1024.0 * 1024.0 * 1024.0),
];

/// Longest first, so `>=` is not read as `>` then `=`.
const SYMBOLS: [&str; 14] = [
    "=~", "!~", "!=", "==", ">=", "<=", ">", "<", "=", "{", "}", "(", ")", ",",
];

/// Longest expression: one selector and a comparison, with room for a URL or a regex.
const MAX_EXPR: usize = 2048;

pub(super) fn parse(text: &str) -> Result<Expr, ExprError> {
    if text.len() > MAX_EXPR {
        let message = format!(
            "the expression is {} bytes, over the {MAX_EXPR} an expression may take",
            text.len()
        );
        return Err(error(0, message, None));
    }
    let mut parser = Parser {
        tokens: lex(text)?,
        pos: 0,
        end: Token {
            tok: Tok::End,
            at: text.len(),
        },
    };
    let (source, matchers) = parser.selector()?;
    let comparison = parser.comparison()?;
    parser.finish()?;
    Ok(Expr {
        text: text.trim().to_owned(),
        source,
        matchers,
        comparison,
    })
}

pub(super) fn error(at: usize, message: impl Into<String>, hint: Option<String>) -> ExprError {
    ExprError {
        offset: at,
        message: message.into(),
        hint,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Str(String),
    /// Starts with a digit (or a sign or dot before one): a number, a duration or a port.
    Word(String),
    Sym(&'static str),
    End,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    /// Byte offset in the expression.
    pub(super) at: usize,
}

impl Tok {
    /// How a message names the token.
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Ident(s) | Self::Word(s) => format!("`{s}`"),
            Self::Sym(s) => format!("`{s}`"),
            Self::Str(_) => "a string".to_owned(),
            Self::End => "the end".to_owned(),
        }
    }
}

fn lex(text: &str) -> Result<Vec<Token>, ExprError> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let tail = &text[at..];
        let (tok, len) = if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let len = run(tail, |c| {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
            });
            (Tok::Ident(tail[..len].to_owned()), len)
        } else if starts_number(tail) {
            let len = 1 + run(&tail[1..], |c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%')
            });
            (Tok::Word(tail[..len].to_owned()), len)
        } else if c == '"' || c == '\'' {
            string(tail, at)?
        } else if let Some(sym) = SYMBOLS.iter().find(|s| tail.starts_with(**s)) {
            (Tok::Sym(sym), sym.len())
        } else {
            return Err(error(at, format!("unexpected `{c}`"), None));
        };
        tokens.push(Token { tok, at });
        at += len;
    }
    Ok(tokens)
}

/// Byte length of the longest prefix whose characters all pass `keep`.
fn run(text: &str, keep: impl Fn(char) -> bool) -> usize {
    text.find(|c| !keep(c)).unwrap_or(text.len())
}

fn starts_number(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('-' | '+' | '.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// A quoted string at the start of `text` (which is at offset `at`): the token and its
/// length. Unknown escapes keep their backslash, so regexes read as written.
fn string(text: &str, at: usize) -> Result<(Tok, usize), ExprError> {
    let mut chars = text.char_indices();
    let quote = chars.next().map_or('"', |(_, q)| q);
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Ok((Tok::Str(out), i + 1));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().map(|(_, e)| e) {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(e) if e == quote || e == '\\' => out.push(e),
            Some(e) => {
                out.push('\\');
                out.push(e);
            }
            None => break,
        }
    }
    Err(error(
        at,
        "unterminated string",
        Some(format!("close it with {quote}")),
    ))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    end: Token,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&self.end)
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        self.pos += 1;
        token
    }

    fn eat(&mut self, sym: &str) -> bool {
        let found = matches!(self.peek().tok, Tok::Sym(s) if s == sym);
        if found {
            self.pos += 1;
        }
        found
    }

    fn selector(&mut self) -> Result<(Source, Vec<Matcher>), ExprError> {
        let first = self.bump();
        let name = match first.tok {
            Tok::Ident(name) => name,
            Tok::End => {
                let hint = "write a metric and a threshold, e.g. `cpu > 80`";
                return Err(error(first.at, "empty expression", Some(hint.to_owned())));
            }
            other => {
                let message = format!(
                    "expected a metric or a function, found {}",
                    other.describe()
                );
                return Err(error(first.at, message, None));
            }
        };
        if self.eat("(") {
            return self.call(&name, first.at);
        }
        let Some(metric) = Metric::named(&name) else {
            return Err(unknown_metric(&name, first.at));
        };
        let matchers = if self.eat("{") {
            self.matchers(&name, metric.label())?
        } else {
            Vec::new()
        };
        Ok((Source::Metric(metric), matchers))
    }

    /// After `{`: matchers up to and including `}`.
    fn matchers(&mut self, metric: &str, label: Option<&str>) -> Result<Vec<Matcher>, ExprError> {
        let mut matchers = Vec::new();
        while !self.eat("}") {
            matchers.push(self.matcher(metric, label)?);
            if self.eat(",") {
                continue;
            }
            if !self.eat("}") {
                let next = self.peek();
                let message = format!("expected `,` or `}}`, found {}", next.tok.describe());
                return Err(error(next.at, message, None));
            }
            break;
        }
        Ok(matchers)
    }

    fn matcher(&mut self, metric: &str, label: Option<&str>) -> Result<Matcher, ExprError> {
        let name_token = self.bump();
        let Tok::Ident(name) = name_token.tok else {
            let message = format!("expected a label name, found {}", name_token.tok.describe());
            return Err(error(name_token.at, message, None));
        };
        match label {
            None => {
                let message = format!("`{metric}` has no labels");
                return Err(error(name_token.at, message, None));
            }
            Some(label) if label != name => {
                let message = format!("`{metric}` has no label `{name}`");
                let hint = format!("its label is `{label}`");
                return Err(error(name_token.at, message, Some(hint)));
            }
            Some(_) => {}
        }
        let op_token = self.bump();
        let op = match op_token.tok {
            Tok::Sym("=") => MatchOp::Eq,
            Tok::Sym("!=") => MatchOp::NotEq,
            Tok::Sym("=~") => MatchOp::Regex,
            Tok::Sym("!~") => MatchOp::NotRegex,
            other => {
                let message = format!(
                    "expected `=`, `!=`, `=~` or `!~` after `{name}`, found {}",
                    other.describe()
                );
                return Err(error(op_token.at, message, None));
            }
        };
        let value_token = self.bump();
        let value = match value_token.tok {
            Tok::Str(s) | Tok::Ident(s) | Tok::Word(s) => s,
            other => {
                let message = format!("expected a label value, found {}", other.describe());
                return Err(error(value_token.at, message, None));
            }
        };
        Matcher::new(name, op, value).map_err(|r| error(value_token.at, r.message, None))
    }

    fn comparison(&mut self) -> Result<Option<Comparison>, ExprError> {
        let op = match self.peek().tok {
            Tok::Sym(">") => Cmp::Gt,
            Tok::Sym(">=") => Cmp::Ge,
            Tok::Sym("<") => Cmp::Lt,
            Tok::Sym("<=") => Cmp::Le,
            Tok::Sym("==") => Cmp::Eq,
            Tok::Sym("!=") => Cmp::Ne,
            _ => return Ok(None),
        };
        self.pos += 1;
        let token = self.bump();
        let Tok::Word(word) = token.tok else {
            let message = format!(
                "expected a number after `{}`, found {}",
                op.as_str(),
                token.tok.describe()
            );
            return Err(error(token.at, message, None));
        };
        let threshold = number(&word).map_err(|(message, hint)| error(token.at, message, hint))?;
        Ok(Some(Comparison { op, threshold }))
    }

    fn finish(&mut self) -> Result<(), ExprError> {
        let token = self.bump();
        let hint = match &token.tok {
            Tok::End => return Ok(()),
            Tok::Sym("=") => Some("to compare, write `==`".to_owned()),
            Tok::Ident(word) if matches!(word.as_str(), "and" | "or" | "unless") => {
                Some("one condition per rule: write another rule".to_owned())
            }
            _ => None,
        };
        let message = format!("unexpected {} after the expression", token.tok.describe());
        Err(error(token.at, message, hint))
    }

    /// After `name(`: the function's arguments up to and including `)`, and the label
    /// matchers its named arguments stand for.
    fn call(&mut self, name: &str, at: usize) -> Result<(Source, Vec<Matcher>), ExprError> {
        let Some((name, usage)) = FUNCTIONS.iter().find(|(n, _)| *n == name).copied() else {
            return Err(unknown_function(name, at));
        };
        let mut call = Call {
            name,
            usage,
            positional: Vec::new(),
            named: Vec::new(),
            close: at,
        };
        self.arguments(&mut call)?;
        let source = match name {
            "anomaly" => return call.anomaly(),
            "restarts_in" => call.restarts_in(),
            "port_open" => call.port_open(),
            "http_ok" => call.http_ok(),
            "log_rate" => call.log_rate(),
            "log_match" => call.log_match(),
            _ => Err(unknown_function(name, at)),
        };
        Ok((source?, Vec::new()))
    }

    fn arguments(&mut self, call: &mut Call) -> Result<(), ExprError> {
        if let Tok::Sym(")") = self.peek().tok {
            call.close = self.bump().at;
            return Ok(());
        }
        loop {
            let token = self.bump();
            match &token.tok {
                Tok::Ident(_) if self.eat("=") => {
                    let value = self.bump();
                    if !is_value(&value.tok) {
                        let message = format!("expected a value, found {}", value.tok.describe());
                        return Err(error(value.at, message, None));
                    }
                    call.named.push((token, value));
                }
                tok if is_value(tok) => call.positional.push(token),
                other => {
                    let message = format!("expected an argument, found {}", other.describe());
                    return Err(error(token.at, message, call.usage_hint()));
                }
            }
            let separator = self.bump();
            match separator.tok {
                Tok::Sym(",") => {}
                Tok::Sym(")") => {
                    call.close = separator.at;
                    return Ok(());
                }
                other => {
                    let message = format!("expected `,` or `)`, found {}", other.describe());
                    return Err(error(separator.at, message, call.usage_hint()));
                }
            }
        }
    }
}

fn is_value(tok: &Tok) -> bool {
    matches!(tok, Tok::Ident(_) | Tok::Str(_) | Tok::Word(_))
}

fn unknown_metric(name: &str, at: usize) -> ExprError {
    if let Some((_, usage)) = FUNCTIONS.iter().find(|(n, _)| *n == name) {
        let message = format!("`{name}` is a function");
        return error(at, message, Some(format!("call it, e.g. `{usage}`")));
    }
    let names = METRICS.iter().map(|(n, _)| *n);
    let names = names.chain(FUNCTIONS.iter().map(|(n, _)| *n));
    let hint = suggest::closest(name, names).map(|best| format!("did you mean `{best}`?"));
    error(at, format!("unknown metric `{name}`"), hint)
}

pub(super) fn unknown_function(name: &str, at: usize) -> ExprError {
    if Metric::named(name).is_some() {
        let message = format!("`{name}` is a metric, not a function");
        return error(at, message, Some("drop the parentheses".to_owned()));
    }
    let names = FUNCTIONS.iter().map(|(n, _)| *n);
    let hint = suggest::closest(name, names).map(|best| format!("did you mean `{best}`?"));
    error(at, format!("unknown function `{name}`"), hint)
}

/// A threshold: a number with an optional unit.
pub(super) fn number(word: &str) -> Result<f64, (String, Option<String>)> {
    let value = match word.parse::<f64>() {
        Ok(value) => value,
        Err(_) => {
            let split = run(word, |c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
            let (digits, unit) = word.split_at(split);
            let value = digits
                .parse::<f64>()
                .map_err(|_| (format!("`{word}` is not a number"), None))?;
            let Some((_, scale)) = UNITS.iter().find(|(u, _)| *u == unit) else {
                let hint = "units: k, M, G, T (powers of 1000), Ki, Mi, Gi, Ti (powers of 1024), %";
                return Err((format!("unknown unit `{unit}`"), Some(hint.to_owned())));
            };
            value * scale
        }
    };
    if value.is_finite() {
        Ok(value)
    } else {
        Err((format!("`{word}` is not a finite number"), None))
    }
}
