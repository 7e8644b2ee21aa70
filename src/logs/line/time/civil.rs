//! Calendar arithmetic (proleptic Gregorian, days since 1970-01-01): the engine needs only
//! this much of a date library.

const MS_PER_DAY: i64 = 86_400_000;

/// A stamp without a year further ahead than this is from last year; clock skew and stamps
/// in local time stay inside it.
const FUTURE_SLACK_MS: i64 = MS_PER_DAY;

/// A stamp's fields as written, and the offset from UTC it carries.
#[derive(Debug, Clone, Copy)]
pub(in crate::logs::line) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub ms: u32,
    pub offset_ms: i64,
}

impl Civil {
    /// UTC fields with a year: `clock` is hour, minute, second and milliseconds.
    pub fn at_year(year: i64, month: u32, day: u32, clock: (u32, u32, u32, u32)) -> Self {
        let (hour, minute, second, ms) = clock;
        Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
            ms,
            offset_ms: 0,
        }
    }

    /// A stamp without a year (syslog): this year, or the previous one when that would put
    /// it in the future.
    pub fn this_year(now_ms: u64, month: u32, day: u32, clock: (u32, u32, u32, u32)) -> Self {
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        let year = year_of_day(now.div_euclid(MS_PER_DAY));
        let civil = Self::at_year(year, month, day, clock);
        match civil.unix_ms() {
            Some(at)
                if i64::try_from(at).unwrap_or(i64::MAX) > now.saturating_add(FUTURE_SLACK_MS) =>
            {
                Self::at_year(year - 1, month, day, clock)
            }
            _ => civil,
        }
    }

    /// Unix milliseconds; `None` when a field is out of range or the time is before 1970.
    pub fn unix_ms(&self) -> Option<u64> {
        let valid = (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second <= 60
            && self.ms < 1000;
        if !valid {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let seconds = i64::from(self.hour * 3600 + self.minute * 60 + self.second);
        let ms = days * MS_PER_DAY + seconds * 1000 + i64::from(self.ms) - self.offset_ms;
        u64::try_from(ms).ok()
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The year a day (since 1970-01-01) falls in.
fn year_of_day(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let year = year_of_era + era * 400;
    if month_from_march >= 10 {
        year + 1
    } else {
        year
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_years() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        for (year, month, day) in [(1999, 12, 31), (2000, 1, 1), (2024, 2, 29), (2024, 12, 31)] {
            assert_eq!(year_of_day(days_from_civil(year, month, day)), year);
        }
    }

    #[test]
    fn a_stamp_without_year_is_never_far_in_the_future() {
        // 2025-01-01T00:30:00Z
        let now = 1_735_691_400_000;
        let late_december = Civil::this_year(now, 12, 31, (23, 59, 0, 0));
        assert_eq!(late_december.year, 2024);
        let new_year = Civil::this_year(now, 1, 1, (0, 10, 0, 0));
        assert_eq!(new_year.year, 2025);
    }
}
