//! The bounded window of log lines the pane scrolls through, the cursor, and follow mode.
//! Lines are addressed by an absolute index that never changes while they stay in the
//! window, so the cursor and the view survive older lines dropping out of the front.

use std::collections::VecDeque;

use crate::logs::LogLine;

/// How many lines the window keeps; older ones drop out (the engine keeps them).
pub const WINDOW_LINES: usize = 20_000;
/// While paused, lines this far above the cursor may still drop out to make room, so a
/// moderate stream keeps flowing into the window; closer ones never move under the reader.
const KEPT_ABOVE_CURSOR: u64 = 2_000;
/// The source column never grows wider than this.
const SOURCE_WIDTH_MAX: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogWindow {
    lines: VecDeque<LogLine>,
    capacity: usize,
    /// Absolute index of `lines[0]`.
    first: u64,
    /// Absolute index of the selected line.
    cursor: u64,
    /// Absolute index of the lowest line shown.
    bottom: u64,
    following: bool,
    /// Lines that arrived while paused.
    unseen: u64,
    /// Lines that arrived while paused and found no room: on resume the window reloads.
    missed: u64,
    source_width: usize,
}

impl Default for LogWindow {
    fn default() -> Self {
        Self::with_capacity(WINDOW_LINES)
    }
}

