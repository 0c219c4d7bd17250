//! Reading a calendar event: systemd 252's `calendar_spec_from_string()`, step by step.

use super::{CalendarSpec, Chain, Component, MAX_YEAR, MIN_YEAR, USEC_PER_SEC};
use crate::time::timestamp::zone_file_exists;
use crate::time::tz::{TimeZone, ZONEINFO};
use crate::time::TimeError;
use std::path::Path;

type Parsed<T> = Result<T, TimeError>;

const WEEKDAYS: &[(&str, u32)] = &[
    ("Monday", 0),
    ("Mon", 0),
    ("Tuesday", 1),
    ("Tue", 1),
    ("Wednesday", 2),
    ("Wed", 2),
    ("Thursday", 3),
    ("Thu", 3),
    ("Friday", 4),
    ("Fri", 4),
    ("Saturday", 5),
    ("Sat", 5),
    ("Sunday", 6),
    ("Sun", 6),
];

/// A list nested deeper than this is refused (systemd's `CALENDARSPEC_COMPONENTS_MAX`).
const COMPONENTS_MAX: usize = 240;

fn strip_suffix_no_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..cut])
}

fn constant(value: i64) -> Chain {
    Some(vec![Component {
        start: value,
        stop: -1,
        repeat: 0,
    }])
}

fn constants(values: &[i64]) -> Chain {
    Some(
        values
            .iter()
            .map(|&v| Component {
                start: v,
                stop: -1,
                repeat: 0,
            })
            .collect(),
    )
}

/// Parses a calendar event; `local` is the zone whose names (`CET`, `CEST`) may end it.
pub fn parse_calendar(text: &str, local: &TimeZone) -> Parsed<CalendarSpec> {
    parse_in(text, local, Path::new(ZONEINFO))
}

fn parse_in(text: &str, local: &TimeZone, zoneinfo: &Path) -> Parsed<CalendarSpec> {
    if text.is_empty() {
        return Err(TimeError::Invalid);
    }
    let mut c = CalendarSpec {
        weekdays: None,
        end_of_month: false,
        utc: false,
        dst: None,
        timezone: None,
        year: None,
        month: None,
        day: None,
        hour: None,
        minute: None,
        microsecond: None,
    };
    let mut weekday_bits: u8 = 0;
    let mut p = text;
    if let Some(rest) = strip_suffix_no_case(p, " UTC") {
        c.utc = true;
        p = rest;
    } else {
        let (std, dst) = local.standard_and_daylight();
        let named = [std, dst].iter().enumerate().find_map(|(j, name)| {
            if name.abbrev.is_empty() {
                return None;
            }
            // Not the whole expression, and after a blank.
            let rest = strip_suffix_no_case(p, &name.abbrev).filter(|r| !r.is_empty())?;
            Some((j, rest.strip_suffix(' ')?))
        });
        if let Some((j, rest)) = named {
            c.dst = Some(j);
            p = rest;
        } else if let Some((head, zone)) = p.rsplit_once(' ') {
            if zone_file_exists(zone, zoneinfo) {
                c.timezone = Some(zone.to_string());
                p = head;
            }
        }
    }
    if p.is_empty() {
        return Err(TimeError::Invalid);
    }
    let shorthand = p.to_ascii_lowercase();
    let midnight = |c: &mut CalendarSpec| {
        c.hour = constant(0);
        c.minute = constant(0);
        c.microsecond = constant(0);
    };
    match shorthand.as_str() {
        "minutely" => c.microsecond = constant(0),
        "hourly" => {
            c.minute = constant(0);
            c.microsecond = constant(0);
        }
        "daily" => midnight(&mut c),
        "monthly" => {
            c.day = constant(1);
            midnight(&mut c);
        }
        "annually" | "yearly" | "anually" => {
            c.month = constant(1);
            c.day = constant(1);
            midnight(&mut c);
        }
        "weekly" => {
            weekday_bits = 1;
            midnight(&mut c);
        }
        "quarterly" => {
            c.month = constants(&[1, 4, 7, 10]);
            c.day = constant(1);
            midnight(&mut c);
        }
        "biannually" | "bi-annually" | "semiannually" | "semi-annually" => {
            c.month = constants(&[1, 7]);
            c.day = constant(1);
            midnight(&mut c);
        }
        _ => {
            let mut s = p.as_bytes();
            weekday_bits = parse_weekdays(&mut s)?;
            if !parse_date(&mut s, &mut c)? {
                parse_time(&mut s, &mut c)?;
            }
            if !s.is_empty() {
                return Err(TimeError::Invalid);
            }
        }
    }
    c.weekdays = (weekday_bits > 0 && weekday_bits < 127).then_some(weekday_bits);
    normalize(&mut c);
    if !valid(&c) {
        return Err(TimeError::Invalid);
    }
    Ok(c)
}

