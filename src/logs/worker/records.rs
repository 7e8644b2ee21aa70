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
pub struct Read<'a> {
    pub header: Option<LineHeader>,
    /// The record this line continues; `None` when it starts one.
    pub continues: Option<Record>,
    /// What the miner is given.
    pub message: Cow<'a, str>,
}

#[derive(Default)]
struct Source {
    detector: Detector,
    record: Option<Record>,
}

impl Source {
    fn read<'a>(&mut self, text: &'a str) -> Read<'a> {
        let Parsed { header, continues } = self.detector.parse(text);
        let continues = if continues { self.record } else { None };
        let message = match (header, self.detector.format()) {
            (Some(h), _) => Cow::Borrowed(text[h.message as usize..].trim_end()),
            (None, format @ (Format::Json | Format::Logfmt)) => format.message(text),
            (None, _) => Cow::Borrowed(text.trim_end()),
        };
        Read {
            header,
            continues,
            message,
        }
    }
}

#[derive(Default)]
pub struct Records {
    sources: HashMap<String, Source>,
}

impl Records {
    pub fn read<'a>(&mut self, source: &str, text: &'a str) -> Read<'a> {
        if let Some(state) = self.sources.get_mut(source) {
            return state.read(text);
        }
        let mut state = Source::default();
        let read = state.read(text);
        self.sources.insert(source.to_owned(), state);
        read
    }

    /// `source`'s line just read starts `record`.
    pub fn started(&mut self, source: &str, record: Record) {
        if let Some(state) = self.sources.get_mut(source) {
            state.record = Some(record);
        }
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
            let read = records.read("api", &line);
            assert!(read.continues.is_none());
            records.started(
                "api",
                Record {
                    at: i,
                    level: Some(Level::Info),
                    pattern: 1,
                },
            );
        }
        let line = "2024-05-01 10:00:11,001 ERROR [main] app.Server: request failed";
        let read = records.read("api", line);
        assert_eq!(read.message, "request failed");
        let header = read.header.expect("header learned");
        assert_eq!(
            &line[header
                .thread
                .map(|[a, b]| a as usize..b as usize)
                .expect("thread")],
            "[main]"
        );
        let failed = Record {
            at: 11,
            level: Some(Level::Error),
            pattern: 2,
        };
        records.started("api", failed);
        let frame = records.read("api", "\tat app.Server.handle(Server.java:10)");
        assert_eq!(frame.continues, Some(failed));
        assert!(frame.header.is_none());
        assert_eq!(records.formats().len(), 1);
    }
}
