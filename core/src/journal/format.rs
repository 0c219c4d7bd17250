//! journalctl's one-line output modes (the `short` family, `with-unit`, `cat`) in systemd
//! 252's layout: what `journalctl -o MODE` prints and what `systemctl status` prints under a
//! unit.

use super::record::Record;
use crate::time::TimeZone;
use crate::time::{format_timestamp, LocalTime, USEC_PER_SEC};
use std::io::{self, Write};

/// Every `-o` mode systemd knows (its `output_mode_table`), the one-line ones and the rest.
pub const OUTPUT_MODE_NAMES: &[&str] = &[
    "short",
    "short-full",
    "short-iso",
    "short-iso-precise",
    "short-precise",
    "short-monotonic",
    "short-delta",
    "short-unix",
    "verbose",
    "export",
    "json",
    "json-pretty",
    "json-sse",
    "json-seq",
    "cat",
    "with-unit",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineMode {
    Short,
    ShortPrecise,
    ShortIso,
    ShortIsoPrecise,
    ShortFull,
    ShortMonotonic,
    ShortUnix,
    WithUnit,
    Cat,
}

impl LineMode {
    /// The mode an `-o` word names, `None` for the modes that are not one line a record
    /// (`verbose`, `json`, …) and for unknown words.
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "short" => LineMode::Short,
            "short-precise" => LineMode::ShortPrecise,
            "short-iso" => LineMode::ShortIso,
            "short-iso-precise" => LineMode::ShortIsoPrecise,
            "short-full" => LineMode::ShortFull,
            "short-monotonic" => LineMode::ShortMonotonic,
            "short-unix" => LineMode::ShortUnix,
            "with-unit" => LineMode::WithUnit,
            "cat" => LineMode::Cat,
            _ => return None,
        })
    }
}

/// Everything besides the record that decides how its line looks.
#[derive(Debug, Clone, Copy)]
pub struct LineStyle<'a> {
    pub mode: LineMode,
    /// `None` with `--no-hostname`.
    pub hostname: Option<&'a str>,
    /// `-a`: unprintable messages in full instead of `[N blob data]`.
    pub all: bool,
    pub zone: &'a TimeZone,
}

/// The host the records were written on: this one (records do not store it).
pub fn local_hostname() -> String {
    crate::host::kernel_hostname().unwrap_or_else(|| "localhost".into())
}

/// systemd's `utf8_is_printable()`: valid UTF-8 without control characters other than
/// newline and tab.
pub fn is_printable(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(text) => !text
            .chars()
            .any(|c| (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c)),
        Err(_) => false,
    }
}

/// `1.2M`, `512B`: systemd's `format_bytes()` (base 1024, one truncated decimal).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 6] = [
        ("E", 1 << 60),
        ("P", 1 << 50),
        ("T", 1 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
    ];
    for (i, &(suffix, factor)) in UNITS.iter().enumerate() {
        if bytes >= factor {
            let decimal = match UNITS.get(i + 1) {
                Some(&(_, smaller)) => (bytes / smaller * 10 / 1024) % 10,
                None => bytes * 10 / factor % 10,
            };
            return format!("{}.{decimal}{suffix}", bytes / factor);
        }
    }
    format!("{bytes}B")
}

/// The timestamp column of a record.
fn timestamp(r: &Record, mode: LineMode, zone: &TimeZone) -> String {
    let t = LocalTime::from_realtime_us(r.realtime, zone);
    let seconds = r.realtime / USEC_PER_SEC;
    let micros = r.realtime % USEC_PER_SEC;
    match mode {
        LineMode::ShortFull | LineMode::WithUnit => format_timestamp(r.realtime.max(1), zone),
        LineMode::ShortUnix => format!("{seconds:10}.{micros:06}"),
        LineMode::ShortMonotonic => format!(
            "[{:5}.{:06}]",
            r.monotonic / USEC_PER_SEC,
            r.monotonic % USEC_PER_SEC
        ),
        LineMode::ShortIso | LineMode::ShortIsoPrecise => {
            let fraction = if mode == LineMode::ShortIsoPrecise {
                format!(".{micros:06}")
            } else {
                String::new()
            };
            let offset_minutes = t.utc_offset / 60;
            format!(
                "{}{fraction}{}{:02}:{:02}",
                t.date_time('T'),
                if offset_minutes < 0 { '-' } else { '+' },
                offset_minutes.abs() / 60,
                offset_minutes.abs() % 60
            )
        }
        LineMode::Short | LineMode::ShortPrecise | LineMode::Cat => {
            let fraction = if mode == LineMode::ShortPrecise {
                format!(".{micros:06}")
            } else {
                String::new()
            };
            format!(
                "{} {:02} {:02}:{:02}:{:02}{fraction}",
                t.month_name(),
                t.day,
                t.hour,
                t.minute,
                t.second
            )
        }
    }
}

