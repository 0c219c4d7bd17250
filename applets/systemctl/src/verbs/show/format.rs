//! Value formats of `systemctl show`: shell quoting of list items, timestamps, and the
//! parsers for settings whose D-Bus form differs from the unit file's (signals, limits,
//! sizes, modes).

use unitbox_core::unit::value::{parse_timespan, USEC_INFINITY};

/// systemd's `shell_maybe_quote()` with `"…"`: items with whitespace, control characters
/// or shell specials are quoted, `"`, `\`, `` ` `` and `$` backslash-escaped inside.
pub fn shell_quote(s: &str) -> String {
    quote(s, false)
}

/// The `$'…'` form (`SHELL_ESCAPE_POSIX`), used by `show-environment`.
pub fn shell_quote_posix(s: &str) -> String {
    quote(s, true)
}

fn quote(s: &str, posix: bool) -> String {
    const NEEDS_QUOTES: &str = " \t\n\r\"\\`$*?['()<>|&;!";
    let Some(first_bad) = s
        .char_indices()
        .find(|&(_, c)| c.is_ascii_control() || NEEDS_QUOTES.contains(c))
        .map(|(i, _)| i)
    else {
        return s.to_string();
    };
    let escaped_set = if posix { "\\'" } else { "\"\\`$" };
    let mut out = String::with_capacity(s.len() + 4);
    out.push_str(if posix { "$'" } else { "\"" });
    out.push_str(&s[..first_bad]);
    for c in s[first_bad..].chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if escaped_set.contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(if posix { '\'' } else { '"' });
    out
}

/// `FORMAT_TIMESTAMP()`: `Thu 2024-05-02 10:11:12 UTC` in local time; empty for 0.
pub fn timestamp(usec: u64) -> String {
    if usec == 0 || usec == USEC_INFINITY {
        return String::new();
    }
    let secs = (usec / 1_000_000) as libc::time_t;
    // SAFETY: localtime_r fills the tm we own; tm_zone points to static tz data.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&secs, &mut tm) }.is_null() {
        return String::new();
    }
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let zone = if tm.tm_zone.is_null() {
        String::new()
    } else {
        unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .into_owned()
    };
    format!(
        "{} {:04}-{:02}-{:02} {:02}:{:02}:{:02} {}",
        DAYS.get(tm.tm_wday as usize).unwrap_or(&"???"),
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        zone
    )
}

/// A signal setting (`SIGTERM`, `TERM`, `15`, `RTMIN+3`) as its number.
pub fn parse_signal(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    let rt = |base: i32, off: &str| -> Option<i32> {
        let n = if off.is_empty() { 0 } else { off.parse().ok()? };
        let v = base + n;
        (libc::SIGRTMIN()..=libc::SIGRTMAX())
            .contains(&v)
            .then_some(v)
    };
    if let Some(off) = name.strip_prefix("RTMIN") {
        return rt(libc::SIGRTMIN(), off.trim_start_matches('+'));
    }
    if let Some(off) = name.strip_prefix("RTMAX") {
        let off = off.strip_prefix('-')?;
        let n: i32 = off.parse().ok()?;
        return rt(libc::SIGRTMAX() - n, "");
    }
    const NAMES: &[(&str, i32)] = &[
        ("HUP", libc::SIGHUP),
        ("INT", libc::SIGINT),
        ("QUIT", libc::SIGQUIT),
        ("ILL", libc::SIGILL),
        ("TRAP", libc::SIGTRAP),
        ("ABRT", libc::SIGABRT),
        ("IOT", libc::SIGABRT),
        ("BUS", libc::SIGBUS),
        ("FPE", libc::SIGFPE),
        ("KILL", libc::SIGKILL),
        ("USR1", libc::SIGUSR1),
        ("SEGV", libc::SIGSEGV),
        ("USR2", libc::SIGUSR2),
        ("PIPE", libc::SIGPIPE),
        ("ALRM", libc::SIGALRM),
        ("TERM", libc::SIGTERM),
        ("STKFLT", libc::SIGSTKFLT),
        ("CHLD", libc::SIGCHLD),
        ("CONT", libc::SIGCONT),
        ("STOP", libc::SIGSTOP),
        ("TSTP", libc::SIGTSTP),
        ("TTIN", libc::SIGTTIN),
        ("TTOU", libc::SIGTTOU),
        ("URG", libc::SIGURG),
        ("XCPU", libc::SIGXCPU),
        ("XFSZ", libc::SIGXFSZ),
        ("VTALRM", libc::SIGVTALRM),
        ("PROF", libc::SIGPROF),
        ("WINCH", libc::SIGWINCH),
        ("IO", libc::SIGIO),
        ("POLL", libc::SIGIO),
        ("PWR", libc::SIGPWR),
        ("SYS", libc::SIGSYS),
    ];
    NAMES.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// A byte size (`512`, `4K`, `1.5G`, `infinity`) with 1024-based suffixes.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    if s == "infinity" {
        return Some(u64::MAX);
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let factor: u64 = match suffix.trim() {
        "" | "B" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        "P" => 1 << 50,
        "E" => 1 << 60,
        _ => return None,
    };
    let value: f64 = num.parse().ok()?;
    let bytes = value * factor as f64;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// What a resource limit is measured in, for parsing its setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitUnit {
    Count,
    Bytes,
    /// `LimitCPU=`: seconds.
    Seconds,
    /// `LimitRTTIME=`: microseconds.
    Micros,
    /// `LimitNICE=`: a nice level (`-20…19`) or a raw rlimit value (`+N`).
    Nice,
}

