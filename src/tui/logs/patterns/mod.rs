//! The patterns view's state: the engine's mined patterns in display order, the selection
//! (by id, so it survives refreshes), the sort, and when the list was last asked for.

pub mod pane;

use crate::logs::PatternInfo;

/// What "new" means for the sort: first seen within this long.
pub const NEW_WITHIN_MS: u64 = 10 * 60_000;
/// How often the list is asked for again while the view shows.
const REFRESH_MS: u64 = 1_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PatternSort {
    /// Most lines first.
    #[default]
    Count,
    /// Patterns first seen in the last [`NEW_WITHIN_MS`] first, newest first; then the rest
    /// by count.
    New,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatternsView {
    list: Vec<PatternInfo>,
    /// Indices into `list`, in display order.
    order: Vec<usize>,
    selected: Option<u32>,
    row: usize,
    pub sort: PatternSort,
    /// The last answer was an error.
    pub error: Option<String>,
    /// An answer arrived at least once.
    pub loaded: bool,
    requested_at: Option<u64>,
}

impl PatternsView {
    /// Whether to ask for the list again (at most once per refresh interval).
    pub fn due(&self, now_ms: u64) -> bool {
        self.requested_at
            .is_none_or(|at| now_ms.saturating_sub(at) >= REFRESH_MS)
    }

    pub fn asked(&mut self, now_ms: u64) {
        self.requested_at = Some(now_ms);
    }

    pub fn on_list(&mut self, result: Result<Vec<PatternInfo>, String>, now_ms: u64) {
        self.loaded = true;
        match result {
            Ok(list) => {
                self.list = list;
                self.error = None;
                self.reorder(now_ms);
            }
            Err(error) => self.error = Some(error),
        }
    }

    pub fn toggle_sort(&mut self, now_ms: u64) {
        self.sort = match self.sort {
            PatternSort::Count => PatternSort::New,
            PatternSort::New => PatternSort::Count,
        };
        self.reorder(now_ms);
    }

    fn reorder(&mut self, now_ms: u64) {
        let list = &self.list;
        let is_new = |p: &PatternInfo| now_ms.saturating_sub(p.first_seen) < NEW_WITHIN_MS;
        let mut order: Vec<usize> = (0..list.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&list[a], &list[b]);
            let by_count = b.count.cmp(&a.count).then(a.id.cmp(&b.id));
            match self.sort {
                PatternSort::Count => by_count,
                PatternSort::New => is_new(b)
                    .cmp(&is_new(a))
                    .then_with(|| match is_new(a) {
                        true => b.first_seen.cmp(&a.first_seen),
                        false => std::cmp::Ordering::Equal,
                    })
                    .then(by_count),
            }
        });
        self.order = order;
        let row = self
            .selected
            .and_then(|id| self.rows().position(|p| p.id == id));
        self.select(row.unwrap_or(self.row));
    }

    fn select(&mut self, row: usize) {
        let row = row.min(self.order.len().saturating_sub(1));
        self.selected = self.order.get(row).map(|&i| self.list[i].id);
        self.row = row;
    }

    pub fn move_by(&mut self, delta: isize) {
        self.select(self.row.saturating_add_signed(delta));
    }

    pub fn rows(&self) -> impl Iterator<Item = &PatternInfo> {
        self.order.iter().filter_map(|&i| self.list.get(i))
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Row of the selection, `None` when the list is empty.
    pub fn row(&self) -> Option<usize> {
        self.selected.map(|_| self.row)
    }

    pub fn selected(&self) -> Option<&PatternInfo> {
        let i = *self.order.get(self.row()?)?;
        self.list.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::LevelCounts;

    const NOW: u64 = 100 * 60_000;

    fn pattern(id: u32, count: u64, first_seen: u64) -> PatternInfo {
        PatternInfo {
            id,
            template: format!("p{id}"),
            count,
            first_seen,
            last_seen: NOW,
            examples: vec![],
            levels: LevelCounts::default(),
            sources: vec![],
            flag: None,
            rate: Vec::new(),
            new: false,
        }
    }

    fn ids(view: &PatternsView) -> Vec<u32> {
        view.rows().map(|p| p.id).collect()
    }

    #[test]
    fn sorts_by_count_or_new_and_keeps_the_selection() {
        let mut view = PatternsView::default();
        let list = vec![
            pattern(1, 500, 0),
            pattern(2, 10, NOW - 60_000),
            pattern(3, 90, NOW - 5 * 60_000),
            pattern(4, 700, NOW - 30 * 60_000),
        ];
        view.on_list(Ok(list.clone()), NOW);
        assert_eq!(ids(&view), [4, 1, 3, 2]);
        view.move_by(2);
        assert_eq!(view.selected().unwrap().id, 3);
        view.toggle_sort(NOW);
        assert_eq!(ids(&view), [2, 3, 4, 1]);
        assert_eq!(view.row(), Some(1));
        view.on_list(Err("engine busy".into()), NOW);
        assert_eq!(ids(&view), [2, 3, 4, 1], "an error keeps the last list");
        view.on_list(Ok(vec![]), NOW);
        assert_eq!(view.selected(), None);
    }

    #[test]
    fn asks_at_most_once_a_second() {
        let mut view = PatternsView::default();
        assert!(view.due(NOW));
        view.asked(NOW);
        assert!(!view.due(NOW + 999));
        assert!(view.due(NOW + 1_000));
    }
}
