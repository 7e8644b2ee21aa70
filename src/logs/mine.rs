//! Pattern mining: every log line is assigned a pattern (a template with `<*>` where its
//! lines differ) as it arrives, online, in the spirit of Drain (He et al., ICWS 2017): a
//! fixed-depth tree keyed by token count and leading words, a similarity threshold, and
//! templates that widen as lines come.
//!
//! What makes one configuration accurate across formats (see `token` and `tree`): generic
//! masking of values (anything with a digit, hosts, paths, times, MAC / IPv6 addresses,
//! quoted words), delimiters kept as tokens, brackets and units folded into the value they
//! hold, values never leading the tree, and a word position becoming a parameter only once it has shown
//! several distinct values (or a value with a digit). Patterns of different lengths that
//! share a prefix and hold command-line options after it are one command line of varying
//! length (`tail`). Merged patterns keep their ids resolving.
//!
//! Speed: a line is tokenised over its bytes with no allocation, hashed by its shape, and
//! a cache of recent shapes sends it straight to its pattern; the tree is walked only on a
//! cache miss.
//!
//! Memory is bounded: at most [`Miner::DEFAULT_CAP`] patterns (10,000; the least recently
//! seen is evicted to make room, and its id stops resolving), a shape cache of
//! [`SHAPE_CACHE_CAP`] entries, lines compared on their first [`token::MAX_TOKENS`] tokens,
//! and at most 256 merged ids kept resolving per pattern.

mod hash;
mod shape;
mod store;
mod tail;
mod token;
mod tree;

use hash::FastMap;
use shape::Shape;
use store::Store;
use token::Tokenizer;
use tree::Tree;

/// Line shapes remembered for the fast path; the cache restarts empty when full.
pub const SHAPE_CACHE_CAP: usize = 1 << 16;

/// An online template miner. `Send`; one per stream of lines (the engine keeps one for all
/// sources).
#[derive(Debug)]
pub struct Miner {
    tokenizer: Tokenizer,
    store: Store,
    tree: Tree,
    /// Line shape hash → (slot, id) of the pattern its last line joined.
    cache: FastMap<u64, (u32, u32)>,
    /// Lines seen: the clock for least-recently-seen eviction.
    clock: u64,
    cap: usize,
}

impl Default for Miner {
    fn default() -> Self {
        Self::new()
    }
}

impl Miner {
    /// Patterns kept by [`Miner::new`].
    pub const DEFAULT_CAP: usize = 10_000;

    pub fn new() -> Self {
        Self::with_cap(Self::DEFAULT_CAP)
    }

    /// A miner keeping at most `cap` patterns (at least one).
    pub fn with_cap(cap: usize) -> Self {
        Self {
            tokenizer: Tokenizer::default(),
            store: Store::default(),
            tree: Tree::default(),
            cache: FastMap::default(),
            clock: 0,
            cap: cap.max(1),
        }
    }

    /// Mines one line (without its line break); the id of its pattern.
    pub fn add(&mut self, line: &str) -> u32 {
        self.clock += 1;
        let mut tokenizer = std::mem::take(&mut self.tokenizer);
        let shape = Shape {
            text: line,
            toks: tokenizer.tokenize(line),
        };
        let slot = self.place(&shape);
        self.tokenizer = tokenizer;
        self.store.get(slot).map_or(0, |c| c.id)
    }

    fn place(&mut self, line: &Shape<'_>) -> u32 {
        let hash = line.hash();
        // Trusts the 64-bit hash: two shapes sharing it (about 1 in 10^19 per pair) would
        // put a line in the other's pattern. Templates only widen, so the pattern still
        // covers the shape it was cached for; a merge or an eviction changes the slot's id.
        if let Some(&(slot, id)) = self.cache.get(&hash)
            && let Some(cluster) = self.store.get_mut(slot)
            && cluster.id == id
        {
            cluster.count += 1;
            cluster.last_seen = self.clock;
            return slot;
        }
        let slot = self.tree.place(&mut self.store, line, self.clock);
        if self.store.len() > self.cap
            && let Some((gone_slot, gone)) = self.store.evict(slot)
        {
            self.tree.forget(gone_slot, &gone);
        }
        if self.cache.len() >= SHAPE_CACHE_CAP {
            self.cache.clear();
        }
        if let Some(cluster) = self.store.get(slot) {
            self.cache.insert(hash, (slot, cluster.id));
        }
        slot
    }

    /// The template of a pattern (`<*>` for parameters); `None` once it was evicted.
    pub fn template(&self, id: u32) -> Option<&str> {
        self.store.by_id(id).map(|c| c.template.as_str())
    }

    /// Lines in a pattern (including patterns merged into it); 0 for an unknown id.
    pub fn count(&self, id: u32) -> u64 {
        self.store.by_id(id).map_or(0, |c| c.count)
    }

    /// The id a pattern goes by now: itself, or the pattern it was merged into.
    pub fn resolve(&self, id: u32) -> Option<u32> {
        self.store.by_id(id).map(|c| c.id)
    }

    /// Live patterns.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.store.len() == 0
    }

    /// Live patterns as `(id, template, count)`, in no particular order.
    pub fn patterns(&self) -> impl Iterator<Item = (u32, &str, u64)> {
        self.store
            .iter()
            .map(|c| (c.id, c.template.as_str(), c.count))
    }
}

#[cfg(test)]
mod tests;
