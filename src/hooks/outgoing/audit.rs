//! Audit records to the subscriptions that want `audit.record`: each record of this
//! workspace — from its `audit.jsonl` and from `uc serve`'s — becomes one delivery in the
//! webhooks outbox, so a receiver that is down gets it once it is back. A webhook gets the
//! usual signed `{type, timestamp, workspace, data}`; a `loki` subscription a push in Loki's
//! format, labelled workspace, actor and action.
//!
//! Where the files were read up to is kept in `audit-shipped.json` beside the outbox,
//! written after the records are queued: after a crash in between they are read again, and
//! the outbox drops them, as a delivery's id is the record's own hash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::alerts::AlertState;
use crate::alerts::route::Notification;
use crate::config::webhooks::{OutgoingFormat, Subscription};
use crate::store::AuditRecord;
use crate::store::audit::chain;

pub const KIND: &str = "audit.record";

/// Credentials a record could carry in a name or a reason: `uc serve` tokens, Standard
/// Webhooks secrets, bearer values.
static CREDENTIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"uc_[0-9a-fA-F]{16,}|whsec_[A-Za-z0-9+/=]+|(?i:bearer)\s+\S+")
        .unwrap_or_else(|e| unreachable!("a literal pattern: {e}"))
});

pub struct AuditFeed {
    workspace: String,
    /// `uc serve`'s file, then the workspace's.
    files: Vec<PathBuf>,
    cursor: PathBuf,
    /// File → bytes read.
    offsets: BTreeMap<String, u64>,
}

impl AuditFeed {
    pub fn open(audit_log: &Path, workspace: &str) -> Self {
        let dir = audit_log.parent().unwrap_or(Path::new("."));
        let serve = dir
            .parent()
            .map(|base| base.join(".serve").join("audit.jsonl"));
        let cursor = dir.join("audit-shipped.json");
        let offsets = std::fs::read(&cursor)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self {
            workspace: workspace.to_owned(),
            files: serve.into_iter().chain([audit_log.to_path_buf()]).collect(),
            cursor,
            offsets,
        }
    }

