//! A straight line through a series' recent points: how fast it grows and how well a line
//! describes it, so a steady leak is told from a value that merely wobbles.

/// Least-squares fit of `(t, v)` points (t in seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Units of `v` per second.
    pub slope: f64,
    /// How much of the variation the line explains, 0–1 (R²).
    pub fit: f64,
    /// The span the points cover, seconds.
    pub span: f64,
}

/// `None` for fewer than three points or points all at one time.
pub fn fit(points: &[(f64, f64)]) -> Option<Trend> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_v = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut stt, mut stv, mut svv) = (0.0, 0.0, 0.0);
    for &(t, v) in points {
        let (dt, dv) = (t - mean_t, v - mean_v);
        stt += dt * dt;
        stv += dt * dv;
        svv += dv * dv;
    }
    if stt <= 0.0 {
        return None;
    }
    let slope = stv / stt;
    // A flat series is described perfectly by its (flat) line.
    let fit = if svv <= 0.0 {
        1.0
    } else {
        (stv * stv / (stt * svv)).clamp(0.0, 1.0)
    };
    let span = points[points.len() - 1].0 - points[0].0;
    Some(Trend { slope, fit, span })
}

/// Seconds until a value now at `now` growing by `slope` per second reaches `limit`; `None`
/// when it does not grow.
pub fn time_to(now: f64, limit: f64, slope: f64) -> Option<f64> {
    (slope > 0.0).then(|| ((limit - now) / slope).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_rise_has_its_slope_and_a_perfect_fit() {
        let points: Vec<(f64, f64)> = (0..10)
            .map(|i| (f64::from(i), 5.0 + 2.0 * f64::from(i)))
            .collect();
        let t = fit(&points).expect("trend");
        assert!((t.slope - 2.0).abs() < 1e-9);
        assert!((t.fit - 1.0).abs() < 1e-9);
        assert_eq!(t.span, 9.0);
    }

    #[test]
    fn noise_has_a_poor_fit_and_too_few_points_no_trend() {
        let points = [(0.0, 1.0), (1.0, 9.0), (2.0, 1.0), (3.0, 9.0), (4.0, 1.0)];
        assert!(fit(&points).expect("trend").fit < 0.2);
        assert_eq!(fit(&[(0.0, 1.0), (1.0, 2.0)]), None);
        assert_eq!(fit(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn time_to_a_limit() {
        assert_eq!(time_to(10.0, 110.0, 20.0), Some(5.0));
        assert_eq!(time_to(10.0, 110.0, 0.0), None);
        assert_eq!(time_to(200.0, 110.0, 1.0), Some(0.0), "already past");
    }
}
