//! The journal lines under a status block: the last `-n` records of the unit, those of its
//! current activation only (systemd's `not_before` = InactiveExitTimestampMonotonic), in
//! journalctl's `short` formats (`-o`).

use unitbox_core::journal::reader::Query;
use unitbox_core::journal::record::Record;
use unitbox_core::state::boot::current_boot_id;
use unitbox_core::state::time::{format_timestamp, LocalTime, MONTHS};
use unitbox_core::state::tz::TimeZone;

/// The `-o` modes status supports: journalctl's one-line formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    Short,
    ShortPrecise,
    ShortIso,
    ShortIsoPrecise,
    ShortFull,
    ShortUnix,
    ShortMonotonic,
    Cat,
}

impl OutputMode {
    /// `None` for modes systemd knows but unitbox does not print (`json`, `verbose`, …) or
    /// unknown words; the caller says which.
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "short" => OutputMode::Short,
            "short-precise" => OutputMode::ShortPrecise,
            "short-iso" => OutputMode::ShortIso,
            "short-iso-precise" => OutputMode::ShortIsoPrecise,
            "short-full" => OutputMode::ShortFull,
            "short-unix" => OutputMode::ShortUnix,
            "short-monotonic" => OutputMode::ShortMonotonic,
            "cat" => OutputMode::Cat,
            _ => return None,
        })
    }
}

/// The modes of systemd's `output_mode_table` that unitbox does not render.
pub const UNSUPPORTED_MODES: &[&str] = &[
    "short-delta",
    "with-unit",
    "verbose",
    "export",
    "json",
    "json-pretty",
    "json-sse",
    "json-seq",
];

/// The newest `lines` records of `unit`, without those from before `not_before` (monotonic
/// µs of this boot; 0 keeps all), oldest first. A unit without a journal has none.
pub fn unit_records(
    journal_dir: &std::path::Path,
    unit: &str,
    lines: usize,
    not_before: u64,
) -> Vec<Record> {
    if lines == 0 {
        return Vec::new();
    }
    let query = Query {
        units: vec![unit.to_string()],
        ..Query::default()
    };
    let records = match query.tail(journal_dir, lines) {
        Ok(r) => r,
        Err(e) => {
            log::warn!("Failed to read the journal of {unit}: {e}");
            return Vec::new();
        }
    };
    let boot = current_boot_id();
    records
        .into_iter()
        .filter(|r| not_before == 0 || (r.boot_id == boot && r.monotonic >= not_before))
        .collect()
}

fn utc_offset(seconds_east: i32) -> String {
    let sign = if seconds_east < 0 { '-' } else { '+' };
    let minutes = seconds_east.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

/// The timestamp column of a record.
fn timestamp(r: &Record, mode: OutputMode, tz: &TimeZone) -> String {
    let t = LocalTime::from_realtime_us(r.realtime, tz);
    let usec = r.realtime % 1_000_000;
    let short = || {
        format!(
            "{} {:02} {:02}:{:02}:{:02}",
            MONTHS[(t.month as usize + 11) % 12],
            t.day,
            t.hour,
            t.minute,
            t.second
        )
    };
    let iso = || {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year, t.month, t.day, t.hour, t.minute, t.second
        )
    };
    match mode {
        OutputMode::Short | OutputMode::Cat => short(),
        OutputMode::ShortPrecise => format!("{}.{usec:06}", short()),
        OutputMode::ShortIso => format!("{}{}", iso(), utc_offset(t.utc_offset)),
        OutputMode::ShortIsoPrecise => {
            format!("{}.{usec:06}{}", iso(), utc_offset(t.utc_offset))
        }
        OutputMode::ShortFull => format_timestamp(r.realtime, tz),
        OutputMode::ShortUnix => format!("{:10}.{usec:06}", r.realtime / 1_000_000),
        OutputMode::ShortMonotonic => format!(
            "[{:5}.{:06}]",
            r.monotonic / 1_000_000,
            r.monotonic % 1_000_000
        ),
    }
}

