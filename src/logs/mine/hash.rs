//! A fast non-cryptographic hash for token sequences and the maps keyed by them (the keys
//! are already hashes or small ids, so SipHash's protection buys nothing here).

use std::hash::BuildHasherDefault;

const K: u64 = 0x517c_c1b7_2722_0a95;

/// FxHash's mixing step, fed eight bytes at a time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hasher(u64);

impl Hasher {
    pub fn add_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }

    pub fn add_bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add_u64(u64::from_le_bytes(word));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add_u64(u64::from_le_bytes(tail) ^ ((bytes.len() as u64) << 59));
    }

    /// The final value, with the high bits mixed down (hash maps index by the low ones).
    pub fn finish(&self) -> u64 {
        let h = self.0;
        h ^ (h >> 29)
    }
}

impl std::hash::Hasher for Hasher {
    fn finish(&self) -> u64 {
        Hasher::finish(self)
    }

    fn write(&mut self, bytes: &[u8]) {
        self.add_bytes(bytes);
    }

    fn write_u32(&mut self, n: u32) {
        self.add_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add_u64(n);
    }
}

pub type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Hasher>>;
