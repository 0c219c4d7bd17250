//! Times and sizes as journalctl reads them (systemd.time(7), `parse_size()`): timestamps for
//! `--since=`/`--until=` in the local time zone, time spans for `--vacuum-time=`, sizes for
//! `--vacuum-size=`.

use unitbox_core::state::time::{
    days_from_civil, LocalTime, USEC_PER_DAY, USEC_PER_HOUR, USEC_PER_MINUTE, USEC_PER_MONTH,
    USEC_PER_SEC, USEC_PER_WEEK, USEC_PER_YEAR, WEEKDAYS,
};
use unitbox_core::state::tz::TimeZone;

/// Time-span units, longest names first so that `min` is not read as `m` + garbage.
const SPAN_UNITS: &[(&str, u64)] = &[
    ("seconds", USEC_PER_SEC),
    ("second", USEC_PER_SEC),
    ("minutes", USEC_PER_MINUTE),
    ("minute", USEC_PER_MINUTE),
    ("months", USEC_PER_MONTH),
    ("month", USEC_PER_MONTH),
    ("hours", USEC_PER_HOUR),
    ("hour", USEC_PER_HOUR),
    ("weeks", USEC_PER_WEEK),
    ("week", USEC_PER_WEEK),
    ("years", USEC_PER_YEAR),
    ("year", USEC_PER_YEAR),
    ("usec", 1),
    ("msec", 1000),
    ("days", USEC_PER_DAY),
    ("day", USEC_PER_DAY),
    ("sec", USEC_PER_SEC),
    ("min", USEC_PER_MINUTE),
    ("hr", USEC_PER_HOUR),
    ("us", 1),
    ("µs", 1),
    ("ms", 1000),
    ("s", USEC_PER_SEC),
    ("m", USEC_PER_MINUTE),
    ("h", USEC_PER_HOUR),
    ("d", USEC_PER_DAY),
    ("w", USEC_PER_WEEK),
    ("M", USEC_PER_MONTH),
    ("y", USEC_PER_YEAR),
];

/// `WHOLE.FRACTION` (decimal digits) times `factor`, rounded down.
fn scaled(whole: &str, fraction: &str, factor: u64) -> Option<u64> {
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let digits = &fraction[..fraction.len().min(18)];
    let numerator: u128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let denominator = 10u128.pow(digits.len() as u32);
    let value = whole * factor as u128 + numerator * factor as u128 / denominator;
    u64::try_from(value).ok()
}

/// `1h 30min`, `5s500ms`, `2.5h`, `90` (seconds): systemd's `parse_sec()`.
pub fn parse_timespan(text: &str) -> Option<u64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number.starts_with('.') && number.len() == 1 {
            return None;
        }
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if fraction.contains('.') {
            return None;
        }
        rest = rest[number_len..].trim_start();
        let unit = SPAN_UNITS
            .iter()
            .find(|(name, _)| {
                rest.starts_with(name)
                    && !rest[name.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
            })
            .copied();
        let factor = match unit {
            Some((name, factor)) => {
                rest = rest[name.len()..].trim_start();
                factor
            }
            // A bare number is seconds, but only as the last component.
            None if rest.is_empty() => USEC_PER_SEC,
            None => return None,
        };
        total = total.checked_add(scaled(whole, fraction, factor)?)?;
    }
    Some(total)
}

/// A timestamp (µs since the epoch) as systemd's `parse_timestamp()` reads it: `now`,
/// `today`, `yesterday`, `tomorrow`, `@SECONDS`, `+SPAN`, `-SPAN`, `SPAN ago`, `SPAN left`,
/// `[WEEKDAY] [YY]YY-MM-DD [HH:MM[:SS[.FRAC]]] [UTC|ZONE]` and `HH:MM[:SS]` (today).
pub fn parse_timestamp(text: &str, now_us: u64, tz: &TimeZone) -> Option<u64> {
    // systemd accepts no surrounding blanks.
    if text.is_empty() || text.trim() != text {
        return None;
    }
    match text {
        "now" => return Some(now_us),
        "today" => return Some(start_of_day(now_us, 0, tz)),
        "yesterday" => return Some(start_of_day(now_us, -1, tz)),
        "tomorrow" => return Some(start_of_day(now_us, 1, tz)),
        _ => {}
    }
    if let Some(seconds) = text.strip_prefix('@') {
        return parse_timespan(&format!("{seconds}s"));
    }
    if let Some(span) = text.strip_prefix('+') {
        return now_us.checked_add(parse_timespan(span)?);
    }
    if let Some(span) = text.strip_prefix('-') {
        return now_us.checked_sub(parse_timespan(span)?);
    }
    if let Some(span) = text.strip_suffix(" ago") {
        return now_us.checked_sub(parse_timespan(span)?);
    }
    if let Some(span) = text.strip_suffix(" left") {
        return now_us.checked_add(parse_timespan(span)?);
    }
    parse_absolute(text, now_us, tz)
}

