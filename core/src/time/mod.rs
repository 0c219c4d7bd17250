//! The one time model of unitbox (systemd.time(7)): clocks ([`clock`]), the Gregorian
//! calendar as day arithmetic ([`civil`]), time zones from TZif files and POSIX rules
//! ([`tz`]), time spans ([`timespan`]) and timestamps ([`timestamp`]) as systemd 252 reads
//! them, and the way systemd prints both ([`format`]). Timers, `systemd-run --on-*`,
//! `journalctl --since` and `systemd-analyze` all go through here.
//!
//! The layering has no cycles: `civil` depends on nothing, `tz` on `civil`, `format` on
//! both, the parsers on all three.

pub mod calendar;
pub mod civil;
pub mod clock;
pub mod format;
pub mod timespan;
pub mod timestamp;
pub mod tz;

pub use calendar::{parse_calendar, CalendarSpec};
pub use civil::{civil_from_days, days_from_civil, days_in_month, is_leap, weekday_of_days};
pub use clock::*;
pub use format::*;
pub use timespan::{
    format_timespan, parse_nsec, parse_sec, parse_time, NSEC_INFINITY, USEC_INFINITY,
};
pub use timestamp::{parse_timestamp, USEC_TIMESTAMP_FORMATTABLE_MAX};
pub use tz::{TimeZone, ZoneName};

/// Why a time span or timestamp was refused, with the errno systemd reports for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// EINVAL: not a valid time.
    #[error("Invalid argument")]
    Invalid,
    /// ERANGE: negative, or too large for 64 bits of µs.
    #[error("Numerical result out of range")]
    Range,
}

impl TimeError {
    /// The errno value systemd's functions return for this error.
    pub fn errno(self) -> i32 {
        match self {
            TimeError::Invalid => libc::EINVAL,
            TimeError::Range => libc::ERANGE,
        }
    }
}
