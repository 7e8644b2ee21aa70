//! Which alerts become which notifications, and when: routing through the tree of
//! `channels.yaml`, grouping, and the group timers (Alertmanager's semantics, with faster
//! defaults). Pure: the clock is passed in, and the engine calls [`Router::update`] on every
//! evaluation tick with every current alert.
//!
//! Alertmanager channels are different: they get what Prometheus sends (every active alert,
//! on every change and every minute) and group by themselves.

mod forward;
mod group;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use self::forward::Forward;
use self::group::Group;
use super::channels::{ChannelKind, ChannelsConfig, Route, Timing};
use super::{Alert, AlertState, Labels};

/// What one channel is told at once: a group's alerts, or (Alertmanager) every active alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub channel: String,
    /// `slack/0.1:{alertname="HighCpu",service="api"}`: channel, route, group labels.
    pub group_key: String,
    pub group_labels: Labels,
    /// Firing alerts first, then resolved ones.
    pub alerts: Vec<Alert>,
    /// Firing if any alert is firing, else resolved.
    pub status: AlertState,
    /// Unix ms.
    pub created_at: u64,
    /// The same for the same notification computed again (after an engine restart the
    /// alerts have the same ids and start times), so the outbox sends it once.
    pub dedup_key: String,
    /// The body as it is sent, for a delivery of an outgoing webhook subscription (a
    /// `Target::Signed` channel, which has no alerts); `None` for alert notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

impl Notification {
    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.state == AlertState::Firing)
    }

    pub fn resolved(&self) -> impl Iterator<Item = &Alert> {
        self.alerts
            .iter()
            .filter(|a| a.state == AlertState::Resolved)
    }
}

/// Group identity: alerts with the same key are notified together.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct GroupKey {
    pub channel: String,
    /// The route's id (`0.1`), or `rule` for a rule's own channels.
    pub route: String,
    pub labels: Labels,
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{{", self.channel, self.route)?;
        for (i, (name, value)) in self.labels.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            write!(f, "{comma}{name}={value:?}")?;
        }
        f.write_str("}")
    }
}

/// Routing-tree id of the groups made for a rule's own `channels`.
const RULE_ROUTE: &str = "rule";

pub struct Router {
    route: Route,
    /// Channels of type alertmanager: forwarded to, not grouped.
    forwarded: BTreeSet<String>,
    groups: BTreeMap<GroupKey, Group>,
    forwards: BTreeMap<String, Forward>,
}

/// Where one alert goes for one channel.
struct Placement<'a> {
    channel: &'a str,
    route: &'a str,
    group_by: &'a [String],
    timing: Timing,
}

impl Router {
    pub fn new(config: &ChannelsConfig) -> Self {
        let mut router = Self {
            route: Route::default(),
            forwarded: BTreeSet::new(),
            groups: BTreeMap::new(),
            forwards: BTreeMap::new(),
        };
        router.set_config(config);
        router
    }

    /// A reloaded `channels.yaml`. Groups keep their timers and what they told; groups
    /// that no longer get alerts fade out as if their alerts had gone.
    pub fn set_config(&mut self, config: &ChannelsConfig) {
        self.route = config.route.clone();
        self.forwarded = config
            .channels
            .iter()
            .filter(|c| c.kind == ChannelKind::Alertmanager)
            .map(|c| c.name.clone())
            .collect();
    }

    /// One evaluation tick: `alerts` are all current alerts (pending ones are ignored);
    /// `rule_channels` gives a rule's own `channels` (empty: use the tree). Returns what is
    /// due now.
    pub fn update(
        &mut self,
        now_ms: u64,
        alerts: &[Alert],
        rule_channels: &dyn Fn(&str) -> Vec<String>,
    ) -> Vec<Notification> {
        let mut grouped: BTreeMap<GroupKey, (Timing, Vec<&Alert>)> = BTreeMap::new();
        let mut forwarded: BTreeMap<String, Vec<&Alert>> = BTreeMap::new();
        let notifiable = alerts
            .iter()
            .filter(|a| a.state != AlertState::Pending && a.silenced_by.is_none());
        for alert in notifiable {
            let own = rule_channels(&alert.rule);
            for place in self.placements(alert, &own) {
                if self.forwarded.contains(place.channel) {
                    let list = forwarded.entry(place.channel.to_owned()).or_default();
                    if !list.iter().any(|a| a.id == alert.id) {
                        list.push(alert);
                    }
                    continue;
                }
                let key = GroupKey {
                    channel: place.channel.to_owned(),
                    route: place.route.to_owned(),
                    labels: group_labels(&alert.labels, place.group_by),
                };
                let entry = grouped.entry(key).or_insert((place.timing, Vec::new()));
                entry.1.push(alert);
            }
        }
        let mut out = self.update_groups(now_ms, grouped);
        out.extend(self.update_forwards(now_ms, forwarded));
        out
    }

