//! The patterns themselves: slots, ids (stable, never reused, merged ids kept resolving),
//! merging, and least-recently-seen eviction at the cap.

use super::hash::FastMap;
use super::shape::Template;

/// Ids a pattern keeps resolving for the patterns merged into it; older ones are forgotten
/// beyond this (keeps a pattern's memory bounded however often it absorbs others).
const ABSORBED_CAP: usize = 256;

/// How many patterns eviction looks at to find the least recently seen (sampled LRU, as
/// Redis does: O(1) per eviction, close to exact).
const EVICTION_SAMPLE: usize = 24;

#[derive(Debug)]
pub struct Cluster {
    pub id: u32,
    /// Ids of patterns merged into this one, oldest first.
    absorbed: Vec<u32>,
    pub template: Template,
    pub count: u64,
    /// The miner's line clock when a line last joined it.
    pub last_seen: u64,
    /// The tree leaf it lives in.
    pub leaf: u64,
}

#[derive(Debug, Default)]
pub struct Store {
    slots: Vec<Option<Cluster>>,
    free: Vec<u32>,
    /// Every id that resolves (own and absorbed) to its pattern's slot.
    index: FastMap<u32, u32>,
    next_id: u32,
    live: usize,
}

impl Store {
    pub fn len(&self) -> usize {
        self.live
    }

    /// The id the next new pattern gets: ids below it exist or existed.
    pub fn next_id(&self) -> u32 {
        self.next_id
    }

    pub fn get(&self, slot: u32) -> Option<&Cluster> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Cluster> {
        self.slots.get_mut(slot as usize).and_then(Option::as_mut)
    }

    /// The slot an id (own or merged) resolves to.
    pub fn slot_of(&self, id: u32) -> Option<u32> {
        self.index.get(&id).copied()
    }

    pub fn by_id(&self, id: u32) -> Option<&Cluster> {
        self.slot_of(id).and_then(|slot| self.get(slot))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Cluster> {
        self.slots.iter().flatten()
    }

    /// A new pattern with one line; its slot.
    pub fn insert(&mut self, template: Template, leaf: u64, now: u64) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let cluster = Cluster {
            id,
            absorbed: Vec::new(),
            template,
            count: 1,
            last_seen: now,
            leaf,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(cluster);
                slot
            }
            None => {
                self.slots.push(Some(cluster));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(id, slot);
        self.live += 1;
        slot
    }

    fn take(&mut self, slot: u32) -> Option<Cluster> {
        let cluster = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        self.live -= 1;
        Some(cluster)
    }

    /// Folds the pattern at `gone` into the one at `keep` (the template is the caller's
    /// business); `gone`'s ids now resolve to `keep`.
    pub fn absorb(&mut self, keep: u32, gone: u32) {
        if keep == gone {
            return;
        }
        let Some(old) = self.take(gone) else { return };
        for &id in std::iter::once(&old.id).chain(&old.absorbed) {
            self.index.insert(id, keep);
        }
        let Some(cluster) = self.get_mut(keep) else {
            return;
        };
        cluster.count += old.count;
        cluster.last_seen = cluster.last_seen.max(old.last_seen);
        cluster.absorbed.push(old.id);
        cluster.absorbed.extend(old.absorbed);
        let excess = cluster.absorbed.len().saturating_sub(ABSORBED_CAP);
        let forgotten: Vec<u32> = cluster.absorbed.drain(..excess).collect();
        for id in forgotten {
            self.index.remove(&id);
        }
    }

    /// Drops the least recently seen of a sample of patterns (never `spare`); its slot and
    /// what it was, for the tree to forget.
    pub fn evict(&mut self, spare: u32) -> Option<(u32, Cluster)> {
        let n = self.slots.len() as u32;
        let sampled = (n as usize > EVICTION_SAMPLE).then(|| {
            (0..EVICTION_SAMPLE)
                .map(|_| fastrand::u32(..n))
                .filter(|&slot| slot != spare)
                .filter_map(|slot| self.get(slot).map(|c| (c.last_seen, slot)))
                .min()
                .map(|(_, slot)| slot)
        });
        let victim = sampled.flatten().or_else(|| self.oldest(spare))?;
        let cluster = self.take(victim)?;
        for id in std::iter::once(&cluster.id).chain(&cluster.absorbed) {
            self.index.remove(id);
        }
        Some((victim, cluster))
    }

    /// The exact least recently seen: for few patterns, or when sampling hit only free slots.
    fn oldest(&self, spare: u32) -> Option<u32> {
        self.slots
            .iter()
            .enumerate()
            .filter(|&(slot, _)| slot as u32 != spare)
            .filter_map(|(slot, c)| c.as_ref().map(|c| (c.last_seen, slot as u32)))
            .min()
            .map(|(_, slot)| slot)
    }
}
