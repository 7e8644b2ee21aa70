//! The audit pane: the workspace's audit records, newest first (time, actor, via, action,
//! target, outcome, reason), narrowed with `/` by actor, action or target, and whether the
//! hash chain of each file holds (what `uc audit verify` says). The records come from `GET
//! /api/v1/audit` when the pane opens and again on each `Event::Audit` the engine publishes
//! when a record is appended: one read in flight at a time, a newer one asked for after it.

mod keys;
pub mod pane;

use crate::store::AuditRecord;

/// Records the pane asks for: the newest this many.
pub const KEPT: usize = 500;

/// What checking one `audit.jsonl` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every line follows the one before it.
    Intact { file: String, lines: usize },
    /// The first line that was edited, removed, inserted or cut short: `FILE:LINE: problem`.
    Broken(String),
    /// The file could not be read (another user's file, ...).
    Unknown { file: String, error: String },
}

/// A read of the records and the check of their files, as the glue answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRead {
    /// Oldest first, as the engine answers; or why it refused.
    pub records: Result<Vec<AuditRecord>, String>,
    pub checks: Vec<ChainCheck>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditView {
    /// Newest first.
    records: Vec<AuditRecord>,
    /// Why the last read failed, shown instead of the records.
    pub error: Option<String>,
    pub checks: Vec<ChainCheck>,
    /// Lower-case text a shown record's actor, action or target contains.
    pub filter: String,
    /// Row of the selection among the shown records.
    pub selected: usize,
    /// Whether a read is on its way, and whether a record arrived since it was asked for.
    reading: bool,
    stale: bool,
    /// Whether the pane was read once (an empty list then means no records, not loading).
    pub loaded: bool,
}

impl AuditView {
    /// Whether to ask for the records now: not while a read is out, which is asked again
    /// when it lands.
    pub fn want_read(&mut self) -> bool {
        if self.reading {
            self.stale = true;
            return false;
        }
        self.reading = true;
        true
    }

    /// A read landed; returns whether a newer one is wanted.
    pub fn on_read(&mut self, read: AuditRead) -> bool {
        self.reading = false;
        self.loaded = true;
        self.checks = read.checks;
        match read.records {
            Ok(mut records) => {
                records.reverse();
                self.records = records;
                self.error = None;
            }
            Err(error) => self.error = Some(error),
        }
        self.selected = self.selected.min(self.shown().count().saturating_sub(1));
        std::mem::take(&mut self.stale)
    }

    pub fn set_filter(&mut self, text: &str) {
        self.filter = text.trim().to_lowercase();
        self.selected = 0;
    }

    /// The records the filter lets through, newest first.
    pub fn shown(&self) -> impl Iterator<Item = &AuditRecord> {
        self.records.iter().filter(|r| self.matches(r))
    }

    fn matches(&self, record: &AuditRecord) -> bool {
        let filter = self.filter.as_str();
        let has = |text: &str| text.to_lowercase().contains(filter);
        filter.is_empty()
            || has(&record.actor)
            || has(&record.action)
            || record.target.as_deref().is_some_and(has)
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.shown().count().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Whether every file checked holds.
    pub fn intact(&self) -> Option<bool> {
        if self
            .checks
            .iter()
            .any(|c| matches!(c, ChainCheck::Broken(_)))
        {
            return Some(false);
        }
        let checked = self
            .checks
            .iter()
            .any(|c| matches!(c, ChainCheck::Intact { .. }));
        checked.then_some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(actor: &str, action: &str) -> AuditRecord {
        AuditRecord::now(actor, "cli", action, "ok")
    }

    fn read(records: Vec<AuditRecord>) -> AuditRead {
        AuditRead {
            records: Ok(records),
            checks: vec![],
        }
    }

    #[test]
    fn records_show_newest_first_and_filter_by_actor_or_action() {
        let mut view = AuditView::default();
        view.on_read(read(vec![
            record("ana", "POST /api/v1/commands stop"),
            record("ops", "POST /api/v1/commands start"),
            record("system", "heal restart"),
        ]));
        let actors = |view: &AuditView| view.shown().map(|r| r.actor.clone()).collect::<Vec<_>>();
        assert_eq!(actors(&view), ["system", "ops", "ana"]);
        view.set_filter("OPS");
        assert_eq!(actors(&view), ["ops"]);
        view.set_filter("commands");
        assert_eq!(actors(&view), ["ops", "ana"]);
        view.move_by(5);
        assert_eq!(view.selected, 1);
    }

    #[test]
    fn a_record_during_a_read_asks_again_once_it_lands() {
        let mut view = AuditView::default();
        assert!(view.want_read());
        assert!(!view.want_read());
        assert!(!view.want_read());
        assert!(view.on_read(read(vec![])));
        assert!(view.want_read());
        assert!(!view.on_read(read(vec![])));
    }

    #[test]
    fn the_chain_is_intact_only_when_no_file_is_broken() {
        let mut view = AuditView::default();
        assert_eq!(view.intact(), None);
        let intact = ChainCheck::Intact {
            file: "a".into(),
            lines: 2,
        };
        view.checks = vec![intact.clone()];
        assert_eq!(view.intact(), Some(true));
        view.checks = vec![intact, ChainCheck::Broken("a:2: edited".into())];
        assert_eq!(view.intact(), Some(false));
    }
}
