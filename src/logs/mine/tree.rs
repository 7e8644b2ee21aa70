//! Drain's fixed-depth tree (leaves keyed by token count and the first two words), and the
//! rules that decide whether a line joins a pattern, widens it, or starts a new one.
//!
//! Within a leaf, a line joins the most specific template that covers it. Otherwise the
//! most similar template (at least half the positions equal) is considered:
//! - where they differ only because the line has a parameter (a number, an address...) at
//!   a word of the template, that word was a value: the template widens at once;
//! - where they differ in exactly one word, the line starts its own pattern, noted as a
//!   variant of that position; once [`DISTINCT_VALUES`] variants exist, the position holds
//!   values (user names, hosts) and they merge. Fewer variants stay apart: `startup` vs
//!   `shutdown`, `SCREEN_ON` vs `SCREEN_OFF` are different events. Upper-case words
//!   (`NEW`, `RUNNING`) are states, never values.
//! - anything else starts a new pattern.

use super::hash::FastMap;
use super::shape::{Shape, Template};
use super::store::{Cluster, Store};
use super::tail::Tails;

/// Distinct words seen at one position before it is taken for a parameter.
pub const DISTINCT_VALUES: usize = 4;

/// Variant groups a leaf remembers (oldest dropped first).
const PENDING_CAP: usize = 32;

#[derive(Debug, Default)]
pub struct Tree {
    leaves: FastMap<u64, Leaf>,
    tails: Tails,
}

#[derive(Debug, Default)]
struct Leaf {
    slots: Vec<u32>,
    pending: Vec<Variants>,
}

/// Patterns equal but for the word at `pos`.
#[derive(Debug)]
struct Variants {
    pos: usize,
    /// Hash of the other positions.
    base: u64,
    ids: Vec<u32>,
}

impl Tree {
    /// The slot of the pattern `line` now belongs to (counted).
    pub fn place(&mut self, store: &mut Store, line: &Shape<'_>, now: u64) -> u32 {
        let key = line.leaf_key();
        let leaf = self.leaves.entry(key).or_default();
        let mut covering: Option<(usize, u32)> = None;
        let mut similar: Option<(usize, u32)> = None;
        for &slot in &leaf.slots {
            let Some(cluster) = store.get(slot) else {
                continue;
            };
            let cmp = cluster.template.shape().compare(line);
            if cmp.covers() {
                let constants = cluster.template.constants();
                if covering.is_none_or(|(best, _)| constants > best) {
                    covering = Some((constants, slot));
                }
            } else if similar.is_none_or(|(best, _)| cmp.equal > best) {
                similar = Some((cmp.equal, slot));
            }
        }
        if let Some((_, slot)) = covering {
            return bump(store, slot, now);
        }
        if let Some(slot) = self.tails.covering(store, line) {
            return bump(store, slot, now);
        }
        let new = store.next_id();
        let close = similar.filter(|&(equal, _)| 2 * equal >= line.len());
        let slot = match close {
            Some((_, slot)) => leaf.near(store, key, slot, line, now),
            None => leaf.insert(store, key, line, now),
        };
        if store.get(slot).is_none_or(|c| c.id < new) {
            return slot;
        }
        let Some(merged) = self.tails.note(store, line, slot) else {
            return slot;
        };
        for (gone, leaf) in merged.left {
            self.drop_from_leaf(gone, leaf);
        }
        merged.keep
    }

    /// Removes an evicted pattern.
    pub fn forget(&mut self, slot: u32, gone: &Cluster) {
        self.drop_from_leaf(slot, gone.leaf);
        self.tails.forget(slot, gone.leaf);
    }

    #[cfg(test)]
    pub fn families(&self) -> usize {
        self.tails.families()
    }

    fn drop_from_leaf(&mut self, slot: u32, key: u64) {
        if let Some(leaf) = self.leaves.get_mut(&key) {
            leaf.slots.retain(|&s| s != slot);
            if leaf.slots.is_empty() {
                self.leaves.remove(&key);
            }
        }
    }
}

impl Leaf {
    fn insert(&mut self, store: &mut Store, key: u64, line: &Shape<'_>, now: u64) -> u32 {
        let slot = store.insert(Template::new(line), key, now);
        self.slots.push(slot);
        slot
    }

