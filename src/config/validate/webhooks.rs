//! The `webhooks:` section: hook and subscription names, formats, URLs, event kinds, and
//! secrets that must come from a reference (a secret written in the file would be shown
//! with it).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_saphyr::Spanned;

use super::super::schema::{IncomingSpec, OutgoingSpec, WebhooksSpec};
use super::super::webhooks::{
    EVENT_KINDS, HookFormat, HookSecret, IncomingHook, OutgoingFormat, Subscription, Webhooks,
};
use super::super::{suggest, values};
use super::{Checker, NAME_RULE};

const SECRET_HINT: &str =
    "put it in the secrets file (configs/secrets.yaml) and write `${secret:NAME}`";

impl Checker<'_> {
    pub(super) fn webhooks(&mut self, spec: Option<&WebhooksSpec>) -> Webhooks {
        let Some(spec) = spec else {
            return Webhooks::default();
        };
        let incoming = (spec.incoming.iter())
            .map(|(name, hook)| self.incoming(name, hook))
            .collect();
        let outgoing = (spec.outgoing.iter())
            .map(|(name, sub)| self.outgoing(name, sub))
            .collect();
        Webhooks { incoming, outgoing }
    }

    fn incoming(&mut self, name: &Spanned<String>, spec: &IncomingSpec) -> IncomingHook {
        self.hook_name(name);
        if name.value == "deliveries" {
            let message = "the hook name `deliveries` is taken by `GET /api/v1/hooks/deliveries`";
            self.report(
                &name.referenced,
                message,
                Some("choose another name".to_owned()),
            );
        }
        let format = match &spec.format {
            None => HookFormat::GitHub,
            Some(format) => match HookFormat::ALL.iter().find(|(n, _)| *n == format.value) {
                Some((_, f)) => *f,
                None => {
                    let message = format!("unknown hook format `{}`", format.value);
                    let hint = Some("write `github` or `standard`".to_owned());
                    self.report(&format.referenced, message, hint);
                    HookFormat::GitHub
                }
            },
        };
        let path = format!("webhooks.incoming.{}.secret", name.value);
        let secret = self.hook_secret(&path, &spec.secret);
        if format == HookFormat::Standard {
            self.whsec(&spec.secret, &secret);
        }
        IncomingHook {
            name: name.value.clone(),
            format,
            secret,
        }
    }

    fn outgoing(&mut self, name: &Spanned<String>, spec: &OutgoingSpec) -> Subscription {
        self.hook_name(name);
        let url = &spec.url;
        let scheme_ok = ["http://", "https://"].iter().any(|s| {
            url.value
                .strip_prefix(s)
                .is_some_and(|rest| !rest.is_empty())
        });
        if !scheme_ok {
            let message = format!("invalid webhook URL `{}`", url.value);
            let hint = Some("write a URL like `https://ci.example/hooks/uc`".to_owned());
            self.report(&url.referenced, message, hint);
        }
        if spec.events.is_empty() {
            let message = format!("subscription `{}` names no events", name.value);
            let hint = Some(format!("name some of: {}", EVENT_KINDS.join(", ")));
            self.report(&name.referenced, message, hint);
        }
        for event in &spec.events {
            self.event_kind(event);
        }
        let path = format!("webhooks.outgoing.{}.secret", name.value);
        let secret = self.hook_secret(&path, &spec.secret);
        self.whsec(&spec.secret, &secret);
        let format = self.outgoing_format(spec);
        Subscription {
            name: name.value.clone(),
            url: url.value.clone(),
            events: spec.events.iter().map(|e| e.value.clone()).collect(),
            secret,
            format,
        }
    }

    /// Loki takes log lines: only audit records fit it.
    fn outgoing_format(&mut self, spec: &OutgoingSpec) -> OutgoingFormat {
        let Some(written) = &spec.format else {
            return OutgoingFormat::Standard;
        };
        let Some((_, format)) = OutgoingFormat::ALL
            .iter()
            .find(|(n, _)| *n == written.value)
        else {
            let message = format!("unknown delivery format `{}`", written.value);
            let hint = Some("write `standard` or `loki`".to_owned());
            self.report(&written.referenced, message, hint);
            return OutgoingFormat::Standard;
        };
        if *format == OutgoingFormat::Loki {
            for event in spec
                .events
                .iter()
                .filter(|e| !e.value.starts_with("audit."))
            {
                let message = format!(
                    "a `loki` subscription ships audit records, not `{}`",
                    event.value
                );
                let hint = Some("write `events: [audit.record]`".to_owned());
                self.report(&event.referenced, message, hint);
            }
        }
        *format
    }

    /// Standard Webhooks secrets are `whsec_` and the base64 of the key.
    fn whsec(&mut self, written: &Spanned<String>, secret: &HookSecret) {
        let key = secret.expose().strip_prefix("whsec_");
        if !secret.expose().is_empty() && key.is_none_or(|k| STANDARD.decode(k).is_err()) {
            let message = "the secret is not a Standard Webhooks secret".to_owned();
            let hint = Some("it is `whsec_` followed by base64 of the key".to_owned());
            self.report(&written.referenced, message, hint);
        }
    }

    fn hook_name(&mut self, name: &Spanned<String>) {
        if !values::is_name(&name.value) {
            let message = format!("invalid webhook name `{}`", name.value);
            self.report(&name.referenced, message, Some(NAME_RULE.to_owned()));
        }
    }

    fn event_kind(&mut self, event: &Spanned<String>) {
        let kind = &event.value;
        let known = match kind.strip_suffix(".*") {
            Some(family) => EVENT_KINDS
                .iter()
                .any(|k| k.split('.').next() == Some(family)),
            None => EVENT_KINDS.contains(&kind.as_str()),
        };
        if !known {
            let hint = match suggest(kind, EVENT_KINDS.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("one of: {}", EVENT_KINDS.join(", ")),
            };
            self.report(
                &event.referenced,
                format!("unknown event `{kind}`"),
                Some(hint),
            );
        }
    }

    /// The value, which must come from a secret (the secrets file, an env file or the
    /// environment): the effective config shows it as its reference.
    fn hook_secret(&mut self, path: &str, value: &Spanned<String>) -> HookSecret {
        let from_secret = self.bindings.get(path).is_some_and(|b| b.secret);
        if value.value.is_empty() {
            self.report(
                &value.referenced,
                "the secret is empty",
                Some(SECRET_HINT.to_owned()),
            );
        } else if !from_secret {
            let message = "a webhook secret must not be written in the file";
            self.report(&value.referenced, message, Some(SECRET_HINT.to_owned()));
        }
        HookSecret::new(value.value.clone())
    }
}
