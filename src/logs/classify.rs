//! The engine's line parsers and miner behind the store's traits, so stored, re-indexed and
//! file-indexed lines are classified exactly as live ones.

use super::mine::Miner;
use super::store::{Classify, Patterns};
use super::{Level, line};

/// `logs::line` as the store's [`Classify`]; `now` dates stamps without a year.
pub struct LineClassifier {
    pub now_ms: u64,
}

impl Classify for LineClassifier {
    fn level(&self, bytes: &[u8]) -> Option<Level> {
        line::level(bytes)
    }

    fn time(&self, bytes: &[u8]) -> Option<u64> {
        line::timestamp(bytes, self.now_ms)
    }
}

impl Patterns for Miner {
    fn pattern(&mut self, line: &str) -> Option<u32> {
        Some(self.add(line))
    }

    fn template(&self, id: u32) -> Option<String> {
        Miner::template(self, id).map(str::to_owned)
    }
}
