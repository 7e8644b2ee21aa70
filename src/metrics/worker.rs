//! The engine's metrics worker: a dedicated thread (sysinfo and SQLite are blocking) that
//! samples every interval, publishes the sample on the event bus, keeps the last minutes in
//! memory and appends to the history store.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::anomaly::Detectors;
use super::{Recent, Sample, Sampler};
use crate::clock::now_ms;
use crate::protocol::{Event, Hub, NoticeLevel};
use crate::store::History;

/// The last minutes of every series, shared between the worker and the API.
#[derive(Clone, Default)]
pub struct SharedRecent(Arc<Mutex<Recent>>);

impl SharedRecent {
    pub fn lock(&self) -> MutexGuard<'_, Recent> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Stops the worker when dropped.
pub struct MetricsWorker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    pub recent: SharedRecent,
}

impl MetricsWorker {
    /// `history`: the SQLite file to append to, if history is kept.
    pub fn spawn(hub: Hub, interval: Duration, history: Option<PathBuf>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let recent = SharedRecent::default();
        let thread = {
            let (stop, recent) = (stop.clone(), recent.clone());
            std::thread::Builder::new()
                .name("metrics".into())
                .spawn(move || {
                    let mut history = history.and_then(|path| Recorder::open(&hub, &path));
                    run(&hub, interval, &stop, &recent, &mut history);
                })?
        };
        Ok(Self {
            stop,
            thread: Some(thread),
            recent,
        })
    }
}

impl Drop for MetricsWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn run(
    hub: &Hub,
    interval: Duration,
    stop: &AtomicBool,
    recent: &SharedRecent,
    history: &mut Option<Recorder>,
) {
    let mut sampler = match Sampler::new() {
        Ok(sampler) => sampler,
        Err(e) => {
            hub.notice(
                NoticeLevel::Error,
                None,
                format!("metrics unavailable: {e}"),
            );
            return;
        }
    };
    let mut detectors = Detectors::default();
    let mut next = Instant::now() + interval;
    while !stop.load(Ordering::SeqCst) {
        // Parked rather than slept so a stop wakes the thread at once.
        let now = Instant::now();
        if now < next {
            std::thread::park_timeout(next - now);
            continue;
        }
        next += interval;
        if next < Instant::now() {
            // Fell behind (suspend, overload): skip missed ticks instead of bursting.
            next = Instant::now() + interval;
        }
        let mut sample = sampler.sample(&hub.running_services(), now_ms());
        sample.anomalies = detectors.observe(&sample);
        recent.lock().push(&sample);
        if let Some(recorder) = history.as_mut() {
            recorder.record(hub, &sample);
        }
        hub.publish(Event::Metrics(Box::new(sample)));
    }
}

/// Appends samples to the history store and runs its downsampling once a minute. Errors are
/// reported once each (a full disk should not flood the notices) and retried next tick.
struct Recorder {
    store: History,
    last_maintain: i64,
    last_error: Option<String>,
}

impl Recorder {
    fn open(hub: &Hub, path: &Path) -> Option<Self> {
        match History::open(path) {
            Ok(store) => Some(Self {
                store,
                last_maintain: 0,
                last_error: None,
            }),
            Err(e) => {
                hub.notice(NoticeLevel::Error, None, format!("metric history off: {e}"));
                None
            }
        }
    }

    fn record(&mut self, hub: &Hub, sample: &Sample) {
        let t = (sample.at / 1000) as i64;
        let mut result = self.store.write(t, &sample.points());
        if result.is_ok() {
            result = self.store.write_anomalies(sample.at, &sample.anomalies);
        }
        if result.is_ok() && t / 60 != self.last_maintain / 60 {
            self.last_maintain = t;
            result = self.store.maintain(t);
        }
        match result {
            Ok(()) => self.last_error = None,
            Err(e) => {
                let text = e.to_string();
                if self.last_error.as_ref() != Some(&text) {
                    hub.notice(NoticeLevel::Error, None, format!("metric history: {text}"));
                    self.last_error = Some(text);
                }
            }
        }
    }
}
