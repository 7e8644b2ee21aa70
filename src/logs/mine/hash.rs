//! A fast non-cryptographic hash for token sequences and the maps keyed by them (the keys
//! are already hashes or small ids, so SipHash's protection buys nothing here).

use std::hash::BuildHasherDefault;

const K: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = K.rotate_left(17) | 1;

/// wyhash's mixing step (a 64×64→128-bit multiply, folded), fed sixteen bytes at a time:
/// words are taken in pairs, one multiply per pair (a line's shape is ~20 short tokens of
/// a word each, so the multiply chain was most of its hashing), and every input bit
/// reaches every output bit. Inlined by hand: the release profile optimises for size and
/// would call out for each token.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hasher {
    state: u64,
    /// The first word of a pair, waiting for the second.
    pending: Option<u64>,
}

#[inline]
fn mum(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

/// Up to eight bytes as a little-endian word, zero-padded: two overlapping loads instead
/// of a copy of a variable length (a call to `memcpy` for every short token).
#[inline]
fn short_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    if n >= 4 {
        let lo = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let hi = u32::from_le_bytes([bytes[n - 4], bytes[n - 3], bytes[n - 2], bytes[n - 1]]);
        u64::from(lo) | (u64::from(hi) << (8 * (n - 4)))
    } else if n > 0 {
        u64::from(bytes[0])
            | (u64::from(bytes[n / 2]) << (8 * (n / 2)))
            | (u64::from(bytes[n - 1]) << (8 * (n - 1)))
    } else {
        0
    }
}

impl Hasher {
    #[inline]
    pub fn add_u64(&mut self, word: u64) {
        match self.pending.take() {
            None => self.pending = Some(word),
            Some(first) => self.state = mum(first ^ self.state ^ K, word ^ K2),
        }
    }

    #[inline]
    pub fn add_bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add_u64(short_word(chunk));
        }
        self.add_u64(short_word(chunks.remainder()) ^ ((bytes.len() as u64) << 56));
    }

    pub fn finish(&self) -> u64 {
        // A word left alone is mixed with a mark, so `a` and `a, 0` differ.
        let (last, odd) = self.pending.map_or((0, 0), |w| (w, 1));
        mum(self.state ^ last ^ K, K2 ^ odd)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn of(words: &[&[u8]]) -> u64 {
        let mut h = Hasher::default();
        for w in words {
            h.add_bytes(w);
        }
        h.finish()
    }

    #[test]
    fn short_words_are_their_bytes_zero_padded() {
        for n in 0..=8 {
            let bytes = &b"abcdefgh"[..n];
            let mut padded = [0u8; 8];
            padded[..n].copy_from_slice(bytes);
            assert_eq!(short_word(bytes), u64::from_le_bytes(padded), "{n} bytes");
        }
    }

    #[test]
    fn sequences_differing_in_order_split_or_length_hash_apart() {
        let all = [
            of(&[b"a", b"b"]),
            of(&[b"b", b"a"]),
            of(&[b"ab"]),
            of(&[b"a"]),
            of(&[b"a", b"b", b"c"]),
            of(&[b"abcdefgh", b"i"]),
            of(&[b"abcdefghi"]),
            of(&[]),
        ];
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len());
    }
}
