//! Value syntax shared by many settings: booleans, time spans, byte sizes, and word
//! splitting with systemd's quoting and C escapes (systemd.syntax(7) "Quoting").

use nix::errno::Errno;

/// `USEC_INFINITY`: how systemd represents `infinity` in time settings.
pub const USEC_INFINITY: u64 = crate::time::USEC_INFINITY;

/// systemd's `parse_boolean()`: the one boolean parser (settings, options), case-insensitive.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

/// A time span setting (`90`, `1min 30s`, `2h30m`, `0.5s`, `infinity`) in microseconds;
/// `default_unit` is what a bare number means (seconds for most settings). The rules are
/// the one time model's ([`crate::time::parse_time`]).
pub fn parse_timespan(s: &str, default_unit: u64) -> Option<u64> {
    crate::time::parse_time(s, default_unit).ok()
}

/// systemd's `format_timespan()` with 1µs accuracy (`show`'s `…USec` properties).
pub fn format_timespan(usec: u64) -> String {
    crate::time::format_timespan(usec, 1)
}

/// systemd's `format_timespan(t, accuracy)` (status's `Duration:` uses 1ms).
pub fn format_timespan_accuracy(usec: u64, accuracy: u64) -> String {
    crate::time::format_timespan(usec, accuracy)
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

/// C's `isspace()` in the "C" locale.
pub fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// Splitting flags for [`split_words`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SplitOptions {
    /// Decode C escapes (`\n`, `\x41`, …) outside and inside quotes (`ExecStart=`).
    pub c_unescape: bool,
    /// systemd's `EXTRACT_RELAX`: an unterminated quote ends with the value, a trailing
    /// backslash is dropped, and a backslash that does not start a known escape is kept.
    pub relax: bool,
}

/// Splits a value into words: whitespace separates, `"…"`/`'…'` group (quotes only count at
/// the start of a word in systemd ≥ 245, but they also close mid-word), backslash escapes.
/// An unterminated quote or a trailing backslash is an error, unless `relax`.
pub fn split_words(s: &str, opts: SplitOptions) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, c) if c.is_whitespace() => break,
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (_, '\\') => {
                    let Some(next) = chars.next() else {
                        if opts.relax {
                            break;
                        }
                        return Err("trailing backslash".into());
                    };
                    if opts.c_unescape {
                        unescape_c(next, &mut chars, &mut word, opts.relax)?;
                    } else {
                        word.push(next);
                    }
                }
                (_, c) => word.push(c),
            }
        }
        if quote.is_some() && !opts.relax {
            return Err(format!("unbalanced quoting in \"{s}\""));
        }
        words.push(word);
    }
    Ok(words)
}

/// One C escape (the character after the backslash is `c`) decoded into `out`.
pub(crate) fn unescape_c(
    c: char,
    rest: &mut std::iter::Peekable<std::str::Chars<'_>>,
    out: &mut String,
    relax: bool,
) -> Result<(), String> {
    let mut take_hex = |n: usize, radix: u32| -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..n {
            let d = rest
                .next()
                .and_then(|d| d.to_digit(radix))
                .ok_or("invalid escape")?;
            v = v * radix + d;
        }
        Ok(v)
    };
    let ch = match c {
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\x0b',
        's' => ' ',
        '\\' | '"' | '\'' | ';' => c,
        'x' => char::from_u32(take_hex(2, 16)?).ok_or("invalid escape")?,
        'u' => char::from_u32(take_hex(4, 16)?).ok_or("invalid escape")?,
        'U' => char::from_u32(take_hex(8, 16)?).ok_or("invalid escape")?,
        '0'..='7' => {
            let v = c.to_digit(8).unwrap_or(0) * 64 + take_hex(2, 8)?;
            char::from_u32(v).ok_or("invalid escape")?
        }
        other if relax => {
            out.push('\\');
            other
        }
        other => return Err(format!("invalid escape '\\{other}'")),
    };
    out.push(ch);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        for t in ["1", "yes", "TRUE", "on", "y"] {
            assert_eq!(parse_bool(t), Some(true));
        }
        for f in ["0", "no", "false", "Off"] {
            assert_eq!(parse_bool(f), Some(false));
        }
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn timespans() {
        let s = 1_000_000;
        assert_eq!(parse_timespan("90", s), Some(90 * s));
        assert_eq!(parse_timespan("1min 30s", s), Some(90 * s));
        assert_eq!(parse_timespan("2h30m", s), Some(9000 * s));
        assert_eq!(parse_timespan("0.5s", s), Some(s / 2));
        assert_eq!(parse_timespan("100ms", s), Some(100_000));
        assert_eq!(parse_timespan("infinity", s), Some(USEC_INFINITY));
        assert_eq!(parse_timespan("5 min", s), Some(300 * s));
        assert_eq!(parse_timespan("5 parsecs", s), None);
        assert_eq!(parse_timespan("", s), None);
        assert_eq!(parse_timespan("-1", s), None);
    }

    #[test]
    fn formats_like_systemd() {
        assert_eq!(format_timespan(90_000_000), "1min 30s");
        assert_eq!(format_timespan(100_000), "100ms");
        assert_eq!(format_timespan(USEC_INFINITY), "infinity");
        assert_eq!(format_timespan(0), "0");
        assert_eq!(format_timespan(3_600_000_000), "1h");
        assert_eq!(format_timespan(1_500_000), "1.500000s");
        assert_eq!(format_timespan(90_500_000), "1min 30.500000s");
        assert_eq!(format_timespan_accuracy(5_123_456, 1000), "5.123s");
        assert_eq!(format_timespan_accuracy(123_500_000, 1000), "2min 3.500s");
        assert_eq!(format_timespan_accuracy(3_000_000, 1000), "3s");
        assert_eq!(format_timespan_accuracy(500, 1000), "500us");
        assert_eq!(format_timespan_accuracy(3_600_000_000 + 7, 1000), "1h");
    }

    #[test]
    fn sizes_as_parse_size_reads_them() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("8K"), Ok(8192));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("5X"), Err(Errno::EINVAL));
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
    fn splits_quoted_words_with_escapes() {
        let o = SplitOptions {
            c_unescape: true,
            relax: false,
        };
        assert_eq!(
            split_words(r#"/bin/echo "a b" 'c d' e\x41 \; f"g h"i"#, o).unwrap(),
            ["/bin/echo", "a b", "c d", "eA", ";", "fg hi"]
        );
        assert!(split_words("\"open", o).is_err());
        assert_eq!(split_words("  ", o).unwrap(), Vec::<String>::new());
        let relaxed = SplitOptions {
            c_unescape: false,
            relax: true,
        };
        assert_eq!(
            split_words(r#"a 'b c' "d e"#, relaxed).unwrap(),
            ["a", "b c", "d e"]
        );
        assert_eq!(split_words("x\\", relaxed).unwrap(), ["x"]);
        assert!(split_words("x\\", SplitOptions::default()).is_err());
    }
}
