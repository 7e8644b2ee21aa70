//! Alerting: rules evaluated on every metrics sample, notifications through a durable
//! outbox, acknowledgements and silences.

pub mod channels;
pub mod deliver;
pub mod model;
pub mod outbox;
pub mod route;
pub mod send;

pub use model::{Ack, Alert, AlertState, Labels, MatchOp, Matcher, Severity, Silence};
