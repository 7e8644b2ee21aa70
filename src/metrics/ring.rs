//! A fixed-capacity series buffer whose points are always one contiguous slice, so a chart
//! borrows them as they are: no copy per frame. Storage is twice the capacity; when the end is
//! reached, the newest `capacity` points move to the front (amortised O(1) per push).

#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    buf: Vec<(f64, f64)>,
    start: usize,
    capacity: usize,
}

impl Ring {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            buf: Vec::with_capacity(capacity * 2),
            start: 0,
            capacity,
        }
    }

    /// Append `(t, value)`; points must come in time order (an older one is dropped).
    pub fn push(&mut self, t: f64, value: f64) {
        if self.last().is_some_and(|(last, _)| t < last) {
            return;
        }
        if self.buf.len() == self.capacity * 2 {
            self.buf.drain(..self.capacity);
            self.start -= self.capacity;
        }
        self.buf.push((t, value));
        if self.buf.len() - self.start > self.capacity {
            self.start += 1;
        }
    }

    /// Oldest first.
    pub fn as_slice(&self) -> &[(f64, f64)] {
        &self.buf[self.start..]
    }

    /// Points with `t >= since`, oldest first.
    pub fn since(&self, since: f64) -> &[(f64, f64)] {
        let points = self.as_slice();
        let from = points.partition_point(|(t, _)| *t < since);
        &points[from..]
    }

    pub fn last(&self) -> Option<(f64, f64)> {
        self.as_slice().last().copied()
    }

    pub fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_points_contiguous() {
        let mut ring = Ring::new(3);
        for i in 0..10 {
            ring.push(f64::from(i), f64::from(i * 10));
            assert!(ring.len() <= 3);
        }
        assert_eq!(ring.as_slice(), &[(7.0, 70.0), (8.0, 80.0), (9.0, 90.0)]);
        assert_eq!(ring.since(8.0), &[(8.0, 80.0), (9.0, 90.0)]);
        assert_eq!(ring.last(), Some((9.0, 90.0)));
    }

    #[test]
    fn ignores_points_from_the_past() {
        let mut ring = Ring::new(4);
        ring.push(5.0, 1.0);
        ring.push(4.0, 2.0);
        assert_eq!(ring.as_slice(), &[(5.0, 1.0)]);
    }
}
