//! Stored lines read back with their header: the store keeps the lines as written, and a
//! reader marks each with the format the engine learned for its source (or, for a source
//! the engine has not read since it started, one learned from the lines being read).

use std::collections::HashMap;

use super::{Detector, Format};
use crate::logs::LogLine;

pub struct Annotator {
    known: HashMap<String, Format>,
    learning: HashMap<String, Detector>,
}

impl Annotator {
    /// `known`: the formats the engine learned, by source.
    pub fn new(known: HashMap<String, Format>) -> Self {
        Self {
            known,
            learning: HashMap::new(),
        }
    }

    /// Sets `line`'s header and whether it continues a record.
    pub fn annotate(&mut self, line: &mut LogLine) {
        if let Some(format) = self.known.get(&line.source) {
            line.continues = format.continues(&line.text);
            line.header = (!line.continues)
                .then(|| format.header(&line.text))
                .flatten();
            return;
        }
        if !self.learning.contains_key(&line.source) {
            self.learning
                .insert(line.source.clone(), Detector::default());
        }
        let Some(detector) = self.learning.get_mut(&line.source) else {
            return;
        };
        let parsed = detector.parse(&line.text);
        line.header = parsed.header;
        line.continues = parsed.continues;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(source: &str, text: &str) -> LogLine {
        LogLine {
            seq: 1,
            at: 0,
            source: source.into(),
            level: None,
            pattern: None,
            text: text.into(),
            header: None,
            continues: false,
        }
    }

    #[test]
    fn known_formats_first_else_learned_from_the_lines_read() {
        let api = "2024-05-01 10:00:00,001 INFO [main] app.Server: started";
        let format = Format::learn(&[api; 8]);
        let mut annotator = Annotator::new(HashMap::from([("api".to_owned(), format)]));
        let mut read = line("api", api);
        annotator.annotate(&mut read);
        assert_eq!(read.message(), "started");
        let mut frame = line("api", "\tat app.Main(Main.java:3)");
        annotator.annotate(&mut frame);
        assert!(frame.continues && frame.header.is_none());
        let web = "Jun 14 15:16:01 combo sshd[42]: session opened";
        let mut last = line("web", web);
        for _ in 0..super::super::MIN_LEARN {
            last = line("web", web);
            annotator.annotate(&mut last);
        }
        assert_eq!(last.message(), "session opened");
        assert_eq!(last.field(last.header.and_then(|h| h.pid)), Some("42"));
    }
}
