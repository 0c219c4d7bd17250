//! Timestamps as systemd 252's `parse_timestamp()` reads them (systemd.time(7)): `now`,
//! `today`, `yesterday`, `tomorrow`, `@SECONDS`, `+SPAN`, `-SPAN`, `SPAN ago`, `SPAN left`,
//! `[WEEKDAY] [YY]YY-MM-DD [HH:MM[:SS[.FRAC]]] [UTC|local zone name]`, `HH:MM[:SS]` (today)
//! and `Mon DD HH:MM:SS` (journalctl's short output). The date and time parts are read with
//! glibc `strptime()`'s rules (blanks before numbers, greedy digits), which systemd relies on.

use super::civil::{days_from_civil, weekday_of_days};
use super::clock::USEC_PER_SEC;
use super::format::{LocalTime, MONTHS};
use super::timespan::parse_sec;
use super::tz::{TimeZone, ZONEINFO};
use super::TimeError;
use std::path::Path;

/// The last timestamp systemd formats: Thu 9999-12-30 23:59:59 UTC (64-bit).
pub const USEC_TIMESTAMP_FORMATTABLE_MAX: u64 = 253_402_214_399_000_000;

const DAY_NAMES: &[(&str, u32)] = &[
    ("Sunday", 0),
    ("Sun", 0),
    ("Monday", 1),
    ("Mon", 1),
    ("Tuesday", 2),
    ("Tue", 2),
    ("Wednesday", 3),
    ("Wed", 3),
    ("Thursday", 4),
    ("Thu", 4),
    ("Friday", 5),
    ("Fri", 5),
    ("Saturday", 6),
    ("Sat", 6),
];

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The broken-down time `strptime()` fills in (fields it does not touch keep "now").
#[derive(Debug, Clone, Copy)]
struct Tm {
    year: i64,
    /// 1–12
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

fn strip_suffix_no_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..cut])
}

/// A timestamp in µs since the epoch, relative ones against `now_us`, in zone `tz`.
pub fn parse_timestamp(text: &str, now_us: u64, tz: &TimeZone) -> Result<u64, TimeError> {
    if let Some(seconds) = text.strip_prefix('@') {
        return parse_sec(seconds);
    }
    let (mut plus, mut minus) = (0u64, 0u64);
    let usec = if text == "now" {
        now_us
    } else if let Some(span) = text.strip_prefix('+') {
        plus = parse_sec(span)?;
        now_us
    } else if let Some(span) = text.strip_prefix('-') {
        minus = finite(parse_sec(span)?)?;
        now_us
    } else if let Some(span) = text.strip_suffix(" ago") {
        minus = finite(parse_sec(span)?)?;
        now_us
    } else if let Some(span) = text.strip_suffix(" left") {
        plus = parse_sec(span)?;
        now_us
    } else {
        parse_absolute(text, now_us, tz)?
    };
    let usec = usec.checked_add(plus).ok_or(TimeError::Invalid)?;
    if usec > USEC_TIMESTAMP_FORMATTABLE_MAX {
        return Err(TimeError::Invalid);
    }
    Ok(usec.saturating_sub(minus))
}

/// "-infinity" and "infinity ago" are no time at all.
fn finite(span: u64) -> Result<u64, TimeError> {
    if span == u64::MAX {
        Err(TimeError::Invalid)
    } else {
        Ok(span)
    }
}

/// systemd 252 hands a trailing zone name (`… Europe/Berlin`, also `… CET` where a zone
/// file of that name exists) to a helper that always fails; such timestamps are refused.
fn ends_with_zone_file(text: &str, zoneinfo: &Path) -> bool {
    text.rsplit_once(' ')
        .is_some_and(|(_, last)| zone_file_exists(last, zoneinfo))
}

/// systemd's `timezone_is_valid()`: a safe name of a TZif file in the zoneinfo database.
pub fn zone_file_exists(name: &str, zoneinfo: &Path) -> bool {
    let valid_chars = name
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'+' | b'-' | b'.'));
    let safe = !name.is_empty()
        && !name.starts_with('/')
        && name
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    if !valid_chars || !safe {
        return false;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(zoneinfo.join(name))
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"TZif"
}

