//! The small languages inside condition values, parsed as systemd 252 parses them:
//! comparison operators (`>=`, `$=`, …), `strverscmp_improved()` version ordering and
//! C-style unsigned numbers (`0x10`, `0o7`, `010`). Sizes are
//! [`crate::unit::value::parse_size`], globs [`crate::glob`].

use crate::glob::{fnmatch, MatchFlags};
use crate::unit::value::is_c_space;
use nix::errno::Errno;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Lower,
    LowerOrEqual,
    Equal,
    Unequal,
    GreaterOrEqual,
    Greater,
    /// `=` and `!=` where the values are strings (`ConditionKernelVersion=`, `…OSRelease=`).
    StringEqual,
    StringUnequal,
    /// `$=` and `!$=`: shell glob.
    FnmatchEqual,
    FnmatchUnequal,
}

/// Which operators a setting accepts (systemd's `COMPARE_ALLOW_FNMATCH` and
/// `COMPARE_EQUAL_BY_STRING`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OperatorFlags {
    pub fnmatch: bool,
    pub equal_by_string: bool,
}

impl OperatorFlags {
    pub const VERSION: OperatorFlags = OperatorFlags {
        fnmatch: true,
        equal_by_string: true,
    };
    pub const NUMERIC: OperatorFlags = OperatorFlags {
        fnmatch: false,
        equal_by_string: false,
    };
}

/// The characters an operator is made of: where a key in `KEY>=VALUE` ends.
pub const OPERATOR_CHARS: &[char] = &['!', '<', '=', '>', '$'];

/// Parses an operator at the start of `s`; returns it and the rest. `None` when there is no
/// operator, or one the flags do not allow (the caller decides what that means).
pub fn parse_operator(s: &str, flags: OperatorFlags) -> Option<(Operator, &str)> {
    use Operator::*;
    // Longest prefixes first, in systemd's table order.
    let table: [(&str, Operator, bool, bool); 12] = [
        ("$=", FnmatchEqual, true, false),
        ("!$=", FnmatchUnequal, true, false),
        ("<>", Unequal, false, false),
        ("<=", LowerOrEqual, false, false),
        (">=", GreaterOrEqual, false, false),
        ("<", Lower, false, false),
        (">", Greater, false, false),
        ("==", Equal, false, false),
        ("=", StringEqual, false, true),
        ("=", Equal, false, false),
        ("!=", StringUnequal, false, true),
        ("!=", Unequal, false, false),
    ];
    for (text, op, needs_fnmatch, needs_string) in table {
        if needs_string && !flags.equal_by_string {
            continue;
        }
        if let Some(rest) = s.strip_prefix(text) {
            if needs_fnmatch && !flags.fnmatch {
                return None;
            }
            return Some((op, rest));
        }
    }
    None
}

/// `test_order()`: whether an ordering satisfies an ordering operator. String and glob
/// operators have no meaning for numbers (`EINVAL`).
pub fn test_order(ord: Ordering, op: Operator) -> Result<bool, Errno> {
    Ok(match op {
        Operator::Lower => ord == Ordering::Less,
        Operator::LowerOrEqual => ord != Ordering::Greater,
        Operator::Equal => ord == Ordering::Equal,
        Operator::Unequal => ord != Ordering::Equal,
        Operator::GreaterOrEqual => ord != Ordering::Less,
        Operator::Greater => ord == Ordering::Greater,
        _ => return Err(Errno::EINVAL),
    })
}

/// `version_or_fnmatch_compare()`: `actual` is what the system has (`None` when unset),
/// `wanted` what the condition asks for.
pub fn version_or_fnmatch_compare(
    op: Operator,
    actual: Option<&str>,
    wanted: &str,
) -> Result<bool, Errno> {
    Ok(match op {
        Operator::StringEqual => actual == Some(wanted),
        Operator::StringUnequal => actual != Some(wanted),
        Operator::FnmatchEqual => fnmatch(wanted, actual.unwrap_or(""), MatchFlags::default()),
        Operator::FnmatchUnequal => !fnmatch(wanted, actual.unwrap_or(""), MatchFlags::default()),
        _ => test_order(strverscmp_improved(actual.unwrap_or(""), wanted), op)?,
    })
}

