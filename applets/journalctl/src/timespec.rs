//! Times as journalctl reads them (systemd.time(7)): timestamps for `--since=`/`--until=`
//! in the local time zone, time spans for `--vacuum-time=`. The rules are core's one time
//! model ([`unitbox_core::time`]); journalctl only needs "valid or not".

use unitbox_core::time::TimeZone;

/// `1h 30min`, `5s500ms`, `2.5h`, `90` (seconds): systemd's `parse_sec()`.
pub fn parse_timespan(text: &str) -> Option<u64> {
    unitbox_core::time::parse_sec(text).ok()
}

/// A timestamp (µs since the epoch) as systemd's `parse_timestamp()` reads it.
pub fn parse_timestamp(text: &str, now_us: u64, tz: &TimeZone) -> Option<u64> {
    unitbox_core::time::parse_timestamp(text, now_us, tz).ok()
}
