//! Output modes (`-o`): the short family, `cat`, `verbose`, the JSON family and `with-unit`,
//! in systemd 252's layouts. Our records carry fewer fields than journald's (no `_COMM`,
//! `_EXE`, `_GID`, …); the ones they have get systemd's names.

use crate::json;
use crate::timespec::format_bytes;
use std::io::{self, Write};
use unitbox_core::journal::record::{Record, Stream};
use unitbox_core::state::time::{format_timestamp, LocalTime, USEC_PER_SEC};
use unitbox_core::state::tz::TimeZone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Short,
    ShortPrecise,
    ShortIso,
    ShortIsoPrecise,
    ShortFull,
    ShortMonotonic,
    ShortUnix,
    WithUnit,
    Cat,
    Verbose,
    Json,
    JsonPretty,
    JsonSse,
    JsonSeq,
}

impl Mode {
    /// The mode of an `-o` argument, or the one-line error.
    pub fn parse(name: &str) -> Result<Mode, String> {
        Ok(match name {
            "short" => Mode::Short,
            "short-precise" => Mode::ShortPrecise,
            "short-iso" => Mode::ShortIso,
            "short-iso-precise" => Mode::ShortIsoPrecise,
            "short-full" => Mode::ShortFull,
            "short-monotonic" => Mode::ShortMonotonic,
            "short-unix" => Mode::ShortUnix,
            "with-unit" => Mode::WithUnit,
            "cat" => Mode::Cat,
            "verbose" => Mode::Verbose,
            "json" => Mode::Json,
            "json-pretty" => Mode::JsonPretty,
            "json-sse" => Mode::JsonSse,
            "json-seq" => Mode::JsonSeq,
            "export" | "short-delta" => {
                return Err(format!(
                    "Output format '{name}' is not supported by unitbox's journalctl."
                ))
            }
            _ => return Err(format!("Unknown output format '{name}'.")),
        })
    }

    pub fn is_json(self) -> bool {
        matches!(
            self,
            Mode::Json | Mode::JsonPretty | Mode::JsonSse | Mode::JsonSeq
        )
    }
}

/// Everything besides the record that decides how it is printed.
pub struct Style<'a> {
    pub mode: Mode,
    pub utc: bool,
    pub no_hostname: bool,
    /// `-a`: unprintable and long fields in full.
    pub all: bool,
    /// Records of a user scope: their unit is a user unit.
    pub user_scope: bool,
    pub hostname: String,
    pub local: &'a TimeZone,
    utc_zone: TimeZone,
}

impl<'a> Style<'a> {
    pub fn new(mode: Mode, local: &'a TimeZone) -> Self {
        Style {
            mode,
            utc: false,
            no_hostname: false,
            all: false,
            user_scope: false,
            hostname: hostname(),
            local,
            utc_zone: TimeZone::utc(),
        }
    }

    fn zone(&self) -> &TimeZone {
        if self.utc {
            &self.utc_zone
        } else {
            self.local
        }
    }
}

/// The records do not store the host: they were written on this one.
fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

/// systemd's `utf8_is_printable()`: valid UTF-8 without control characters other than
/// newline and tab.
fn is_printable(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(text) => !text
            .chars()
            .any(|c| (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c)),
        Err(_) => false,
    }
}

/// A cursor that names the record (journalctl's `__CURSOR` shape); informational only, as
/// `--cursor=` is not supported.
pub fn cursor(r: &Record) -> String {
    let hash = r
        .unit
        .bytes()
        .chain(r.message.iter().copied())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!(
        "b={};m={:x};t={:x};x={hash:x}",
        r.boot_id, r.monotonic, r.realtime
    )
}

