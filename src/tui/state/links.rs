//! What stopping services here takes from other workspaces: their active services that
//! depend on one that stops, for the stop confirmations.

use super::State;
use crate::protocol::links::{stopping, stranded};

impl State {
    /// `hvac/api depends on db (workspace hvac keeps it running)`, for each active service
    /// of another workspace whose dependency stopping `names` (all when empty) takes away.
    pub fn stranded(&self, names: &[String]) -> Vec<String> {
        let stops = stopping(self.services(), names);
        stranded(self.services(), &stops)
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}
