//! The probes rules ask for (`port_open(5432)`, `http_ok(url)`): one task per distinct probe,
//! each checking once a second with the health checks' own TCP and HTTP checks
//! (`heal::probe`), so evaluation only reads the latest result and never waits on the
//! network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::ProbeTarget;
use crate::config::HttpProbe;
use crate::heal::probe;
use crate::protocol::ServiceStatus;

const EVERY: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

type Results = Arc<Mutex<HashMap<ProbeTarget, bool>>>;

/// What the rules probe: their own `port_open` / `http_ok`, and, when one reads
/// `service_port_open`, the ports every service declares (a stopped one's too, so its
/// alert has a reading the moment it runs).
#[derive(Debug, Default)]
pub struct Wanted {
    pub rules: Vec<ProbeTarget>,
    pub declared_ports: bool,
}

/// The running probes and their latest results.
#[derive(Default)]
pub struct Probes {
    results: Results,
    tasks: HashMap<ProbeTarget, JoinHandle<()>>,
}

impl Probes {
    /// Run exactly `probes`: stop the ones no rule needs any more, start the new ones.
    pub fn set(&mut self, probes: &[ProbeTarget]) {
        self.tasks.retain(|probe, task| {
            let keep = probes.contains(probe);
            if !keep {
                task.abort();
            }
            keep
        });
        lock(&self.results).retain(|probe, _| probes.contains(probe));
        for probe in probes {
            if !self.tasks.contains_key(probe) {
                let task = tokio::spawn(run(probe.clone(), self.results.clone()));
                self.tasks.insert(probe.clone(), task);
            }
        }
    }

    /// Run what `wanted` asks for with these services.
    pub fn set_for(&mut self, wanted: &Wanted, services: &[ServiceStatus]) {
        let mut probes = wanted.rules.clone();
        if wanted.declared_ports {
            for probe in services.iter().flat_map(ProbeTarget::declared_ports) {
                if !probes.contains(&probe) {
                    probes.push(probe);
                }
            }
        }
        self.set(&probes);
    }

    /// The latest results; `None` for a probe that has not answered yet.
    pub fn results(&self) -> HashMap<ProbeTarget, bool> {
        lock(&self.results).clone()
    }
}

impl Drop for Probes {
    fn drop(&mut self) {
        for task in self.tasks.values() {
            task.abort();
        }
    }
}

fn lock(results: &Results) -> MutexGuard<'_, HashMap<ProbeTarget, bool>> {
    results.lock().unwrap_or_else(|p| p.into_inner())
}

async fn run(probe: ProbeTarget, results: Results) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let ok = check(&probe).await;
        lock(&results).insert(probe.clone(), ok);
    }
}

/// One check: a TCP connect within a second, or a GET that answers 2xx within the rule's
/// timeout (a redirect is not followed, so it is not 2xx).
pub async fn check(target: &ProbeTarget) -> bool {
    match target {
        ProbeTarget::Port { .. } => probe::tcp(&target.to_string(), CONNECT_TIMEOUT)
            .await
            .is_ok(),
        ProbeTarget::Http { url, timeout } => {
            let get = HttpProbe {
                url: url.clone(),
                status: (200, 299),
                body: None,
            };
            probe::http(&get, *timeout).await.is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ports_and_http_answer_only_when_served() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = ProbeTarget::Port {
            host: "127.0.0.1".into(),
            port,
        };
        assert!(check(&open).await);
        let app = axum::Router::new()
            .route("/ok", axum::routing::get(|| async { "ok" }))
            .route(
                "/fail",
                axum::routing::get(|| async { axum::http::StatusCode::INTERNAL_SERVER_ERROR }),
            )
            .route(
                "/moved",
                axum::routing::get(|| async { axum::response::Redirect::temporary("/ok") }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let http = |path: &str| ProbeTarget::Http {
            url: format!("http://127.0.0.1:{port}{path}"),
            timeout: Duration::from_secs(2),
        };
        assert!(check(&http("/ok")).await);
        assert!(!check(&http("/fail")).await);
        assert!(!check(&http("/moved")).await);

        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let closed = ProbeTarget::Port {
            host: "127.0.0.1".into(),
            port: closed_port,
        };
        assert!(!check(&closed).await);
    }

    #[tokio::test]
    async fn set_runs_exactly_the_asked_probes() {
        let mut probes = Probes::default();
        let a = ProbeTarget::Port {
            host: "127.0.0.1".into(),
            port: 1,
        };
        probes.set(std::slice::from_ref(&a));
        for _ in 0..50 {
            if probes.results().contains_key(&a) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(probes.results().get(&a), Some(&false));
        probes.set(&[]);
        assert!(probes.results().is_empty());
        assert!(probes.tasks.is_empty());
    }
}
