//! Time spans as systemd 252 reads and prints them (systemd.time(7)): `parse_sec()`,
//! `parse_time()` with another default unit, `parse_nsec()`, and `format_timespan()`.
//! The rules are systemd's to the letter, because the differential tests compare them with
//! `systemd-analyze timespan`: blanks anywhere between components, a bare number in any
//! position takes the default unit, unit names are matched as prefixes in systemd's table
//! order (`5secx` fails on the `x`, `1d1` is a day and a second), fractions of any unit.

use super::clock::*;
use super::TimeError;

/// The value systemd uses for "never" / `infinity`.
pub const USEC_INFINITY: u64 = u64::MAX;
pub const NSEC_INFINITY: u64 = u64::MAX;
pub const NSEC_PER_USEC: u64 = 1000;

/// systemd's `extract_multiplier()` table for µs, in its order (the first prefix wins).
const USEC_UNITS: &[(&str, u64)] = &[
    ("seconds", USEC_PER_SEC),
    ("second", USEC_PER_SEC),
    ("sec", USEC_PER_SEC),
    ("s", USEC_PER_SEC),
    ("minutes", USEC_PER_MINUTE),
    ("minute", USEC_PER_MINUTE),
    ("min", USEC_PER_MINUTE),
    ("months", USEC_PER_MONTH),
    ("month", USEC_PER_MONTH),
    ("M", USEC_PER_MONTH),
    ("msec", 1000),
    ("ms", 1000),
    ("m", USEC_PER_MINUTE),
    ("hours", USEC_PER_HOUR),
    ("hour", USEC_PER_HOUR),
    ("hr", USEC_PER_HOUR),
    ("h", USEC_PER_HOUR),
    ("days", USEC_PER_DAY),
    ("day", USEC_PER_DAY),
    ("d", USEC_PER_DAY),
    ("weeks", USEC_PER_WEEK),
    ("week", USEC_PER_WEEK),
    ("w", USEC_PER_WEEK),
    ("years", USEC_PER_YEAR),
    ("year", USEC_PER_YEAR),
    ("y", USEC_PER_YEAR),
    ("usec", 1),
    ("us", 1),
    ("\u{3bc}s", 1), // Greek small letter mu
    ("\u{b5}s", 1),  // micro sign
];

/// `parse_nsec()`'s table: the same words in ns, plus `nsec`/`ns`; no `M`.
const NSEC_UNITS: &[(&str, u64)] = &[
    ("seconds", USEC_PER_SEC * 1000),
    ("second", USEC_PER_SEC * 1000),
    ("sec", USEC_PER_SEC * 1000),
    ("s", USEC_PER_SEC * 1000),
    ("minutes", USEC_PER_MINUTE * 1000),
    ("minute", USEC_PER_MINUTE * 1000),
    ("min", USEC_PER_MINUTE * 1000),
    ("months", USEC_PER_MONTH * 1000),
    ("month", USEC_PER_MONTH * 1000),
    ("msec", 1_000_000),
    ("ms", 1_000_000),
    ("m", USEC_PER_MINUTE * 1000),
    ("hours", USEC_PER_HOUR * 1000),
    ("hour", USEC_PER_HOUR * 1000),
    ("hr", USEC_PER_HOUR * 1000),
    ("h", USEC_PER_HOUR * 1000),
    ("days", USEC_PER_DAY * 1000),
    ("day", USEC_PER_DAY * 1000),
    ("d", USEC_PER_DAY * 1000),
    ("weeks", USEC_PER_WEEK * 1000),
    ("week", USEC_PER_WEEK * 1000),
    ("w", USEC_PER_WEEK * 1000),
    ("years", USEC_PER_YEAR * 1000),
    ("year", USEC_PER_YEAR * 1000),
    ("y", USEC_PER_YEAR * 1000),
    ("usec", NSEC_PER_USEC),
    ("us", NSEC_PER_USEC),
    ("\u{3bc}s", NSEC_PER_USEC),
    ("\u{b5}s", NSEC_PER_USEC),
    ("nsec", 1),
    ("ns", 1),
];

/// `1h 30min`, `5s500ms`, `2.5h`, `90` (seconds), `infinity`: systemd's `parse_sec()`.
pub fn parse_sec(text: &str) -> Result<u64, TimeError> {
    parse_time(text, USEC_PER_SEC)
}

