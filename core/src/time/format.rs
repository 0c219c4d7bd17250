//! The way systemd prints times: `Sat 2026-11-21 20:11:30 UTC` in the local time zone, and
//! relative times (`5min ago`) with the exact rules of systemd's `format_timestamp_relative()`.
//! The time zone comes from `$TZ` or `/etc/localtime` through [`super::tz`]; a scratch image
//! without zoneinfo prints UTC.

use super::civil::{civil_from_days, weekday_of_days};
use super::clock::*;
use super::tz::TimeZone;

/// A broken-down local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i64,
    /// 1–12
    pub month: u32,
    /// 1–31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday
    pub weekday: u32,
    pub microsecond: u32,
    /// Seconds east of UTC.
    pub utc_offset: i32,
    pub zone: String,
}

pub const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl LocalTime {
    pub fn from_realtime_us(us: u64, tz: &TimeZone) -> Self {
        let secs = (us / USEC_PER_SEC) as i64;
        let (utc_offset, zone) = tz.offset_at(secs);
        let local = secs + utc_offset as i64;
        let days = local.div_euclid(86_400);
        let in_day = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        LocalTime {
            year,
            month,
            day,
            hour: in_day / 3600,
            minute: in_day / 60 % 60,
            second: in_day % 60,
            weekday: weekday_of_days(days),
            microsecond: (us % USEC_PER_SEC) as u32,
            utc_offset,
            zone: zone.to_string(),
        }
    }

    pub fn weekday_name(&self) -> &'static str {
        WEEKDAYS[self.weekday as usize % 7]
    }

    pub fn month_name(&self) -> &'static str {
        MONTHS[(self.month as usize + 11) % 12]
    }

    /// `2026-11-21 20:11:30` with `separator` between date and time (`T` for ISO 8601).
    pub fn date_time(&self, separator: char) -> String {
        format!(
            "{:04}-{:02}-{:02}{separator}{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// `Sat 2026-11-21 20:11:30 UTC`: systemctl's format of `…Timestamp` properties and of the
/// "since" in status. Empty for an unset (zero) timestamp, as `systemctl show` prints it.
pub fn format_timestamp(us: u64, tz: &TimeZone) -> String {
    format_timestamp_style(us, tz, false)
}

/// `Sat 2026-11-21 20:11:30.123456 UTC`: systemd's `TIMESTAMP_US` style (`journalctl -o
/// verbose`). Empty for zero.
pub fn format_timestamp_us(us: u64, tz: &TimeZone) -> String {
    format_timestamp_style(us, tz, true)
}

fn format_timestamp_style(us: u64, tz: &TimeZone, micros: bool) -> String {
    if us == 0 {
        return String::new();
    }
    let t = LocalTime::from_realtime_us(us, tz);
    let fraction = if micros {
        format!(".{:06}", t.microsecond)
    } else {
        String::new()
    };
    format!(
        "{} {}{fraction} {}",
        t.weekday_name(),
        t.date_time(' '),
        t.zone
    )
}

/// [`format_timestamp`] in the zone of this process (`$TZ`, `/etc/localtime`).
pub fn format_timestamp_local(us: u64) -> String {
    format_timestamp(us, TimeZone::local())
}

/// `5min ago`, `1h 3min left`, `2 weeks 1 day ago`: systemd's `format_timestamp_relative()`.
pub fn format_timestamp_relative(us: u64, now_us: u64) -> String {
    if us == 0 {
        return String::new();
    }
    let (d, s) = if now_us > us {
        (now_us - us, "ago")
    } else {
        (us - now_us, "left")
    };
    // "N unit M subunit ago", each word singular or plural as its number says.
    type Words = (&'static str, &'static str);
    let two_units = |big: u64, (one, many): Words, small: u64, (sone, smany): Words| {
        let (n, m) = (d / big, d % big / small);
        let big_word = if n == 1 { one } else { many };
        let small_word = if m == 1 { sone } else { smany };
        format!("{n} {big_word} {m} {small_word} {s}")
    };
    if d >= USEC_PER_YEAR {
        two_units(
            USEC_PER_YEAR,
            ("year", "years"),
            USEC_PER_MONTH,
            ("month", "months"),
        )
    } else if d >= USEC_PER_MONTH {
        two_units(
            USEC_PER_MONTH,
            ("month", "months"),
            USEC_PER_DAY,
            ("day", "days"),
        )
    } else if d >= USEC_PER_WEEK {
        two_units(
            USEC_PER_WEEK,
            ("week", "weeks"),
            USEC_PER_DAY,
            ("day", "days"),
        )
    } else if d >= 2 * USEC_PER_DAY {
        format!("{} days {s}", d / USEC_PER_DAY)
    } else if d >= 25 * USEC_PER_HOUR {
        format!("1 day {}h {s}", (d - USEC_PER_DAY) / USEC_PER_HOUR)
    } else if d >= 6 * USEC_PER_HOUR {
        format!("{}h {s}", d / USEC_PER_HOUR)
    } else if d >= USEC_PER_HOUR {
        format!(
            "{}h {}min {s}",
            d / USEC_PER_HOUR,
            d % USEC_PER_HOUR / USEC_PER_MINUTE
        )
    } else if d >= 5 * USEC_PER_MINUTE {
        format!("{}min {s}", d / USEC_PER_MINUTE)
    } else if d >= USEC_PER_MINUTE {
        format!(
            "{}min {}s {s}",
            d / USEC_PER_MINUTE,
            d % USEC_PER_MINUTE / USEC_PER_SEC
        )
    } else if d >= USEC_PER_SEC {
        format!("{}s {s}", d / USEC_PER_SEC)
    } else if d >= 1000 {
        format!("{}ms {s}", d / 1000)
    } else if d > 0 {
        format!("{d}us {s}")
    } else {
        "now".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAT_2026_11_21_201130: u64 = 1_795_291_890 * USEC_PER_SEC;

    #[test]
    fn formats_like_systemctl_in_utc() {
        let utc = TimeZone::utc();
        assert_eq!(
            format_timestamp(SAT_2026_11_21_201130 + 999_999, &utc),
            "Sat 2026-11-21 20:11:30 UTC"
        );
        assert_eq!(format_timestamp(1, &utc), "Thu 1970-01-01 00:00:00 UTC");
        assert_eq!(format_timestamp(0, &utc), "");
        assert_eq!(
            format_timestamp_us(SAT_2026_11_21_201130 + 123_456, &utc),
            "Sat 2026-11-21 20:11:30.123456 UTC"
        );
        // 2024-02-29 is a leap day.
        assert_eq!(
            format_timestamp(1_709_164_800 * USEC_PER_SEC, &utc),
            "Thu 2024-02-29 00:00:00 UTC"
        );
    }

    #[test]
    fn relative_times_follow_systemd_thresholds() {
        let now = SAT_2026_11_21_201130;
        let ago = |d: u64| format_timestamp_relative(now - d, now);
        assert_eq!(ago(146 * USEC_PER_SEC), "2min 26s ago");
        assert_eq!(ago(5 * USEC_PER_MINUTE + 59 * USEC_PER_SEC), "5min ago");
        assert_eq!(ago(USEC_PER_HOUR + 3 * USEC_PER_MINUTE), "1h 3min ago");
        assert_eq!(ago(7 * USEC_PER_HOUR), "7h ago");
        assert_eq!(ago(26 * USEC_PER_HOUR), "1 day 2h ago");
        assert_eq!(ago(3 * USEC_PER_DAY), "3 days ago");
        assert_eq!(ago(8 * USEC_PER_DAY), "1 week 1 day ago");
        assert_eq!(ago(2 * USEC_PER_WEEK), "2 weeks 0 days ago");
        assert_eq!(ago(143 * USEC_PER_DAY), "4 months 21 days ago");
        assert_eq!(ago(USEC_PER_YEAR + USEC_PER_MONTH), "1 year 1 month ago");
        assert_eq!(ago(1500), "1ms ago");
        assert_eq!(ago(7), "7us ago");
        assert_eq!(ago(0), "now");
        assert_eq!(
            format_timestamp_relative(now + 90 * USEC_PER_SEC, now),
            "1min 30s left"
        );
    }
}
