//! The per-line index: blocks of up to [`BLOCK_LINES`] entries. A block's header carries what
//! lets a reader skip it whole (time range, the levels present) and where its lines start; each
//! line then costs a tag byte (level, a small time delta, whether the sequence jumps), its
//! length and its pattern as varints: about 4 bytes for a typical log line.
//!
//! ```text
//! block  = MAGIC header checksum:u32le payload
//! header = varint(payload_len count first_seq last_seq-first_seq start bytes
//!                 base_time base_time-min_time max_time-base_time) levels:u8
//! entry  = tag:u8 [varint(seq gap)] [varint(zigzag time delta)] varint(len) varint(pattern+1)
//! tag    = level slot (bits 0-2) | seq gap follows (bit 3) | zigzag time delta, 15 = varint follows (bits 4-7)
//! ```
//! The checksum covers header and payload, so a torn or zero-filled tail (a crash mid-write, or
//! a reader racing the writer) ends the valid prefix instead of yielding wrong lines.

use crate::logs::Level;

const MAGIC: u8 = 0xB1;
/// Lines per block: small enough that time and level skipping is selective, large enough
/// that headers cost nothing per line.
pub const BLOCK_LINES: usize = 4096;
const TIME_ESCAPE: u64 = 15;
const GAP_FLAG: u8 = 1 << 3;

/// One indexed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    /// Byte offset of the line in its segment (or file).
    pub offset: u64,
    /// Length in bytes, with its newline when it has one.
    pub len: u32,
    /// Unix ms.
    pub at: u64,
    pub level: Option<Level>,
    pub pattern: Option<u32>,
}

/// What a block says about its lines without decoding them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub count: u32,
    pub first_seq: u64,
    pub last_seq: u64,
    /// Offset of the first line.
    pub start: u64,
    /// Sum of the lines' lengths: the block's lines end at `start + bytes`.
    pub bytes: u64,
    base_time: u64,
    pub min_time: u64,
    pub max_time: u64,
    /// Bit `slot` set for each level present (slot 0: lines without a level).
    pub levels: u8,
}

impl Header {
    pub fn end(&self) -> u64 {
        self.start + self.bytes
    }

    /// Whether any line here is at `min` or above.
    pub fn has_level_at_least(&self, min: Level) -> bool {
        self.levels >> min.slot() != 0
    }
}

/// A parsed block borrowing its payload.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    pub header: Header,
    /// Where the block ends in the bytes it was parsed from.
    pub end: usize,
    payload: &'a [u8],
}

impl<'a> Block<'a> {
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            payload: self.payload,
            pos: 0,
            left: self.header.count,
            seq: self.header.first_seq,
            offset: self.header.start,
            time: self.header.base_time,
            first: true,
        }
    }
}

/// Decodes a block's entries in order.
pub struct Entries<'a> {
    payload: &'a [u8],
    pos: usize,
    left: u32,
    seq: u64,
    offset: u64,
    time: u64,
    first: bool,
}

impl Iterator for Entries<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let tag = *self.payload.get(self.pos)?;
        self.pos += 1;
        if !self.first {
            self.seq += 1;
        }
        self.first = false;
        if tag & GAP_FLAG != 0 {
            self.seq += get_varint(self.payload, &mut self.pos)?;
        }
        let mut delta = u64::from(tag >> 4);
        if delta == TIME_ESCAPE {
            delta = get_varint(self.payload, &mut self.pos)?;
        }
        self.time = self.time.wrapping_add_signed(unzigzag(delta));
        let len = get_varint(self.payload, &mut self.pos)?;
        let pattern = get_varint(self.payload, &mut self.pos)?;
        let entry = Entry {
            seq: self.seq,
            offset: self.offset,
            len: u32::try_from(len).ok()?,
            at: self.time,
            level: level_of_slot(tag & 7),
            pattern: pattern.checked_sub(1).and_then(|p| u32::try_from(p).ok()),
        };
        self.offset += len;
        Some(entry)
    }
}

fn level_of_slot(slot: u8) -> Option<Level> {
    Level::ALL.get(usize::from(slot).checked_sub(1)?).copied()
}

/// Accumulates entries into one block.
#[derive(Debug, Default)]
pub struct BlockBuilder {
    payload: Vec<u8>,
    count: u32,
    first_seq: u64,
    last_seq: u64,
    start: u64,
    bytes: u64,
    base_time: u64,
    min_time: u64,
    max_time: u64,
    prev_time: u64,
    levels: u8,
}