/// `parse_sec()` with another unit for bare numbers (systemd's `parse_time()`), in µs.
pub fn parse_time(text: &str, default_unit: u64) -> Result<u64, TimeError> {
    parse_span(text, USEC_UNITS, default_unit)
}

/// Nanosecond spans (`TimerSlackNSec=`): bare numbers are ns; `ns`/`nsec` are units.
pub fn parse_nsec(text: &str) -> Result<u64, TimeError> {
    parse_span(text, NSEC_UNITS, 1)
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_blanks(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| is_blank(c)).count();
    &s[n..]
}

fn skip_digits(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    &s[n..]
}

/// The unit a component ends with, and what follows it; `None` if no unit name starts here.
fn unit_at<'a>(s: &'a [u8], table: &[(&str, u64)]) -> Option<(u64, &'a [u8])> {
    table
        .iter()
        .find(|(name, _)| s.starts_with(name.as_bytes()))
        .map(|(name, factor)| (*factor, &s[name.len()..]))
}

/// systemd's `parse_time()` loop over any unit table.
fn parse_span(text: &str, table: &[(&str, u64)], default_unit: u64) -> Result<u64, TimeError> {
    let mut p = skip_blanks(text.as_bytes());
    if let Some(rest) = p.strip_prefix(b"infinity") {
        return if skip_blanks(rest).is_empty() {
            Ok(u64::MAX)
        } else {
            Err(TimeError::Invalid)
        };
    }
    let mut total: u64 = 0;
    let mut something = false;
    loop {
        p = skip_blanks(p);
        if p.is_empty() {
            return if something {
                Ok(total)
            } else {
                Err(TimeError::Invalid)
            };
        }
        if p[0] == b'-' {
            return Err(TimeError::Range);
        }
        // strtoll(): an optional '+', then digits.
        let signless = p.strip_prefix(b"+").unwrap_or(p);
        let digits = signless.len() - skip_digits(signless).len();
        let whole: u64 = if digits == 0 {
            0
        } else {
            std::str::from_utf8(&signless[..digits])
                .ok()
                .and_then(|d| d.parse::<i64>().ok())
                .ok_or(TimeError::Range)? as u64
        };
        let after_number = &signless[digits..];
        let fraction = after_number.strip_prefix(b".");
        let after = match fraction {
            // strtoll() converted nothing of "+.5": its end is the '+', not a '.'.
            Some(_) if digits == 0 && signless.len() != p.len() => return Err(TimeError::Invalid),
            Some(f) => skip_digits(f),
            None if digits == 0 => return Err(TimeError::Invalid),
            None => after_number,
        };
        let candidate = skip_blanks(after);
        let (multiplier, rest) = match unit_at(candidate, table) {
            Some(found) => found,
            None => (default_unit, candidate),
        };
        // No unit and no blank: `12.34.56` is refused, `12.34 .56` and `12.34s.56` are not.
        if rest.len() == after.len() && !rest.is_empty() {
            return Err(TimeError::Invalid);
        }
        p = rest;
        if whole >= u64::MAX / multiplier {
            return Err(TimeError::Range);
        }
        let k = whole * multiplier;
        if k >= u64::MAX - total {
            return Err(TimeError::Range);
        }
        total += k;
        something = true;
        if let Some(f) = fraction {
            let mut m = multiplier / 10;
            let fraction_digits = f.len() - skip_digits(f).len();
            if fraction_digits == 0 {
                // "3.sec", "3. 1", "0.-0"
                return Err(TimeError::Invalid);
            }
            for &d in &f[..fraction_digits] {
                let k = (d - b'0') as u64 * m;
                if k >= u64::MAX - total {
                    return Err(TimeError::Range);
                }
                total += k;
                m /= 10;
            }
        }
    }
}

