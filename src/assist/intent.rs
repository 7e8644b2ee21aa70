//! What the assistant may do: an allowlist of intents, each saying whether it changes
//! anything and how it reads back to the user before acting.

use super::duration;
use serde::Serialize;

/// The language a phrase was typed in; the reading answers in the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    English,
    Chinese,
}

/// One allowlisted command or query. `service: None` on start/stop/restart means every
/// service, and only when the user said so ("all", "所有").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "intent", rename_all = "snake_case")]
pub enum Intent {
    Start {
        service: Option<String>,
    },
    Stop {
        service: Option<String>,
    },
    /// With `if_crash_loop`, only when the service keeps crashing.
    Restart {
        service: Option<String>,
        if_crash_loop: bool,
    },
    Logs {
        service: Option<String>,
        level: Option<String>,
        since_secs: Option<u64>,
        pattern: Option<String>,
    },
    Silence {
        matchers: Vec<String>,
        for_secs: u64,
    },
    Rollback {
        service: String,
    },
    Deploy {
        service: String,
    },
    SwitchEnvironment {
        environment: String,
    },
    Status {
        service: Option<String>,
    },
    /// Why a service (or the workspace) is slow or failing: `uc doctor`.
    Doctor {
        service: Option<String>,
    },
    /// Acknowledge an alert; without an id, the user is asked which.
    Ack {
        alert: Option<String>,
    },
}

impl Intent {
    /// Whether acting changes anything: such an intent always needs confirmation.
    pub fn mutates(&self) -> bool {
        !matches!(
            self,
            Self::Logs { .. } | Self::Status { .. } | Self::Doctor { .. }
        )
    }

    /// Whether the user must confirm before it runs.
    pub fn needs_confirmation(&self) -> bool {
        self.mutates()
    }

    /// The sentence shown before acting, in the phrase's language.
    pub fn reading(&self, lang: Lang) -> String {
        let what = match lang {
            Lang::English => self.english(),
            Lang::Chinese => self.chinese(),
        };
        match (lang, self.mutates()) {
            (Lang::English, true) => format!("I understood: {what} — confirm?"),
            (Lang::English, false) => format!("I understood: {what}"),
            (Lang::Chinese, true) => format!("我理解为：{what} — 确认吗？"),
            (Lang::Chinese, false) => format!("我理解为：{what}"),
        }
    }

    /// A short stable spelling, e.g. `restart api if-crash-loop`, `logs worker level=error
    /// since=10m`: what the phrase set's expectations are written in.
    pub fn canonical(&self) -> String {
        let svc = |s: &Option<String>| s.clone().unwrap_or_else(|| "all".into());
        match self {
            Self::Start { service } => format!("start {}", svc(service)),
            Self::Stop { service } => format!("stop {}", svc(service)),
            Self::Restart {
                service,
                if_crash_loop,
            } => {
                let cond = if *if_crash_loop { " if-crash-loop" } else { "" };
                format!("restart {}{cond}", svc(service))
            }
            Self::Logs {
                service,
                level,
                since_secs,
                pattern,
            } => {
                let mut s = format!("logs {}", svc(service));
                if let Some(l) = level {
                    s += &format!(" level={l}");
                }
                if let Some(secs) = since_secs {
                    s += &format!(" since={}", duration::short(*secs));
                }
                if let Some(p) = pattern {
                    s += &format!(" pattern={p}");
                }
                s
            }
            Self::Silence { matchers, for_secs } => {
                format!(
                    "silence {} for={}",
                    matchers.join(","),
                    duration::short(*for_secs)
                )
            }
            Self::Rollback { service } => format!("rollback {service}"),
            Self::Deploy { service } => format!("deploy {service}"),
            Self::SwitchEnvironment { environment } => format!("switch {environment}"),
            Self::Status { service } => format!("status {}", svc(service)),
            Self::Doctor { service } => format!("doctor {}", svc(service)),
            Self::Ack { alert } => format!("ack {}", alert.as_deref().unwrap_or("?")),
        }
    }

    fn english(&self) -> String {
        let svc = |s: &Option<String>| match s {
            Some(s) => format!("service {s}"),
            None => "every service".into(),
        };
        match self {
            Self::Start { service } => format!("start {}", svc(service)),
            Self::Stop { service } => format!("stop {}", svc(service)),
            Self::Restart {
                service,
                if_crash_loop: false,
            } => format!("restart {}", svc(service)),
            Self::Restart {
                service,
                if_crash_loop: true,
            } => {
                format!("restart {} if it is crash-looping", svc(service))
            }
            Self::Logs {
                service,
                level,
                since_secs,
                pattern,
            } => {
                let mut s = format!(
                    "show {} logs of {}",
                    level.as_deref().unwrap_or("all"),
                    svc(service)
                );
                if let Some(secs) = since_secs {
                    s += &format!(" from the last {}", duration::short(*secs));
                }
                if let Some(p) = pattern {
                    s += &format!(" matching \"{p}\"");
                }
                s
            }
            Self::Silence { matchers, for_secs } => {
                format!(
                    "silence alerts matching {} for {}",
                    matchers.join(" "),
                    duration::short(*for_secs)
                )
            }
            Self::Rollback { service } => format!("roll back service {service}"),
            Self::Deploy { service } => format!("deploy service {service}"),
            Self::SwitchEnvironment { environment } => {
                format!("switch to environment {environment}")
            }
            Self::Status { service } => format!("show the status of {}", svc(service)),
            Self::Doctor { service } => format!("diagnose {}", svc(service)),
            Self::Ack { alert } => format!(
                "acknowledge alert {}",
                alert.as_deref().unwrap_or("(which?)")
            ),
        }
    }

    fn chinese(&self) -> String {
        let svc = |s: &Option<String>| match s {
            Some(s) => format!("服务 {s}"),
            None => "所有服务".into(),
        };
        match self {
            Self::Start { service } => format!("启动{}", svc(service)),
            Self::Stop { service } => format!("停止{}", svc(service)),
            Self::Restart {
                service,
                if_crash_loop: false,
            } => format!("重启{}", svc(service)),
            Self::Restart {
                service,
                if_crash_loop: true,
            } => format!("若{}反复崩溃则重启", svc(service)),
            Self::Logs {
                service,
                level,
                since_secs,
                pattern,
            } => {
                let mut s = format!(
                    "查看{}的{}日志",
                    svc(service),
                    level.as_deref().unwrap_or("")
                );
                if let Some(secs) = since_secs {
                    s += &format!("（最近 {}）", duration::short(*secs));
                }
                if let Some(p) = pattern {
                    s += &format!("，包含“{p}”");
                }
                s
            }
            Self::Silence { matchers, for_secs } => {
                format!(
                    "静默匹配 {} 的告警 {}",
                    matchers.join(" "),
                    duration::short(*for_secs)
                )
            }
            Self::Rollback { service } => format!("回滚服务 {service}"),
            Self::Deploy { service } => format!("部署服务 {service}"),
            Self::SwitchEnvironment { environment } => format!("切换到环境 {environment}"),
            Self::Status { service } => format!("查看{}的状态", svc(service)),
            Self::Doctor { service } => format!("诊断{}", svc(service)),
            Self::Ack { alert } => {
                format!("确认告警 {}", alert.as_deref().unwrap_or("（哪一条？）"))
            }
        }
    }
}
