//! The small languages inside condition values, parsed as systemd 252 parses them:
//! comparison operators (`>=`, `$=`, …), `strverscmp_improved()` version ordering, sizes
//! (`1.5G`), C-style unsigned numbers (`0x10`, `0o7`, `010`) and `fnmatch(3)` globs.

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

/// `parse_size(s, 1024)`: `1G`, `1.5T`, `1G 512M` (summed, largest unit first), `B` for bytes.
pub fn parse_size(s: &str) -> Result<u64, Errno> {
    const UNITS: [(&str, u64); 8] = [
        ("E", 1 << 60),
        ("P", 1 << 50),
        ("T", 1 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
        ("B", 1),
        ("", 1),
    ];
    let mut total: u64 = 0;
    let mut rest = s;
    let mut start = 0;
    loop {
        rest = rest.trim_start_matches(is_c_space);
        let negative = rest.starts_with('-');
        let body = rest.strip_prefix(['+', '-']).unwrap_or(rest);
        let digits = body.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(Errno::EINVAL);
        }
        if negative {
            return Err(Errno::ERANGE);
        }
        let whole: u64 = body[..digits].parse().map_err(|_| Errno::ERANGE)?;
        let mut after = &body[digits..];
        let mut frac = 0f64;
        if let Some(f) = after.strip_prefix('.') {
            after = f;
            let n = f.bytes().take_while(u8::is_ascii_digit).count();
            if n > 0 {
                let value: f64 = f[..n].parse().map_err(|_| Errno::ERANGE)?;
                frac = value / 10f64.powi(n as i32);
                after = &f[n..];
            }
        }
        after = after.trim_start_matches(is_c_space);
        let Some(idx) = (start..UNITS.len()).find(|&k| after.starts_with(UNITS[k].0)) else {
            return Err(Errno::EINVAL);
        };
        let (suffix, factor) = UNITS[idx];
        let bump = u64::from(frac > 0.0);
        if whole.saturating_add(bump) > u64::MAX / factor {
            return Err(Errno::ERANGE);
        }
        let value = whole * factor + (frac * factor as f64) as u64;
        total = total.checked_add(value).ok_or(Errno::ERANGE)?;
        rest = &after[suffix.len()..];
        start = idx + 1;
        if rest.is_empty() {
            return Ok(total);
        }
    }
}

fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
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

#[derive(Debug, Clone, Copy, Default)]
pub struct MatchFlags {
    /// `FNM_CASEFOLD` (`ConditionHost=`).
    pub casefold: bool,
    /// `FNM_PERIOD`: a leading `.` must be matched literally (globbing file names).
    pub period: bool,
}

