//! What the engine knows about each mined pattern beyond its template: counts, when it was
//! first and last seen, example lines, the level mix, its sources, and whether it deserves a
//! flag (mostly errors, new and growing, or suddenly ten times its usual rate).

use std::collections::HashMap;

use super::{Level, LevelCounts, PatternFlag, PatternInfo};

/// Examples kept per pattern.
const EXAMPLES: usize = 3;
/// Longest example kept, in bytes: a 1 MiB line is not worth repeating in every listing.
const EXAMPLE_BYTES: usize = 500;
/// Patterns first seen within this long of a source's first line are part of its normal
/// vocabulary, not news.
const LEARNING_MS: u64 = 120_000;
/// A pattern is flagged `errors` when more than this share of its lines are ERROR or FATAL
/// and it has at least [`MIN_LINES`] lines.
const ERROR_SHARE: f64 = 0.5;
const MIN_LINES: u64 = 3;
/// `new_and_growing` needs at least this many lines in the last minute, more than the
/// minute before.
const GROWING_LINES: u64 = 5;
/// `surging`: a pattern whose lines in a minute reach this many times its usual rate (the
/// per-minute count averaged over the minutes before, recent ones weighing more), once it
/// has [`BASELINE_MINUTES`] minutes of history and at least [`SURGE_LINES`] lines.
const SURGE_FACTOR: f64 = 10.0;
const BASELINE_MINUTES: u32 = 5;
const SURGE_LINES: u64 = 20;
/// Minutes of each pattern's rate kept for its sparkline.
pub const RATE_MINUTES: usize = 12;
/// Weight of the newest minute in the usual rate (an exponential moving average).
const BASELINE_WEIGHT: f64 = 0.2;

#[derive(Debug, Clone)]
struct Pattern {
    count: u64,
    first_seen: u64,
    last_seen: u64,
    examples: Vec<String>,
    levels: LevelCounts,
    sources: Vec<String>,
    /// Lines in the current minute (`minute`) and the one before.
    minute: u64,
    this_minute: u64,
    last_minute: u64,
    /// Seen after its source's learning period.
    new: bool,
    /// Usual lines per minute over the minutes before `minute`, and how many minutes that is.
    baseline: f64,
    history: u32,
    /// Lines per minute, the slot of minute `m` at `m % RATE_MINUTES`, up to `minute`.
    rate: [u32; RATE_MINUTES],
}

/// Every pattern's bookkeeping, keyed by the miner's id.
#[derive(Debug, Default)]
pub struct PatternBook {
    patterns: HashMap<u32, Pattern>,
    /// Unix ms of each source's first line.
    sources_since: HashMap<String, u64>,
    /// Unix ms of the latest change to what runs.
    last_change: Option<u64>,
}

impl PatternBook {
    /// Records one line of pattern `id`.
    pub fn record(&mut self, id: u32, source: &str, at: u64, level: Option<Level>, line: &str) {
        // Looked up before inserting: `entry` would copy the name for every line.
        let since = match self.sources_since.get(source) {
            Some(&since) => since,
            None => *self.sources_since.entry(source.to_owned()).or_insert(at),
        };
        let pattern = self.patterns.entry(id).or_insert_with(|| Pattern {
            count: 0,
            first_seen: at,
            last_seen: at,
            examples: Vec::new(),
            levels: LevelCounts::default(),
            sources: Vec::new(),
            minute: at / 60_000,
            this_minute: 0,
            last_minute: 0,
            new: at >= since + LEARNING_MS,
            baseline: 0.0,
            history: 0,
            rate: [0; RATE_MINUTES],
        });
        pattern.count += 1;
        pattern.last_seen = pattern.last_seen.max(at);
        pattern.levels.add(level, 1);
        roll_minute(pattern, at / 60_000);
        pattern.this_minute += 1;
        let slot = (pattern.minute % RATE_MINUTES as u64) as usize;
        pattern.rate[slot] = pattern.rate[slot].saturating_add(1);
        if pattern.examples.len() < EXAMPLES {
            pattern
                .examples
                .push(truncate(line, EXAMPLE_BYTES).to_owned());
        }
        if !pattern.sources.iter().any(|s| s == source) {
            pattern.sources.push(source.to_owned());
        }
    }

