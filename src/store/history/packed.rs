//! The raw tier's row format: `(series id: u16 LE, value: f32 LE)` pairs, 6 bytes a point.
//! An f32 keeps 7 significant digits, plenty for a chart; the minute and hour tiers keep
//! their aggregates as f64.

const POINT: usize = 6;

/// Appends one point, unless its value is not finite as an f32 (NaN, infinite, or beyond
/// f32's range): such a point has no place on a chart or in an average.
pub(super) fn push(buf: &mut Vec<u8>, series: u16, value: f64) {
    let value = value as f32;
    if value.is_finite() {
        buf.extend_from_slice(&series.to_le_bytes());
        buf.extend_from_slice(&value.to_le_bytes());
    }
}

/// The points of one row, in the order they were written. A truncated tail (which SQLite
/// never produces) is ignored rather than trusted.
pub(super) fn points(data: &[u8]) -> impl Iterator<Item = (u16, f64)> + '_ {
    data.chunks_exact(POINT).map(|c| {
        let series = u16::from_le_bytes([c[0], c[1]]);
        let value = f32::from_le_bytes([c[2], c[3], c[4], c[5]]);
        (series, f64::from(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_skips_what_an_f32_cannot_hold() {
        let mut buf = Vec::new();
        push(&mut buf, 1, 0.5);
        push(&mut buf, 2, f64::NAN);
        push(&mut buf, 3, f64::INFINITY);
        push(&mut buf, 4, 1e300);
        push(&mut buf, 65535, -12.25);
        assert_eq!(buf.len(), 12);
        let back: Vec<_> = points(&buf).collect();
        assert_eq!(back, vec![(1, 0.5), (65535, -12.25)]);
        assert_eq!(points(&buf[..11]).count(), 1);
    }
}