fn starts_with_no_case(s: &[u8], prefix: &str) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn skip_spaces(s: &mut &[u8]) {
    while s.first() == Some(&b' ') {
        *s = &s[1..];
    }
}

/// `Mon,Wed..Fri `: the weekday bits (0 when no weekday starts the expression).
fn parse_weekdays(s: &mut &[u8]) -> Parsed<u8> {
    let mut bits = 0u8;
    let mut range_start: Option<u32> = None;
    let mut first = true;
    loop {
        let Some(&(name, nr)) = WEEKDAYS
            .iter()
            .find(|(name, _)| starts_with_no_case(s, name))
        else {
            return if first {
                Ok(bits)
            } else {
                Err(TimeError::Invalid)
            };
        };
        let next = s.get(name.len()).copied();
        if !matches!(next, None | Some(b'-' | b'.' | b',' | b' ')) {
            return Err(TimeError::Invalid);
        }
        bits |= 1 << nr;
        if let Some(l) = range_start {
            if l > nr {
                return Err(TimeError::Invalid);
            }
            for j in l + 1..nr {
                bits |= 1 << j;
            }
        }
        *s = &s[name.len()..];
        match s.first() {
            None => return Ok(bits),
            Some(b' ') => {
                skip_spaces(s);
                return Ok(bits);
            }
            Some(b'.') => {
                if range_start.is_some() || s.get(1) != Some(&b'.') {
                    return Err(TimeError::Invalid);
                }
                range_start = Some(nr);
                *s = &s[2..];
            }
            Some(b'-') => {
                if range_start.is_some() {
                    return Err(TimeError::Invalid);
                }
                range_start = Some(nr);
                *s = &s[1..];
            }
            Some(b',') => {
                range_start = None;
                *s = &s[1..];
            }
            _ => {}
        }
        // A trailing comma is fine, an open range is not.
        if matches!(s.first(), None | Some(b' ')) {
            skip_spaces(s);
            return if range_start.is_none() {
                Ok(bits)
            } else {
                Err(TimeError::Invalid)
            };
        }
        first = false;
    }
}

/// `strtoul()`: digits (systemd checks the first is one), else EINVAL.
fn parse_number(s: &mut &[u8]) -> Parsed<u64> {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return Err(TimeError::Invalid);
    }
    let value = std::str::from_utf8(&s[..n])
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .ok_or(TimeError::Range)?;
    *s = &s[n..];
    Ok(value)
}

/// One number of a component; for seconds (`usec`) with a decimal fraction, in µs.
fn parse_decimal(s: &mut &[u8], usec: bool) -> Parsed<i64> {
    if !s.first().is_some_and(u8::is_ascii_digit) {
        return Err(TimeError::Invalid);
    }
    let mut value = parse_number(s)?;
    if usec {
        value = value
            .checked_mul(USEC_PER_SEC as u64)
            .ok_or(TimeError::Range)?;
        // One '.' is a decimal point, ".." a range.
        if s.first() == Some(&b'.') && s.get(1) != Some(&b'.') {
            *s = &s[1..];
            value = value
                .checked_add(parse_fraction(s)?)
                .ok_or(TimeError::Range)?;
        }
    }
    if value > i32::MAX as u64 {
        return Err(TimeError::Range);
    }
    Ok(value as i64)
}

