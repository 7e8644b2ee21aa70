//! Who is calling: bearer tokens looked up by their hash in a copy of `tokens.db` kept in
//! memory, refreshed when `uc token create|revoke` changes the file; and the addresses whose
//! failed attempts are counted, to slow down guessing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use crate::store::tokens::Tokens;
use crate::store::{NewToken, StoreError, TokenError, TokenInfo};

/// How often the file is checked for other processes' changes (a revoked token stops
/// working within this), and last uses are written.
const REFRESH: Duration = Duration::from_millis(500);

/// Why a bearer was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    Missing,
    Unknown,
    Expired(String),
    Revoked(String),
}

impl Rejected {
    pub fn hint(&self) -> String {
        match self {
            Self::Missing => {
                "send `Authorization: Bearer <token>`; `uc token create` makes one".into()
            }
            Self::Unknown => "no such token; `uc token list` shows the tokens there are".into(),
            Self::Expired(name) => format!("token {name} has expired; create a new one"),
            Self::Revoked(name) => format!("token {name} was revoked"),
        }
    }
}

/// The tokens `uc serve` accepts.
pub struct Keys {
    shared: Arc<Shared>,
}

struct Shared {
    /// By hex SHA-256 of the token.
    by_hash: RwLock<HashMap<String, TokenInfo>>,
    /// Last uses not yet written, by token name.
    used: Mutex<HashMap<String, u64>>,
    file: Mutex<Followed>,
}

/// The file and the version of it `by_hash` holds.
struct Followed {
    tokens: Tokens,
    seen: Option<i64>,
}

impl Keys {
    /// Reads `path` (creating it) and keeps following it on a thread of its own, which ends
    /// with the last `Keys`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let tokens = Tokens::open(path)?;
        let seen = tokens.version().ok();
        let all = tokens.all()?.into_iter().collect();
        let shared = Arc::new(Shared {
            by_hash: RwLock::new(all),
            used: Mutex::default(),
            file: Mutex::new(Followed { tokens, seen }),
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("uc-tokens".into())
            .spawn(move || follow(&weak))
            .map_err(|e| tracing::error!("cannot follow the tokens file: {e}"))
            .ok();
        Ok(Self { shared })
    }

    /// The token whose hash `hash` is (a bearer's, or the one a session holds), if it may be
    /// used at `now` (ms): a token revoked or expired since a sign-in ends its sessions. A
    /// token made a moment ago works at once: an unknown one has the file read again first
    /// when it changed (one `data_version` query; guessers are stopped by [`Failures`]
    /// before they get here).
    pub fn check_hash(&self, hash: &str, now: u64) -> Result<TokenInfo, Rejected> {
        let info = match self.shared.lookup(hash) {
            Some(info) => info,
            None if self.shared.refresh() => self.shared.lookup(hash).ok_or(Rejected::Unknown)?,
            None => return Err(Rejected::Unknown),
        };
        if info.revoked.is_some() {
            return Err(Rejected::Revoked(info.name));
        }
        if info.expires.is_some_and(|at| at <= now) {
            return Err(Rejected::Expired(info.name));
        }
        let mut used = self.shared.used.lock().unwrap_or_else(|p| p.into_inner());
        used.insert(info.name.clone(), now);
        Ok(info)
    }
}

/// `POST /api/v1/tokens`, `DELETE /api/v1/tokens/{name}` and `GET /api/v1/tokens`: the
/// same file `uc token` changes, and this copy of it changed at once (SQLite's
/// `data_version` does not move for the connection's own writes).
impl Keys {
    pub fn issue(&self, new: NewToken, now: u64) -> Result<(TokenInfo, String), TokenError> {
        let made = self.shared.file().tokens.issue(new, now);
        self.shared.reload();
        made
    }

    pub fn revoke(&self, name: &str, now: u64) -> Result<(), TokenError> {
        let revoked = self.shared.file().tokens.revoke(name, now);
        self.shared.reload();
        revoked
    }