impl BlockBuilder {
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Adds the line that follows the previous one (`offset` is only read for the first line).
    pub fn push(&mut self, e: &Entry) {
        if self.count == 0 {
            self.first_seq = e.seq;
            self.last_seq = e.seq;
            self.start = e.offset;
            self.base_time = e.at;
            self.prev_time = e.at;
            self.min_time = e.at;
            self.max_time = e.at;
        }
        let slot = e.level.map_or(0, Level::slot) as u8;
        let gap = e.seq.saturating_sub(self.last_seq + 1);
        let delta = zigzag(e.at.wrapping_sub(self.prev_time) as i64);
        let mut tag = slot | (delta.min(TIME_ESCAPE) as u8) << 4;
        if gap > 0 && self.count > 0 {
            tag |= GAP_FLAG;
        }
        self.payload.push(tag);
        if tag & GAP_FLAG != 0 {
            put_varint(&mut self.payload, gap);
        }
        if delta >= TIME_ESCAPE {
            put_varint(&mut self.payload, delta);
        }
        put_varint(&mut self.payload, u64::from(e.len));
        put_varint(&mut self.payload, e.pattern.map_or(0, |p| u64::from(p) + 1));
        self.count += 1;
        self.last_seq = e.seq;
        self.bytes += u64::from(e.len);
        self.prev_time = e.at;
        self.min_time = self.min_time.min(e.at);
        self.max_time = self.max_time.max(e.at);
        self.levels |= 1 << slot;
    }

    /// Appends the block to `out` and starts a new one.
    pub fn seal_into(&mut self, out: &mut Vec<u8>) {
        if self.count == 0 {
            return;
        }
        let mut head = Vec::with_capacity(48);
        for v in [
            self.payload.len() as u64,
            u64::from(self.count),
            self.first_seq,
            self.last_seq - self.first_seq,
            self.start,
            self.bytes,
            self.base_time,
            self.base_time - self.min_time,
            self.max_time - self.base_time,
        ] {
            put_varint(&mut head, v);
        }
        head.push(self.levels);
        out.push(MAGIC);
        out.extend_from_slice(&head);
        out.extend_from_slice(&checksum(&head, &self.payload).to_le_bytes());
        out.extend_from_slice(&self.payload);
        self.payload.clear();
        self.count = 0;
        self.levels = 0;
        self.bytes = 0;
    }
}

/// The valid blocks at the start of `bytes`, and how many bytes they take: parsing stops at
/// the first block that is incomplete or damaged.
pub fn parse(bytes: &[u8]) -> (Vec<Block<'_>>, usize) {
    let mut blocks = Vec::new();
    let mut pos = 0;
    while let Some((block, next)) = parse_one(bytes, pos) {
        blocks.push(block);
        pos = next;
    }
    (blocks, pos)
}

fn parse_one(bytes: &[u8], at: usize) -> Option<(Block<'_>, usize)> {
    if *bytes.get(at)? != MAGIC {
        return None;
    }
    let mut pos = at + 1;
    let mut fields = [0u64; 9];
    for f in &mut fields {
        *f = get_varint(bytes, &mut pos)?;
    }
    let levels = *bytes.get(pos)?;
    let head = &bytes[at + 1..=pos];
    let sum = u32::from_le_bytes(bytes.get(pos + 1..pos + 5)?.try_into().ok()?);
    let body = pos + 5;
    let [
        payload_len,
        count,
        first_seq,
        seq_span,
        start,
        len,
        base,
        below,
        above,
    ] = fields;
    let end = body.checked_add(usize::try_from(payload_len).ok()?)?;
    let payload = bytes.get(body..end)?;
    if checksum(head, payload) != sum || count == 0 {
        return None;
    }
    let header = Header {
        count: u32::try_from(count).ok()?,
        first_seq,
        last_seq: first_seq.checked_add(seq_span)?,
        start,
        bytes: len,
        base_time: base,
        min_time: base.checked_sub(below)?,
        max_time: base.checked_add(above)?,
        levels,
    };
    Some((
        Block {
            header,
            end,
            payload,
        },
        end,
    ))
}

