//! What a service's runner and the engine say to each other: one line per message over the
//! runner's socket. Shared by both sides so they cannot drift apart.

use crate::heal::restart::Arm;
#[cfg(test)]
use crate::procfs::wait_status;

/// From the engine: whether the runner may restart the service on its own when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Restart once, at once, if the next exit matches; then wait to be armed again.
    Arm(Arm),
    /// Leave the next exit to the engine.
    Disarm,
}

/// From the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Sent on every new connection: the service's current main process.
    Running { pid: u32 },
    /// The service ended with the raw wait `status`; the runner exits with the same status.
    Exited { status: i32 },
    /// The service ended and the runner, being armed, started it again as `pid`.
    Restarted {
        status: i32,
        uptime_ms: u64,
        pid: u32,
    },
    /// An order was read and is in force: whoever sent it knows it landed before anything
    /// it is about happens.
    Heard(Order),
}

impl Order {
    pub fn line(&self) -> String {
        match self {
            Self::Arm(arm) => {
                let on = if arm.failures_only { "failure" } else { "any" };
                format!("arm {on} {}\n", arm.min_uptime_ms)
            }
            Self::Disarm => "disarm\n".into(),
        }
    }

    pub fn parse(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace();
        match words.next()? {
            "arm" => {
                let failures_only = match words.next()? {
                    "failure" => true,
                    "any" => false,
                    _ => return None,
                };
                let min_uptime_ms = words.next()?.parse().ok()?;
                Some(Self::Arm(Arm {
                    failures_only,
                    min_uptime_ms,
                }))
            }
            "disarm" => Some(Self::Disarm),
            _ => None,
        }
    }
}

impl Report {
    pub fn line(&self) -> String {
        match self {
            Self::Running { pid } => format!("running {pid}\n"),
            Self::Exited { status } => format!("exited {status}\n"),
            Self::Restarted {
                status,
                uptime_ms,
                pid,
            } => format!("restarted {status} {uptime_ms} {pid}\n"),
            Self::Heard(order) => format!("heard {}", order.line()),
        }
    }

    pub fn parse(line: &str) -> Option<Self> {
        if let Some(order) = line.strip_prefix("heard ") {
            return Order::parse(order).map(Self::Heard);
        }
        let mut words = line.split_whitespace();
        let kind = words.next()?;
        let mut number = || words.next()?.parse::<i64>().ok();
        match kind {
            "running" => Some(Self::Running {
                pid: u32::try_from(number()?).ok()?,
            }),
            "exited" => Some(Self::Exited {
                status: i32::try_from(number()?).ok()?,
            }),
            "restarted" => Some(Self::Restarted {
                status: i32::try_from(number()?).ok()?,
                uptime_ms: u64::try_from(number()?).ok()?,
                pid: u32::try_from(number()?).ok()?,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_back_as_written() {
        let orders = [
            Order::Arm(Arm {
                failures_only: true,
                min_uptime_ms: 30_000,
            }),
            Order::Arm(Arm {
                failures_only: false,
                min_uptime_ms: 0,
            }),
            Order::Disarm,
        ];
        for order in orders {
            assert_eq!(Order::parse(&order.line()), Some(order));
        }
        let reports = [
            Report::Running { pid: 42 },
            Report::Exited { status: 256 },
            Report::Restarted {
                status: 9,
                uptime_ms: 1500,
                pid: 43,
            },
            Report::Heard(Order::Disarm),
            Report::Heard(Order::Arm(Arm {
                failures_only: true,
                min_uptime_ms: 5,
            })),
        ];
        for report in reports {
            assert_eq!(Report::parse(&report.line()), Some(report));
        }
        assert_eq!(Order::parse("arm sometimes 1"), None);
        assert_eq!(Report::parse("restarted 9"), None);
    }

    #[test]
    fn an_arm_covers_what_the_policy_restarts_at_once() {
        let (ok, failed, killed) = (0, 1 << 8, 9);
        let any = Arm {
            failures_only: false,
            min_uptime_ms: 0,
        };
        assert!(any.covers(ok, 0) && any.covers(failed, 0) && any.covers(killed, 0));
        let failures = Arm {
            failures_only: true,
            min_uptime_ms: 1000,
        };
        assert!(!failures.covers(ok, 5000));
        assert!(failures.covers(killed, 5000));
        assert!(
            !failures.covers(failed, 999),
            "a short run is left to the engine"
        );
        assert_eq!(wait_status(failed), (Some(1), None));
        assert_eq!(wait_status(killed), (None, Some(9)));
    }
}
