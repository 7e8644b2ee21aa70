use super::*;

/// Deterministic noise: xorshift, summed uniforms (roughly normal, sd 1).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        let mut sum = 0.0;
        for _ in 0..12 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            sum += (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        }
        sum - 6.0
    }
}

const T0: f64 = 1_700_000_000.0;

/// Feeds `n` samples at 1 s from `start`, returning the flags raised.
fn feed(
    detector: &mut Detector,
    start: u32,
    n: u32,
    mut value: impl FnMut(u32) -> f64,
) -> Vec<(u32, Flag)> {
    (start..start + n)
        .filter_map(|i| {
            detector
                .observe(T0 + f64::from(i), value(i))
                .map(|flag| (i, flag))
        })
        .collect()
}

/// An hour of quiet noise around 50 (sd 1).
fn warmed(noise: &mut Noise) -> Detector {
    let mut detector = Detector::new();
    let flags = feed(&mut detector, 0, 3600, |_| 50.0 + noise.next());
    assert!(flags.is_empty(), "quiet hour flagged: {flags:?}");
    detector
}

#[test]
fn a_step_is_flagged_after_the_debounce_and_dated_from_its_start() {
    let mut noise = Noise(7);
    let mut detector = warmed(&mut noise);
    let flags = feed(&mut detector, 3600, 60, |_| 70.0 + noise.next());
    let (first, flag) = flags.first().expect("step flagged");
    assert_eq!(*first, 3600 + DEBOUNCE - 1);
    assert_eq!(flag.since, T0 + 3600.0);
    assert!(flag.score > THRESHOLD);
}

#[test]
fn a_spike_of_a_few_samples_is_flagged_but_a_single_outlier_is_not() {
    let mut noise = Noise(11);
    let mut detector = warmed(&mut noise);
    let single = feed(&mut detector, 3600, 1, |_| 90.0);
    assert!(single.is_empty());
    feed(&mut detector, 3601, 60, |_| 50.0 + noise.next());
    let spike = feed(&mut detector, 3661, 5, |_| 90.0 + noise.next());
    assert_eq!(spike.first().map(|(i, _)| *i), Some(3661 + DEBOUNCE - 1));
    let after = feed(&mut detector, 3666, 60, |_| 50.0 + noise.next());
    assert!(after.is_empty(), "flags after the spike: {after:?}");
}

#[test]
fn a_fast_drift_is_flagged_within_a_minute() {
    let mut noise = Noise(13);
    let mut detector = warmed(&mut noise);
    // 0.5 sd per second: a leak, not a daily cycle.
    let flags = feed(&mut detector, 3600, 60, |i| {
        50.0 + 0.5 * f64::from(i - 3600) + noise.next()
    });
    let (first, _) = flags.first().expect("drift flagged");
    assert!(*first < 3600 + 60, "flagged at {first}");
}

#[test]
fn nothing_is_flagged_during_the_warm_up() {
    let mut detector = Detector::new();
    let flags = feed(&mut detector, 0, WARMUP, |i| f64::from(i % 7) * 1000.0);
    assert!(flags.is_empty());
}

#[test]
fn a_flat_series_moving_by_a_hair_is_not_anomalous() {
    let mut detector = Detector::new();
    feed(&mut detector, 0, 600, |_| 8e9);
    let flags = feed(&mut detector, 600, 60, |_| 8e9 + 4096.0);
    assert!(flags.is_empty(), "{flags:?}");
}

#[test]
fn a_daily_cycle_is_not_anomalous_on_the_second_day() {
    let mut noise = Noise(17);
    let mut detector = Detector::new();
    let day = 86_400;
    let cycle = |i: u32| 40.0 + 20.0 * (f64::from(i) * std::f64::consts::TAU / 86_400.0).sin();
    feed(&mut detector, 0, day, |i| cycle(i) + noise.next());
    let flags = feed(&mut detector, day, day, |i| cycle(i) + noise.next());
    assert!(flags.is_empty(), "{} flags on day two", flags.len());
}

#[test]
fn non_finite_values_are_ignored() {
    let mut noise = Noise(19);
    let mut detector = warmed(&mut noise);
    assert_eq!(detector.observe(T0 + 3600.0, f64::NAN), None);
    assert_eq!(detector.observe(T0 + 3601.0, f64::INFINITY), None);
    let flags = feed(&mut detector, 3602, 10, |_| 50.0 + noise.next());
    assert!(flags.is_empty());
}

fn sample(i: u32, api_cpu: f32, host_cpu: f32) -> Sample {
    use crate::metrics::{HostSample, ServiceSample};
    Sample {
        at: (T0 as u64 + u64::from(i)) * 1000,
        anomalies: Vec::new(),
        host: HostSample {
            cpu_pct: host_cpu,
            ..HostSample::default()
        },
        services: vec![ServiceSample {
            name: "api".into(),
            cpu_pct: api_cpu,
            ..ServiceSample::default()
        }],
    }
}

#[test]
fn every_series_of_a_sample_has_its_own_detector() {
    use crate::metrics::Metric;
    let mut noise = Noise(23);
    let mut detectors = Detectors::default();
    for i in 0..600 {
        let quiet = sample(i, 10.0 + noise.next() as f32, 30.0 + noise.next() as f32);
        assert!(detectors.observe(&quiet).is_empty());
    }
    let flagged: Vec<Anomaly> = (600..603)
        .flat_map(|i| detectors.observe(&sample(i, 60.0, 30.0 + noise.next() as f32)))
        .collect();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0].series, SeriesKey::new(Metric::ServiceCpu, "api"));
    assert_eq!(flagged[0].since, T0 + 600.0);
}

#[test]
fn a_series_gone_from_the_samples_drops_its_detector() {
    let mut detectors = Detectors::default();
    let with_api = sample(0, 10.0, 30.0);
    detectors.observe(&with_api);
    let both = detectors.0.len();
    let mut without_api = sample(1, 10.0, 30.0);
    without_api.services.clear();
    detectors.observe(&without_api);
    assert_eq!(detectors.0.len(), without_api.points().len());
    assert!(detectors.0.len() < both, "{both} detectors kept");
}

#[test]
fn a_series_that_moves_in_the_sample_keeps_its_detector() {
    use crate::metrics::{Metric, ServiceSample};
    let mut noise = Noise(29);
    let mut detectors = Detectors::default();
    for i in 0..600 {
        let quiet = sample(i, 10.0 + noise.next() as f32, 30.0 + noise.next() as f32);
        assert!(detectors.observe(&quiet).is_empty());
    }
    // A service started before api: api's series move down the sample.
    let mut with_web = |i: u32, api_cpu: f32| {
        let mut s = sample(i, api_cpu, 30.0 + noise.next() as f32);
        s.services.insert(
            0,
            ServiceSample {
                name: "web".into(),
                ..ServiceSample::default()
            },
        );
        s
    };
    let flagged: Vec<Anomaly> = (600..603)
        .flat_map(|i| detectors.observe(&with_web(i, 60.0)))
        .collect();
    let api = SeriesKey::new(Metric::ServiceCpu, "api");
    assert_eq!(
        flagged.iter().map(|a| &a.series).collect::<Vec<_>>(),
        [&api],
        "api still warm, web warming up"
    );
}