/// A fast word-at-a-time hash: it only has to catch torn writes, not adversaries.
fn checksum(head: &[u8], payload: &[u8]) -> u32 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15 ^ (head.len() as u64) ^ ((payload.len() as u64) << 32);
    for part in [head, payload] {
        let mut words = part.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            h = mix(h, u64::from_le_bytes(word));
        }
        let mut tail = [0u8; 8];
        tail[..words.remainder().len()].copy_from_slice(words.remainder());
        h = mix(h, u64::from_le_bytes(tail));
    }
    (h ^ (h >> 32)) as u32
}

fn mix(h: u64, w: u64) -> u64 {
    (h ^ w).wrapping_mul(0xFF51_AFD7_ED55_8CCD).rotate_left(29)
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7F) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, offset: u64, at: u64, level: Option<Level>, pattern: Option<u32>) -> Entry {
        Entry {
            seq,
            offset,
            len: 100 + (seq % 200) as u32,
            at,
            level,
            pattern,
        }
    }

    fn sample() -> Vec<Entry> {
        let mut offset = 1000;
        let mut seq = 50;
        let mut out = Vec::new();
        for i in 0..300u64 {
            // Other sources' lines in between, now and then many.
            seq += 1 + if i % 7 == 0 { i * i } else { 0 };
            let at = 1_714_560_000_000 + i * 3 - if i % 11 == 0 { 500 } else { 0 };
            let level = Level::ALL.get((i % 7) as usize).copied();
            let pattern = (i % 5 != 0).then_some((i * 37 % 3000) as u32);
            let e = entry(seq, offset, at, level, pattern);
            offset += u64::from(e.len);
            out.push(e);
        }
        out
    }

    #[test]
    fn entries_round_trip_with_gaps_backward_times_and_missing_fields() {
        let lines = sample();
        let mut b = BlockBuilder::default();
        lines.iter().for_each(|e| b.push(e));
        let mut bytes = Vec::new();
        b.seal_into(&mut bytes);
        let (blocks, used) = parse(&bytes);
        assert_eq!(used, bytes.len());
        assert_eq!(blocks.len(), 1);
        let h = blocks[0].header;
        assert_eq!(h.first_seq, lines[0].seq);
        assert_eq!(h.last_seq, lines[299].seq);
        assert_eq!(h.end(), lines[299].offset + u64::from(lines[299].len));
        assert_eq!(h.min_time, lines.iter().map(|e| e.at).min().unwrap_or(0));
        assert_eq!(h.max_time, lines.iter().map(|e| e.at).max().unwrap_or(0));
        let back: Vec<Entry> = blocks[0].entries().collect();
        assert_eq!(back, lines);
    }

    #[test]
    fn a_torn_or_damaged_tail_ends_the_valid_prefix() {
        let lines = sample();
        let mut bytes = Vec::new();
        let mut b = BlockBuilder::default();
        lines[..150].iter().for_each(|e| b.push(e));
        b.seal_into(&mut bytes);
        let first = bytes.len();
        lines[150..].iter().for_each(|e| b.push(e));
        b.seal_into(&mut bytes);
        for cut in [first + 1, first + 20, bytes.len() - 1] {
            let (blocks, used) = parse(&bytes[..cut]);
            assert_eq!((blocks.len(), used), (1, first), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 0x10;
        assert_eq!(parse(&flipped).1, first);
        let mut zeros = bytes[..first].to_vec();
        zeros.extend_from_slice(&[0; 64]);
        assert_eq!(parse(&zeros).1, first);
    }

    #[test]
    fn level_mask_answers_minimum_level_questions() {
        let mut b = BlockBuilder::default();
        b.push(&entry(1, 0, 5, Some(Level::Info), None));
        b.push(&entry(2, 100, 5, None, None));
        let mut bytes = Vec::new();
        b.seal_into(&mut bytes);
        let h = parse(&bytes).0[0].header;
        assert!(h.has_level_at_least(Level::Debug));
        assert!(h.has_level_at_least(Level::Info));
        assert!(!h.has_level_at_least(Level::Warn));
    }

    #[test]
    fn typical_lines_cost_about_four_bytes() {
        let mut b = BlockBuilder::default();
        let mut offset = 0;
        for i in 0..BLOCK_LINES as u64 {
            let e = Entry {
                seq: i,
                offset,
                len: 140,
                at: 1_714_560_000_000 + i / 10,
                level: Some(Level::Info),
                pattern: Some((i % 60) as u32),
            };
            offset += 140;
            b.push(&e);
        }
        let mut bytes = Vec::new();
        b.seal_into(&mut bytes);
        assert!(bytes.len() <= 4 * BLOCK_LINES + 64, "{} bytes", bytes.len());
    }
}
