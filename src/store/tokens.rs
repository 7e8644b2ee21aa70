//! API tokens (`<state>/.serve/tokens.db`): name, role, workspace scope, expiry and last
//! use. Only a token's SHA-256 is stored; the token itself is shown once, when it is made,
//! and cannot be recovered from the file.

use std::path::Path;

use rusqlite::params;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Db, Durability, Schema, StoreError};
use crate::protocol::Role;

pub const SCHEMA: Schema = Schema {
    migrations: &["
    CREATE TABLE tokens (
        name TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        workspace TEXT,
        created INTEGER NOT NULL,
        expires INTEGER,
        last_used INTEGER,
        revoked INTEGER
    );
"],
    tables: &["tokens"],
    durability: Durability::Full,
    writer_pragmas: &[],
};

/// What a token may do, without the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "ci", "role": "operator", "workspace": null,
    "created": 1764979200000u64, "expires": null, "last_used": 1764982800000u64, "revoked": null}))]
pub struct TokenInfo {
    pub name: String,
    #[schema(value_type = String, example = "operator")]
    pub role: Role,
    /// The one workspace it may reach; every workspace when `None`.
    pub workspace: Option<String>,
    /// Milliseconds since the epoch, like the others.
    pub created: u64,
    pub expires: Option<u64>,
    pub last_used: Option<u64>,
    pub revoked: Option<u64>,
}

/// Why a token cannot be made or revoked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("a token named `{0}` exists (revoke it first)")]
    Exists(String),
    #[error("no token named `{0}`")]
    Unknown(String),
    #[error(
        "`{0}` is not a token name (1 to 64 letters, digits, `-`, `_` and `.`): names appear \
         in headers and the audit log"
    )]
    BadName(String),
    #[error("no randomness for a token: {0}")]
    NoRandomness(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The hex SHA-256 of a token: what the file keeps and what a bearer is looked up by.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub struct Tokens {
    db: Db,
}

/// A token to make: what `uc token create` and `POST /api/v1/tokens` ask for.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub role: Role,
    pub workspace: Option<String>,
    pub lasts: Option<std::time::Duration>,
}

/// Token names appear in headers and the audit log: kept plain.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// 256 bits from the kernel, prefixed so a leaked token is recognisable (secret scanners).
fn secret() -> Result<String, TokenError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| TokenError::NoRandomness(e.to_string()))?;
    Ok(format!("uc_{}", hex::encode(bytes)))
}