/// `parse_fractional_part_u(…, 6, …)`: six digits, rounded on the seventh, the rest skipped.
fn parse_fraction(s: &mut &[u8]) -> Parsed<u64> {
    let mut value = 0u64;
    for i in 0..6 {
        match s.get(i) {
            Some(d) if d.is_ascii_digit() => value = value * 10 + (d - b'0') as u64,
            _ if i == 0 => return Err(TimeError::Invalid),
            _ => {
                value *= 10u64.pow(6 - i as u32);
                *s = &s[i..];
                return Ok(value);
            }
        }
    }
    *s = &s[6..];
    if s.first().is_some_and(|&d| (b'5'..=b'9').contains(&d)) {
        value += 1;
    }
    while s.first().is_some_and(u8::is_ascii_digit) {
        *s = &s[1..];
    }
    Ok(value)
}

/// `start[..stop][/repeat][,…]`.
fn parse_components(s: &mut &[u8], usec: bool) -> Parsed<Vec<Component>> {
    let mut list = Vec::new();
    loop {
        if list.len() > COMPONENTS_MAX {
            return Err(TimeError::Invalid);
        }
        let start = parse_decimal(s, usec)?;
        let mut stop = -1;
        let mut repeat = 0;
        if s.starts_with(b"..") {
            *s = &s[2..];
            stop = parse_decimal(s, usec)?;
            repeat = if usec { USEC_PER_SEC } else { 1 };
        }
        if s.first() == Some(&b'/') {
            *s = &s[1..];
            repeat = parse_decimal(s, usec)?;
            if repeat == 0 {
                return Err(TimeError::Range);
            }
        } else {
            if start > i32::MAX as i64 - repeat {
                return Err(TimeError::Range);
            }
            // Without '/', a seconds range below a second would never repeat.
            if usec && stop >= 0 && start + repeat > stop {
                return Err(TimeError::Invalid);
            }
        }
        if !matches!(s.first(), None | Some(b' ' | b',' | b'-' | b'~' | b':')) {
            return Err(TimeError::Invalid);
        }
        list.push(Component {
            start,
            stop,
            repeat,
        });
        if s.first() == Some(&b',') {
            *s = &s[1..];
            continue;
        }
        return Ok(list);
    }
}

/// `*` or a list of components.
fn parse_chain(s: &mut &[u8], usec: bool) -> Parsed<Chain> {
    if s.first() == Some(&b'*') {
        *s = &s[1..];
        return Ok(if usec {
            Some(vec![Component {
                start: 0,
                stop: -1,
                repeat: USEC_PER_SEC,
            }])
        } else {
            None
        });
    }
    parse_components(s, usec).map(Some)
}

/// The date part (or `@EPOCH`); `Ok(true)` when it was `@EPOCH`, which includes the time.
fn parse_date(s: &mut &[u8], c: &mut CalendarSpec) -> Parsed<bool> {
    let mut t = *s;
    if t.is_empty() {
        return Ok(false);
    }
    if t[0] == b'@' {
        t = &t[1..];
        let epoch = parse_number(&mut t)?;
        if !t.is_empty() {
            return Err(TimeError::Invalid);
        }
        let epoch = i64::try_from(epoch).map_err(|_| TimeError::Invalid)?;
        let days = epoch.div_euclid(86_400);
        let in_day = epoch.rem_euclid(86_400);
        let (year, month, day) = crate::time::civil::civil_from_days(days);
        c.microsecond = constant(in_day % 60 * USEC_PER_SEC);
        c.minute = constant(in_day / 60 % 60);
        c.hour = constant(in_day / 3600);
        c.day = constant(day as i64);
        c.month = constant(month as i64);
        c.year = constant(year);
        c.utc = true;
        *s = t;
        return Ok(true);
    }
    let first = parse_chain(&mut t, false)?;
    // The end, or a ':': that was an hour, not a date.
    if matches!(t.first(), None | Some(b':')) {
        return Ok(false);
    }
    match t.first() {
        Some(b'~') => c.end_of_month = true,
        Some(b'-') => {}
        _ => return Err(TimeError::Invalid),
    }
    t = &t[1..];
    let second = parse_chain(&mut t, false)?;
    if matches!(t.first(), None | Some(b' ')) {
        skip_spaces(&mut t);
        *s = t;
        c.month = first;
        c.day = second;
        return Ok(false);
    }
    if c.end_of_month {
        return Err(TimeError::Invalid);
    }
    match t.first() {
        Some(b'~') => c.end_of_month = true,
        Some(b'-') => {}
        _ => return Err(TimeError::Invalid),
    }
    t = &t[1..];
    let third = parse_chain(&mut t, false)?;
    if !matches!(t.first(), None | Some(b' ')) {
        return Err(TimeError::Invalid);
    }
    skip_spaces(&mut t);
    *s = t;
    c.year = first;
    c.month = second;
    c.day = third;
    Ok(false)
}

