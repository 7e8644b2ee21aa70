//! The deploy history (`<state>/<workspace>/deploys.db`): one row per deploy, rewritten at
//! every stage, so a new engine finds one that was cut off (`state = running`).

use std::path::Path;

use rusqlite::params;

use super::{Db, Durability, Schema, StoreError};
use crate::deploy::model::{DeployState, Deployment};

pub const SCHEMA: Schema = Schema {
    migrations: &["
    CREATE TABLE deploys (
        id INTEGER PRIMARY KEY,
        service TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        json TEXT NOT NULL
    );
    CREATE INDEX deploys_service ON deploys (service, id);
    CREATE INDEX deploys_state ON deploys (state);
"],
    tables: &["deploys"],
    // A switch recorded is what a new engine undoes after a crash: it must be on disk.
    durability: Durability::Full,
    writer_pragmas: &[],
};

pub struct DeployLog {
    db: Db,
}

impl DeployLog {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open(path, &SCHEMA).map(|db| Self { db })
    }

    /// Stores a new deploy and gives it its id.
    pub fn insert(&self, deploy: &mut Deployment) -> Result<(), StoreError> {
        let id = self.db.run(|c| {
            c.execute(
                "INSERT INTO deploys (service, started_at, state, json) VALUES (?1, ?2, ?3, '')",
                params![
                    deploy.service,
                    i64::try_from(deploy.started_at).unwrap_or(i64::MAX),
                    deploy.state.as_str()
                ],
            )?;
            Ok::<_, rusqlite::Error>(c.last_insert_rowid())
        })?;
        deploy.id = u64::try_from(id).unwrap_or_default();
        self.update(deploy)
    }

    pub fn update(&self, deploy: &Deployment) -> Result<(), StoreError> {
        let json = serde_json::to_string(deploy).map_err(|e| self.db.error(e))?;
        let id = i64::try_from(deploy.id).unwrap_or(i64::MAX);
        self.db.run(|c| {
            c.execute(
                "UPDATE deploys SET state = ?2, json = ?3 WHERE id = ?1",
                params![id, deploy.state.as_str(), json],
            )
        })?;
        Ok(())
    }

    /// The newest `limit` deploys (of `service` when given), newest first.
    pub fn recent(
        &self,
        service: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Deployment>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(
            "SELECT json FROM deploys WHERE ?1 IS NULL OR service = ?1 ORDER BY id DESC LIMIT ?2",
            params![service, limit],
        )
    }

    /// Deploys an engine left running (or waiting for an approval) when it stopped.
    pub fn unfinished(&self) -> Result<Vec<Deployment>, StoreError> {
        let running = DeployState::Running.as_str();
        let waiting = DeployState::Waiting.as_str();
        self.rows(
            "SELECT json FROM deploys WHERE state IN (?1, ?2) ORDER BY id",
            params![running, waiting],
        )
    }

    fn rows(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Deployment>, StoreError> {
        let rows: Vec<String> = self
            .db
            .run(|c| c.prepare(sql)?.query_map(args, |r| r.get(0))?.collect())?;
        // A row written by a newer engine with fields this one cannot read is skipped.
        Ok(rows
            .iter()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::model::{Stage, StageRun, StageStatus};

    #[test]
    fn deploys_are_stored_updated_and_found_unfinished_after_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("deploys.db");
        let mut first = Deployment {
            id: 0,
            service: "api".into(),
            trigger: "manual".into(),
            by: "ana".into(),
            git_ref: "main".into(),
            commit: None,
            release: None,
            previous: None,
            state: DeployState::Running,
            stages: vec![StageRun {
                stage: Stage::Fetch,
                status: StageStatus::Running,
                started_at: 1,
                ended_at: None,
                log: String::new(),
            }],
            cause: None,
            started_at: 1,
            ended_at: None,
            switched: false,
            colours: None,
            approval: None,
        };
        let mut second = first.clone();
        {
            let log = DeployLog::open(&path).expect("open");
            log.insert(&mut first).expect("insert");
            log.insert(&mut second).expect("insert");
            first.state = DeployState::Succeeded;
            log.update(&first).expect("update");
        }
        let log = DeployLog::open(&path).expect("reopen");
        assert_eq!(log.unfinished().expect("unfinished"), vec![second.clone()]);
        let recent = log.recent(Some("api"), 10).expect("recent");
        assert_eq!(recent, vec![second, first]);
        assert!(log.recent(Some("web"), 10).expect("web").is_empty());
    }
}