    /// Every (channel, route) that takes the alert; a channel named twice counts once.
    fn placements<'a>(&'a self, alert: &Alert, own: &'a [String]) -> Vec<Placement<'a>> {
        let mut places: Vec<Placement<'a>> = Vec::new();
        let mut add = |place: Placement<'a>| {
            let seen = places
                .iter()
                .any(|p| p.channel == place.channel && p.route == place.route);
            if !seen {
                places.push(place);
            }
        };
        if !own.is_empty() {
            for channel in own {
                add(Placement {
                    channel,
                    route: RULE_ROUTE,
                    group_by: &self.route.group_by,
                    timing: self.route.timing,
                });
            }
            return places;
        }
        for route in self.route.matching(&alert.labels) {
            for channel in &route.channels {
                add(Placement {
                    channel,
                    route: &route.id,
                    group_by: &route.group_by,
                    timing: route.timing,
                });
            }
        }
        places
    }

    fn update_groups(
        &mut self,
        now_ms: u64,
        grouped: BTreeMap<GroupKey, (Timing, Vec<&Alert>)>,
    ) -> Vec<Notification> {
        for (key, group) in &mut self.groups {
            if !grouped.contains_key(key) {
                // Its alerts went away (expired, or now routed elsewhere).
                group.observe(now_ms, &[]);
            }
        }
        for (key, (timing, alerts)) in grouped {
            let group = self
                .groups
                .entry(key.clone())
                .or_insert_with(|| Group::new(key));
            group.timing = timing;
            group.observe(now_ms, &alerts);
        }
        self.groups.retain(|_, g| !g.is_empty());
        self.groups
            .values_mut()
            .filter_map(|g| g.flush(now_ms))
            .collect()
    }

    fn update_forwards(
        &mut self,
        now_ms: u64,
        mut forwarded: BTreeMap<String, Vec<&Alert>>,
    ) -> Vec<Notification> {
        let channels: BTreeSet<String> = self
            .forwards
            .keys()
            .chain(forwarded.keys())
            .cloned()
            .collect();
        let mut out = Vec::new();
        for channel in channels {
            let alerts = forwarded.remove(&channel).unwrap_or_default();
            let forward = self.forwards.entry(channel.clone()).or_default();
            out.extend(forward.update(now_ms, &channel, &alerts));
        }
        self.forwards.retain(|_, f| f.is_active());
        out
    }
}

/// The values of the `group_by` labels the alert has (`...`: all of them).
fn group_labels(labels: &Labels, group_by: &[String]) -> Labels {
    if group_by.iter().any(|l| l == "...") {
        return labels.clone();
    }
    group_by
        .iter()
        .filter_map(|name| labels.get(name).map(|v| (name.clone(), v.clone())))
        .collect()
}

/// When an alert's current state began: `fired_at` while firing, `resolved_at` once
/// resolved. Restored alerts keep both, so keys built from them survive a restart.
pub(crate) fn episode_start(alert: &Alert) -> u64 {
    let fired = alert.fired_at.unwrap_or(alert.active_since);
    match alert.state {
        AlertState::Resolved => alert.resolved_at.unwrap_or(fired),
        AlertState::Firing | AlertState::Pending => fired,
    }
}

/// Digest of the channel, each alert's (id, state, episode start) and a last part (the
/// repeat number for groups), as 32 hex digits.
pub(crate) fn dedup_key(channel: &str, alerts: &[Alert], last: &str) -> String {
    let mut entries: Vec<(&str, &str, u64)> = alerts
        .iter()
        .map(|a| (a.id.as_str(), a.state.as_str(), episode_start(a)))
        .collect();
    entries.sort_unstable();
    let mut hash = Sha256::new();
    hash.update(channel.as_bytes());
    for (id, state, start) in entries {
        hash.update(format!("\n{id} {state} {start}").as_bytes());
    }
    hash.update(format!("\n{last}").as_bytes());
    let digest = hex::encode(hash.finalize());
    digest[..32].to_owned()
}

#[cfg(test)]
mod tests;
