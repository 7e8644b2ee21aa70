//! The capture's bytes between the pipe and the file: whole lines ready to write, then the
//! line being read, each line cut at [`MAX_LINE`].

/// The most of one line the capture keeps; the rest is counted and dropped.
pub const MAX_LINE: usize = 64 << 10;

/// Memory kept after a burst is given back once it drained below this.
const KEEP_CAPACITY: usize = 256 << 10;

#[derive(Debug, Default)]
pub struct Lines {
    bytes: Vec<u8>,
    /// `bytes[..complete]` are whole lines, each ending with a newline.
    complete: usize,
    /// Bytes dropped from the line being read.
    cut: u64,
}

impl Lines {
    /// Bytes held, written or not.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The whole lines held, oldest first.
    pub fn complete(&self) -> &[u8] {
        &self.bytes[..self.complete]
    }

    /// Forgets the first `n` bytes of [`Lines::complete`] (written).
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.complete);
        self.bytes.drain(..n);
        self.complete -= n;
        if self.bytes.capacity() > KEEP_CAPACITY && self.bytes.len() < KEEP_CAPACITY / 4 {
            self.bytes.shrink_to(KEEP_CAPACITY / 4);
        }
    }

    /// Adds bytes read from the pipe.
    pub fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let newline = memchr::memchr(b'\n', data);
            let part = &data[..newline.unwrap_or(data.len())];
            self.keep(part);
            match newline {
                Some(i) => {
                    self.end_line();
                    data = &data[i + 1..];
                }
                None => break,
            }
        }
    }

    /// The pipe ended: the line being read is ended too.
    pub fn finish(&mut self) {
        if self.bytes.len() > self.complete || self.cut > 0 {
            self.end_line();
        }
    }

    /// Appends to the line being read what fits under [`MAX_LINE`].
    fn keep(&mut self, part: &[u8]) {
        let line = self.bytes.len() - self.complete;
        let room = MAX_LINE.saturating_sub(line);
        if part.len() <= room {
            self.bytes.extend_from_slice(part);
            return;
        }
        self.bytes.extend_from_slice(&part[..room]);
        self.cut += (part.len() - room) as u64;
        // A character cut in two is dropped whole.
        let torn = torn_tail(&self.bytes[self.complete..]);
        self.bytes.truncate(self.bytes.len() - torn);
        self.cut += torn as u64;
    }

    fn end_line(&mut self) {
        if self.cut > 0 {
            let marker = format!(" [uc: {} more bytes cut]", self.cut);
            self.bytes.extend_from_slice(marker.as_bytes());
            self.cut = 0;
        }
        self.bytes.push(b'\n');
        self.complete = self.bytes.len();
    }
}

/// How many bytes at the end of `line` are an unfinished UTF-8 character.
fn torn_tail(line: &[u8]) -> usize {
    let tail = &line[line.len().saturating_sub(4)..];
    let Some(lead) = tail.iter().rposition(|b| b & 0xC0 != 0x80) else {
        return 0;
    };
    let want = match tail[lead] {
        b if b >= 0xF0 => 4,
        b if b >= 0xE0 => 3,
        b if b >= 0xC0 => 2,
        _ => 1,
    };
    let have = tail.len() - lead;
    if have < want { have } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]]) -> String {
        let mut l = Lines::default();
        for chunk in chunks {
            l.push(chunk);
        }
        l.finish();
        String::from_utf8(l.complete().to_vec()).expect("utf-8")
    }

    #[test]
    fn lines_split_across_reads_come_out_whole() {
        assert_eq!(lines(&[b"ab", b"c\nd", b"e\n"]), "abc\nde\n");
        let mut l = Lines::default();
        l.push(b"one\ntw");
        assert_eq!(l.complete(), b"one\n");
        l.consume(4);
        assert!(l.complete().is_empty());
        assert_eq!(l.len(), 2, "the unfinished line stays");
    }

    #[test]
    fn long_lines_are_cut_with_a_count() {
        let long = vec![b'x'; MAX_LINE + 1000];
        let out = lines(&[&long[..10], &long[10..], b"\nnext\n"]);
        let (first, rest) = out.split_once('\n').expect("two lines");
        assert_eq!(first.len(), MAX_LINE + " [uc: 1000 more bytes cut]".len());
        assert!(
            first.ends_with("x [uc: 1000 more bytes cut]"),
            "{}",
            &first[MAX_LINE - 5..]
        );
        assert_eq!(rest, "next\n");
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        let mut long = vec![b'a'; MAX_LINE - 1];
        long.extend_from_slice("é and more".as_bytes());
        let out = lines(&[&long, b"\n"]);
        let kept = out.split(" [uc:").next().expect("kept part");
        assert_eq!(kept.len(), MAX_LINE - 1);
        assert!(
            out.ends_with(" [uc: 11 more bytes cut]\n"),
            "{}",
            &out[MAX_LINE - 3..]
        );
    }
}