    /// Every token (never the token itself), last uses included.
    pub fn list(&self) -> Result<Vec<TokenInfo>, StoreError> {
        self.shared.write_used();
        let all = self.shared.file().tokens.all()?;
        Ok(all.into_iter().map(|(_, info)| info).collect())
    }
}

impl Shared {
    fn file(&self) -> std::sync::MutexGuard<'_, Followed> {
        self.file.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lookup(&self, hash: &str) -> Option<TokenInfo> {
        let by_hash = self.by_hash.read().unwrap_or_else(|p| p.into_inner());
        by_hash.get(hash).cloned()
    }

    /// Reads the file again if another process changed it; whether it did.
    fn refresh(&self) -> bool {
        let mut file = self.file();
        let version = file.tokens.version().ok();
        if version == file.seen {
            return false;
        }
        file.seen = version;
        self.read(&file)
    }

    /// Reads the file again, whoever changed it.
    fn reload(&self) {
        let mut file = self.file();
        file.seen = file.tokens.version().ok();
        self.read(&file);
    }

    fn read(&self, file: &Followed) -> bool {
        match file.tokens.all() {
            Ok(all) => {
                *self.by_hash.write().unwrap_or_else(|p| p.into_inner()) =
                    all.into_iter().collect();
                true
            }
            Err(e) => {
                tracing::error!("cannot read the tokens: {e}");
                false
            }
        }
    }

    fn write_used(&self) {
        let used: Vec<(String, u64)> = {
            let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
            used.drain().collect()
        };
        if used.is_empty() {
            return;
        }
        if let Err(e) = self.file().tokens.touch(&used) {
            tracing::warn!("cannot record the tokens' last use: {e}");
        }
    }
}

/// Revocations reach a running `uc serve` within [`REFRESH`], and last uses are written.
fn follow(shared: &Weak<Shared>) {
    loop {
        std::thread::sleep(REFRESH);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        shared.write_used();
        shared.refresh();
    }
}

/// Failed attempts per address: past [`Failures::MAX`] in a minute, an address is turned
/// away (429) until the minute is over, whatever it sends.
#[derive(Default)]
pub struct Failures {
    by_address: Mutex<HashMap<IpAddr, Window>>,
}

#[derive(Clone, Copy)]
struct Window {
    start: u64,
    count: u32,
}

const WINDOW_MS: u64 = 60_000;

impl Failures {
    pub const MAX: u32 = 10;

    /// Seconds until `address` may try again, when it may not now.
    pub fn blocked(&self, address: IpAddr, now: u64) -> Option<u64> {
        let by_address = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        let window = by_address.get(&address)?;
        let end = window.start + WINDOW_MS;
        (window.count >= Self::MAX && now < end).then(|| (end - now).div_ceil(1000))
    }

    pub fn failed(&self, address: IpAddr, now: u64) {
        let mut by_address = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        // Forget finished windows once many addresses were seen, so the map stays small.
        if by_address.len() >= 10_000 {
            by_address.retain(|_, w| now < w.start + WINDOW_MS);
        }
        let window = by_address.entry(address).or_insert(Window {
            start: now,
            count: 0,
        });
        if now >= window.start + WINDOW_MS {
            *window = Window {
                start: now,
                count: 0,
            };
        }
        window.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_turned_away_after_ten_failures_for_the_rest_of_the_minute() {
        let failures = Failures::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "::1".parse().unwrap());
        for i in 0..Failures::MAX {
            assert_eq!(failures.blocked(a, 1000 + u64::from(i)), None);
            failures.failed(a, 1000 + u64::from(i));
        }
        assert_eq!(failures.blocked(a, 1_500), Some(60));
        assert_eq!(failures.blocked(a, 60_001), Some(1));
        assert_eq!(failures.blocked(b, 1_500), None);
        assert_eq!(failures.blocked(a, 61_000), None);
        failures.failed(a, 61_000);
        assert_eq!(failures.blocked(a, 61_001), None, "a new window");
    }
}
