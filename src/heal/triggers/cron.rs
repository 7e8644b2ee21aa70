//! `cron_restart`: a restart at each occurrence of a cron pattern, in local time.

use std::time::Duration;

use chrono::Local;
use tokio::sync::mpsc;

use super::{Fired, TriggerKind};

pub async fn run(service: String, pattern: String, fired: mpsc::UnboundedSender<Fired>) {
    let Ok(cron) = pattern.parse::<croner::Cron>() else {
        // Validation parsed the same pattern: this cannot fail for a loaded config.
        tracing::warn!(%service, %pattern, "invalid cron_restart pattern");
        return;
    };
    loop {
        let now = Local::now();
        let Ok(next) = cron.find_next_occurrence(&now, false) else {
            tracing::warn!(%service, %pattern, "cron_restart never occurs again");
            return;
        };
        let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
        tokio::time::sleep(wait).await;
        let reason = format!("cron_restart `{pattern}` at {}", next.format("%H:%M:%S"));
        let event = Fired {
            service: service.clone(),
            kind: TriggerKind::Cron,
            reason,
        };
        if fired.send(event).is_err() {
            return;
        }
        // An occurrence is at least a second away from the next: do not fire twice for one.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_six_field_pattern_fires_every_second() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run("api".into(), "* * * * * *".into(), tx));
        for _ in 0..2 {
            let fired = tokio::time::timeout(Duration::from_secs(4), rx.recv())
                .await
                .expect("fired in time")
                .expect("open");
            assert_eq!(fired.kind, TriggerKind::Cron);
            assert!(fired.reason.starts_with("cron_restart `* * * * * *` at "));
        }
        task.abort();
    }
}
