//! A workspace's quotas as validated: each limit with the place it was written, so a
//! refusal can point at the line to raise (`quotas.services in univers.yaml:12:3`).

use serde_saphyr::Location;

use super::tree::Origin;

/// What one workspace may use; `None` is no limit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Quotas {
    /// Services running at once.
    pub services: Option<Quota<u32>>,
    /// Bytes of resident memory of every service together.
    pub memory: Option<Quota<u64>>,
    /// Cores busy with the services together.
    pub cpu: Option<Quota<f64>>,
    /// Bytes of stored logs, every source together.
    pub log_retention: Option<Quota<u64>>,
    /// API calls a minute from clients other than the local CLI and TUI.
    pub requests_per_minute: Option<Quota<u32>>,
}

/// One limit and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota<T> {
    pub limit: T,
    /// `univers.yaml:12:3`, or the file alone when the limit was not read from a file.
    pub at: String,
    span: Location,
    origin: Option<Origin>,
}

impl<T> Quota<T> {
    /// A limit set in code (tests, importers): placed at the workspace file.
    pub fn new(limit: T) -> Self {
        Self::read(limit, Location::UNKNOWN)
    }

    pub(crate) fn read(limit: T, span: Location) -> Self {
        Self {
            limit,
            at: super::WORKSPACE_FILE.to_owned(),
            span,
            origin: None,
        }
    }
}

/// A limit as a number, to show and compare with usage alike.
pub trait Amount: Copy {
    fn amount(self) -> f64;
}

impl Amount for u32 {
    fn amount(self) -> f64 {
        f64::from(self)
    }
}

impl Amount for u64 {
    fn amount(self) -> f64 {
        self as f64
    }
}

impl Amount for f64 {
    fn amount(self) -> f64 {
        self
    }
}

impl<T: Amount> Quota<T> {
    pub fn amount(&self) -> f64 {
        self.limit.amount()
    }
}

impl Quotas {
    pub fn is_empty(&self) -> bool {
        self.services.is_none()
            && self.memory.is_none()
            && self.cpu.is_none()
            && self.log_retention.is_none()
            && self.requests_per_minute.is_none()
    }

    /// Each limit's node in the checked tree, from the span validation saw.
    pub(crate) fn locate(&mut self, origin_of: impl Fn(&Location) -> Option<Origin>) {
        self.for_each(|span, origin, _| *origin = origin_of(span));
    }

    /// Each limit's `at`, from its node's file (`name_of` its index) and position.
    pub(crate) fn name_places(&mut self, name_of: impl Fn(usize) -> String) {
        self.for_each(|_, origin, at| {
            if let Some(o) = origin {
                *at = format!("{}:{}:{}", name_of(o.file), o.line, o.column);
            }
        });
    }

    fn for_each(&mut self, mut f: impl FnMut(&Location, &mut Option<Origin>, &mut String)) {
        macro_rules! each {
            ($($field:ident),*) => {$(
                if let Some(q) = &mut self.$field {
                    f(&q.span, &mut q.origin, &mut q.at);
                }
            )*};
        }
        each!(services, memory, cpu, log_retention, requests_per_minute);
    }
}