/// `fnmatch(3)` without `FNM_PATHNAME`: `*`, `?`, `[…]` (with `!`/`^`, ranges and
/// `[:class:]`), backslash escapes. An unterminated `[` is a literal.
pub fn fnmatch(pattern: &str, text: &str, flags: MatchFlags) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    if flags.period && t.first() == Some(&'.') {
        let literal_dot = match p.first() {
            Some('.') => true,
            Some('\\') => p.get(1) == Some(&'.'),
            _ => false,
        };
        if !literal_dot {
            return false;
        }
    }
    let same = |a: char, b: char| {
        if flags.casefold {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        let advanced = match p.get(pi) {
            Some('*') => {
                backtrack = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => match bracket(&p, pi, t[ti], flags.casefold) {
                Some((true, next)) => Some(next),
                Some((false, _)) => None,
                None => same('[', t[ti]).then_some(pi + 1),
            },
            Some('\\') if pi + 1 < p.len() => same(p[pi + 1], t[ti]).then_some(pi + 2),
            Some(&c) => same(c, t[ti]).then_some(pi + 1),
            None => None,
        };
        match advanced {
            Some(next) => {
                pi = next;
                ti += 1;
            }
            None => match backtrack {
                Some((star, from)) => {
                    pi = star + 1;
                    ti = from + 1;
                    backtrack = Some((star, from + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the bracket expression starting at `p[start] == '['`: whether it
/// matched and where the pattern continues; `None` if the bracket is not terminated.
fn bracket(p: &[char], start: usize, c: char, casefold: bool) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let fold = |x: char| {
        if casefold {
            x.to_lowercase().next().unwrap_or(x)
        } else {
            x
        }
    };
    let c = fold(c);
    let mut matched = false;
    let mut first = true;
    loop {
        let &here = p.get(i)?;
        if here == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if here == '[' && p.get(i + 1) == Some(&':') {
            let rest: String = p[i + 2..].iter().collect();
            if let Some(end) = rest.find(":]") {
                let class = &rest[..end];
                matched |= class_matches(class, c);
                i += 2 + rest[..end].chars().count() + 2;
                continue;
            }
        }
        let (lo, next) = if here == '\\' {
            (*p.get(i + 1)?, i + 2)
        } else {
            (here, i + 1)
        };
        if p.get(next) == Some(&'-') && p.get(next + 1).is_some_and(|&h| h != ']') {
            let (hi, after) = if p[next + 1] == '\\' {
                (*p.get(next + 2)?, next + 3)
            } else {
                (p[next + 1], next + 2)
            };
            matched |= fold(lo) <= c && c <= fold(hi);
            i = after;
        } else {
            matched |= fold(lo) == c;
            i = next;
        }
    }
}

fn class_matches(class: &str, c: char) -> bool {
    match class {
        "alpha" => c.is_ascii_alphabetic(),
        "digit" => c.is_ascii_digit(),
        "alnum" => c.is_ascii_alphanumeric(),
        "upper" => c.is_ascii_uppercase(),
        "lower" => c.is_ascii_lowercase(),
        "space" => c.is_ascii_whitespace() || c == '\x0b',
        "blank" => c == ' ' || c == '\t',
        "punct" => c.is_ascii_punctuation(),
        "xdigit" => c.is_ascii_hexdigit(),
        "cntrl" => c.is_ascii_control(),
        "print" => c.is_ascii_graphic() || c == ' ',
        "graph" => c.is_ascii_graphic(),
        _ => false,
    }
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
    fn sizes_as_parse_size_reads_them() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1 G"), Ok(1 << 30));
        assert_eq!(parse_size("1.5K"), Ok(1536));
        assert_eq!(parse_size("1.K"), Ok(1024));
        assert_eq!(parse_size("+1K"), Ok(1024));
        assert_eq!(parse_size("1G 512M"), Ok((1 << 30) + (512 << 20)));
        assert_eq!(parse_size("1.5"), Ok(1));
        assert_eq!(parse_size("10E"), Ok(10 << 60));
        assert_eq!(parse_size("512M 1G"), Err(Errno::EINVAL));
        assert_eq!(parse_size("1 2"), Err(Errno::EINVAL));
        assert_eq!(parse_size("1KB"), Err(Errno::EINVAL));
        assert_eq!(parse_size("1k"), Err(Errno::EINVAL));
        assert_eq!(parse_size("garbage"), Err(Errno::EINVAL));
        assert_eq!(parse_size(""), Err(Errno::EINVAL));
        assert_eq!(parse_size("-1"), Err(Errno::ERANGE));
        assert_eq!(parse_size("20E"), Err(Errno::ERANGE));
        assert_eq!(parse_size("99999999999999999999999"), Err(Errno::ERANGE));
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

    #[test]
    fn globs_as_fnmatch_reads_them() {
        let f = MatchFlags::default();
        assert!(fnmatch("6*", "6.18.44", f));
        assert!(fnmatch("web?", "web1", f));
        assert!(!fnmatch("web?", "web12", f));
        assert!(fnmatch("web[0-9]", "web7", f));
        assert!(!fnmatch("web[!0-9]", "web7", f));
        assert!(fnmatch("a[]]b", "a]b", f));
        assert!(fnmatch("[[:digit:]]x", "3x", f));
        assert!(fnmatch("a\\*", "a*", f));
        assert!(!fnmatch("a\\*", "ab", f));
        assert!(fnmatch("a[b", "a[b", f));
        assert!(fnmatch("*a*b*", "xxaxxbxx", f));
        assert!(!fnmatch("WEB*", "web1", f));
        let fold = MatchFlags {
            casefold: true,
            ..f
        };
        assert!(fnmatch("WEB*", "web1", fold));
        assert!(fnmatch("[A-C]x", "bx", fold));
        let period = MatchFlags { period: true, ..f };
        assert!(!fnmatch("*", ".hidden", period));
        assert!(fnmatch(".*", ".hidden", period));
        assert!(fnmatch("*", ".hidden", f));
    }
}
