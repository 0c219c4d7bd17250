//! Calendar events of systemd.time(7) (`OnCalendar=`, `systemd-analyze calendar`):
//! `[WEEKDAYS] [YEAR-MONTH-DAY] [HOUR:MINUTE[:SECOND]] [ZONE]` with lists, ranges (`..`),
//! repetitions (`/`), `~` (days counted from the month's end), fractional seconds,
//! `@EPOCH` and the shorthands (`daily`, `weekly`, …), as systemd 252's calendarspec.c.
//!
//! [`parse`] reads an expression, [`normal`] prints the normalised form, [`next`] finds
//! the next elapse after a given time.

mod next;
mod normal;
mod parse;

pub use parse::parse_calendar;

/// One item of a component's list: `start`, `start..stop`, `start/repeat`,
/// `start..stop/repeat`. Seconds are kept in µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Component {
    pub start: i64,
    /// -1: no range.
    pub stop: i64,
    /// 0: no repetition.
    pub repeat: i64,
}

/// A component's list; `None` is `*` (any value).
pub type Chain = Option<Vec<Component>>;

/// A parsed calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSpec {
    /// Bit 0 = Monday … bit 6 = Sunday; `None`: every day.
    pub weekdays: Option<u8>,
    /// `~`: days counted from the end of the month.
    pub end_of_month: bool,
    pub utc: bool,
    /// The local zone's standard (0) or daylight (1) name was given.
    pub dst: Option<usize>,
    /// A zone of the zoneinfo database (`Europe/Berlin`).
    pub timezone: Option<String>,
    pub year: Chain,
    pub month: Chain,
    pub day: Chain,
    pub hour: Chain,
    pub minute: Chain,
    /// Seconds in µs.
    pub microsecond: Chain,
}

const MIN_YEAR: i64 = 1970;
const MAX_YEAR: i64 = 2199;
const USEC_PER_SEC: i64 = 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::TimeZone;

    fn normal(text: &str) -> String {
        parse_calendar(text, &TimeZone::utc())
            .unwrap()
            .to_normal_string(&TimeZone::utc())
    }

    fn next(text: &str, after: u64) -> Option<u64> {
        let utc = TimeZone::utc();
        parse_calendar(text, &utc)
            .unwrap()
            .next_elapse(after * 1_000_000, &utc)
            .unwrap()
            .map(|us| us / 1_000_000)
    }

    #[test]
    fn normalised_forms() {
        assert_eq!(normal("daily"), "*-*-* 00:00:00");
        assert_eq!(normal("weekly"), "Mon *-*-* 00:00:00");
        assert_eq!(normal("Mon,Tue,Wed,Fri"), "Mon..Wed,Fri *-*-* 00:00:00");
        assert_eq!(normal("*:0..59/10"), "*-*-* *:00..50/10:00");
        assert_eq!(normal("*-*~03"), "*-*~03 00:00:00");
        assert_eq!(normal("*:*:0/2.5"), "*-*-* *:*:00/2.500000");
        assert_eq!(normal("@0"), "1970-01-01 00:00:00 UTC");
        for bad in [
            "",
            "Sun..Mon",
            "*-02~03-01",
            "24:00",
            "2200-01-01",
            "*:*:00/0",
            "x",
        ] {
            assert!(parse_calendar(bad, &TimeZone::utc()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn next_elapses() {
        // 2024-02-27 13:14:15 UTC, a Tuesday.
        let base = 1_709_039_655;
        assert_eq!(next("*:*:0/2", base), Some(base + 1));
        assert_eq!(next("daily", base), Some(1_709_078_400));
        assert_eq!(next("*-*~01", base), Some(1_709_164_800)); // Thu 2024-02-29
        assert_eq!(next("Sat", base), Some(1_709_337_600)); // 2024-03-02
        assert_eq!(next("*-02-30", base), None);
        assert_eq!(next("2020-01-01", base), None);
    }
}