/// `HOUR:MINUTE[:SECOND]`; nothing at all is `00:00:00`.
fn parse_time(s: &mut &[u8], c: &mut CalendarSpec) -> Parsed<()> {
    let mut t = *s;
    if t.is_empty() {
        c.hour = constant(0);
        c.minute = constant(0);
        c.microsecond = constant(0);
        return Ok(());
    }
    let hour = parse_chain(&mut t, false)?;
    if t.first() != Some(&b':') {
        return Err(TimeError::Invalid);
    }
    t = &t[1..];
    let minute = parse_chain(&mut t, false)?;
    let second = if t.is_empty() {
        constant(0)
    } else {
        if t.first() != Some(&b':') {
            return Err(TimeError::Invalid);
        }
        t = &t[1..];
        let second = parse_chain(&mut t, true)?;
        if !t.is_empty() {
            return Err(TimeError::Invalid);
        }
        second
    };
    *s = t;
    c.hour = hour;
    c.minute = minute;
    c.microsecond = second;
    Ok(())
}

/// systemd's `calendar_spec_normalize()`: two-digit years are 19xx/20xx, ranges trimmed
/// to their last repetition, lists sorted, duplicates dropped.
fn normalize(c: &mut CalendarSpec) {
    if c.timezone.as_deref() == Some("UTC") {
        c.utc = true;
        c.timezone = None;
    }
    if c.end_of_month && c.day.is_none() {
        c.end_of_month = false;
    }
    if let Some(years) = &mut c.year {
        let fix = |v: &mut i64| {
            if (0..70).contains(v) {
                *v += 2000;
            } else if (70..100).contains(v) {
                *v += 1900;
            }
        };
        for y in years.iter_mut() {
            fix(&mut y.start);
            fix(&mut y.stop);
        }
    }
    for list in [
        &mut c.year,
        &mut c.month,
        &mut c.day,
        &mut c.hour,
        &mut c.minute,
        &mut c.microsecond,
    ]
    .into_iter()
    .flatten()
    {
        {
            for c in list.iter_mut() {
                // A range's length becomes a multiple of its repetition.
                if c.stop > c.start && c.repeat > 0 {
                    c.stop -= (c.stop - c.start) % c.repeat;
                }
                // A repetition that cannot fire twice, or a one-value range, is a value.
                if (c.stop > c.start && c.start + c.repeat > c.stop) || c.start == c.stop {
                    c.repeat = 0;
                    c.stop = -1;
                }
            }
            list.sort();
            list.dedup();
        }
    }
}

fn chain_valid(chain: &Chain, from: i64, to: i64, end_of_month: bool) -> bool {
    let Some(list) = chain else {
        return true;
    };
    // Days counted from the end lie at most 28 days before it.
    let to = if end_of_month { to - 3 } else { to };
    list.iter().all(|c| {
        if c.start < from || c.start > to || c.repeat > to - from {
            return false;
        }
        if c.stop >= 0 {
            c.stop >= from && c.stop <= to && c.start + c.repeat <= c.stop
        } else if end_of_month {
            c.start - c.repeat >= from
        } else {
            c.start + c.repeat <= to
        }
    })
}

fn valid(c: &CalendarSpec) -> bool {
    chain_valid(&c.year, MIN_YEAR, MAX_YEAR, false)
        && chain_valid(&c.month, 1, 12, false)
        && chain_valid(&c.day, 1, 31, c.end_of_month)
        && chain_valid(&c.hour, 0, 23, false)
        && chain_valid(&c.minute, 0, 59, false)
        && chain_valid(&c.microsecond, 0, 60 * USEC_PER_SEC - 1, false)
}
