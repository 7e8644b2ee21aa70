//! Ack, silence and expire, as the alerting worker answers them.

use super::worker::{Alerting, by_prefix};
use super::{Ack, Matcher, Silence};
use crate::clock::now_ms;
use crate::protocol::{Command, CommandError, Event, Reply, silence_duration};
use crate::store::journal::Entry;

impl Alerting {
    pub(super) fn on_command(&mut self, command: Command) -> Result<Reply, CommandError> {
        match command {
            Command::Ack { alert, by, comment } => self.ack(&alert, by, comment),
            Command::Silence {
                matchers,
                duration,
                by,
                comment,
            } => self.silence(&matchers, &duration, by, comment),
            Command::Expire { silence } => self.expire(&silence),
            _ => Err(CommandError::field("command", "not an alert command")),
        }
    }

    fn ack(
        &mut self,
        id: &str,
        by: String,
        comment: Option<String>,
    ) -> Result<Reply, CommandError> {
        let now = now_ms();
        let ack = Ack {
            by: by.clone(),
            at: now,
            comment,
        };
        let alert = self
            .evaluator
            .ack(id, ack)
            .map_err(|e| CommandError::field("alert", e.to_string()))?;
        self.record(Entry {
            at: now,
            kind: "ack".into(),
            alert: Some(alert.id.clone()),
            rule: Some(alert.rule.clone()),
            text: format!("{} acknowledged by {by}", alert.describe()),
        });
        self.notify_and_publish(now, true);
        Ok(Reply {
            message: format!("acknowledged {} ({})", alert.describe(), alert.id),
            services: Vec::new(),
            seq: 0,
        })
    }

    fn silence(
        &mut self,
        matchers: &[String],
        duration: &str,
        by: String,
        comment: Option<String>,
    ) -> Result<Reply, CommandError> {
        let matchers = matchers
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Matcher::parse(m).map_err(|e| CommandError::field(format!("matchers[{i}]"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let length = silence_duration(duration).map_err(|e| CommandError::field("for", e))?;
        let now = now_ms();
        let silence = Silence {
            id: format!("{:08x}", fastrand::u32(..)),
            matchers,
            starts_at: now,
            ends_at: now + length.as_millis() as u64,
            created_by: by.clone(),
            comment,
        };
        let what: Vec<String> = silence.matchers.iter().map(ToString::to_string).collect();
        let text = format!(
            "silence {} by {by}: {} for {duration}",
            silence.id,
            what.join(" ")
        );
        if let Some(journal) = &self.journal
            && let Err(e) = journal.save_silence(&silence)
        {
            return Err(CommandError::new(format!("cannot save the silence: {e}")));
        }
        self.record(Entry {
            at: now,
            kind: "silence".into(),
            alert: None,
            rule: None,
            text: text.clone(),
        });
        let muted = self
            .evaluator
            .alerts()
            .iter()
            .filter(|a| silence.matches(&a.labels))
            .count();
        let id = silence.id.clone();
        self.silences.push(silence);
        self.hub.publish(Event::Silences {
            silences: self.silences.clone(),
        });
        self.notify_and_publish(now, false);
        Ok(Reply {
            message: format!(
                "silenced {} for {duration} ({id}); mutes {muted} alert(s) now",
                what.join(" ")
            ),
            services: Vec::new(),
            seq: 0,
        })
    }

    fn expire(&mut self, id: &str) -> Result<Reply, CommandError> {
        let now = now_ms();
        let mut silence = by_prefix(self.silences.iter(), |s| s.id.as_str(), id)
            .map_err(|e| CommandError::field("silence", e))?
            .clone();
        silence.ends_at = now;
        if let Some(journal) = &self.journal
            && let Err(e) = journal.save_silence(&silence)
        {
            return Err(CommandError::new(format!("cannot save the silence: {e}")));
        }
        self.record(Entry {
            at: now,
            kind: "expire".into(),
            alert: None,
            rule: None,
            text: format!("silence {} expired", silence.id),
        });
        self.silences.retain(|s| s.id != silence.id);
        self.hub.publish(Event::Silences {
            silences: self.silences.clone(),
        });
        self.notify_and_publish(now, false);
        Ok(Reply {
            message: format!("expired silence {}", silence.id),
            services: Vec::new(),
            seq: 0,
        })
    }
}
