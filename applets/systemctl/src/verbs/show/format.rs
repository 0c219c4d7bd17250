//! Value formats of `systemctl show`: shell quoting of list items, timestamps, and byte
//! sizes of the cgroup settings.

use unitbox_core::time::format_timestamp_local;
use unitbox_core::unit::value::{self, USEC_INFINITY};

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
    if usec == USEC_INFINITY {
        return String::new();
    }
    format_timestamp_local(usec)
}

/// A byte size (`512`, `4K`, `1.5G`, `infinity`) with 1024-based suffixes.
pub fn parse_size(s: &str) -> Option<u64> {
    if s.trim() == "infinity" {
        return Some(u64::MAX);
    }
    value::parse_size(s).ok()
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
    fn sizes_and_timestamps() {
        assert_eq!(parse_size("1.5K"), Some(1536));
        assert_eq!(parse_size("infinity"), Some(u64::MAX));
        assert_eq!(parse_size("1Q"), None);
        assert_eq!(timestamp(0), "");
    }
}
