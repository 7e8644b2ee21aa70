//! How much disk the history takes, table by table (SQLite's `dbstat`, which the bundled
//! build enables).

use rusqlite::Row;

use super::{Fault, History, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskUsage {
    /// The database file, without the WAL.
    pub file_bytes: u64,
    pub wal_bytes: u64,
    pub page_size: u64,
    /// Pages freed by retention, reused before the file grows.
    pub free_pages: u64,
    /// Sorted by name; a table's indexes count towards it.
    pub tables: Vec<TableUsage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUsage {
    pub name: String,
    pub rows: u64,
    pub pages: u64,
    /// Whole pages, the space the table takes in the file.
    pub bytes: u64,
    /// Of which row content (keys, values and record headers).
    pub payload: u64,
}

impl History {
    /// Counts every row, so it is a diagnostic, not something to call per tick.
    pub fn disk_usage(&self) -> Result<DiskUsage, StoreError> {
        self.measure().map_err(|f| self.db.error(f))
    }

    fn measure(&self) -> Result<DiskUsage, Fault> {
        let pragma = |name: &str| -> Result<u64, Fault> {
            Ok(self
                .db
                .conn()
                .pragma_query_value(None, name, |r| count(r, 0))?)
        };
        let mut tables = Vec::new();
        {
            let mut stmt = self.db.conn().prepare(
                "SELECT s.tbl_name, count(*), sum(d.pgsize), sum(d.payload)
                 FROM dbstat AS d JOIN sqlite_schema AS s ON s.name = d.name
                 GROUP BY s.tbl_name ORDER BY s.tbl_name",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let name: String = row.get(0)?;
                let quoted = name.replace('"', "\"\"");
                let rows_sql = format!("SELECT count(*) FROM \"{quoted}\"");
                tables.push(TableUsage {
                    rows: self.db.conn().query_row(&rows_sql, [], |r| count(r, 0))?,
                    pages: count(row, 1)?,
                    bytes: count(row, 2)?,
                    payload: count(row, 3)?,
                    name,
                });
            }
        }
        let size = |suffix: &str| {
            let mut path = self.db.path().as_os_str().to_owned();
            path.push(suffix);
            std::fs::metadata(path).map_or(0, |m| m.len())
        };
        Ok(DiskUsage {
            file_bytes: size(""),
            wal_bytes: size("-wal"),
            page_size: pragma("page_size")?,
            free_pages: pragma("freelist_count")?,
            tables,
        })
    }
}

/// SQLite integers are signed; sizes and counts never are negative.
fn count(row: &Row<'_>, column: usize) -> rusqlite::Result<u64> {
    Ok(row.get::<_, i64>(column)?.unsigned_abs())
}