fn is_version_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'~' | b'-' | b'^' | b'.')
}

/// systemd's `strverscmp_improved()` (the version format specification): segments of digits
/// or letters; `~` sorts before everything, `-` before `^` before `.`, and a numeric segment
/// is newer than an alphabetic one.
pub fn strverscmp_improved(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        while i < a.len() && !is_version_char(a[i]) {
            i += 1;
        }
        while j < b.len() && !is_version_char(b[j]) {
            j += 1;
        }
        if at(a, i) == b'~' || at(b, j) == b'~' {
            let r = (at(a, i) != b'~').cmp(&(at(b, j) != b'~'));
            if r != Ordering::Equal {
                return r;
            }
            i += 1;
            j += 1;
        }
        if at(a, i) == 0 || at(b, j) == 0 {
            return at(a, i).cmp(&at(b, j));
        }
        for prefix in [b'-', b'^', b'.'] {
            if at(a, i) == prefix || at(b, j) == prefix {
                let r = (at(a, i) != prefix).cmp(&(at(b, j) != prefix));
                if r != Ordering::Equal {
                    return r;
                }
                i += 1;
                j += 1;
            }
        }
        let (ea, eb);
        if at(a, i).is_ascii_digit() || at(b, j).is_ascii_digit() {
            ea = i + a[i.min(a.len())..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            eb = j + b[j.min(b.len())..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let r = (ea != i).cmp(&(eb != j));
            if r != Ordering::Equal {
                return r;
            }
            while at(a, i) == b'0' {
                i += 1;
            }
            while at(b, j) == b'0' {
                j += 1;
            }
            // Leading zeros may run to the segment end; a shorter number is older.
            let (la, lb) = (ea.saturating_sub(i), eb.saturating_sub(j));
            let r = la.cmp(&lb);
            if r != Ordering::Equal {
                return r;
            }
            let r = a[i.min(a.len())..ea.max(i).min(a.len())]
                .cmp(&b[j.min(b.len())..eb.max(j).min(b.len())]);
            if r != Ordering::Equal {
                return r;
            }
        } else {
            ea = i + a[i.min(a.len())..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            eb = j + b[j.min(b.len())..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            let n = (ea - i).min(eb - j);
            let r = a[i..i + n].cmp(&b[j..j + n]);
            if r != Ordering::Equal {
                return r;
            }
            let r = (ea - i).cmp(&(eb - j));
            if r != Ordering::Equal {
                return r;
            }
        }
        i = ea.max(i);
        j = eb.max(j);
    }
}

/// `safe_atou()`: leading whitespace, an optional sign, `0x`/`0o`/`0b` prefixes and C's
/// leading-zero octal; nothing may follow. `-0` is zero, other negatives are `ERANGE`.
pub fn parse_unsigned(s: &str) -> Result<u32, Errno> {
    let s = s.trim_start_matches(is_c_space);
    let (radix, digits) = if let Some(d) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, d)
    } else if let Some(d) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (8, d)
    } else {
        let (sign, body) = match s.as_bytes().first() {
            Some(b'+') | Some(b'-') => (&s[..1], &s[1..]),
            _ => ("", s),
        };
        let (radix, d) =
            if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
                (16, h)
            } else if body.len() > 1 && body.starts_with('0') {
                (8, &body[1..])
            } else {
                (10, body)
            };
        return finish_unsigned(sign == "-", radix, d);
    };
    // After an explicit binary/octal prefix no sign is allowed (strtoul would stop there).
    if digits.starts_with(['+', '-']) {
        return Err(Errno::EINVAL);
    }
    finish_unsigned(false, radix, digits)
}

