//! A fast non-cryptographic hash for token sequences and the maps keyed by them (the keys
//! are already hashes or small ids, so SipHash's protection buys nothing here).

use std::hash::BuildHasherDefault;

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// wyhash's mixing step (a 64×64→128-bit multiply, folded), fed eight bytes at a time:
/// one multiply per word and every input bit reaches every output bit.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hasher(u64);

impl Hasher {
    pub fn add_u64(&mut self, word: u64) {
        let m = u128::from(self.0 ^ word ^ K) * u128::from(K.rotate_left(17) | 1);
        self.0 = (m as u64) ^ ((m >> 64) as u64);
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
        self.add_u64(u64::from_le_bytes(tail) ^ ((bytes.len() as u64) << 56));
    }

    pub fn finish(&self) -> u64 {
        self.0
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
