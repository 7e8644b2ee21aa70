//! Health checks and (later) restart policies and playbooks.