/// Parses `LimitX=` (`soft:hard` or one value for both) into (soft, hard) as rlimit values.
pub fn parse_limit(s: &str, unit: LimitUnit) -> Option<(u64, u64)> {
    let one = |v: &str| -> Option<u64> {
        let v = v.trim();
        if v == "infinity" {
            return Some(u64::MAX);
        }
        match unit {
            LimitUnit::Count => v.parse().ok(),
            LimitUnit::Bytes => parse_size(v),
            LimitUnit::Seconds => parse_timespan(v, 1_000_000).map(|us| us.div_ceil(1_000_000)),
            LimitUnit::Micros => parse_timespan(v, 1),
            LimitUnit::Nice => {
                if let Some(raw) = v.strip_prefix('+') {
                    return raw.parse().ok();
                }
                let nice: i64 = v.parse().ok()?;
                (-20..=19).contains(&nice).then(|| (20 - nice) as u64)
            }
        }
    };
    match s.split_once(':') {
        Some((soft, hard)) => Some((one(soft)?, one(hard)?)),
        None => one(s).map(|v| (v, v)),
    }
}

/// An octal mode setting (`0022`, `022`) as its number, at most `0o7777`.
pub fn parse_mode(s: &str) -> Option<u32> {
    u32::from_str_radix(s.trim(), 8)
        .ok()
        .filter(|&m| m <= 0o7777)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_the_shell_would_need_it() {
        assert_eq!(shell_quote("man:foo"), "man:foo");
        assert_eq!(shell_quote("man:cron(8)"), "\"man:cron(8)\"");
        assert_eq!(shell_quote("A=x y"), "\"A=x y\"");
        assert_eq!(shell_quote("a\"$b"), "\"a\\\"\\$b\"");
        assert_eq!(shell_quote("é"), "é");
        assert_eq!(shell_quote_posix("a b'c"), "$'a b\\'c'");
        assert_eq!(shell_quote("tab\there"), "\"tab\\there\"");
    }

    #[test]
    fn signals_by_name_and_number() {
        assert_eq!(parse_signal("SIGTERM"), Some(15));
        assert_eq!(parse_signal("HUP"), Some(1));
        assert_eq!(parse_signal("9"), Some(9));
        assert_eq!(parse_signal("RTMIN+1"), Some(libc::SIGRTMIN() + 1));
        assert_eq!(parse_signal("SIGBOGUS"), None);
    }

    #[test]
    fn limits_sizes_and_modes() {
        assert_eq!(
            parse_limit("1024:4096", LimitUnit::Count),
            Some((1024, 4096))
        );
        assert_eq!(
            parse_limit("infinity", LimitUnit::Count),
            Some((u64::MAX, u64::MAX))
        );
        assert_eq!(
            parse_limit("8M", LimitUnit::Bytes),
            Some((8 << 20, 8 << 20))
        );
        assert_eq!(parse_limit("1min", LimitUnit::Seconds), Some((60, 60)));
        assert_eq!(parse_limit("10", LimitUnit::Nice), Some((10, 10)));
        assert_eq!(parse_size("1.5K"), Some(1536));
        assert_eq!(parse_mode("0027"), Some(0o27));
        assert_eq!(parse_mode("9"), None);
        assert_eq!(timestamp(0), "");
    }
}