/// Midnight (local) of the day `offset` days from today.
fn start_of_day(now_us: u64, offset: i64, tz: &TimeZone) -> u64 {
    let t = LocalTime::from_realtime_us(now_us, tz);
    let days = days_from_civil(t.year, t.month, t.day) + offset;
    local_to_utc(days * 86_400, tz).max(0) as u64 * USEC_PER_SEC
}

/// Local seconds since the epoch → UTC seconds: the offset is that in effect at the
/// result, found in two steps (exact except inside a DST gap or overlap).
fn local_to_utc(local: i64, tz: &TimeZone) -> i64 {
    let guess = local - tz.offset_at(local).0 as i64;
    local - tz.offset_at(guess).0 as i64
}

fn parse_absolute(text: &str, now_us: u64, tz: &TimeZone) -> Option<u64> {
    let mut words: Vec<&str> = text.split(' ').collect();
    if words.iter().any(|w| w.is_empty()) {
        return None;
    }
    // A trailing zone: UTC, or a zone from the zoneinfo database.
    let mut zone: Option<TimeZone> = None;
    if let Some(&last) = words.last() {
        if words.len() > 1 && last.starts_with(|c: char| c.is_ascii_alphabetic()) {
            zone = Some(named_zone(last, tz)?);
            words.pop();
        }
    }
    let tz = zone.as_ref().unwrap_or(tz);
    let weekday = match words.first().copied() {
        Some(w) if w.starts_with(|c: char| c.is_ascii_alphabetic()) => {
            words.remove(0);
            Some(parse_weekday(w)?)
        }
        _ => None,
    };
    let now = LocalTime::from_realtime_us(now_us, tz);
    let (date, time) = match words.as_slice() {
        [date, time] => (Some(parse_date(date)?), Some(parse_time(time)?)),
        [one] if one.contains('-') => (Some(parse_date(one)?), None),
        [one] => (None, Some(parse_time(one)?)),
        _ => return None,
    };
    let (year, month, day) = date.unwrap_or((now.year, now.month, now.day));
    let (hour, minute, second, micros) = time.unwrap_or((0, 0, 0, 0));
    // Like mktime(), an out-of-range day rolls over (2024-02-30 is March 1st).
    let days = days_from_civil(year, month, 1) + day as i64 - 1;
    if let Some(wanted) = weekday {
        if (days + 4).rem_euclid(7) as usize != wanted {
            return None;
        }
    }
    let local = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
    let utc = local_to_utc(local, tz);
    u64::try_from(utc)
        .ok()?
        .checked_mul(USEC_PER_SEC)?
        .checked_add(micros)
}

fn named_zone(name: &str, local: &TimeZone) -> Option<TimeZone> {
    if name == "UTC" || name == "GMT" {
        return Some(TimeZone::utc());
    }
    // The local zone's own abbreviation ("CET") means the local zone.
    let now = unitbox_core::state::time::now_realtime_us() / USEC_PER_SEC;
    if local.offset_at(now as i64).1 == name {
        return Some(local.clone());
    }
    let safe = !name
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..");
    if !safe {
        return None;
    }
    TimeZone::from_file(&std::path::Path::new("/usr/share/zoneinfo").join(name))
}

fn parse_weekday(word: &str) -> Option<usize> {
    const LONG: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    WEEKDAYS
        .iter()
        .position(|&d| d == word)
        .or_else(|| LONG.iter().position(|&d| d == word))
}