fn parse_absolute(text: &str, now_us: u64, local: &TimeZone) -> Result<u64, TimeError> {
    let utc_zone = TimeZone::utc();
    if strip_suffix_no_case(text, " UTC").is_none()
        && ends_with_zone_file(text, Path::new(ZONEINFO))
    {
        return Err(TimeError::Invalid);
    }
    // A trailing " UTC" (any case), or the local zone's standard or daylight name.
    let (mut t, tz, dst_offset) = match strip_suffix_no_case(text, " UTC") {
        Some(rest) => (rest, &utc_zone, None),
        None => {
            let (std, dst) = local.standard_and_daylight();
            let named = [std, dst].into_iter().find_map(|name| {
                let rest = text.strip_suffix(name.abbrev.as_str())?;
                let rest = rest.strip_suffix(' ').filter(|_| !name.abbrev.is_empty())?;
                Some((rest, name.offset))
            });
            match named {
                Some((rest, offset)) => (rest, local, Some(offset)),
                None => (text, local, None),
            }
        }
    };
    let now = LocalTime::from_realtime_us(now_us, tz);
    let today = Tm {
        year: now.year,
        month: now.month,
        day: now.day,
        hour: now.hour,
        minute: now.minute,
        second: now.second,
    };
    let midnight = |offset_days: i64| Tm {
        hour: 0,
        minute: 0,
        second: 0,
        ..shift_days(today, offset_days)
    };
    let (tm, micros) = match t {
        "today" => (midnight(0), 0),
        "yesterday" => (midnight(-1), 0),
        "tomorrow" => (midnight(1), 0),
        _ => {
            let mut weekday = None;
            for &(name, number) in DAY_NAMES {
                let matches = t
                    .get(..name.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(name))
                    && t.as_bytes().get(name.len()) == Some(&b' ');
                if matches {
                    weekday = Some(number);
                    t = &t[name.len() + 1..];
                    break;
                }
            }
            let (tm, micros) = parse_date_time(t, today)?;
            let days = days_from_civil(tm.year, tm.month, 1) + tm.day as i64 - 1;
            if weekday.is_some_and(|w| w != weekday_of_days(days)) {
                return Err(TimeError::Invalid);
            }
            (tm, micros)
        }
    };
    let days = days_from_civil(tm.year, tm.month, 1) + tm.day as i64 - 1;
    let local_secs = days * 86_400 + (tm.hour * 3600 + tm.minute * 60 + tm.second) as i64;
    let secs = match dst_offset {
        Some(offset) => local_secs - offset as i64,
        None => tz.local_to_utc(local_secs),
    };
    let secs = u64::try_from(secs).map_err(|_| TimeError::Invalid)?;
    let usec = secs
        .checked_mul(USEC_PER_SEC)
        .and_then(|u| u.checked_add(micros))
        .ok_or(TimeError::Invalid)?;
    if usec > USEC_TIMESTAMP_FORMATTABLE_MAX {
        return Err(TimeError::Invalid);
    }
    Ok(usec)
}

fn shift_days(tm: Tm, offset: i64) -> Tm {
    let days = days_from_civil(tm.year, tm.month, tm.day) + offset;
    let (year, month, day) = super::civil::civil_from_days(days);
    Tm {
        year,
        month,
        day,
        ..tm
    }
}

/// What a format may be followed by: the end, or a fraction of a second.
enum Tail {
    EndOnly,
    EndOrFraction,
}

/// systemd's list of `strptime()` formats, tried in its order.
const FORMATS: &[(&str, Tail)] = &[
    ("%y-%m-%d %H:%M:%S", Tail::EndOrFraction),
    ("%Y-%m-%d %H:%M:%S", Tail::EndOrFraction),
    ("%b %d %H:%M:%S", Tail::EndOrFraction),
    ("%y-%m-%d %H:%M", Tail::EndOnly),
    ("%Y-%m-%d %H:%M", Tail::EndOnly),
    ("%y-%m-%d", Tail::EndOnly),
    ("%Y-%m-%d", Tail::EndOnly),
    ("%H:%M:%S", Tail::EndOrFraction),
    ("%H:%M", Tail::EndOnly),
];

