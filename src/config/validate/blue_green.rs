//! `strategy: blue-green`: the proxy's ports checked (here and across services), and the
//! service split in its two colours — itself (blue) and `<name>-green` — each with its port
//! as `$PORT` and its own release link (`<dir>/blue`, `<dir>/green`) as its cwd.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde_saphyr::Spanned;

use super::super::schema::{DeploySpec, WorkspaceFile};
use super::super::{BlueGreen, Check, Probe, Service, Strategy};
use super::Checker;
use crate::deploy::model::Colour;

const DEFAULT_DRAIN: Duration = Duration::from_secs(30);
const PROXY_EXAMPLE: &str =
    "`proxy: { listen: 8080, ports: [8081, 8082] }`: the public port, then blue's and green's";

impl Checker<'_> {
    /// The proxy of a deploy whose strategy is `strategy` (`None`: already reported);
    /// `Some(None)` when it is not blue-green.
    pub(super) fn blue_green(
        &mut self,
        strategy: Option<Strategy>,
        spec: &Spanned<DeploySpec>,
    ) -> Option<Option<BlueGreen>> {
        let given = &spec.value;
        if strategy != Some(Strategy::BlueGreen) {
            let only = "only `strategy: blue-green` has a proxy";
            let hint = || Some("write `strategy: blue-green`, or remove it".to_owned());
            if let Some(proxy) = given.proxy.as_ref().filter(|_| strategy.is_some()) {
                self.report(&proxy.referenced, format!("`proxy`: {only}"), hint());
            }
            if let Some(drain) = given.drain.as_ref().filter(|_| strategy.is_some()) {
                self.report(&drain.referenced, format!("`drain`: {only}"), hint());
            }
            return Some(None);
        }
        let drain = self.positive(given.drain.as_ref(), DEFAULT_DRAIN);
        let Some(proxy) = &given.proxy else {
            let at = given
                .strategy
                .as_ref()
                .map_or(spec.referenced, |s| s.referenced);
            let message = "`strategy: blue-green` needs a `proxy`";
            self.report(&at, message, Some(PROXY_EXAMPLE.to_owned()));
            return None;
        };
        let listen = &proxy.value.listen;
        if listen.value == 0 {
            self.report(
                &listen.referenced,
                "`listen` must be a port from 1 to 65535",
                None,
            );
        }
        let ports = &proxy.value.ports;
        let [blue, green] = ports.value[..] else {
            let message = "`ports` must name two ports: blue's and green's";
            self.report(&ports.referenced, message, Some(PROXY_EXAMPLE.to_owned()));
            return None;
        };
        if blue == 0 || green == 0 {
            self.report(&ports.referenced, "a port is from 1 to 65535", None);
        }
        if blue == green || listen.value == blue || listen.value == green {
            let message = "`listen` and the two `ports` must be three different ports";
            self.report(&ports.referenced, message, Some(PROXY_EXAMPLE.to_owned()));
        }
        Some(Some(BlueGreen {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, listen.value)),
            ports: [blue, green],
            drain,
            colour: Colour::Blue,
        }))
    }

    /// Each blue-green service followed by its green sibling; no port is used by two
    /// proxies, and no service already has a sibling's name.
    pub(super) fn colours(&mut self, spec: &WorkspaceFile, services: Vec<Service>) -> Vec<Service> {
        let mut taken: HashMap<u16, String> = HashMap::new();
        let mut all = Vec::with_capacity(services.len());
        for service in services {
            let Some(bg) = (service.deploy.as_ref()).and_then(|d| d.blue_green.clone()) else {
                all.push(service);
                continue;
            };
            let proxy = (spec.services.iter())
                .find(|(name, _)| name.value == service.name)
                .and_then(|(_, s)| s.deploy.as_ref()?.value.proxy.as_ref())
                .map(|p| p.referenced);
            let mut own = vec![bg.listen.port(), bg.ports[0], bg.ports[1]];
            own.sort_unstable();
            own.dedup();
            for port in own {
                if let Some(other) = taken.insert(port, service.name.clone())
                    && let Some(at) = &proxy
                {
                    let message = format!("port {port} is already used by the proxy of `{other}`");
                    self.report(at, message, None);
                }
            }
            let sibling = format!("{}-green", service.name);
            let clash = spec.services.keys().find(|n| n.value == sibling);
            if let Some(name) = clash {
                let message = format!("`{sibling}` is the green colour of `{}`", service.name);
                let hint = Some(format!("rename the service `{sibling}`"));
                self.report(&name.referenced, message, hint);
            }
            all.push(colour(&service, &bg, Colour::Blue));
            all.push(colour(&service, &bg, Colour::Green));
        }
        all
    }
}

/// `service` as it runs in `colour`: its port, its release link, its checks on its port.
fn colour(service: &Service, bg: &BlueGreen, colour: Colour) -> Service {
    let port = bg.ports[colour.index()];
    let public = bg.listen.port();
    let mut this = service.clone();
    if colour == Colour::Green {
        this.name = format!("{}-green", service.name);
    }
    this.env.insert("PORT".to_owned(), port.to_string());
    this.ports = vec![port];
    let moved = |check: &Option<Check>| {
        check.clone().map(|c| Check {
            probe: on_port(&c.probe, public, port),
            ..c
        })
    };
    this.readiness = moved(&service.readiness);
    this.liveness = moved(&service.liveness);
    if let Some(deploy) = this.deploy.as_mut() {
        let current = deploy.dir.join("current");
        if let Ok(rest) = service.cwd.strip_prefix(&current) {
            this.cwd = deploy.dir.join(colour.as_str()).join(rest);
        }
        deploy.gate.probe = on_port(&deploy.gate.probe, public, port);
        deploy.blue_green = Some(BlueGreen {
            colour,
            ..bg.clone()
        });
    }
    this
}

/// A tcp or http check of the public port `from` asks the colour's port `to` instead: a
/// colour is checked on its own, never through the proxy.
fn on_port(probe: &Probe, from: u16, to: u16) -> Probe {
    let moved = |authority: &str| {
        let (host, port) = authority.rsplit_once(':')?;
        (port == from.to_string()).then(|| format!("{host}:{to}"))
    };
    match probe {
        Probe::Tcp(addr) => moved(addr).map_or_else(|| probe.clone(), Probe::Tcp),
        Probe::Http(http) => {
            let Some((scheme, rest)) = http.url.split_once("://") else {
                return probe.clone();
            };
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match moved(&rest[..end]) {
                Some(authority) => {
                    let mut http = http.clone();
                    http.url = format!("{scheme}://{authority}{}", &rest[end..]);
                    Probe::Http(http)
                }
                None => probe.clone(),
            }
        }
        Probe::Exec(_) | Probe::Process => probe.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HttpProbe;

    #[test]
    fn checks_of_the_public_port_ask_the_colour_port() {
        let http = |url: &str| {
            Probe::Http(HttpProbe {
                url: url.to_owned(),
                status: (200, 399),
                body: None,
            })
        };
        let moved = on_port(&http("http://127.0.0.1:8080/up?x=1"), 8080, 8082);
        assert_eq!(moved, http("http://127.0.0.1:8082/up?x=1"));
        let other = http("http://127.0.0.1:9000/up");
        assert_eq!(on_port(&other, 8080, 8082), other);
        let tcp = on_port(&Probe::Tcp("localhost:8080".into()), 8080, 8081);
        assert_eq!(tcp, Probe::Tcp("localhost:8081".into()));
    }
}