fn finish_unsigned(negative: bool, radix: u32, digits: &str) -> Result<u32, Errno> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(Errno::EINVAL);
    }
    let value = u64::from_str_radix(digits, radix).map_err(|_| Errno::ERANGE)?;
    if negative && value != 0 {
        return Err(Errno::ERANGE);
    }
    u32::try_from(value).map_err(|_| Errno::ERANGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn operators_in_systemd_table_order() {
        let v = OperatorFlags::VERSION;
        let n = OperatorFlags::NUMERIC;
        assert_eq!(
            parse_operator(">=4", n),
            Some((Operator::GreaterOrEqual, "4"))
        );
        assert_eq!(parse_operator("<>4", n), Some((Operator::Unequal, "4")));
        assert_eq!(parse_operator("=4", n), Some((Operator::Equal, "4")));
        assert_eq!(parse_operator("=4", v), Some((Operator::StringEqual, "4")));
        assert_eq!(
            parse_operator("!=4", v),
            Some((Operator::StringUnequal, "4"))
        );
        assert_eq!(parse_operator("==4", v), Some((Operator::Equal, "4")));
        assert_eq!(
            parse_operator("$=6*", v),
            Some((Operator::FnmatchEqual, "6*"))
        );
        assert_eq!(
            parse_operator("!$=6*", v),
            Some((Operator::FnmatchUnequal, "6*"))
        );
        assert_eq!(parse_operator("$=6*", n), None);
        assert_eq!(parse_operator("4", n), None);
        assert_eq!(parse_operator("lt 4", v), None);
    }

    #[test]
    fn version_ordering_follows_the_version_format_specification() {
        let ascending = [
            "122.1",
            "123~rc1-1",
            "123",
            "123-a",
            "123-a.1",
            "123-1",
            "123-1.1",
            "123^post1",
            "123.a-1",
            "123.1-1",
            "123a-1",
            "124-1",
        ];
        for w in ascending.windows(2) {
            assert_eq!(strverscmp_improved(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
            assert_eq!(strverscmp_improved(w[1], w[0]), Greater);
        }
        assert_eq!(strverscmp_improved("00123", "123"), Equal);
        assert_eq!(strverscmp_improved("6.18.44-fc", "6.18"), Greater);
        assert_eq!(strverscmp_improved("6.18.44-fc-v445", "6.18.44"), Greater);
        assert_eq!(strverscmp_improved("", "1"), Less);
        assert_eq!(strverscmp_improved("5.10", "5.9"), Greater);
        assert_eq!(strverscmp_improved("1_a", "1a"), Equal);
    }

    #[test]
    fn unsigned_numbers_as_safe_atou_reads_them() {
        assert_eq!(parse_unsigned("1"), Ok(1));
        assert_eq!(parse_unsigned(" 1"), Ok(1));
        assert_eq!(parse_unsigned("+1"), Ok(1));
        assert_eq!(parse_unsigned("0x10"), Ok(16));
        assert_eq!(parse_unsigned("010"), Ok(8));
        assert_eq!(parse_unsigned("0b11"), Ok(3));
        assert_eq!(parse_unsigned("0o17"), Ok(15));
        assert_eq!(parse_unsigned("0"), Ok(0));
        assert_eq!(parse_unsigned("-0"), Ok(0));
        assert_eq!(parse_unsigned("-1"), Err(Errno::ERANGE));
        assert_eq!(parse_unsigned("1 "), Err(Errno::EINVAL));
        assert_eq!(parse_unsigned("abc"), Err(Errno::EINVAL));
        assert_eq!(parse_unsigned(""), Err(Errno::EINVAL));
        assert_eq!(parse_unsigned("09"), Err(Errno::EINVAL));
        assert_eq!(parse_unsigned("4294967296"), Err(Errno::ERANGE));
    }
}
