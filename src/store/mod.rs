//! Embedded SQLite storage. One module per table family.
