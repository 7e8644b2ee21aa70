//! What leaves the host for a model: the workspace's names, hosts, IPs, paths, emails and
//! anything secret replaced by stable placeholders (`<service-1>`, `<ip-1>`, `<secret-1>`),
//! and the answer read back with the placeholders restored — all but secrets, which stay
//! redacted in what is shown.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

use crate::config::Secrets;

/// What a placeholder stands for; its word is the placeholder's (`<host-2>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Service,
    Environment,
    Workspace,
    Host,
    User,
    Ip,
    Path,
    Email,
    Secret,
}

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::Service,
        Kind::Environment,
        Kind::Workspace,
        Kind::Host,
        Kind::User,
        Kind::Ip,
        Kind::Path,
        Kind::Email,
        Kind::Secret,
    ];

    fn word(self) -> &'static str {
        match self {
            Kind::Service => "service",
            Kind::Environment => "environment",
            Kind::Workspace => "workspace",
            Kind::Host => "host",
            Kind::User => "user",
            Kind::Ip => "ip",
            Kind::Path => "path",
            Kind::Email => "email",
            Kind::Secret => "secret",
        }
    }
}

/// The names of a workspace that must not leave the host.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub workspace: String,
    pub services: Vec<String>,
    pub environments: Vec<String>,
    /// This machine's and other known hostnames.
    pub hosts: Vec<String>,
    /// Login names (the user running `uc`; `root` names nobody).
    pub users: Vec<String>,
}

/// Placeholders handed out so far, stable for one conversation: the same value always
/// gets the same placeholder, so the model can refer back to it.
#[derive(Debug)]
pub struct Anonymizer {
    /// Longest first, so `api-gateway` is replaced whole before `api`.
    names: Vec<(String, Kind)>,
    secrets: Secrets,
    given: Vec<Given>,
}

#[derive(Debug)]
struct Given {
    kind: Kind,
    /// The real value; for a secret, its reference (`${OPENAI_API_KEY}`) or a hash of the
    /// token, never the value itself.
    real: String,
    placeholder: String,
}

/// Between the passes a placeholder is a run of private-use characters (an opening one,
/// its index as digits from `DIGIT_0`, a closing one), which no pattern below matches: a
/// placeholder is never searched again, and `<service-1>` holds no name or number.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';
const DIGIT_0: u32 = 0xE010;

static MARK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("\u{E000}([\u{E010}-\u{E019}]+)\u{E001}").expect("static regex"));
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(service|environment|workspace|host|user|ip|path|email|secret)-([0-9]+)>")
        .expect("static regex")
});
/// Tokens by their shape: well-known key prefixes, JWTs, `Bearer …`, `password=…`, and
/// long runs of hex or base64 (keys, hashes, session ids).
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i:bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})",
        r"|(?i:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth)[A-Za-z_]*\s*[=:]\s*(?:(?i:bearer|basic)\s+)?([^\s,;'\x22\x{E000}-\x{E0FF}]{4,})",
        r"|\b((?:sk|pk|rk|ghp|gho|ghs|ghu|github_pat|glpat|xox[abprs]|AKIA|ASIA)[-_A-Za-z0-9]{12,})",
        r"|\b(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)",
        r"|\b([0-9a-fA-F]{32,})\b",
        r"|([A-Za-z0-9+/_-]{32,}={0,2})",
    ))
    .expect("static regex")
});
/// `scheme://[user[:password]@]host[:port]`: the host is a host, the password a secret.
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://(?:([^\s/@:]+)(?::([^\s/@]*))?@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)")
        .expect("static regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").expect("static regex")
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b").expect("static regex")
});
/// Candidates only: [`Ipv6Addr`] decides, so `12:30:45` stays a time.
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3}")
        .expect("static regex")
});
/// An absolute or home path: starts at the text's start or after a space, quote, `=`,
/// bracket or `:`, and has at least one name.
static PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[\s"'=(\[:,`])(~?/[A-Za-z0-9._~+@%-]+(?:/[A-Za-z0-9._~+@%-]*)*)"#)
        .expect("static regex")
});
/// A hostname with a dot that is not a file name: two labels or more, ending in letters.
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:[A-Za-z0-9-]+\.)+(?:com|net|org|io|dev|local|internal|lan|corp|cloud|app|example|test|cn|de|uk|fr|jp|ru|eu|us|co|ai)\b")
        .expect("static regex")
});