/// The record's fields under journald's names, in journald's order for stream records.
pub fn fields(r: &Record, style: &Style) -> Vec<(&'static str, Vec<u8>)> {
    let mut f: Vec<(&'static str, Vec<u8>)> = Vec::with_capacity(12);
    let journal_transport = matches!(r.stream, Stream::Manager | Stream::Notify);
    f.push((
        "_TRANSPORT",
        if journal_transport {
            "journal"
        } else {
            "stdout"
        }
        .into(),
    ));
    f.push(("PRIORITY", r.priority.to_string().into_bytes()));
    // LOG_DAEMON, journald's facility for service output.
    f.push(("SYSLOG_FACILITY", b"3".to_vec()));
    if !r.identifier.is_empty() {
        f.push(("SYSLOG_IDENTIFIER", r.identifier.as_bytes().to_vec()));
    }
    f.push(("MESSAGE", r.message.clone()));
    if r.pid != 0 {
        f.push(("_PID", r.pid.to_string().into_bytes()));
    }
    if let Some(uid) = r.uid {
        f.push(("_UID", uid.to_string().into_bytes()));
    }
    f.push(("_BOOT_ID", r.boot_id.as_bytes().to_vec()));
    f.push(("_HOSTNAME", style.hostname.as_bytes().to_vec()));
    if !r.unit.is_empty() {
        // The manager's messages about a unit name it in UNIT=; the unit's own output
        // belongs to it (_SYSTEMD_UNIT=).
        let name = match (r.stream == Stream::Manager, style.user_scope) {
            (true, false) => "UNIT",
            (true, true) => "USER_UNIT",
            (false, false) => "_SYSTEMD_UNIT",
            (false, true) => "_SYSTEMD_USER_UNIT",
        };
        f.push((name, r.unit.as_bytes().to_vec()));
    }
    if !r.invocation_id.is_empty() {
        f.push((
            "_SYSTEMD_INVOCATION_ID",
            r.invocation_id.as_bytes().to_vec(),
        ));
    }
    f
}

/// Writes one record in `style`.
pub fn write_entry(out: &mut impl Write, r: &Record, style: &Style) -> io::Result<()> {
    match style.mode {
        Mode::Cat => {
            out.write_all(&r.message)?;
            out.write_all(b"\n")
        }
        Mode::Verbose => write_verbose(out, r, style),
        Mode::Json | Mode::JsonPretty | Mode::JsonSse | Mode::JsonSeq => {
            let mut all: Vec<(&str, Vec<u8>)> = vec![
                ("__CURSOR", cursor(r).into_bytes()),
                ("__REALTIME_TIMESTAMP", r.realtime.to_string().into_bytes()),
                (
                    "__MONOTONIC_TIMESTAMP",
                    r.monotonic.to_string().into_bytes(),
                ),
            ];
            all.extend(fields(r, style));
            let object = json::object(&all, style.mode == Mode::JsonPretty, style.all);
            match style.mode {
                Mode::JsonSse => out.write_all(b"data: ")?,
                Mode::JsonSeq => out.write_all(b"\x1e")?,
                _ => {}
            }
            out.write_all(&object)?;
            out.write_all(if style.mode == Mode::JsonSse {
                b"\n\n"
            } else {
                b"\n"
            })
        }
        _ => write_short(out, r, style),
    }
}

fn timestamp(r: &Record, style: &Style) -> String {
    let zone = style.zone();
    let t = LocalTime::from_realtime_us(r.realtime, zone);
    let seconds = r.realtime / USEC_PER_SEC;
    let micros = r.realtime % USEC_PER_SEC;
    match style.mode {
        Mode::ShortFull | Mode::WithUnit => format_timestamp(r.realtime.max(1), zone),
        Mode::ShortUnix => format!("{seconds:10}.{micros:06}"),
        Mode::ShortMonotonic => format!(
            "[{:5}.{:06}]",
            r.monotonic / USEC_PER_SEC,
            r.monotonic % USEC_PER_SEC
        ),
        Mode::ShortIso | Mode::ShortIsoPrecise => {
            let fraction = if style.mode == Mode::ShortIsoPrecise {
                format!(".{micros:06}")
            } else {
                String::new()
            };
            let offset_minutes = t.utc_offset / 60;
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}{}{:02}:{:02}",
                t.year,
                t.month,
                t.day,
                t.hour,
                t.minute,
                t.second,
                if offset_minutes < 0 { '-' } else { '+' },
                offset_minutes.abs() / 60,
                offset_minutes.abs() % 60
            )
        }
        _ => {
            let fraction = if style.mode == Mode::ShortPrecise {
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

fn write_short(out: &mut impl Write, r: &Record, style: &Style) -> io::Result<()> {
    let mut prefix = timestamp(r, style);
    if !style.no_hostname {
        prefix.push(' ');
        prefix.push_str(&style.hostname);
    }
    prefix.push(' ');
    if style.mode == Mode::WithUnit && !r.unit.is_empty() {
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

fn write_verbose(out: &mut impl Write, r: &Record, style: &Style) -> io::Result<()> {
    let zone = style.zone();
    let t = LocalTime::from_realtime_us(r.realtime, zone);
    writeln!(
        out,
        "{} {:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06} {} [{}]",
        t.weekday_name(),
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.microsecond,
        t.zone,
        cursor(r)
    )?;
    for (name, value) in fields(r, style) {
        if style.all || is_printable(&value) {
            out.write_all(format!("    {name}=").as_bytes())?;
            out.write_all(&value)?;
            out.write_all(b"\n")?;
        } else {
            writeln!(
                out,
                "    {name}=[{} blob data]",
                format_bytes(value.len() as u64)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(message: &[u8]) -> Record {
        Record {
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

    fn render(mode: Mode, r: &Record, tweak: impl FnOnce(&mut Style)) -> String {
        let utc = TimeZone::utc();
        let mut style = Style::new(mode, &utc);
        style.hostname = "box".into();
        tweak(&mut style);
        let mut out = Vec::new();
        write_entry(&mut out, r, &style).unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn short_family() {
        let r = record(b"hello");
        let cases = [
            (Mode::Short, "Nov 21 20:11:30 box food[42]: hello\n"),
            (
                Mode::ShortPrecise,
                "Nov 21 20:11:30.123456 box food[42]: hello\n",
            ),
            (
                Mode::ShortIso,
                "2026-11-21T20:11:30+00:00 box food[42]: hello\n",
            ),
            (
                Mode::ShortIsoPrecise,
                "2026-11-21T20:11:30.123456+00:00 box food[42]: hello\n",
            ),
            (
                Mode::ShortFull,
                "Sat 2026-11-21 20:11:30 UTC box food[42]: hello\n",
            ),
            (Mode::ShortUnix, "1795291890.123456 box food[42]: hello\n"),
            (Mode::ShortMonotonic, "[    5.000123] box food[42]: hello\n"),
            (
                Mode::WithUnit,
                "Sat 2026-11-21 20:11:30 UTC box foo.service[42]: hello\n",
            ),
            (Mode::Cat, "hello\n"),
        ];
        for (mode, expected) in cases {
            assert_eq!(render(mode, &r, |_| {}), expected, "{mode:?}");
        }
        assert_eq!(
            render(Mode::Short, &r, |s| s.no_hostname = true),
            "Nov 21 20:11:30 food[42]: hello\n"
        );
        let cet = TimeZone::from_posix("CET-1").unwrap();
        let mut style = Style::new(Mode::ShortIso, &cet);
        style.hostname = "box".into();
        let mut out = Vec::new();
        write_entry(&mut out, &r, &style).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("2026-11-21T21:11:30+01:00 "));
    }

    #[test]
    fn multi_line_and_binary_messages() {
        assert_eq!(
            render(Mode::Short, &record(b"one\ntwo"), |_| {}),
            "Nov 21 20:11:30 box food[42]: one\n                              two\n"
        );
        assert_eq!(
            render(Mode::Short, &record(b"bin\x01ary"), |_| {}),
            "Nov 21 20:11:30 box food[42]: [7B blob data]\n"
        );
        assert_eq!(
            render(Mode::Short, &record(b"bin\x01ary"), |s| s.all = true),
            "Nov 21 20:11:30 box food[42]: bin\x01ary\n"
        );
    }

    #[test]
    fn json_and_verbose_fields() {
        let json = render(Mode::Json, &record(b"hello"), |_| {});
        assert!(json.starts_with("{\"__CURSOR\":\"b=0123456789abcdef0123456789abcdef;"));
        for field in [
            "\"__REALTIME_TIMESTAMP\":\"1795291890123456\"",
            "\"__MONOTONIC_TIMESTAMP\":\"5000123\"",
            "\"PRIORITY\":\"3\"",
            "\"_SYSTEMD_UNIT\":\"foo.service\"",
            "\"_TRANSPORT\":\"stdout\"",
            "\"_PID\":\"42\"",
            "\"_HOSTNAME\":\"box\"",
        ] {
            assert!(json.contains(field), "{field} in {json}");
        }
        assert!(json.ends_with("}\n") && json.lines().count() == 1);
        let user = render(Mode::Json, &record(b"x"), |s| s.user_scope = true);
        assert!(user.contains("\"_SYSTEMD_USER_UNIT\":\"foo.service\""));
        let mut manager = record(b"Started foo.service.");
        manager.stream = Stream::Manager;
        assert!(render(Mode::Json, &manager, |_| {}).contains("\"UNIT\":\"foo.service\""));
        let verbose = render(Mode::Verbose, &record(b"hello"), |_| {});
        assert!(verbose.starts_with("Sat 2026-11-21 20:11:30.123456 UTC [b="));
        assert!(verbose.contains("\n    MESSAGE=hello\n"));
        assert!(render(Mode::JsonSeq, &record(b"x"), |_| {}).starts_with('\x1e'));
        assert!(render(Mode::JsonSse, &record(b"x"), |_| {}).starts_with("data: {"));
    }

    #[test]
    fn mode_names() {
        assert_eq!(Mode::parse("short-iso"), Ok(Mode::ShortIso));
        assert_eq!(
            Mode::parse("export"),
            Err("Output format 'export' is not supported by unitbox's journalctl.".into())
        );
        assert_eq!(
            Mode::parse("fancy"),
            Err("Unknown output format 'fancy'.".into())
        );
    }
}
