//! Patterns whose end is a command line of varying length: `trace: built-in: git <*>`,
//! `run with <*>`.
//!
//! Drain compares lines of one length only, so a command line or an argument list logged
//! after a fixed text makes one pattern per length (and per first words), where a reader
//! sees one event. Patterns are grouped in families by their first two words, whatever
//! their length. When a family holds patterns that share a prefix, show [`DISTINCT_VALUES`]
//! different lengths, and mostly hold options (`-q`, `--slave`) after it, what follows the
//! prefix is an argument list: they merge into one pattern, the prefix and a tail `<*>`,
//! that takes every later line starting so. Without options, what follows a fixed text is
//! a message of its own (`Runtime error near line 3: integer overflow`, `Failed to connect
//! to the bus: ...`): those stay apart, as do patterns of fewer lengths (`... rhost=<*>` and
//! `... rhost=<*> user=root`) and of one length (the tree's rules decide those).

use super::hash::FastMap;
use super::shape::{Shape, Template};
use super::store::Store;
use super::token::{Kind, Token};
use super::tree::DISTINCT_VALUES;

/// Patterns a family remembers (oldest dropped first).
const MEMBERS_CAP: usize = 64;

/// Families kept before the first sweep of those left without a live pattern.
const SWEEP_FLOOR: usize = 1024;

/// Families by their key ([`Shape::family_key`]).
#[derive(Debug, Default)]
pub struct Tails {
    families: FastMap<u64, Family>,
    /// How many families trigger a sweep: a pattern's family is not told when the pattern
    /// is merged or evicted, so a stream of ever new first words would grow the map for ever.
    sweep_at: usize,
}

#[derive(Debug, Default)]
struct Family {
    /// Patterns of the tree, as (slot, id): a slot whose id changed was merged or evicted.
    members: Vec<(u32, u32)>,
    /// Slots of the family's tail patterns.
    tails: Vec<u32>,
}

/// A merge into a tail pattern: its slot, and the (slot, leaf) of each pattern that left a
/// leaf of the tree (the kept one included).
pub struct Merged {
    pub keep: u32,
    pub left: Vec<(u32, u64)>,
}

impl Tails {
    /// The most specific tail pattern covering `line`.
    pub fn covering(&self, store: &Store, line: &Shape<'_>) -> Option<u32> {
        let family = self.families.get(&line.family_key())?;
        family
            .tails
            .iter()
            .filter_map(|&slot| store.get(slot).map(|c| (slot, c.template.shape())))
            .filter(|(_, tail)| covers(tail, line))
            .max_by_key(|(_, tail)| tail.len())
            .map(|(slot, _)| slot)
    }

    /// Notes a pattern new in the tree, made for `line`; merges its family's patterns into a
    /// tail pattern when they show one. The slots merged away (and the kept one, which left
    /// its leaf), for the tree to drop from its leaves.
    pub fn note(&mut self, store: &mut Store, line: &Shape<'_>, slot: u32) -> Option<Merged> {
        let key = line.family_key();
        let id = store.get(slot)?.id;
        if self.families.len() >= self.sweep_at.max(SWEEP_FLOOR) {
            self.sweep(store);
        }
        let family = self.families.entry(key).or_default();
        family
            .members
            .retain(|&(s, i)| store.get(s).is_some_and(|c| c.id == i));
        if family.members.len() >= MEMBERS_CAP {
            family.members.remove(0);
        }
        family.members.push((slot, id));
        let prefix = family.prefix(store, slot, line.key_end()?)?;
        family.merge(store, slot, prefix, key)
    }

    /// Drops what is no longer live, and families left empty. Live patterns bound what stays
    /// (each is in one family), so sweeping when the map doubles costs O(1) a new pattern.
    fn sweep(&mut self, store: &Store) {
        self.families.retain(|_, family| {
            family
                .members
                .retain(|&(s, i)| store.get(s).is_some_and(|c| c.id == i));
            !family.members.is_empty() || !family.tails.is_empty()
        });
        self.sweep_at = 2 * self.families.len();
    }

    #[cfg(test)]
    pub fn families(&self) -> usize {
        self.families.len()
    }

    /// Forgets an evicted tail pattern.
    pub fn forget(&mut self, slot: u32, key: u64) {
        if let Some(family) = self.families.get_mut(&key) {
            family.tails.retain(|&s| s != slot);
            if family.tails.is_empty() && family.members.is_empty() {
                self.families.remove(&key);
            }
        }
    }
}