    /// This workspace's records written since the last read, by time, credentials masked,
    /// each with its line's hash.
    pub fn read_new(&mut self) -> Vec<(AuditRecord, String)> {
        let mut found = Vec::new();
        for file in &self.files {
            let key = file.display().to_string();
            let len = std::fs::metadata(file).map_or(0, |m| m.len());
            let offset = self.offsets.get(&key).copied().unwrap_or(0);
            // A file shorter than what was read is a new file: read it whole.
            let offset = if len < offset { 0 } else { offset };
            match chain::read_from(file, offset) {
                Ok((records, end)) => {
                    found.extend(records);
                    self.offsets.insert(key, end);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("cannot read {} to ship it: {e}", file.display()),
            }
        }
        found.retain(|(r, _)| r.workspace.as_deref() == Some(self.workspace.as_str()));
        found.sort_by_key(|(r, _)| r.at_ms());
        found
            .into_iter()
            .map(|(r, hash)| (masked(r), hash))
            .collect()
    }

    /// Remembers what was read, once it is queued.
    pub fn commit(&self) {
        let written = serde_json::to_vec(&self.offsets)
            .map_err(std::io::Error::other)
            .and_then(|bytes| crate::paths::write_private(&self.cursor, &bytes));
        if let Err(e) = written {
            tracing::warn!("cannot write {}: {e}", self.cursor.display());
        }
    }
}

fn masked(mut record: AuditRecord) -> AuditRecord {
    for text in [&mut record.target, &mut record.reason]
        .into_iter()
        .flatten()
    {
        *text = CREDENTIAL.replace_all(text, "***").into_owned();
    }
    record.action = CREDENTIAL.replace_all(&record.action, "***").into_owned();
    record
}

/// One delivery of `record` to each subscription that wants audit records.
pub fn deliveries(
    subscriptions: &[Subscription],
    workspace: &str,
    record: &AuditRecord,
    hash: &str,
) -> Vec<Notification> {
    (subscriptions.iter())
        .filter(|s| s.wants(KIND))
        .map(|s| Notification {
            channel: s.name.clone(),
            group_key: KIND.to_owned(),
            group_labels: Default::default(),
            alerts: Vec::new(),
            // Read by alert senders only.
            status: AlertState::Firing,
            created_at: record.at_ms(),
            dedup_key: message_id(&s.name, hash),
            payload: Some(payload(s.format, workspace, record)),
        })
        .collect()
}

fn payload(format: OutgoingFormat, workspace: &str, record: &AuditRecord) -> String {
    let body = match format {
        OutgoingFormat::Standard => json!({
            "type": KIND,
            "timestamp": record.time,
            "workspace": workspace,
            "data": record,
        }),
        OutgoingFormat::Loki => {
            let line = serde_json::to_string(record).unwrap_or_default();
            let ns = u128::from(record.at_ms()) * 1_000_000;
            json!({"streams": [{
                "stream": {
                    "workspace": workspace,
                    "actor": record.actor,
                    "action": record.action,
                },
                "values": [[ns.to_string(), line]],
            }]})
        }
    };
    body.to_string()
}

/// `msg_<hex>` of the subscription and the record's hash: the same however often the
/// record is read.
fn message_id(subscription: &str, hash: &str) -> String {
    let mut digest = Sha256::new();
    for part in [subscription, KIND, hash] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    format!("msg_{}", &hex::encode(digest.finalize())[..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::webhooks::HookSecret;

    fn subscription(name: &str, format: OutgoingFormat) -> Subscription {
        Subscription {
            name: name.into(),
            url: "http://127.0.0.1:1/".into(),
            events: vec!["audit.*".into()],
            secret: HookSecret::new("whsec_a2V5"),
            format,
        }
    }

    #[test]
    fn loki_gets_a_stream_labelled_workspace_actor_action() {
        let mut record = AuditRecord::now("ops", "api", "POST /api/v1/commands stop", "ok");
        record.time = "2026-12-06T10:00:00.123Z".into();
        let sent = deliveries(
            &[subscription("loki", OutgoingFormat::Loki)],
            "shop",
            &record,
            "ab",
        );
        let body: serde_json::Value =
            serde_json::from_str(sent[0].payload.as_deref().unwrap()).unwrap();
        let stream = &body["streams"][0];
        assert_eq!(
            stream["stream"],
            json!({"workspace": "shop", "actor": "ops", "action": "POST /api/v1/commands stop"})
        );
        assert_eq!(stream["values"][0][0], "1796551200123000000");
        let line: AuditRecord =
            serde_json::from_str(stream["values"][0][1].as_str().unwrap()).unwrap();
        assert_eq!(line, record);
    }

    #[test]
    fn a_delivery_id_depends_on_the_record_not_on_when_it_was_read() {
        let record = AuditRecord::now("ops", "api", "x", "ok");
        let subs = [subscription("ci", OutgoingFormat::Standard)];
        let once = deliveries(&subs, "shop", &record, "h1");
        let again = deliveries(&subs, "shop", &record, "h1");
        assert_eq!(once[0].dedup_key, again[0].dedup_key);
        assert_ne!(
            once[0].dedup_key,
            deliveries(&subs, "shop", &record, "h2")[0].dedup_key
        );
    }

    #[test]
    fn credentials_are_masked() {
        let mut record = AuditRecord::now("ops", "api", "token create", "denied");
        let token = format!("uc_{}", "ab".repeat(32));
        record.target = Some(format!("name {token}"));
        record.reason = Some("Bearer s3cret and whsec_c2VjcmV0".into());
        let record = masked(record);
        assert_eq!(record.target.as_deref(), Some("name ***"));
        assert_eq!(record.reason.as_deref(), Some("*** and ***"));
    }
}
