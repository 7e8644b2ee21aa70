//! tmux supervisor: one window per service, process trees, dependency order, adoption.
