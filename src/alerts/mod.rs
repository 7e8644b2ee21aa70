//! Alerting: rules evaluated on every metrics sample, notifications through a durable
//! outbox, acknowledgements and silences.

pub mod model;

pub use model::{
    Ack, Alert, AlertState, AlertingInfo, ChannelInfo, Labels, MatchOp, Matcher, Severity, Silence,
};
