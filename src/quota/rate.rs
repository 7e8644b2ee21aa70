//! API calls counted per minute (a fixed window that opens with the first call after the
//! last one closed), shared by the API's limiter and the quota watcher's usage report.

use std::sync::{Arc, Mutex};

const MINUTE_MS: u64 = 60_000;

#[derive(Clone, Default)]
pub struct Rate {
    window: Arc<Mutex<Window>>,
}

#[derive(Default)]
struct Window {
    opened_ms: u64,
    calls: u32,
}

impl Rate {
    /// Counts a call at `now_ms` unless `limit` calls were made this minute already: the
    /// calls counted, or `Err` with them and the seconds until the window closes.
    pub fn hit(&self, now_ms: u64, limit: u32) -> Result<u32, (u32, u64)> {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if w.calls == 0 || now_ms >= w.opened_ms + MINUTE_MS {
            *w = Window {
                opened_ms: now_ms,
                calls: 0,
            };
        }
        if w.calls >= limit {
            let wait_ms = (w.opened_ms + MINUTE_MS).saturating_sub(now_ms);
            return Err((w.calls, wait_ms.div_ceil(1000)));
        }
        w.calls += 1;
        Ok(w.calls)
    }

    /// Calls counted in the window open at `now_ms`.
    pub fn used(&self, now_ms: u64) -> u32 {
        let w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if now_ms >= w.opened_ms + MINUTE_MS {
            0
        } else {
            w.calls
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_until_the_minute_is_over() {
        let rate = Rate::default();
        assert_eq!(rate.hit(1_000, 2), Ok(1));
        assert_eq!(rate.hit(2_000, 2), Ok(2));
        assert_eq!(rate.hit(31_000, 2), Err((2, 30)));
        assert_eq!(rate.used(31_000), 2);
        assert_eq!(rate.hit(61_000, 2), Ok(1));
    }
}
