//! Alerting: rules evaluated on every metrics sample, notifications through a durable
//! outbox, acknowledgements and silences.

pub mod channels;
pub mod deliver;
pub mod eval;
pub mod expr;
#[cfg(test)]
mod fixtures;
pub mod model;
pub mod outbox;
pub mod readings;
pub mod route;
pub mod rules;
pub mod send;
pub mod template;

pub use eval::{AckError, Change, Evaluator, Transition};
pub use expr::{Cmp, Comparison, Expr, ExprError};
pub use model::{
    Ack, Alert, AlertState, AlertingInfo, ChannelInfo, Labels, MatchOp, Matcher, Severity, Silence,
};
pub use readings::{FixedReadings, LogFilter, LogQuery, Probe, Readings};
pub use rules::{Rule, RuleSet, load_rules, parse_rules};
pub use template::{Template, TemplateError};
