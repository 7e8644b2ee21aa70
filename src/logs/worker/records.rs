//! Each source read in its own format: a [`Detector`] per source learns its header online,
//! so the miner sees the message alone (a timestamp or a pid would otherwise split or blur
//! patterns), and a line continuing a record (a stack trace's frame) takes that record's
//! time, level and pattern instead of being mined and counted on its own.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::logs::header::{Detector, Format, Parsed};
use crate::logs::{Level, LineHeader};

/// The record a continuation line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub at: u64,
    pub level: Option<Level>,
    pub pattern: u32,
}

/// One line as its source's format reads it.
pub struct Read {
    pub header: Option<LineHeader>,
    /// The line's record: the one it continues, or the one it starts.
    pub record: Record,
    /// It continues the record before it.
    pub continues: bool,
}

#[derive(Default)]
struct Source {
    detector: Detector,
    record: Option<Record>,
}

impl Source {
    fn read(&mut self, text: &str, start: impl FnOnce(&str) -> Record) -> Read {
        let Parsed { header, continues } = self.detector.parse(text);
        if continues && let Some(record) = self.record {
            return Read {
                header,
                record,
                continues: true,
            };
        }
        let message = match (header, self.detector.format()) {
            (Some(h), _) => Cow::Borrowed(text[h.message as usize..].trim_end()),
            (None, format @ (Format::Json | Format::Logfmt)) => format.message(text),
            (None, _) => Cow::Borrowed(text.trim_end()),
        };
        let record = start(&message);
        self.record = Some(record);
        Read {
            header,
            record,
            continues: false,
        }
    }
}

#[derive(Default)]
pub struct Records {
    sources: HashMap<String, Source>,
}

impl Records {
    /// Reads `source`'s next line; `start` makes the record of a line that starts one from
    /// its message (what the miner is given).
    pub fn read(&mut self, source: &str, text: &str, start: impl FnOnce(&str) -> Record) -> Read {
        if let Some(state) = self.sources.get_mut(source) {
            return state.read(text, start);
        }
        let mut state = Source::default();
        let read = state.read(text, start);
        self.sources.insert(source.to_owned(), state);
        read
    }

    /// What is learned of each source so far (sources still learning are left out).
    pub fn formats(&self) -> HashMap<String, Format> {
        self.sources
            .iter()
            .filter(|(_, s)| *s.detector.format() != Format::Plain)
            .map(|(name, s)| (name.clone(), s.detector.format().clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_join_their_record_and_only_the_message_is_mined() {
        let mut records = Records::default();
        for i in 0..crate::logs::header::MIN_LEARN as u64 {
            let line = format!(
                "2024-05-01 10:00:{:02},001 INFO [main] app.Server: job {i} done",
                i % 60
            );
            let read = records.read("api", &line, |_| Record {
                at: i,
                level: Some(Level::Info),
                pattern: 1,
            });
            assert!(!read.continues);
        }
        let line = "2024-05-01 10:00:11,001 ERROR [main] app.Server: request failed";
        let failed = Record {
            at: 11,
            level: Some(Level::Error),
            pattern: 2,
        };
        let mut mined = String::new();
        let read = records.read("api", line, |message| {
            mined = message.to_owned();
            failed
        });
        assert_eq!(mined, "request failed");
        let header = read.header.expect("header learned");
        assert_eq!(
            &line[header
                .thread
                .map(|[a, b]| a as usize..b as usize)
                .expect("thread")],
            "[main]"
        );
        let frame = records.read("api", "\tat app.Server.handle(Server.java:10)", |_| {
            unreachable!("a frame starts no record")
        });
        assert!(frame.continues);
        assert_eq!(frame.record, failed);
        assert!(frame.header.is_none());
        assert_eq!(records.formats().len(), 1);
    }
}