impl Tokens {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open(path, &SCHEMA).map(|db| Self { db })
    }

    /// Makes the token `new` asks for at `now`: what it may do, and the token itself, which
    /// only its hash is kept of.
    pub fn issue(&mut self, new: NewToken, now: u64) -> Result<(TokenInfo, String), TokenError> {
        if !plain_name(&new.name) {
            return Err(TokenError::BadName(new.name.escape_default().to_string()));
        }
        let lasts = new
            .lasts
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let info = TokenInfo {
            name: new.name,
            role: new.role,
            workspace: new.workspace,
            created: now,
            expires: lasts.map(|ms| now.saturating_add(ms)),
            last_used: None,
            revoked: None,
        };
        let token = secret()?;
        self.create(&info, &hash(&token))?;
        Ok((info, token))
    }

    /// Stores a new token under `info.name` by its hash. A revoked token's name may be
    /// used again.
    fn create(&mut self, info: &TokenInfo, token_hash: &str) -> Result<(), TokenError> {
        let inserted = self.db.transaction(|tx| {
            tx.execute(
                "DELETE FROM tokens WHERE name = ?1 AND revoked IS NOT NULL",
                [&info.name],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO tokens (name, hash, role, workspace, created, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    info.name,
                    token_hash,
                    info.role.name(),
                    info.workspace,
                    millis(info.created),
                    info.expires.map(millis)
                ],
            )
        })?;
        if inserted == 0 {
            return Err(TokenError::Exists(info.name.clone()));
        }
        Ok(())
    }

    /// Marks it revoked at `at`: kept, so `uc token list` and a refused bearer can say so.
    pub fn revoke(&self, name: &str, at: u64) -> Result<(), TokenError> {
        let changed = self.db.run(|c| {
            c.execute(
                "UPDATE tokens SET revoked = ?2 WHERE name = ?1 AND revoked IS NULL",
                params![name, millis(at)],
            )
        })?;
        if changed == 0 {
            return Err(TokenError::Unknown(name.to_owned()));
        }
        Ok(())
    }

    /// Every token with its hash, by name.
    pub fn all(&self) -> Result<Vec<(String, TokenInfo)>, StoreError> {
        self.db.run(|c| {
            let mut stmt = c.prepare(
                "SELECT hash, name, role, workspace, created, expires, last_used, revoked
                 FROM tokens ORDER BY name",
            )?;
            let rows = stmt.query_map([], |r| {
                let role: String = r.get(2)?;
                let role = role_named(&role).ok_or_else(|| {
                    rusqlite::Error::InvalidColumnType(2, role, rusqlite::types::Type::Text)
                })?;
                let time = |i: usize| -> rusqlite::Result<Option<u64>> {
                    Ok(r.get::<_, Option<i64>>(i)?
                        .map(|v| u64::try_from(v).unwrap_or(0)))
                };
                let info = TokenInfo {
                    name: r.get(1)?,
                    role,
                    workspace: r.get(3)?,
                    created: time(4)?.unwrap_or(0),
                    expires: time(5)?,
                    last_used: time(6)?,
                    revoked: time(7)?,
                };
                Ok((r.get(0)?, info))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })
    }

    /// Records last uses gathered in memory, in one transaction.
    pub fn touch(&mut self, used: &[(String, u64)]) -> Result<(), StoreError> {
        self.db.transaction(|tx| {
            let mut stmt = tx.prepare(
                "UPDATE tokens SET last_used = max(coalesce(last_used, 0), ?2) WHERE name = ?1",
            )?;
            for (name, at) in used {
                stmt.execute(params![name, millis(*at)])?;
            }
            Ok::<_, rusqlite::Error>(())
        })
    }

    /// Changes made by other connections since the last call return a different number
    /// (SQLite's `data_version`): how `uc serve` notices `uc token create|revoke`.
    pub fn version(&self) -> Result<i64, StoreError> {
        self.db
            .run(|c| c.pragma_query_value(None, "data_version", |r| r.get(0)))
    }
}

fn role_named(name: &str) -> Option<Role> {
    [Role::Viewer, Role::Operator, Role::Deployer, Role::Admin]
        .into_iter()
        .find(|r| r.name() == name)
}

fn millis(at: u64) -> i64 {
    i64::try_from(at).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str) -> TokenInfo {
        TokenInfo {
            name: name.into(),
            role: Role::Operator,
            workspace: Some("shop".into()),
            created: 5,
            expires: Some(100),
            last_used: None,
            revoked: None,
        }
    }

    #[test]
    fn an_issued_token_is_found_by_its_hash_and_a_plain_name_is_required() {
        let dir = tempfile::tempdir().unwrap();
        let mut tokens = Tokens::open(dir.path().join("tokens.db")).unwrap();
        let new = |name: &str| NewToken {
            name: name.into(),
            role: Role::Viewer,
            workspace: None,
            lasts: Some(std::time::Duration::from_secs(60)),
        };
        let (info, token) = tokens.issue(new("ci-1.a"), 1_000).unwrap();
        assert!(token.starts_with("uc_") && token.len() == 67, "{token}");
        assert_eq!(info.expires, Some(61_000));
        let all = tokens.all().unwrap();
        assert_eq!(all, vec![(hash(&token), info)]);
        let refused = tokens.issue(new("a b"), 1_000).unwrap_err();
        assert!(
            refused.to_string().starts_with("`a b` is not a token name"),
            "{refused}"
        );
        assert!(matches!(
            tokens.issue(new(&"x".repeat(65)), 1_000),
            Err(TokenError::BadName(_))
        ));
    }

    #[test]
    fn tokens_are_kept_by_hash_revoked_and_touched() {
        let dir = tempfile::tempdir().unwrap();
        let mut tokens = Tokens::open(dir.path().join("tokens.db")).unwrap();
        tokens.create(&info("ci"), &hash("uc_a")).unwrap();
        let again = tokens.create(&info("ci"), &hash("uc_b")).unwrap_err();
        assert_eq!(
            again.to_string(),
            "a token named `ci` exists (revoke it first)"
        );
        tokens
            .touch(&[("ci".into(), 50), ("ci".into(), 40)])
            .unwrap();
        let all = tokens.all().unwrap();
        let stored = TokenInfo {
            last_used: Some(50),
            ..info("ci")
        };
        assert_eq!(all, [(hash("uc_a"), stored)]);
        tokens.revoke("ci", 60).unwrap();
        assert_eq!(tokens.all().unwrap()[0].1.revoked, Some(60));
        assert!(matches!(
            tokens.revoke("ci", 70),
            Err(TokenError::Unknown(_))
        ));
        tokens.create(&info("ci"), &hash("uc_c")).unwrap();
        assert_eq!(tokens.all().unwrap()[0].0, hash("uc_c"));
    }
}
