//! The one reader of `/proc`: a process's identity, state, memory and exit status
//! (`process`), the trees of processes a service runs, re-read cheaply every second
//! (`tree`), and who listens on a TCP port (`net`). The supervisor, the metrics sampler,
//! healing and the doctor all read processes through here.

pub mod net;
pub mod process;
pub mod tree;

pub use process::{ProcId, ProcStat, wait_status};
pub use tree::TreeReader;