/// Writes one record as its line: `Nov 21 20:11:30 host ident[42]: message`, further lines
/// of the message indented under its first; `cat` writes the message alone, as it is.
pub fn write_line(out: &mut impl Write, r: &Record, style: &LineStyle) -> io::Result<()> {
    if style.mode == LineMode::Cat {
        out.write_all(&r.message)?;
        return out.write_all(b"\n");
    }
    let mut prefix = timestamp(r, style.mode, style.zone);
    if let Some(host) = style.hostname {
        prefix.push(' ');
        prefix.push_str(host);
    }
    prefix.push(' ');
    if style.mode == LineMode::WithUnit && !r.unit.is_empty() {
        prefix.push_str(&r.unit);
    } else if !r.identifier.is_empty() {
        prefix.push_str(&r.identifier);
    } else {
        prefix.push_str("unknown");
    }
    if r.pid != 0 {
        prefix.push_str(&format!("[{}]", r.pid));
    }
    prefix.push_str(": ");
    out.write_all(prefix.as_bytes())?;
    if !style.all && !is_printable(&r.message) {
        return writeln!(out, "[{} blob data]", format_bytes(r.message.len() as u64));
    }
    // Continuation lines of a multi-line message line up under its first line.
    let indent = " ".repeat(prefix.chars().count());
    let message = r.message.strip_suffix(b"\n").unwrap_or(&r.message);
    for (i, line) in message.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.write_all(indent.as_bytes())?;
        }
        out.write_all(line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// [`write_line`] into a string (invalid UTF-8 of a message printed with `-a` replaced).
pub fn format_line(r: &Record, style: &LineStyle) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_line(&mut out, r, style);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::Stream;

    fn record(message: &[u8]) -> Record {
        Record {
            seq: 1,
            fields: Vec::new(),
            realtime: 1_795_291_890_123_456,
            monotonic: 5_000_123,
            boot_id: "0123456789abcdef0123456789abcdef".into(),
            priority: 3,
            stream: Stream::Stdout,
            pid: 42,
            uid: Some(0),
            unit: "foo.service".into(),
            identifier: "food".into(),
            invocation_id: String::new(),
            message: message.to_vec(),
        }
    }

    fn render(mode: LineMode, r: &Record, tweak: impl FnOnce(&mut LineStyle)) -> String {
        let utc = TimeZone::utc();
        let mut style = LineStyle {
            mode,
            hostname: Some("box"),
            all: false,
            zone: &utc,
        };
        tweak(&mut style);
        format_line(r, &style)
    }

    #[test]
    fn short_family() {
        let r = record(b"hello");
        let cases = [
            (LineMode::Short, "Nov 21 20:11:30 box food[42]: hello\n"),
            (
                LineMode::ShortPrecise,
                "Nov 21 20:11:30.123456 box food[42]: hello\n",
            ),
            (
                LineMode::ShortIso,
                "2026-11-21T20:11:30+00:00 box food[42]: hello\n",
            ),
            (
                LineMode::ShortIsoPrecise,
                "2026-11-21T20:11:30.123456+00:00 box food[42]: hello\n",
            ),
            (
                LineMode::ShortFull,
                "Sat 2026-11-21 20:11:30 UTC box food[42]: hello\n",
            ),
            (
                LineMode::ShortUnix,
                "1795291890.123456 box food[42]: hello\n",
            ),
            (
                LineMode::ShortMonotonic,
                "[    5.000123] box food[42]: hello\n",
            ),
            (
                LineMode::WithUnit,
                "Sat 2026-11-21 20:11:30 UTC box foo.service[42]: hello\n",
            ),
            (LineMode::Cat, "hello\n"),
        ];
        for (mode, expected) in cases {
            assert_eq!(render(mode, &r, |_| {}), expected, "{mode:?}");
        }
        assert_eq!(
            render(LineMode::Short, &r, |s| s.hostname = None),
            "Nov 21 20:11:30 food[42]: hello\n"
        );
        let cet = TimeZone::from_posix("CET-1").unwrap();
        let style = LineStyle {
            mode: LineMode::ShortIso,
            hostname: Some("box"),
            all: false,
            zone: &cet,
        };
        assert!(format_line(&r, &style).starts_with("2026-11-21T21:11:30+01:00 "));
    }

    #[test]
    fn multi_line_and_binary_messages() {
        assert_eq!(
            render(LineMode::Short, &record(b"one\ntwo"), |_| {}),
            "Nov 21 20:11:30 box food[42]: one\n                              two\n"
        );
        assert_eq!(
            render(LineMode::Short, &record(b"bin\x01ary"), |_| {}),
            "Nov 21 20:11:30 box food[42]: [7B blob data]\n"
        );
        assert_eq!(
            render(LineMode::Short, &record(b"\x00\x01bin"), |_| {}),
            "Nov 21 20:11:30 box food[42]: [5B blob data]\n"
        );
        assert_eq!(
            render(LineMode::Short, &record(b"bin\x01ary"), |s| s.all = true),
            "Nov 21 20:11:30 box food[42]: bin\x01ary\n"
        );
    }

    #[test]
    fn sizes_as_format_bytes_prints_them() {
        assert_eq!(format_bytes(0), "0B");
        assert_eq!(format_bytes(1023), "1023B");
        assert_eq!(format_bytes(1024), "1.0K");
        assert_eq!(format_bytes(1536), "1.5K");
        assert_eq!(format_bytes(1_258_291), "1.1M");
        assert_eq!(format_bytes(1_300_000), "1.2M");
        assert_eq!(format_bytes(8 << 20), "8.0M");
    }
}
