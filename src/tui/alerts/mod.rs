//! What the TUI keeps about alerts and silences beyond the snapshot: their display order,
//! the selection in each list, and the header's counts. Recomputed when the lists change, so
//! drawing only reads.

pub mod details;
mod keys;
pub mod pane;

use crate::alerts::{Alert, AlertState, Silence};

/// A selection in a list, held by id so it survives reordering, with the row it was on to
/// land nearby when the selected item disappears.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Indices into the snapshot's list, in display order.
    order: Vec<usize>,
    id: Option<String>,
    row: usize,
}

impl Selection {
    /// Take a new display order; keep the selected id when it is still there.
    fn reorder<'a>(&mut self, order: Vec<usize>, id_at: impl Fn(usize) -> &'a str) {
        self.order = order;
        let row = self
            .id
            .as_deref()
            .and_then(|id| self.order.iter().position(|&i| id_at(i) == id));
        self.select(row.unwrap_or(self.row), id_at);
    }

    fn select<'a>(&mut self, row: usize, id_at: impl Fn(usize) -> &'a str) {
        let row = row.min(self.order.len().saturating_sub(1));
        self.id = self.order.get(row).map(|&i| id_at(i).to_string());
        self.row = row;
    }

    fn moved_row(&self, delta: isize) -> usize {
        self.row.saturating_add_signed(delta)
    }

    /// Row of the selection, `None` when the list is empty.
    pub fn row(&self) -> Option<usize> {
        self.id.as_ref().map(|_| self.row)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn items<'a, T>(&'a self, list: &'a [T]) -> impl Iterator<Item = &'a T> {
        self.order.iter().filter_map(|&i| list.get(i))
    }

    fn selected<'a, T>(&self, list: &'a [T]) -> Option<&'a T> {
        self.row()
            .and_then(|row| self.order.get(row))
            .and_then(|&i| list.get(i))
    }
}

/// The alerts pane's and the silences list's view of the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertsView {
    pub alerts: Selection,
    pub silences: Selection,
    /// Firing, not acknowledged, not silenced: the header badge.
    pub attention: usize,
    pub pending: usize,
}

impl AlertsView {
    /// Recompute orders and counts after the alerts or silences changed.
    pub fn refresh(&mut self, alerts: &[Alert], silences: &[Silence]) {
        let mut order: Vec<usize> = (0..alerts.len()).collect();
        order.sort_by(|&a, &b| alerts[a].display_order(&alerts[b]));
        self.alerts.reorder(order, |i| alerts[i].id.as_str());
        // Soonest to end first: the list answers "what is muted, and for how long".
        let mut order: Vec<usize> = (0..silences.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&silences[a], &silences[b]);
            a.ends_at.cmp(&b.ends_at).then_with(|| a.id.cmp(&b.id))
        });
        self.silences.reorder(order, |i| silences[i].id.as_str());
        self.attention = alerts.iter().filter(|a| a.needs_attention()).count();
        self.pending = alerts
            .iter()
            .filter(|a| a.state == AlertState::Pending)
            .count();
    }

    pub fn rows<'a>(&'a self, alerts: &'a [Alert]) -> impl Iterator<Item = &'a Alert> {
        self.alerts.items(alerts)
    }

    pub fn selected<'a>(&self, alerts: &'a [Alert]) -> Option<&'a Alert> {
        self.alerts.selected(alerts)
    }

    pub fn silence_rows<'a>(
        &'a self,
        silences: &'a [Silence],
    ) -> impl Iterator<Item = &'a Silence> {
        self.silences.items(silences)
    }

    pub fn selected_silence<'a>(&self, silences: &'a [Silence]) -> Option<&'a Silence> {
        self.silences.selected(silences)
    }

    /// Move the alert selection by `delta` rows, stopping at the ends.
    pub fn move_alert(&mut self, alerts: &[Alert], delta: isize) {
        let row = self.alerts.moved_row(delta);
        self.alerts.select(row, |i| alerts[i].id.as_str());
    }

    pub fn move_silence(&mut self, silences: &[Silence], delta: isize) {
        let row = self.silences.moved_row(delta);
        self.silences.select(row, |i| silences[i].id.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Severity;

    fn alert(id: &str, state: AlertState, severity: Severity) -> Alert {
        Alert {
            id: id.into(),
            rule: "Rule".into(),
            state,
            severity,
            labels: Default::default(),
            annotations: Default::default(),
            value: 1.0,
            active_since: 0,
            fired_at: None,
            resolved_at: None,
            ack: None,
            silenced_by: None,
        }
    }

    #[test]
    fn orders_counts_and_keeps_the_selection_by_id() {
        use AlertState::*;
        let mut alerts = vec![
            alert("r", Resolved, Severity::Critical),
            alert("p", Pending, Severity::Warning),
            alert("w", Firing, Severity::Warning),
            alert("c", Firing, Severity::Critical),
        ];
        let mut view = AlertsView::default();
        view.refresh(&alerts, &[]);
        let ids = |view: &AlertsView, alerts: &[Alert]| -> Vec<String> {
            view.rows(alerts).map(|a| a.id.clone()).collect()
        };
        assert_eq!(ids(&view, &alerts), ["c", "w", "p", "r"]);
        assert_eq!((view.attention, view.pending), (2, 1));
        view.move_alert(&alerts, 2);
        assert_eq!(view.selected(&alerts).unwrap().id, "p");
        alerts[1].state = Firing;
        view.refresh(&alerts, &[]);
        // Now firing, it moved up a row; the selection went with it.
        assert_eq!(view.selected(&alerts).unwrap().id, "p");
        assert_eq!(view.alerts.row(), Some(1));
        // Gone: the selection stays on its row.
        alerts.remove(1);
        view.refresh(&alerts, &[]);
        assert_eq!(view.selected(&alerts).unwrap().id, "w");
        view.move_alert(&alerts, isize::MIN);
        assert_eq!(view.selected(&alerts).unwrap().id, "c");
        view.refresh(&[], &[]);
        assert_eq!(view.alerts.row(), None);
        assert_eq!(view.selected(&alerts), None);
    }
}