    /// Follows the miner: `resolve` gives the id a pattern goes by now (another when it was
    /// merged into it, `None` when it was evicted).
    pub fn follow_merges(&mut self, resolve: impl Fn(u32) -> Option<u32>) {
        let ids: Vec<u32> = self.patterns.keys().copied().collect();
        for id in ids {
            match resolve(id) {
                Some(now) if now == id => {}
                Some(now) => {
                    if let Some(gone) = self.patterns.remove(&id) {
                        match self.patterns.get_mut(&now) {
                            Some(into) => merge(into, gone),
                            None => {
                                self.patterns.insert(now, gone);
                            }
                        }
                    }
                }
                None => {
                    self.patterns.remove(&id);
                }
            }
        }
    }

    /// What runs changed at `at` (Unix ms): patterns first seen since are new.
    pub fn mark_change(&mut self, at: u64) {
        self.last_change = self.last_change.max(Some(at));
    }

    /// Since when a pattern first seen is new: the latest change, when lines were seen
    /// before it (else every pattern would be new).
    fn new_since(&self) -> Option<u64> {
        let earliest = self.sources_since.values().min()?;
        self.last_change.filter(|change| earliest < change)
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Every pattern as frontends see it, most frequent first; `template` names each id.
    pub fn infos(&self, now: u64, template: impl Fn(u32) -> String) -> Vec<PatternInfo> {
        let new_since = self.new_since();
        let mut infos: Vec<PatternInfo> = self
            .patterns
            .iter()
            .map(|(id, p)| PatternInfo {
                id: *id,
                template: template(*id),
                count: p.count,
                first_seen: p.first_seen,
                last_seen: p.last_seen,
                examples: p.examples.clone(),
                levels: p.levels,
                sources: p.sources.clone(),
                flag: flag(p, now / 60_000),
                rate: rate(p, now / 60_000),
                new: new_since.is_some_and(|change| p.first_seen >= change),
            })
            .collect();
        infos.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
        infos
    }

    /// The flagged patterns only: (id, flag).
    pub fn flagged(&self, now: u64) -> Vec<(u32, PatternFlag)> {
        let minute = now / 60_000;
        let mut flagged: Vec<(u32, PatternFlag)> = self
            .patterns
            .iter()
            .filter_map(|(id, p)| flag(p, minute).map(|f| (*id, f)))
            .collect();
        flagged.sort_unstable_by_key(|(id, _)| *id);
        flagged
    }
}

fn merge(into: &mut Pattern, gone: Pattern) {
    into.count += gone.count;
    into.first_seen = into.first_seen.min(gone.first_seen);
    into.last_seen = into.last_seen.max(gone.last_seen);
    into.levels.merge(&gone.levels);
    for example in gone.examples {
        if into.examples.len() < EXAMPLES {
            into.examples.push(example);
        }
    }
    for source in gone.sources {
        if !into.sources.contains(&source) {
            into.sources.push(source);
        }
    }
    into.new &= gone.new;
    if gone.minute == into.minute {
        into.this_minute += gone.this_minute;
        into.last_minute += gone.last_minute;
        for (a, b) in into.rate.iter_mut().zip(gone.rate) {
            *a = a.saturating_add(b);
        }
    }
}

/// Lines per minute of the [`RATE_MINUTES`] minutes up to `now`, oldest first.
fn rate(p: &Pattern, now: u64) -> Vec<u32> {
    ((now + 1).saturating_sub(RATE_MINUTES as u64)..=now)
        .map(|m| {
            let kept = m <= p.minute && m + (RATE_MINUTES as u64) > p.minute;
            if kept {
                p.rate[(m % RATE_MINUTES as u64) as usize]
            } else {
                0
            }
        })
        .collect()
}

fn roll_minute(pattern: &mut Pattern, minute: u64) {
    if minute > pattern.minute {
        for passed in pattern.minute + 1..=minute.min(pattern.minute + RATE_MINUTES as u64) {
            pattern.rate[(passed % RATE_MINUTES as u64) as usize] = 0;
        }
        // The minute that ended, then the empty ones since.
        let gap = minute - pattern.minute;
        pattern.baseline += BASELINE_WEIGHT * (pattern.this_minute as f64 - pattern.baseline);
        let empty = (gap - 1).min(u64::from(u16::MAX)) as i32;
        pattern.baseline *= (1.0 - BASELINE_WEIGHT).powi(empty);
        pattern.history = pattern
            .history
            .saturating_add(u32::try_from(gap).unwrap_or(u32::MAX));
        pattern.last_minute = if minute == pattern.minute + 1 {
            pattern.this_minute
        } else {
            0
        };
        pattern.this_minute = 0;
        pattern.minute = minute;
    }
}

/// Errors first: a pattern that is both is an error pattern above all.
fn flag(p: &Pattern, minute: u64) -> Option<PatternFlag> {
    if p.count >= MIN_LINES && p.levels.errors() as f64 > p.count as f64 * ERROR_SHARE {
        return Some(PatternFlag::Errors);
    }
    // Counts of a minute that has passed without lines are stale.
    let (recent, before) = match minute.saturating_sub(p.minute) {
        0 => (p.this_minute, p.last_minute),
        1 => (0, p.this_minute),
        _ => (0, 0),
    };
    let growing = recent >= GROWING_LINES && recent > before;
    if p.new && growing {
        return Some(PatternFlag::NewAndGrowing);
    }
    // A minute that passed without lines folds into the baseline only at the next line:
    // the current minute's count is compared with the minutes before it.
    let surging = minute == p.minute
        && p.history >= BASELINE_MINUTES
        && p.this_minute >= SURGE_LINES
        && p.this_minute as f64 >= SURGE_FACTOR * p.baseline.max(1.0);
    surging.then_some(PatternFlag::Surging)
}

/// At most `max` bytes, cut at a character boundary.
fn truncate(line: &str, max: usize) -> &str {
    if line.len() <= max {
        return line;
    }
    let mut end = max;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    fn info(book: &PatternBook, id: u32, now: u64) -> PatternInfo {
        book.infos(now, |id| format!("template {id}"))
            .into_iter()
            .find(|p| p.id == id)
            .expect("pattern")
    }

    #[test]
    fn counts_levels_examples_and_sources() {
        let mut book = PatternBook::default();
        for i in 0..5 {
            let source = if i % 2 == 0 { "api" } else { "web" };
            book.record(7, source, T0 + i, Some(Level::Info), &format!("line {i}"));
        }
        let p = info(&book, 7, T0 + 10);
        assert_eq!(p.count, 5);
        assert_eq!((p.first_seen, p.last_seen), (T0, T0 + 4));
        assert_eq!(p.examples, ["line 0", "line 1", "line 2"]);
        assert_eq!(p.levels.get(Some(Level::Info)), 5);
        assert_eq!(p.sources, ["api", "web"]);
        assert_eq!(p.template, "template 7");
        assert_eq!(p.flag, None);
    }

    #[test]
    fn mostly_errors_is_flagged() {
        let mut book = PatternBook::default();
        book.record(1, "api", T0, Some(Level::Error), "boom");
        book.record(1, "api", T0, Some(Level::Error), "boom");
        assert_eq!(book.flagged(T0), [], "two lines are not a pattern yet");
        book.record(1, "api", T0, Some(Level::Info), "boom");
        book.record(1, "api", T0, Some(Level::Fatal), "boom");
        assert_eq!(book.flagged(T0), [(1, PatternFlag::Errors)]);
        book.record(2, "api", T0, Some(Level::Error), "half");
        for _ in 0..3 {
            book.record(2, "api", T0, None, "half");
        }
        assert_eq!(book.flagged(T0), [(1, PatternFlag::Errors)]);
    }

    #[test]
    fn new_and_growing_needs_the_learning_period_and_growth() {
        let mut book = PatternBook::default();
        book.record(1, "api", T0, Some(Level::Info), "known");
        for i in 0..10 {
            book.record(1, "api", T0 + 180_000 + i, Some(Level::Info), "known");
        }
        assert_eq!(book.flagged(T0 + 180_100), [], "seen while learning");
        let late = T0 + 240_000;
        for i in 0..4 {
            book.record(2, "api", late + i, Some(Level::Warn), "fresh");
        }
        assert_eq!(book.flagged(late + 10), [], "too few lines");
        book.record(2, "api", late + 5, Some(Level::Warn), "fresh");
        assert_eq!(book.flagged(late + 10), [(2, PatternFlag::NewAndGrowing)]);
        // The next minute, fewer lines than the minute before: no longer growing.
        assert_eq!(book.flagged(late + 60_000), []);
    }

    #[test]
    fn ten_times_the_usual_rate_is_surging() {
        let mut book = PatternBook::default();
        let minute = |m: u64| T0 + m * 60_000;
        for m in 0..6 {
            for i in 0..2 {
                book.record(1, "api", minute(m) + i, Some(Level::Info), "tick");
            }
        }
        for i in 0..19 {
            book.record(1, "api", minute(6) + i, Some(Level::Info), "tick");
        }
        assert_eq!(book.flagged(minute(6) + 100), [], "19 lines: too few");
        book.record(1, "api", minute(6) + 50, Some(Level::Info), "tick");
        assert_eq!(book.flagged(minute(6) + 100), [(1, PatternFlag::Surging)]);
        // The minute after, its count is history: the flag goes.
        assert_eq!(book.flagged(minute(7) + 100), []);
        let rate = info(&book, 1, minute(7)).rate;
        assert_eq!(rate.len(), RATE_MINUTES);
        assert_eq!(rate[RATE_MINUTES - 8..], [2, 2, 2, 2, 2, 2, 20, 0]);
        // A pattern with too little history is not surging, however many lines it has.
        for i in 0..50 {
            book.record(2, "web", minute(6) + i, Some(Level::Info), "young");
        }
        assert_eq!(book.flagged(minute(6) + 100), [(1, PatternFlag::Surging)]);
    }

    #[test]
    fn first_seen_after_the_latest_change_is_new() {
        let mut book = PatternBook::default();
        book.record(1, "api", T0, Some(Level::Info), "known");
        book.mark_change(T0 + 1_000);
        book.record(1, "api", T0 + 2_000, Some(Level::Info), "known");
        book.record(2, "api", T0 + 2_000, Some(Level::Info), "fresh");
        book.record(
            3,
            "web",
            T0 + 3_000,
            Some(Level::Info),
            "a new service's line",
        );
        let new = |book: &PatternBook, id| info(book, id, T0 + 5_000).new;
        assert!(!new(&book, 1), "seen before the change");
        assert!(new(&book, 2) && new(&book, 3));
        // An older change marked late (a deploy reporting in) moves nothing back.
        book.mark_change(T0 + 500);
        assert!(new(&book, 2));
        book.mark_change(T0 + 2_500);
        assert!(!new(&book, 2), "seen before the latest change");
        assert!(new(&book, 3));
        // Merged into a pattern known before the change: not new.
        book.follow_merges(|id| Some(if id == 3 { 1 } else { id }));
        assert!(!new(&book, 1));
    }

    #[test]
    fn nothing_is_new_without_lines_from_before_the_change() {
        let mut book = PatternBook::default();
        book.record(1, "api", T0 + 1_000, None, "first line after a restart");
        assert!(!info(&book, 1, T0 + 2_000).new, "no change yet");
        book.mark_change(T0);
        assert!(
            !info(&book, 1, T0 + 2_000).new,
            "no line from before the change"
        );
    }

    #[test]
    fn long_examples_are_cut_at_a_character_boundary() {
        let line = "é".repeat(400);
        let mut book = PatternBook::default();
        book.record(1, "api", T0, None, &line);
        let example = &info(&book, 1, T0).examples[0];
        assert_eq!(example.len(), 500);
        book.follow_merges(|_| None);
        assert!(book.is_empty(), "evicted patterns go");
    }

    #[test]
    fn merged_patterns_add_up() {
        let mut book = PatternBook::default();
        book.record(1, "api", T0, Some(Level::Error), "a 1");
        book.record(2, "web", T0 + 5, Some(Level::Error), "a 2");
        book.record(2, "web", T0 + 6, Some(Level::Error), "a 3");
        book.follow_merges(|id| Some(if id == 2 { 1 } else { id }));
        let p = info(&book, 1, T0 + 10);
        assert_eq!((p.count, p.first_seen, p.last_seen), (3, T0, T0 + 6));
        assert_eq!(p.sources, ["api", "web"]);
        assert_eq!(p.flag, Some(PatternFlag::Errors));
        assert_eq!(book.len(), 1);
    }
}