fn parse_date_time(text: &str, today: Tm) -> Result<(Tm, u64), TimeError> {
    for (format, tail) in FORMATS {
        let mut tm = today;
        if !format.contains("%S") {
            tm.second = 0;
        }
        if !format.contains("%H") {
            tm.hour = 0;
            tm.minute = 0;
        }
        let Some(rest) = strptime(text.as_bytes(), format.as_bytes(), &mut tm) else {
            continue;
        };
        match (rest, tail) {
            ([], _) => return Ok((tm, 0)),
            ([b'.', fraction @ ..], Tail::EndOrFraction) => {
                return Ok((tm, parse_fraction(fraction)?));
            }
            _ => continue,
        }
    }
    Err(TimeError::Invalid)
}

/// systemd's `parse_fractional_part_u(…, 6, …)`: six digits, rounded on the seventh.
fn parse_fraction(digits: &[u8]) -> Result<u64, TimeError> {
    let count = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if count == 0 || count != digits.len() {
        return Err(TimeError::Invalid);
    }
    let mut value = 0u64;
    for i in 0..6 {
        value = value * 10 + digits.get(i).map_or(0, |d| (d - b'0') as u64);
    }
    if digits.get(6).is_some_and(|&d| d >= b'5') {
        value += 1;
    }
    Ok(value)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// glibc's `get_number(from, to, n)`: blanks, then up to `n` digits while the value can
/// still grow within `to`.
fn get_number(s: &mut &[u8], from: u32, to: u32, n: usize) -> Option<u32> {
    while s.first().is_some_and(|&c| is_space(c)) {
        *s = &s[1..];
    }
    if !s.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut val = 0u32;
    let mut left = n;
    loop {
        val = val * 10 + (s[0] - b'0') as u32;
        *s = &s[1..];
        left -= 1;
        if left == 0 || val * 10 > to || !s.first().is_some_and(u8::is_ascii_digit) {
            break;
        }
    }
    (from..=to).contains(&val).then_some(val)
}

/// The few `strptime()` conversions systemd's formats use, in the C locale.
fn strptime<'a>(mut s: &'a [u8], format: &[u8], tm: &mut Tm) -> Option<&'a [u8]> {
    let mut f = format;
    while let Some(&c) = f.first() {
        f = &f[1..];
        if is_space(c) {
            while s.first().is_some_and(|&c| is_space(c)) {
                s = &s[1..];
            }
            continue;
        }
        if c != b'%' {
            if s.first() != Some(&c) {
                return None;
            }
            s = &s[1..];
            continue;
        }
        let conversion = *f.first()?;
        f = &f[1..];
        match conversion {
            b'y' => {
                let yy = get_number(&mut s, 0, 99, 2)? as i64;
                tm.year = if yy >= 69 { 1900 + yy } else { 2000 + yy };
            }
            b'Y' => tm.year = get_number(&mut s, 0, 9999, 4)? as i64,
            b'm' => tm.month = get_number(&mut s, 1, 12, 2)?,
            b'd' => tm.day = get_number(&mut s, 1, 31, 2)?,
            b'H' => tm.hour = get_number(&mut s, 0, 23, 2)?,
            b'M' => tm.minute = get_number(&mut s, 0, 59, 2)?,
            b'S' => tm.second = get_number(&mut s, 0, 61, 2)?,
            b'b' => {
                let (month, len) = (0..12).find_map(|i| {
                    [LONG_MONTHS[i], MONTHS[i]].into_iter().find_map(|name| {
                        let head = s.get(..name.len())?;
                        head.eq_ignore_ascii_case(name.as_bytes())
                            .then_some((i as u32 + 1, name.len()))
                    })
                })?;
                tm.month = month;
                s = &s[len..];
            }
            _ => return None,
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::clock::{USEC_PER_DAY, USEC_PER_HOUR, USEC_PER_MINUTE};

    /// Sat 2026-11-21 20:11:30 UTC
    const NOW: u64 = 1_795_291_890 * USEC_PER_SEC;

    fn utc(text: &str) -> Result<u64, TimeError> {
        parse_timestamp(text, NOW, &TimeZone::utc())
    }

    #[test]
    fn relative_and_named_timestamps() {
        assert_eq!(utc("now"), Ok(NOW));
        assert_eq!(utc("-1h"), Ok(NOW - USEC_PER_HOUR));
        assert_eq!(utc("+5min"), Ok(NOW + 5 * USEC_PER_MINUTE));
        assert_eq!(utc("1 hour ago"), Ok(NOW - USEC_PER_HOUR));
        assert_eq!(utc("5min left"), Ok(NOW + 5 * USEC_PER_MINUTE));
        let midnight = NOW - (20 * 3600 + 11 * 60 + 30) * USEC_PER_SEC;
        assert_eq!(utc("today"), Ok(midnight));
        assert_eq!(utc("today UTC"), Ok(midnight));
        assert_eq!(utc("yesterday"), Ok(midnight - USEC_PER_DAY));
        assert_eq!(utc("tomorrow"), Ok(midnight + USEC_PER_DAY));
        assert_eq!(utc("@1.5"), Ok(1_500_000));
        assert_eq!(utc("@5min"), Ok(300 * USEC_PER_SEC));
        assert!(utc(" today").is_err());
        assert!(utc("epoch").is_err());
        assert!(utc("now UTC").is_err());
        assert!(utc("+infinity").is_err());
        assert!(utc("-infinity").is_err());
    }

    #[test]
    fn absolute_timestamps() {
        let jan1 = 1_704_067_200 * USEC_PER_SEC; // 2024-01-01 00:00:00 UTC, a Monday
        assert_eq!(utc("2024-01-01"), Ok(jan1));
        assert_eq!(utc("24-01-01"), Ok(jan1));
        assert_eq!(utc("2024-1-1"), Ok(jan1));
        assert_eq!(utc("2024- 1- 1"), Ok(jan1));
        assert_eq!(utc("Mon 2024-01-01"), Ok(jan1));
        assert_eq!(utc("mon 2024-01-01"), Ok(jan1));
        assert_eq!(utc("Monday 2024-01-01 00:00"), Ok(jan1));
        assert!(utc("Tue 2024-01-01").is_err());
        assert_eq!(utc("2024-01-01 10:00"), Ok(jan1 + 10 * USEC_PER_HOUR));
        assert_eq!(
            utc("2024-01-01 10:00:00.5"),
            Ok(jan1 + 10 * USEC_PER_HOUR + 500_000)
        );
        assert_eq!(
            utc("2024-01-01 10:00:00.9999995"),
            Ok(jan1 + 10 * USEC_PER_HOUR + USEC_PER_SEC)
        );
        assert_eq!(utc("2024-01-01 10:00 utc"), Ok(jan1 + 10 * USEC_PER_HOUR));
        assert_eq!(utc("2024-02-30"), utc("2024-03-01"));
        assert!(utc("2024-01-01 25:00").is_err());
        assert!(utc("2024-01-01T10:00:00").is_err());
        assert!(utc("2024-01-01 10:00 Europe/Berlin").is_err());
        assert!(utc("1969-12-31").is_err());
        assert!(utc("10000-01-01").is_err());
        assert_eq!(utc("Jan 05 10:00:00"), Ok(1_767_607_200 * USEC_PER_SEC));
        let today = utc("today").unwrap();
        assert_eq!(utc("10:00"), Ok(today + 10 * USEC_PER_HOUR));
        assert_eq!(
            utc("10:00:01"),
            Ok(today + 10 * USEC_PER_HOUR + USEC_PER_SEC)
        );
    }

    #[test]
    fn local_zone_and_its_names() {
        // Names of no zone file, so that they read as the local zone's (CET would not: 252
        // refuses a trailing zone file name).
        let xet = TimeZone::from_posix("XET-1XEST,M3.5.0,M10.5.0/3").unwrap();
        let jan1 = 1_704_067_200 * USEC_PER_SEC;
        let at = |t: &str| parse_timestamp(t, NOW, &xet);
        assert_eq!(
            at("2024-01-01 01:00"),
            Ok(jan1),
            "01:00 XET is midnight UTC"
        );
        // Summer time: 2024-07-01 02:00 XEST is 00:00 UTC; named XET it is an hour later.
        let jul1 = 1_719_792_000 * USEC_PER_SEC;
        assert_eq!(at("2024-07-01 02:00"), Ok(jul1));
        assert_eq!(at("2024-07-01 02:00 XEST"), Ok(jul1));
        assert_eq!(at("2024-07-01 02:00 XET"), Ok(jul1 + USEC_PER_HOUR));
        assert!(at("2024-07-01 02:00 xest").is_err());
        if Path::new(ZONEINFO).join("CET").exists() {
            assert!(at("2024-07-01 02:00 CET").is_err());
        }
    }
}
