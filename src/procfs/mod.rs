//! The one reader of `/proc`: a process's identity, state, memory and exit status
//! (`process`), and the trees of processes a service runs, re-read cheaply every second
//! (`tree`). The supervisor, the metrics sampler and healing all read processes through here.

pub mod process;
pub mod tree;

pub use process::{ProcId, ProcStat, wait_status};
pub use tree::TreeReader;
