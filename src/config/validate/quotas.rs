//! `quotas:`: each limit parsed and checked, kept with its span for the refusals' message.

use serde_saphyr::Spanned;

use super::super::quotas::{Quota, Quotas};
use super::super::schema::QuotasSpec;
use super::super::values;
use super::Checker;

const NO_LIMIT: &str = "leave the key out for no limit";

impl Checker<'_> {
    pub(super) fn quotas(&mut self, spec: Option<&QuotasSpec>) -> Quotas {
        let Some(spec) = spec else {
            return Quotas::default();
        };
        Quotas {
            services: spec
                .services
                .as_ref()
                .and_then(|n| self.count(n, "services")),
            memory: spec.memory.as_ref().and_then(|s| self.bytes(s)),
            cpu: spec.cpu.as_ref().and_then(|c| self.cores(c)),
            log_retention: spec.log_retention.as_ref().and_then(|s| self.bytes(s)),
            requests_per_minute: (spec.requests_per_minute.as_ref())
                .and_then(|n| self.count(n, "requests a minute")),
        }
    }

    fn count(&mut self, n: &Spanned<u32>, what: &str) -> Option<Quota<u32>> {
        if n.value == 0 {
            let message = format!("a quota of 0 {what} allows nothing");
            self.report(&n.referenced, message, Some(NO_LIMIT.to_owned()));
            return None;
        }
        Some(Quota::read(n.value, n.referenced))
    }

    fn bytes(&mut self, size: &Spanned<String>) -> Option<Quota<u64>> {
        match values::size(&size.value) {
            Ok(bytes) => Some(Quota::read(bytes, size.referenced)),
            Err(rejected) => {
                self.reject(&size.referenced, rejected);
                None
            }
        }
    }

    fn cores(&mut self, cores: &Spanned<f64>) -> Option<Quota<f64>> {
        if !(cores.value.is_finite() && cores.value >= 0.01) {
            let message = format!("invalid cpu quota `{}`", cores.value);
            let hint = Some("write cores, e.g. `0.5` or `2`".to_owned());
            self.report(&cores.referenced, message, hint);
            return None;
        }
        Some(Quota::read(cores.value, cores.referenced))
    }
}
