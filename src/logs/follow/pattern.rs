//! What a source names: one file, or the files of one directory whose names match a glob
//! (`*`, `?`, `[a-z]`, `[!0-9]`; wildcards only in the file name, so one directory watch
//! sees every file that may match).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::FollowError;

#[derive(Debug, Clone)]
pub(super) struct Pattern {
    /// Absolute, so it compares equal to the paths directory events carry.
    pub dir: PathBuf,
    name: Vec<u8>,
    glob: bool,
}

impl Pattern {
    pub fn parse(path: &Path) -> Result<Self, FollowError> {
        let absolute = std::path::absolute(path).map_err(|source| FollowError::Path {
            path: path.to_owned(),
            source,
        })?;
        let (Some(dir), Some(name)) = (absolute.parent(), absolute.file_name()) else {
            return Err(FollowError::NoFileName(path.to_owned()));
        };
        if has_wildcard(dir.as_os_str().as_bytes()) {
            return Err(FollowError::DirectoryGlob(path.to_owned()));
        }
        let name = name.as_bytes().to_vec();
        Ok(Self {
            dir: dir.to_owned(),
            glob: has_wildcard(&name),
            name,
        })
    }

    /// The one file a pattern without wildcards names.
    pub fn literal(&self) -> Option<PathBuf> {
        (!self.glob).then(|| self.dir.join(OsStr::from_bytes(&self.name)))
    }

    /// Whether `path` is a file this pattern names.
    pub fn matches(&self, path: &Path) -> bool {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        dir == self.dir && self.matches_name(name)
    }

    pub fn matches_name(&self, name: &OsStr) -> bool {
        if self.glob {
            glob_match(&self.name, name.as_bytes())
        } else {
            self.name == name.as_bytes()
        }
    }
}

fn has_wildcard(text: &[u8]) -> bool {
    text.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Shell-style matching; a `*` backtracks to the last star only, which is enough for a
/// single name.
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if let Some(step) = step(&pattern[p..], name[n]) {
            match step {
                Step::Star => {
                    star = Some((p, n));
                    p += 1;
                }
                Step::Matched(len) => {
                    p += len;
                    n += 1;
                }
            }
            continue;
        }
        let Some((star_p, star_n)) = star else {
            return false;
        };
        p = star_p + 1;
        n = star_n + 1;
        star = Some((star_p, star_n + 1));
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

enum Step {
    Star,
    /// The byte matched this many pattern bytes.
    Matched(usize),
}

fn step(pattern: &[u8], byte: u8) -> Option<Step> {
    match *pattern.first()? {
        b'*' => Some(Step::Star),
        b'?' => Some(Step::Matched(1)),
        b'[' => match class(pattern, byte) {
            Some((true, len)) => Some(Step::Matched(len)),
            Some((false, _)) => None,
            // An unclosed `[` is an ordinary character.
            None => (byte == b'[').then_some(Step::Matched(1)),
        },
        literal => (literal == byte).then_some(Step::Matched(1)),
    }
}

/// `[abc]`, `[a-z]`, `[!0-9]`: whether `byte` is in the class, and the class's length.
fn class(pattern: &[u8], byte: u8) -> Option<(bool, usize)> {
    let negated = pattern.get(1) == Some(&b'!');
    let start = if negated { 2 } else { 1 };
    // A `]` right after the opening is a member, not the end.
    let close = start + 1 + pattern.get(start + 1..)?.iter().position(|&b| b == b']')?;
    let members = &pattern[start..close];
    let mut found = false;
    let mut i = 0;
    while i < members.len() {
        if members.get(i + 1) == Some(&b'-') && i + 2 < members.len() {
            found |= (members[i]..=members[i + 2]).contains(&byte);
            i += 3;
        } else {
            found |= members[i] == byte;
            i += 1;
        }
    }
    Some((found != negated, close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let cases = [
            ("*.log", "app.log", true),
            ("*.log", "app.log.1", false),
            ("*.log*", "app.log.1", true),
            ("app-?.log", "app-1.log", true),
            ("app-?.log", "app-12.log", false),
            ("app-[0-9].log", "app-7.log", true),
            ("app-[!0-9].log", "app-7.log", false),
            ("app-[!0-9].log", "app-x.log", true),
            ("*a*b*c", "xxaxxbxxc", true),
            ("*a*b*c", "xxaxxcxxb", false),
            ("[]x]", "]", true),
            ("[oops", "[oops", true),
            ("*", "", true),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(
                glob_match(pattern.as_bytes(), name.as_bytes()),
                want,
                "{pattern} {name}"
            );
        }
    }

    #[test]
    fn wildcards_stay_in_the_file_name() {
        assert!(Pattern::parse(Path::new("/var/log/*/app.log")).is_err());
        let pattern = Pattern::parse(Path::new("/var/log/app/*.log")).expect("pattern");
        assert!(pattern.matches(Path::new("/var/log/app/x.log")));
        assert!(!pattern.matches(Path::new("/var/log/other/x.log")));
        assert_eq!(pattern.literal(), None);
        let literal = Pattern::parse(Path::new("/var/log/app.log")).expect("pattern");
        assert_eq!(literal.literal(), Some(PathBuf::from("/var/log/app.log")));
    }
}