fn number(text: &str, max_len: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max_len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `YYYY-MM-DD` or `YY-MM-DD` (19xx for 69–99, else 20xx, as strptime's `%y`).
fn parse_date(text: &str) -> Option<(i64, u32, u32)> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let year = match y.len() {
        2 => {
            let yy = number(y, 2)? as i64;
            if yy >= 69 {
                1900 + yy
            } else {
                2000 + yy
            }
        }
        _ => number(y, 4)? as i64,
    };
    let month = number(m, 2)?;
    let day = number(d, 2)?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((year, month, day))
}

/// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.FRAC` → (h, m, s, µs).
fn parse_time(text: &str) -> Option<(u32, u32, u32, u64)> {
    let (main, fraction) = match text.split_once('.') {
        Some((main, fraction)) => (main, Some(fraction)),
        None => (text, None),
    };
    let mut parts = main.split(':');
    let hour = number(parts.next()?, 2)?;
    let minute = number(parts.next()?, 2)?;
    let second = match parts.next() {
        Some(s) => number(s, 2)?,
        None if fraction.is_some() => return None,
        None => 0,
    };
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut micros = 0u64;
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut scale = 100_000u64;
        for digit in fraction.bytes().take(6) {
            micros += (digit - b'0') as u64 * scale;
            scale /= 10;
        }
    }
    Some((hour, minute, second, micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sat 2026-11-21 20:11:30 UTC
    const NOW: u64 = 1_795_291_890 * USEC_PER_SEC;

    fn utc(text: &str) -> Option<u64> {
        parse_timestamp(text, NOW, &TimeZone::utc())
    }

    #[test]
    fn time_spans() {
        assert_eq!(parse_timespan("90"), Some(90 * USEC_PER_SEC));
        assert_eq!(parse_timespan("1h30min"), Some(90 * USEC_PER_MINUTE));
        assert_eq!(parse_timespan("1 h 30 min"), Some(90 * USEC_PER_MINUTE));
        assert_eq!(parse_timespan("3s500ms"), Some(3_500_000));
        assert_eq!(parse_timespan("1.5h"), Some(90 * USEC_PER_MINUTE));
        assert_eq!(parse_timespan("2w"), Some(2 * USEC_PER_WEEK));
        assert_eq!(parse_timespan("1M"), Some(USEC_PER_MONTH));
        assert_eq!(parse_timespan("1m"), Some(USEC_PER_MINUTE));
        assert_eq!(parse_timespan("1 month"), Some(USEC_PER_MONTH));
        assert_eq!(parse_timespan(""), None);
        assert_eq!(parse_timespan("5 parsecs"), None);
        assert_eq!(parse_timespan("h"), None);
        assert_eq!(parse_timespan("5 5h"), None);
    }

    #[test]
    fn relative_and_named_timestamps() {
        assert_eq!(utc("now"), Some(NOW));
        assert_eq!(utc("-1h"), Some(NOW - USEC_PER_HOUR));
        assert_eq!(utc("+5min"), Some(NOW + 5 * USEC_PER_MINUTE));
        assert_eq!(utc("1 hour ago"), Some(NOW - USEC_PER_HOUR));
        assert_eq!(utc("5min left"), Some(NOW + 5 * USEC_PER_MINUTE));
        let midnight = NOW - (20 * 3600 + 11 * 60 + 30) * USEC_PER_SEC;
        assert_eq!(utc("today"), Some(midnight));
        assert_eq!(utc("yesterday"), Some(midnight - USEC_PER_DAY));
        assert_eq!(utc("tomorrow"), Some(midnight + USEC_PER_DAY));
        assert_eq!(utc("@1.5"), Some(1_500_000));
        assert_eq!(utc(" today"), None);
        assert_eq!(utc("epoch"), None);
    }

    #[test]
    fn absolute_timestamps() {
        let jan1 = 1_704_067_200 * USEC_PER_SEC; // 2024-01-01 00:00:00 UTC, a Monday
        assert_eq!(utc("2024-01-01"), Some(jan1));
        assert_eq!(utc("24-01-01"), Some(jan1));
        assert_eq!(utc("2024-1-1"), Some(jan1));
        assert_eq!(utc("Mon 2024-01-01"), Some(jan1));
        assert_eq!(utc("Monday 2024-01-01 00:00"), Some(jan1));
        assert_eq!(utc("Tue 2024-01-01"), None);
        assert_eq!(utc("2024-01-01 10:00"), Some(jan1 + 10 * USEC_PER_HOUR));
        assert_eq!(
            utc("2024-01-01 10:00:00.5"),
            Some(jan1 + 10 * USEC_PER_HOUR + 500_000)
        );
        assert_eq!(utc("2024-01-01 10:00 UTC"), Some(jan1 + 10 * USEC_PER_HOUR));
        assert_eq!(utc("2024-02-30"), utc("2024-03-01"));
        assert_eq!(utc("2024-01-01 25:00"), None);
        assert_eq!(utc("2024-01-01T10:00:00"), None);
        assert_eq!(utc("2024-01-01 10:00 Nowhere/Atlantis"), None);
        let today = utc("today").unwrap();
        assert_eq!(utc("10:00"), Some(today + 10 * USEC_PER_HOUR));
        assert_eq!(
            utc("10:00:01"),
            Some(today + 10 * USEC_PER_HOUR + USEC_PER_SEC)
        );
    }

    #[test]
    fn local_zone_is_honoured() {
        let cet = TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let jan1 = 1_704_067_200 * USEC_PER_SEC;
        assert_eq!(
            parse_timestamp("2024-01-01 01:00", NOW, &cet),
            Some(jan1),
            "01:00 CET is midnight UTC"
        );
        // Summer time: 2024-07-01 02:00 CEST is 00:00 UTC.
        assert_eq!(
            parse_timestamp("2024-07-01 02:00", NOW, &cet),
            Some(1_719_792_000 * USEC_PER_SEC)
        );
    }
}