impl Anonymizer {
    /// The workspace's names get their placeholders first, in the order they are declared
    /// (`<service-1>` is the first service), so the model can be told which exist.
    pub fn new(names: &Names, secrets: Secrets) -> Self {
        let mut a = Self {
            names: Vec::new(),
            secrets,
            given: Vec::new(),
        };
        let hosts = names.hosts.iter().filter(|h| h.as_str() != "localhost");
        let all = std::iter::once((&names.workspace, Kind::Workspace))
            .chain(names.services.iter().map(|s| (s, Kind::Service)))
            .chain(names.environments.iter().map(|e| (e, Kind::Environment)))
            .chain(hosts.map(|h| (h, Kind::Host)))
            .chain((names.users.iter().filter(|u| u.as_str() != "root")).map(|u| (u, Kind::User)));
        for (name, kind) in all {
            if name.len() >= 2 && !a.is_name(name) {
                a.names.push((name.clone(), kind));
                a.placeholder(kind, name);
            }
        }
        a.names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        a
    }

    /// The placeholder a name of the workspace was given.
    pub fn name(&self, name: &str) -> Option<&str> {
        (self.given.iter())
            .find(|g| g.kind != Kind::Secret && g.real == name)
            .map(|g| g.placeholder.as_str())
    }

    /// `text` with everything private replaced.
    pub fn anonymize(&mut self, text: &str) -> String {
        let secrets = self.secrets.clone();
        let mut out = secrets.replace_with(text, |reference| self.mark(Kind::Secret, reference));
        out = self.pass(&out, &TOKEN, Self::token);
        out = self.pass(&out, &URL, Self::url);
        out = self.pass(&out, &EMAIL, |a, c| Some(a.mark(Kind::Email, &c[0])));
        // `crate::assist` holds `e::a`, which parses: an address stands alone.
        out = self.pass_around(&out, &IPV6, |a, before, ip, after| {
            let alone = !word_char(before.chars().next_back()) && !word_char(after.chars().next());
            (alone && ip.parse::<Ipv6Addr>().is_ok()).then(|| a.mark(Kind::Ip, ip))
        });
        out = self.pass(&out, &IPV4, |a, c| {
            (c[0].parse::<Ipv4Addr>().is_ok()).then(|| a.mark(Kind::Ip, &c[0]))
        });
        out = self.pass(&out, &PATH, |a, c| {
            let path = c.get(1)?;
            let before = &c[0][..path.start() - c.get(0)?.start()];
            Some(format!("{before}{}", a.mark(Kind::Path, path.as_str())))
        });
        out = self.pass(&out, &HOST, |a, c| Some(a.mark(Kind::Host, &c[0])));
        for (name, kind) in self.names.clone() {
            let re = Regex::new(&format!("(?i){}", regex::escape(&name))).expect("escaped name");
            // A whole word only: not `api` in `api-gateway` or `rapid`.
            let part =
                |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || "_-".contains(c));
            out = self.pass_around(&out, &re, |a, before, _, after| {
                (!part(before.chars().next_back()) && !part(after.chars().next()))
                    .then(|| a.mark(kind, &name))
            });
        }
        MARK.replace_all(&out, |c: &regex::Captures| {
            let index = c[1]
                .chars()
                .fold(0, |n, d| n * 10 + (d as u32 - DIGIT_0) as usize);
            self.given[index].placeholder.clone()
        })
        .into_owned()
    }

    /// `text` from the model with each placeholder this anonymizer gave replaced by what it
    /// stands for; secrets' placeholders, and ones never given, stay as they are.
    pub fn restore(&self, text: &str) -> String {
        PLACEHOLDER
            .replace_all(text, |c: &regex::Captures| {
                let placeholder = &c[0];
                self.given
                    .iter()
                    .find(|g| g.placeholder == placeholder && g.kind != Kind::Secret)
                    .map_or_else(|| placeholder.to_owned(), |g| g.real.clone())
            })
            .into_owned()
    }

    /// Every match of `re` replaced by what `each` makes of it; `None` leaves it.
    fn pass(
        &mut self,
        text: &str,
        re: &Regex,
        mut each: impl FnMut(&mut Self, &regex::Captures) -> Option<String>,
    ) -> String {
        re.replace_all(text, |c: &regex::Captures| {
            each(self, c).unwrap_or_else(|| c[0].to_owned())
        })
        .into_owned()
    }

    /// The secret part of a token match, with what comes before it (`Bearer `, `token=`)
    /// kept. A long run of base64 letters counts only when it looks random.
    fn token(&mut self, c: &regex::Captures) -> Option<String> {
        let whole = c.get(0)?;
        let (group, secret) = (1..c.len()).find_map(|i| c.get(i).map(|m| (i, m)))?;
        if group == c.len() - 1 && !looks_random(secret.as_str()) {
            return None;
        }
        let before = &whole.as_str()[..secret.start() - whole.start()];
        let mark = self.mark(Kind::Secret, &fingerprint(secret.as_str()));
        Some(format!("{before}{mark}"))
    }

    /// `https://user:pw@hooks.example.com` → `https://<secret-1>:<secret-2>@<host-1>`; a
    /// host that is a name of the workspace is left to the names' pass, `localhost` kept.
    fn url(&mut self, c: &regex::Captures) -> Option<String> {
        let whole = c.get(0)?;
        let mut out = String::new();
        let mut at = whole.start();
        for group in 1..=3 {
            let Some(part) = c.get(group).filter(|p| !p.is_empty()) else {
                continue;
            };
            out.push_str(&whole.as_str()[at - whole.start()..part.start() - whole.start()]);
            let text = part.as_str();
            let bare = text.trim_matches(['[', ']']);
            let mark = if group < 3 {
                self.mark(Kind::Secret, &fingerprint(text))
            } else if bare.parse::<std::net::IpAddr>().is_ok() {
                text.replace(bare, &self.mark(Kind::Ip, bare))
            } else if self.is_name(text) || text == "localhost" {
                text.to_owned()
            } else {
                self.mark(Kind::Host, text)
            };
            out.push_str(&mark);
            at = part.end();
        }
        Some(out)
    }

    /// Like [`Self::pass`], for patterns that need what is around a match: the regex crate
    /// has no look-around.
    fn pass_around(
        &mut self,
        text: &str,
        re: &Regex,
        mut each: impl FnMut(&mut Self, &str, &str, &str) -> Option<String>,
    ) -> String {
        let mut out = String::new();
        let mut at = 0;
        for m in re.find_iter(text) {
            let Some(replaced) = each(self, &text[..m.start()], m.as_str(), &text[m.end()..])
            else {
                continue;
            };
            out.push_str(&text[at..m.start()]);
            out.push_str(&replaced);
            at = m.end();
        }
        out.push_str(&text[at..]);
        out
    }

    fn is_name(&self, text: &str) -> bool {
        self.names.iter().any(|(n, _)| n.eq_ignore_ascii_case(text))
    }

    /// The mark standing for `real`'s placeholder in the text between passes.
    fn mark(&mut self, kind: Kind, real: &str) -> String {
        let placeholder = self.placeholder(kind, real);
        let index = (self.given.iter())
            .position(|g| g.placeholder == placeholder)
            .unwrap_or_default();
        let digits: String = index
            .to_string()
            .chars()
            .filter_map(|d| char::from_u32(DIGIT_0 + d.to_digit(10)?))
            .collect();
        format!("{OPEN}{digits}{CLOSE}")
    }

    /// The placeholder of `real`, the same one each time.
    fn placeholder(&mut self, kind: Kind, real: &str) -> String {
        if let Some(g) = self.given.iter().find(|g| g.kind == kind && g.real == real) {
            return g.placeholder.clone();
        }
        let n = self.given.iter().filter(|g| g.kind == kind).count() + 1;
        let placeholder = format!("<{}-{n}>", kind.word());
        self.given.push(Given {
            kind,
            real: real.to_owned(),
            placeholder: placeholder.clone(),
        });
        placeholder
    }

    /// How many placeholders of each kind were given.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        Kind::ALL
            .iter()
            .map(|k| (k.word(), self.given.iter().filter(|g| g.kind == *k).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

fn word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// A long run mixing letters and digits is a key; a long word is not, and neither is a
/// path (a `/` every few letters, where base64 has one in 64).
fn looks_random(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let letters = text.chars().filter(char::is_ascii_alphabetic).count();
    let slashes = text.matches('/').count();
    digits >= 2 && letters >= 2 && slashes * 16 <= text.len()
}

/// Tells two secrets apart without keeping them: a token's placeholder is found again
/// by this, and the token itself is dropped.
fn fingerprint(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(secret.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "anonymize_tests.rs"]
mod tests;
