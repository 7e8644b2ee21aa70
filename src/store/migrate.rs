//! Versioned schema migrations. `PRAGMA user_version` holds how many migrations of a file's
//! list have run; each runs in its own transaction together with the version bump, so a crash
//! leaves the file at one version or the next, never in between.

use rusqlite::{Connection, TransactionBehavior};

use super::Fault;

/// Runs the migrations a file has not had yet. Refuses a file written by a newer `uc`: its
/// schema may not mean what this one expects.
pub(super) fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<(), Fault> {
    let known = migrations.len() as i64;
    loop {
        // IMMEDIATE, and the version read inside: two processes opening a new file at once
        // run each migration once.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = version(&tx)?;
        if found > known {
            return Err(Fault::TooNew { found, known });
        }
        let Some(sql) = usize::try_from(found).ok().and_then(|i| migrations.get(i)) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", found + 1)?;
        tx.commit()?;
    }
}

pub(super) fn version(conn: &Connection) -> Result<i64, Fault> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "CREATE TABLE a (x INTEGER);";
    const V2: &str = "ALTER TABLE a ADD COLUMN y INTEGER; INSERT INTO a VALUES (1, 2);";

    #[test]
    fn runs_only_the_missing_migrations() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &[V1]).unwrap();
        assert_eq!(version(&conn).unwrap(), 1);
        conn.execute("INSERT INTO a VALUES (0)", []).unwrap();

        // Re-running V1 would fail: the table exists.
        migrate(&mut conn, &[V1, V2]).unwrap();
        migrate(&mut conn, &[V1, V2]).unwrap();
        assert_eq!(version(&conn).unwrap(), 2);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM a WHERE y = 2", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn refuses_a_newer_file() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &[V1, V2]).unwrap();
        let err = migrate(&mut conn, &[V1]).unwrap_err();
        assert!(matches!(err, Fault::TooNew { found: 2, known: 1 }), "{err}");
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &[V1]).unwrap();
        migrate(&mut conn, &[V1, V2, "CREATE TABLE a (z INTEGER);"]).unwrap_err();
        assert_eq!(version(&conn).unwrap(), 2);
    }
}