/// `format_bytes()`: `512B`, `1.5K`, `3.0M`.
fn format_bytes(n: usize) -> String {
    const SUFFIXES: [&str; 6] = ["E", "P", "T", "G", "M", "K"];
    for (i, suffix) in SUFFIXES.iter().enumerate() {
        let factor = 1u64 << (10 * (6 - i));
        let n = n as u64;
        if n >= factor {
            return format!("{}.{}{suffix}", n / factor, n * 10 / factor % 10);
        }
    }
    format!("{n}B")
}

/// Whether journalctl prints a message as text (`shall_print()` without `--all`):
/// valid UTF-8 without control characters other than newline and tab.
fn printable(message: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(message).ok()?;
    (!text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t'))
    .then_some(text)
}

/// One record in the `short` family: `Nov 21 20:11:30 host ident[42]: message`, further
/// lines of the message indented under its first.
pub fn format_record(r: &Record, mode: OutputMode, hostname: &str, tz: &TimeZone) -> String {
    let blob;
    let message = match printable(&r.message) {
        Some(text) => text.trim_end_matches('\n'),
        None => {
            blob = format!("[{} blob data]", format_bytes(r.message.len()));
            blob.as_str()
        }
    };
    let prefix = if mode == OutputMode::Cat {
        String::new()
    } else {
        let ident = if r.identifier.is_empty() {
            "unknown"
        } else {
            r.identifier.as_str()
        };
        let pid = if r.pid > 0 {
            format!("[{}]", r.pid)
        } else {
            String::new()
        };
        let host = if hostname.is_empty() {
            String::new()
        } else {
            format!(" {hostname}")
        };
        format!("{}{host} {ident}{pid}: ", timestamp(r, mode, tz))
    };
    let indent = " ".repeat(prefix.chars().count());
    let mut out = String::new();
    for (i, line) in message.split('\n').enumerate() {
        out.push_str(if i == 0 { &prefix } else { &indent });
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use unitbox_core::journal::record::Stream;

    fn record(message: &[u8]) -> Record {
        Record {
            realtime: 1_795_291_890_123_456,
            monotonic: 5_000_123,
            boot_id: "0".repeat(32),
            priority: 6,
            stream: Stream::Stdout,
            pid: 42,
            uid: None,
            unit: "foo.service".into(),
            identifier: "foo".into(),
            invocation_id: String::new(),
            message: message.to_vec(),
        }
    }

    #[test]
    fn short_formats() {
        let utc = TimeZone::utc();
        let r = record(b"hello");
        let f = |mode| format_record(&r, mode, "box", &utc);
        assert_eq!(f(OutputMode::Short), "Nov 21 20:11:30 box foo[42]: hello\n");
        assert_eq!(
            f(OutputMode::ShortPrecise),
            "Nov 21 20:11:30.123456 box foo[42]: hello\n"
        );
        assert_eq!(
            f(OutputMode::ShortIso),
            "2026-11-21T20:11:30+0000 box foo[42]: hello\n"
        );
        assert_eq!(
            f(OutputMode::ShortFull),
            "Sat 2026-11-21 20:11:30 UTC box foo[42]: hello\n"
        );
        assert_eq!(
            f(OutputMode::ShortUnix),
            "1795291890.123456 box foo[42]: hello\n"
        );
        assert_eq!(
            f(OutputMode::ShortMonotonic),
            "[    5.000123] box foo[42]: hello\n"
        );
        assert_eq!(f(OutputMode::Cat), "hello\n");
    }

    #[test]
    fn multi_line_and_binary_messages() {
        let utc = TimeZone::utc();
        let r = record(b"one\ntwo");
        assert_eq!(
            format_record(&r, OutputMode::Short, "h", &utc),
            "Nov 21 20:11:30 h foo[42]: one\n                           two\n"
        );
        let r = record(b"\x00\x01bin");
        assert_eq!(
            format_record(&r, OutputMode::Cat, "h", &utc),
            "[5B blob data]\n"
        );
        assert_eq!(format_bytes(1536), "1.5K");
    }
}
