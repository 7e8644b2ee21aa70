//! Alerting: rules evaluated on every metrics sample, notifications through a durable
//! outbox, acknowledgements and silences.

pub mod channels;
mod commands;
pub mod deliver;
pub mod eval;
pub mod expr;
#[cfg(test)]
mod fixtures;
mod live;
pub mod logs;
pub mod model;
pub mod outbox;
pub mod probes;
pub mod readings;
pub mod route;
pub mod rules;
pub mod send;
mod sources;
pub mod template;
mod worker;

pub use channels::{ChannelsConfig, load_channels, parse_channels};
pub use deliver::{Delivery, DeliveryEvent};
pub use eval::{AckError, Change, Evaluator, Transition};
pub use expr::{Cmp, Comparison, Expr, ExprError};
pub use model::{
    Ack, Alert, AlertState, AlertingInfo, ChannelInfo, Labels, MatchOp, Matcher, Severity, Silence,
};
pub use readings::{FixedReadings, LogCountQuery, LogFilter, ProbeTarget, Readings};
pub use route::{Notification, Router};
pub use rules::{
    BUILT_IN_RULES, DEFAULT_RULES, DEMO_RULES, DISK_FULL_RULE, Rule, RuleSet, load_rules,
    parse_rules,
};
pub use sources::{channels_for, rules_for};
pub use template::{Template, TemplateError};
pub use worker::{AlertsWorker, notification_history};
