//! Output captured from the commands healing runs (exec probes, playbook `run` steps). Only
//! the first and the last [`KEEP`] bytes of each stream are kept, with a marker saying how
//! much was cut between them, so a command printing gigabytes costs the engine a few KiB.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Bytes kept at each end of a stream.
pub const KEEP: usize = 16 * 1024;

/// One stream's output: its head, its tail, and how much fell between them.
#[derive(Debug, Default)]
pub struct Captured {
    head: Vec<u8>,
    /// Holds up to twice [`KEEP`] so the front is dropped once per `KEEP` bytes read, not on
    /// every read.
    tail: Vec<u8>,
    cut: u64,
}

impl Captured {
    pub fn push(&mut self, mut bytes: &[u8]) {
        let room = KEEP.saturating_sub(self.head.len());
        let (head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(head);
        bytes = rest;
        if bytes.len() > KEEP {
            let skipped = bytes.len() - KEEP;
            self.cut += (self.tail.len() + skipped) as u64;
            self.tail.clear();
            bytes = &bytes[skipped..];
        }
        self.tail.extend_from_slice(bytes);
        if self.tail.len() > 2 * KEEP {
            let over = self.tail.len() - KEEP;
            self.tail.drain(..over);
            self.cut += over as u64;
        }
    }

    /// Bytes that were read but not kept.
    pub fn cut(&self) -> u64 {
        let over = self.tail.len().saturating_sub(KEEP);
        self.cut + over as u64
    }

    /// The head, then `… N bytes cut …` on a line of its own when anything was, then the tail.
    pub fn into_bytes(mut self) -> Vec<u8> {
        let over = self.tail.len().saturating_sub(KEEP);
        self.tail.drain(..over);
        self.cut += over as u64;
        let mut out = self.head;
        if self.cut > 0 {
            out.extend_from_slice(format!("\n… {} bytes cut …\n", self.cut).as_bytes());
        }
        out.append(&mut self.tail);
        out
    }
}

/// Reads `reader` to its end (or its first error), keeping what [`Captured`] keeps.
pub async fn capture(reader: Option<impl AsyncRead + Unpin>) -> Captured {
    let mut captured = Captured::default();
    let Some(mut reader) = reader else {
        return captured;
    };
    let mut buf = vec![0; 8 * 1024];
    while let Ok(n @ 1..) = reader.read(&mut buf).await {
        captured.push(&buf[..n]);
    }
    captured
}

/// Characters of output a probe failure or a playbook report shows.
const SHOWN: usize = 300;

/// The last few hundred characters of `output`, on one line; `None` when it is blank.
pub fn last_words(output: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(output);
    let text = text.trim();
    let start = text.char_indices().rev().nth(SHOWN).map_or(0, |(i, _)| i);
    let tail = text[start..]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!tail.is_empty()).then_some(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn last_words_are_one_line_of_the_end() {
        assert_eq!(last_words(b" \n\t "), None);
        assert_eq!(last_words(b"a\n  b\tc\n").as_deref(), Some("a b c"));
        let long = format!("start {}", "é".repeat(400));
        let shown = last_words(long.as_bytes()).expect("words");
        assert_eq!(shown.chars().count(), SHOWN + 1);
        assert!(shown.chars().all(|c| c == 'é'));
    }

    #[test]
    fn short_output_is_kept_whole() {
        let mut c = Captured::default();
        c.push(b"hello ");
        c.push(b"world");
        assert_eq!(c.cut(), 0);
        assert_eq!(c.into_bytes(), b"hello world");
    }

    #[test]
    fn long_output_keeps_both_ends_in_any_chunking() {
        let all = numbered(10 * KEEP + 123);
        for chunk in [1, 7, 4096, KEEP - 1, KEEP + 1, 3 * KEEP, all.len()] {
            let mut c = Captured::default();
            for piece in all.chunks(chunk) {
                c.push(piece);
                assert!(c.head.len() + c.tail.len() <= 3 * KEEP);
            }
            assert_eq!(c.cut(), (all.len() - 2 * KEEP) as u64, "chunk {chunk}");
            let out = c.into_bytes();
            let marker = format!("\n… {} bytes cut …\n", all.len() - 2 * KEEP);
            assert_eq!(&out[..KEEP], &all[..KEEP], "chunk {chunk}");
            assert_eq!(&out[KEEP..KEEP + marker.len()], marker.as_bytes());
            assert_eq!(&out[KEEP + marker.len()..], &all[all.len() - KEEP..]);
        }
    }

    #[tokio::test]
    async fn a_stream_of_gigabytes_is_read_in_constant_memory() {
        let (mut writer, reader) = tokio::io::duplex(64 * 1024);
        let writing = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let block = vec![b'x'; 1 << 20];
            for _ in 0..64 {
                writer.write_all(&block).await.expect("write");
            }
            writer.write_all(b"END").await.expect("write");
        });
        let captured = capture(Some(reader)).await;
        writing.await.expect("writer");
        assert_eq!(captured.cut(), (64 << 20) + 3 - 2 * KEEP as u64);
        assert!(captured.into_bytes().ends_with(b"xEND"));
    }
}