    /// `line` is close to the pattern at `slot` without being covered by it.
    fn near(&mut self, store: &mut Store, key: u64, slot: u32, line: &Shape<'_>, now: u64) -> u32 {
        let Some(cluster) = store.get_mut(slot) else {
            return self.insert(store, key, line, now);
        };
        let cmp = cluster.template.shape().compare(line);
        if cmp.word_diffs == 0 {
            cluster.template.widen(line);
            bump(store, slot, now);
            self.absorb_covered(store, slot);
            return slot;
        }
        let pos = cmp.last_diff;
        let template = cluster.template.shape();
        let states = [template.word(pos), line.word(pos)]
            .into_iter()
            .flatten()
            .any(is_state);
        if cmp.word_diffs > 1 || cmp.param_diffs > 0 || states {
            return self.insert(store, key, line, now);
        }
        let base = template.hash_skipping(pos);
        let old = cluster.id;
        let new = self.insert(store, key, line, now);
        self.note_variant(store, pos, base, old, new)
    }

    /// Records that the patterns `old` (an id) and `new` (a slot) differ only at `pos`;
    /// merges the variants once there are enough. The slot `new`'s line belongs to.
    fn note_variant(
        &mut self,
        store: &mut Store,
        pos: usize,
        base: u64,
        old: u32,
        new: u32,
    ) -> u32 {
        let Some(new_id) = store.get(new).map(|c| c.id) else {
            return new;
        };
        let at = match self
            .pending
            .iter()
            .position(|v| v.pos == pos && v.base == base)
        {
            Some(at) => at,
            None => {
                if self.pending.len() >= PENDING_CAP {
                    self.pending.remove(0);
                }
                self.pending.push(Variants {
                    pos,
                    base,
                    ids: Vec::new(),
                });
                self.pending.len() - 1
            }
        };
        let variants = &mut self.pending[at];
        variants.ids.extend([old, new_id]);
        let mut slots: Vec<u32> = variants
            .ids
            .iter()
            .filter_map(|&id| store.slot_of(id))
            .filter(|slot| self.slots.contains(slot))
            .collect();
        slots.sort_unstable();
        slots.dedup();
        variants.ids = slots
            .iter()
            .filter_map(|&s| store.get(s).map(|c| c.id))
            .collect();
        if slots.len() < DISTINCT_VALUES {
            return new;
        }
        self.pending.remove(at);
        self.merge(store, &slots).unwrap_or(new)
    }

    /// Merges the patterns at `slots` into the oldest; its slot.
    fn merge(&mut self, store: &mut Store, slots: &[u32]) -> Option<u32> {
        let oldest = |s: &u32| store.get(*s).map_or(u32::MAX, |c| c.id);
        let keep = slots.iter().copied().min_by_key(oldest)?;
        for &slot in slots.iter().filter(|&&s| s != keep) {
            self.fold(store, keep, slot);
        }
        self.absorb_covered(store, keep);
        Some(keep)
    }

    /// Widens `keep` by the pattern at `gone` and absorbs it.
    fn fold(&mut self, store: &mut Store, keep: u32, gone: u32) {
        let Some(other) = store.get(gone).map(|c| c.template.clone()) else {
            return;
        };
        if let Some(cluster) = store.get_mut(keep) {
            cluster.template.widen(&other.shape());
        }
        store.absorb(keep, gone);
        self.slots.retain(|&s| s != gone);
    }

    /// After `keep` widened, patterns of the leaf it now covers are the same pattern.
    fn absorb_covered(&mut self, store: &mut Store, keep: u32) {
        let Some(template) = store.get(keep).map(|c| c.template.clone()) else {
            return;
        };
        let covered: Vec<u32> = self
            .slots
            .iter()
            .copied()
            .filter(|&s| s != keep)
            .filter(|&s| {
                store
                    .get(s)
                    .is_some_and(|c| template.shape().compare(&c.template.shape()).covers())
            })
            .collect();
        for slot in covered {
            store.absorb(keep, slot);
            self.slots.retain(|&s| s != slot);
        }
    }
}

fn bump(store: &mut Store, slot: u32, now: u64) -> u32 {
    if let Some(cluster) = store.get_mut(slot) {
        cluster.count += 1;
        cluster.last_seen = now;
    }
    slot
}

/// `RUNNING`, `SCREEN_ON`: an upper-case word names a state or a kind, not a value.
fn is_state(word: &str) -> bool {
    word.len() >= 2
        && word.bytes().any(|b| b.is_ascii_uppercase())
        && !word.bytes().any(|b| b.is_ascii_lowercase())
}
