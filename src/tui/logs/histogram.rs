//! Lines per second by level, for the histogram strip: exact counts from the engine's
//! `Second` events (never counted from received lines, which a slow client may skip).

use std::collections::VecDeque;

use crate::logs::LevelCounts;

/// Seconds kept: wider than any terminal.
const SECONDS_KEPT: usize = 1_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seconds {
    /// (unix second, counts), oldest first, at most one entry per second.
    seconds: VecDeque<(u64, LevelCounts)>,
}

impl Seconds {
    pub fn clear(&mut self) {
        self.seconds.clear();
    }

    /// The counts of the second starting at `at_ms`; a second reported again replaces its
    /// counts.
    pub fn record(&mut self, at_ms: u64, counts: LevelCounts) {
        let second = at_ms / 1000;
        match self.seconds.binary_search_by_key(&second, |(s, _)| *s) {
            Ok(i) => self.seconds[i].1 = counts,
            Err(i) => self.seconds.insert(i, (second, counts)),
        }
        while self.seconds.len() > SECONDS_KEPT {
            self.seconds.pop_front();
        }
    }

    /// The newest second reported.
    pub fn latest(&self) -> Option<(u64, LevelCounts)> {
        self.seconds.back().copied()
    }

    /// Counts of the `n` seconds ending with `last` (a unix second), oldest first; seconds
    /// without a report count zero.
    pub fn last(&self, n: usize, last: u64) -> Vec<LevelCounts> {
        let first = (last + 1).saturating_sub(n as u64);
        let mut out = vec![LevelCounts::default(); n];
        let start = self.seconds.partition_point(|(s, _)| *s < first);
        for (second, counts) in self.seconds.range(start..) {
            if *second > last {
                break;
            }
            let slot = (n as u64 + *second).checked_sub(last + 1);
            if let Some(slot) = slot.and_then(|s| usize::try_from(s).ok()) {
                out[slot] = *counts;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::Level;

    fn counts(errors: u64, info: u64) -> LevelCounts {
        let mut counts = LevelCounts::default();
        counts.add(Some(Level::Error), errors);
        counts.add(Some(Level::Info), info);
        counts
    }

    #[test]
    fn seconds_line_up_with_the_clock() {
        let mut seconds = Seconds::default();
        seconds.record(100_000, counts(1, 5));
        seconds.record(102_500, counts(0, 7));
        seconds.record(101_000, counts(2, 0));
        seconds.record(102_000, counts(0, 9));
        let last = seconds.last(4, 103);
        assert_eq!(
            last.iter().map(LevelCounts::total).collect::<Vec<_>>(),
            [6, 2, 9, 0]
        );
        assert_eq!(seconds.latest().unwrap().0, 102);
        assert_eq!(seconds.last(2, 100)[1].errors(), 1);
        assert_eq!(seconds.last(0, 100), []);
        for s in 0..2_000 {
            seconds.record(s * 1000, counts(0, 1));
        }
        assert_eq!(seconds.seconds.len(), SECONDS_KEPT);
    }
}