impl LogWindow {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
            first: 0,
            cursor: 0,
            bottom: 0,
            following: true,
            unseen: 0,
            missed: 0,
            source_width: 0,
        }
    }

    /// Empty the window for a new stream, following.
    pub fn clear(&mut self) {
        *self = Self::with_capacity(self.capacity);
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn is_following(&self) -> bool {
        self.following
    }

    /// Lines that arrived since the view paused.
    pub fn unseen(&self) -> u64 {
        self.unseen
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    pub fn bottom(&self) -> u64 {
        self.bottom
    }

    /// Widest source name seen (capped), so the column does not jump per frame.
    pub fn source_width(&self) -> usize {
        self.source_width
    }

    /// Absolute index one past the newest line.
    fn end(&self) -> u64 {
        self.first + self.lines.len() as u64
    }

    fn last(&self) -> u64 {
        self.end().saturating_sub(1)
    }

    pub fn get(&self, index: u64) -> Option<&LogLine> {
        let offset = index.checked_sub(self.first)?;
        self.lines.get(usize::try_from(offset).ok()?)
    }

    pub fn push(&mut self, line: LogLine) {
        self.source_width = self
            .source_width
            .max(line.source.chars().count().min(SOURCE_WIDTH_MAX));
        if self.following {
            self.append(line);
            self.cursor = self.last();
            self.bottom = self.cursor;
            return;
        }
        self.unseen += 1;
        let room = self.lines.len() < self.capacity
            || self.cursor.saturating_sub(self.first) > KEPT_ABOVE_CURSOR;
        if self.missed == 0 && room {
            self.append(line);
        } else {
            self.missed += 1;
        }
    }

    fn append(&mut self, line: LogLine) {
        self.lines.push_back(line);
        while self.lines.len() > self.capacity {
            self.lines.pop_front();
            self.first += 1;
        }
        self.cursor = self.cursor.max(self.first);
        self.bottom = self.bottom.max(self.first);
    }

    /// Follow again: the cursor on the newest line. Returns whether lines were missed while
    /// paused, so the window must be reloaded from the engine to have no gap.
    pub fn resume(&mut self) -> bool {
        let missed = self.missed > 0;
        self.following = true;
        self.unseen = 0;
        self.missed = 0;
        self.cursor = self.last();
        self.bottom = self.cursor;
        missed
    }

    /// Move the cursor by `delta` lines, keeping it within a view `page` lines tall. Moving
    /// off the newest line pauses; only [`Self::resume`] follows again.
    pub fn move_cursor(&mut self, delta: isize, page: usize) {
        if self.lines.is_empty() {
            return;
        }
        let target = self
            .cursor
            .saturating_add_signed(delta as i64)
            .clamp(self.first, self.last());
        self.jump(target, page);
    }

    /// Put the cursor on `index`, pausing unless it is the newest line while following.
    pub fn jump(&mut self, index: u64, page: usize) {
        let index = index.clamp(self.first, self.last());
        if index != self.cursor {
            self.pause();
        }
        self.cursor = index;
        let page = page.max(1) as u64;
        if self.cursor > self.bottom {
            self.bottom = self.cursor;
        } else if self.cursor + page <= self.bottom {
            self.bottom = self.cursor + page - 1;
        }
    }

    fn pause(&mut self) {
        if self.following {
            self.following = false;
            self.unseen = 0;
        }
    }

    /// Lines from `index` towards the oldest, newest first.
    pub fn back_from(&self, index: u64) -> impl Iterator<Item = (u64, &LogLine)> {
        let end = index.checked_sub(self.first).map_or(0, |offset| {
            usize::try_from(offset).map_or(self.lines.len(), |o| (o + 1).min(self.lines.len()))
        });
        let newest = self.first + end as u64;
        self.lines
            .range(..end)
            .rev()
            .enumerate()
            .map(move |(k, line)| (newest - 1 - k as u64, line))
    }

    /// Lines from `index` towards the newest.
    pub fn forward_from(&self, index: u64) -> impl Iterator<Item = (u64, &LogLine)> {
        let start = usize::try_from(index.saturating_sub(self.first))
            .unwrap_or(usize::MAX)
            .min(self.lines.len());
        (self.first + start as u64..).zip(self.lines.range(start..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u64) -> LogLine {
        LogLine {
            seq,
            at: seq,
            source: "api".into(),
            level: None,
            pattern: None,
            text: format!("line {seq}"),
            header: None,
            continues: false,
        }
    }

    fn filled(capacity: usize, count: u64) -> LogWindow {
        let mut window = LogWindow::with_capacity(capacity);
        for seq in 0..count {
            window.push(line(seq));
        }
        window
    }

    #[test]
    fn following_keeps_the_newest_and_pins_the_cursor() {
        let window = filled(100, 250);
        assert_eq!(window.len(), 100);
        assert_eq!(window.get(window.cursor()).unwrap().seq, 249);
        assert_eq!(window.get(149), None);
        assert_eq!(window.get(150).unwrap().seq, 150);
        let newest: Vec<u64> = window.back_from(249).take(3).map(|(i, _)| i).collect();
        assert_eq!(newest, [249, 248, 247]);
        assert_eq!(window.back_from(10).count(), 0);
        assert_eq!(window.forward_from(245).count(), 5);
        assert_eq!(window.forward_from(0).next().unwrap().0, 150);
    }

    #[test]
    fn paused_view_keeps_its_lines_until_there_is_no_room() {
        let mut window = filled(100, 100);
        window.move_cursor(-1, 10);
        assert!(!window.is_following());
        assert_eq!(window.cursor(), 98);
        for seq in 100..150 {
            window.push(line(seq));
        }
        // The window was full and the cursor near its front: nothing was stored.
        assert_eq!(window.unseen(), 50);
        assert_eq!(window.get(window.cursor()).unwrap().seq, 98);
        assert_eq!(window.len(), 100);
        assert!(window.resume(), "lines were missed: reload");
        assert!(window.is_following());
        assert_eq!(window.unseen(), 0);
    }

    #[test]
    fn paused_far_from_the_front_lets_old_lines_go() {
        let mut window = filled(5_000, 5_000);
        window.move_cursor(-10, 10);
        for seq in 5_000..5_100 {
            window.push(line(seq));
        }
        assert_eq!(window.unseen(), 100);
        assert_eq!(window.get(window.cursor()).unwrap().seq, 4_989);
        assert!(!window.resume(), "every line is in the window");
        assert_eq!(window.get(window.cursor()).unwrap().seq, 5_099);
    }

    #[test]
    fn moving_keeps_the_cursor_in_the_view() {
        let mut window = filled(100, 100);
        window.move_cursor(-30, 10);
        assert_eq!((window.cursor(), window.bottom()), (69, 78));
        window.move_cursor(5, 10);
        assert_eq!((window.cursor(), window.bottom()), (74, 78));
        window.move_cursor(isize::MIN, 10);
        assert_eq!((window.cursor(), window.bottom()), (0, 9));
        window.move_cursor(isize::MAX, 10);
        assert_eq!((window.cursor(), window.bottom()), (99, 99));
        assert!(!window.is_following(), "only resume follows again");
    }
}