/// systemd's `format_timespan()`: `1h 30min`, `5.500000s` below a minute, `infinity`, `0`.
/// `accuracy` (µs) drops what is finer: `format_timespan(t, USEC_PER_SEC)` prints seconds.
pub fn format_timespan(t: u64, accuracy: u64) -> String {
    const TABLE: &[(&str, u64)] = &[
        ("y", USEC_PER_YEAR),
        ("month", USEC_PER_MONTH),
        ("w", USEC_PER_WEEK),
        ("d", USEC_PER_DAY),
        ("h", USEC_PER_HOUR),
        ("min", USEC_PER_MINUTE),
        ("s", USEC_PER_SEC),
        ("ms", 1000),
        ("us", 1),
    ];
    if t == USEC_INFINITY {
        return "infinity".into();
    }
    if t == 0 {
        return "0".into();
    }
    let mut out = String::new();
    let mut t = t;
    let mut something = false;
    for &(suffix, unit) in TABLE {
        if t == 0 || (t < accuracy && something) {
            break;
        }
        if t < unit {
            continue;
        }
        let a = t / unit;
        let mut b = t % unit;
        let separator = if out.is_empty() { "" } else { " " };
        let mut done = false;
        // Below a minute, a remainder is shown as a decimal fraction.
        if t < USEC_PER_MINUTE && b > 0 {
            let mut j: i32 = 0;
            let mut cc = unit;
            while cc > 1 {
                j += 1;
                cc /= 10;
            }
            let mut cc = accuracy;
            while cc > 1 {
                b /= 10;
                j -= 1;
                cc /= 10;
            }
            if j > 0 {
                out.push_str(&format!(
                    "{separator}{a}.{b:0width$}{suffix}",
                    width = j as usize
                ));
                t = 0;
                done = true;
            }
        }
        if !done {
            out.push_str(&format!("{separator}{a}{suffix}"));
            t = b;
        }
        something = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_parse_sec() {
        let ok = |s: &str| parse_sec(s).unwrap();
        assert_eq!(ok("90"), 90 * USEC_PER_SEC);
        assert_eq!(ok("1h30min"), 90 * USEC_PER_MINUTE);
        assert_eq!(ok("1 h 30 min"), 90 * USEC_PER_MINUTE);
        assert_eq!(ok("3s500ms"), 3_500_000);
        assert_eq!(ok("1.5h"), 90 * USEC_PER_MINUTE);
        assert_eq!(ok("1M"), USEC_PER_MONTH);
        assert_eq!(ok("1m"), USEC_PER_MINUTE);
        assert_eq!(ok("5 5h"), 5 * USEC_PER_HOUR + 5 * USEC_PER_SEC);
        assert_eq!(ok("1d1"), USEC_PER_DAY + USEC_PER_SEC);
        assert_eq!(ok(".5s"), 500_000);
        assert_eq!(ok("12.34 .56"), 12_900_000);
        assert_eq!(ok("12.34s.56"), 12_900_000);
        assert_eq!(ok("+5s"), 5 * USEC_PER_SEC);
        assert_eq!(ok(" infinity "), USEC_INFINITY);
        assert_eq!(ok("5µs"), 5);
        assert_eq!(ok("5μs"), 5);
        assert_eq!(ok("1.5us"), 1);
        for bad in [
            "", "5.", "5.s", "1.2.3", "5secx", "0x10", "1 Hour", "3.+1", "1ns", "x",
        ] {
            assert_eq!(parse_sec(bad), Err(TimeError::Invalid), "{bad:?}");
        }
        for range in ["-0", "-5s", "99999999999999999999", "600000y"] {
            assert_eq!(parse_sec(range), Err(TimeError::Range), "{range:?}");
        }
    }

    #[test]
    fn nanoseconds() {
        assert_eq!(parse_nsec("50"), Ok(50));
        assert_eq!(parse_nsec("50ns"), Ok(50));
        assert_eq!(parse_nsec("3 nsec"), Ok(3));
        assert_eq!(parse_nsec("1.5us"), Ok(1500));
        assert_eq!(parse_nsec("1s"), Ok(1_000_000_000));
        assert_eq!(parse_nsec("1M"), Err(TimeError::Invalid));
        assert_eq!(parse_time("5", 1), Ok(5));
    }

    #[test]
    fn formats_like_format_timespan() {
        assert_eq!(format_timespan(5_400_000_000, 1), "1h 30min");
        assert_eq!(format_timespan(5_500_000, 1), "5.500000s");
        assert_eq!(format_timespan(500_000, 1), "500ms");
        assert_eq!(format_timespan(1_468_800_000_000, 1), "2w 3d");
        assert_eq!(format_timespan(USEC_PER_MONTH, 1), "1month");
        assert_eq!(format_timespan(18_005_000_000, 1), "5h 5s");
        assert_eq!(format_timespan(0, 1), "0");
        assert_eq!(format_timespan(USEC_INFINITY, 1), "infinity");
        assert_eq!(format_timespan(90_500_000, USEC_PER_SEC), "1min 30s");
        assert_eq!(format_timespan(5_500_000, USEC_PER_MSEC_FOR_TEST), "5.500s");
    }

    const USEC_PER_MSEC_FOR_TEST: u64 = 1000;
}