impl Family {
    /// The longest prefix of the pattern at `slot` (at least `min` tokens) that enough of the
    /// family's patterns share, with enough different lengths, mostly followed by options.
    fn prefix(&self, store: &Store, slot: u32, min: usize) -> Option<usize> {
        let new = store.get(slot)?.template.shape();
        let others: Vec<(usize, Shape<'_>)> = self
            .members
            .iter()
            .filter(|&&(s, _)| s != slot)
            .filter_map(|&(s, _)| store.get(s))
            .map(|c| c.template.shape())
            .map(|other| (common_prefix(&new, &other), other))
            .collect();
        let mut cuts: Vec<usize> = others.iter().map(|&(l, _)| l).collect();
        cuts.sort_unstable();
        cuts.dedup();
        cuts.into_iter().rev().filter(|&l| l >= min).find(|&l| {
            let sharing: Vec<&Shape<'_>> = others
                .iter()
                .filter(|&&(shared, _)| shared >= l)
                .map(|(_, other)| other)
                .chain([&new])
                .collect();
            let mut lengths: Vec<usize> = sharing.iter().map(|p| p.len()).collect();
            lengths.sort_unstable();
            lengths.dedup();
            let with_options = sharing.iter().filter(|p| has_option(p, l)).count();
            lengths.len() >= DISTINCT_VALUES && 2 * with_options >= sharing.len()
        })
    }

    /// Turns the oldest of the patterns the pattern at `slot`'s first `len` tokens cover into
    /// their tail pattern, and folds the others (and tails it covers) into it.
    fn merge(&mut self, store: &mut Store, slot: u32, len: usize, key: u64) -> Option<Merged> {
        let tail = tail_template(&store.get(slot)?.template.shape(), len);
        let tails: Vec<(u32, u32)> = self
            .tails
            .iter()
            .filter_map(|&s| Some((s, store.get(s)?.id)))
            .collect();
        let covered: Vec<(u32, u32, u64)> = self
            .members
            .iter()
            .chain(&tails)
            .filter_map(|&(s, id)| Some((s, id, store.get(s)?)))
            .filter(|(_, id, c)| c.id == *id && covers(&tail.shape(), &c.template.shape()))
            .map(|(s, id, c)| (s, id, c.leaf))
            .collect();
        let &(keep, _, _) = covered.iter().min_by_key(|&&(_, id, _)| id)?;
        let left = covered
            .iter()
            .filter(|(s, _, _)| !self.tails.contains(s))
            .map(|&(s, _, leaf)| (s, leaf))
            .collect();
        for &(gone, _, _) in covered.iter().filter(|(s, _, _)| *s != keep) {
            store.absorb(keep, gone);
        }
        let cluster = store.get_mut(keep)?;
        cluster.template = tail;
        cluster.leaf = key;
        self.members
            .retain(|(s, _)| covered.iter().all(|c| c.0 != *s));
        self.tails.retain(|s| covered.iter().all(|c| c.0 != *s));
        self.tails.push(keep);
        Some(Merged { keep, left })
    }
}

/// Leading positions where `a` and `b` hold the same token.
fn common_prefix(a: &Shape<'_>, b: &Shape<'_>) -> usize {
    (0..a.len().min(b.len()))
        .take_while(|&i| a.same_at(b, i))
        .count()
}

/// `pattern` holds a command-line option (`-q`, `--slave`) after its first `from` tokens.
fn has_option(pattern: &Shape<'_>, from: usize) -> bool {
    (from..pattern.len()).any(|i| {
        pattern.word(i).is_some_and(|w| {
            let name = w.strip_prefix("--").or_else(|| w.strip_prefix('-'));
            name.is_some_and(|n| n.starts_with(|c: char| c.is_ascii_alphabetic()))
        })
    })
}

/// `tail` (a prefix and a final `<*>`) covers `line`: the line has the prefix (a parameter
/// of the prefix takes anything), then anything or nothing.
pub fn covers(tail: &Shape<'_>, line: &Shape<'_>) -> bool {
    let len = tail.len() - 1;
    line.len() >= len && (0..len).all(|i| tail.toks[i].kind == Kind::Param || tail.same_at(line, i))
}

/// The first `len` tokens of `pattern`, then a parameter for the rest.
fn tail_template(pattern: &Shape<'_>, len: usize) -> Template {
    let mut toks = pattern.toks[..len].to_vec();
    toks.push(Token {
        kind: Kind::Param,
        start: 0,
        end: 0,
        space: pattern.toks.get(len).is_none_or(|t| t.space),
        glued: false,
    });
    Template::new(&Shape {
        text: pattern.text,
        toks: &toks,
    })
}
