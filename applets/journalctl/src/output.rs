//! Output modes (`-o`): the short family, `cat`, `verbose`, the JSON family and `with-unit`,
//! in systemd 252's layouts. Our records carry fewer fields than journald's (no `_COMM`,
//! `_EXE`, `_GID`, …); the ones they have get systemd's names.

use crate::json;
use std::io::{self, Write};
use unitbox_core::journal::cursor::Cursor;
use unitbox_core::journal::format::{
    format_bytes, is_printable, local_hostname, write_line, LineMode, LineStyle,
};
use unitbox_core::journal::record::{Record, Stream};
use unitbox_core::time::format_timestamp_us;
use unitbox_core::time::TimeZone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One line a record: the `short` family, `with-unit`, `cat`.
    Line(LineMode),
    Verbose,
    Json,
    JsonPretty,
    JsonSse,
    JsonSeq,
    Export,
}

impl Mode {
    /// The mode of an `-o` argument, or the one-line error.
    pub fn parse(name: &str) -> Result<Mode, String> {
        if let Some(line) = LineMode::parse(name) {
            return Ok(Mode::Line(line));
        }
        Ok(match name {
            "verbose" => Mode::Verbose,
            "json" => Mode::Json,
            "json-pretty" => Mode::JsonPretty,
            "json-sse" => Mode::JsonSse,
            "json-seq" => Mode::JsonSeq,
            "export" => Mode::Export,
            "short-delta" => {
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

    /// For machines: no `-- No entries --`, no `-- Boot … --` lines between records.
    pub fn is_for_machines(self) -> bool {
        self.is_json() || self == Mode::Export
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
    /// The journal directory's sequence id, for cursors.
    pub seqnum_id: String,
    /// `--output-fields=`: the fields verbose, JSON and export show (besides the cursor,
    /// the timestamps and the boot id, which they always show); empty: all.
    pub output_fields: Vec<String>,
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
            hostname: local_hostname(),
            seqnum_id: String::new(),
            output_fields: Vec::new(),
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

    /// Whether `--output-fields=` lets field `name` through.
    pub fn shows(&self, name: &str) -> bool {
        self.output_fields.is_empty() || self.output_fields.iter().any(|f| f == name)
    }

    fn line_style(&self, mode: LineMode) -> LineStyle<'_> {
        LineStyle {
            mode,
            hostname: (!self.no_hostname).then_some(self.hostname.as_str()),
            all: self.all,
            zone: self.zone(),
        }
    }
}

/// The record's cursor (`__CURSOR`, `--show-cursor`).
pub fn cursor(r: &Record, style: &Style) -> String {
    Cursor::of(r, &style.seqnum_id).to_string()
}

/// The record's fields under journald's names, in journald's order for stream records;
/// the extra fields a receiver stored come after the message (the client's own) and among
/// the trusted ones (`_…`).
pub fn fields(r: &Record, style: &Style) -> Vec<(String, Vec<u8>)> {
    let mut f: Vec<(String, Vec<u8>)> = Vec::with_capacity(12 + r.fields.len());
    let mut push = |name: &str, value: Vec<u8>| f.push((name.to_string(), value));
    push("_TRANSPORT", r.stream.transport().into());
    push("PRIORITY", r.priority.to_string().into_bytes());
    if r.field("SYSLOG_FACILITY").is_none()
        && matches!(r.stream, Stream::Stdout | Stream::Stderr | Stream::Manager)
    {
        // LOG_DAEMON, journald's facility for service output.
        push("SYSLOG_FACILITY", b"3".to_vec());
    }
    if !r.identifier.is_empty() {
        push("SYSLOG_IDENTIFIER", r.identifier.as_bytes().to_vec());
    }
    push("MESSAGE", r.message.clone());
    for (name, value) in r.fields.iter().filter(|(n, _)| !n.starts_with('_')) {
        push(name, value.clone());
    }
    if r.pid != 0 {
        push("_PID", r.pid.to_string().into_bytes());
    }
    if let Some(uid) = r.uid {
        push("_UID", uid.to_string().into_bytes());
    }
    for (name, value) in r.fields.iter().filter(|(n, _)| n.starts_with('_')) {
        push(name, value.clone());
    }
    push("_BOOT_ID", r.boot_id.as_bytes().to_vec());
    if r.field("_HOSTNAME").is_none() {
        push("_HOSTNAME", style.hostname.as_bytes().to_vec());
    }
    if !r.unit.is_empty() {
        // The manager's messages about a unit name it in UNIT=; the unit's own output
        // belongs to it (_SYSTEMD_UNIT=).
        let name = match (r.stream == Stream::Manager, style.user_scope) {
            (true, false) => "UNIT",
            (true, true) => "USER_UNIT",
            (false, false) => "_SYSTEMD_UNIT",
            (false, true) => "_SYSTEMD_USER_UNIT",
        };
        push(name, r.unit.as_bytes().to_vec());
    }
    if !r.invocation_id.is_empty() {
        push(
            "_SYSTEMD_INVOCATION_ID",
            r.invocation_id.as_bytes().to_vec(),
        );
    }
    f
}

/// Writes one record in `style`.
pub fn write_entry(out: &mut impl Write, r: &Record, style: &Style) -> io::Result<()> {
    match style.mode {
        Mode::Line(mode) => write_line(out, r, &style.line_style(mode)),
        Mode::Verbose => write_verbose(out, r, style),
        Mode::Export => crate::export::write_entry(out, r, style),
        Mode::Json | Mode::JsonPretty | Mode::JsonSse | Mode::JsonSeq => {
            let mut all: Vec<(String, Vec<u8>)> = vec![
                ("__CURSOR".into(), cursor(r, style).into_bytes()),
                (
                    "__REALTIME_TIMESTAMP".into(),
                    r.realtime.to_string().into_bytes(),
                ),
                (
                    "__MONOTONIC_TIMESTAMP".into(),
                    r.monotonic.to_string().into_bytes(),
                ),
            ];
            all.extend(
                fields(r, style)
                    .into_iter()
                    .filter(|(name, _)| name == "_BOOT_ID" || style.shows(name)),
            );
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
    }
}

fn write_verbose(out: &mut impl Write, r: &Record, style: &Style) -> io::Result<()> {
    writeln!(
        out,
        "{} [{}]",
        format_timestamp_us(r.realtime, style.zone()),
        cursor(r, style)
    )?;
    for (name, value) in fields(r, style) {
        if !style.shows(&name) {
            continue;
        }
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
    fn options_reach_the_line_formatter() {
        let r = record(b"hello");
        assert_eq!(
            render(Mode::Line(LineMode::Short), &r, |_| {}),
            "Nov 21 20:11:30 box food[42]: hello\n"
        );
        assert_eq!(
            render(Mode::Line(LineMode::Short), &r, |s| s.no_hostname = true),
            "Nov 21 20:11:30 food[42]: hello\n"
        );
        assert_eq!(
            render(Mode::Line(LineMode::Cat), &record(b"bin\x01ary"), |_| {}),
            "bin\x01ary\n"
        );
        assert_eq!(
            render(Mode::Line(LineMode::Short), &record(b"bin\x01ary"), |s| s
                .all =
                true),
            "Nov 21 20:11:30 box food[42]: bin\x01ary\n"
        );
        let cet = TimeZone::from_posix("CET-1").unwrap();
        let mut style = Style::new(Mode::Line(LineMode::ShortIso), &cet);
        style.hostname = "box".into();
        let mut out = Vec::new();
        write_entry(&mut out, &r, &style).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("2026-11-21T21:11:30+01:00 "));
        style.utc = true;
        let mut out = Vec::new();
        write_entry(&mut out, &r, &style).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("2026-11-21T20:11:30+00:00 "));
    }

    #[test]
    fn json_and_verbose_fields() {
        let json = render(Mode::Json, &record(b"hello"), |_| {});
        assert!(json.starts_with("{\"__CURSOR\":\"s="), "{json}");
        assert!(json.contains(";i=1;b=0123456789abcdef0123456789abcdef;m=4c4bbb;t=660cef76102c0;"));
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
        assert!(verbose.starts_with("Sat 2026-11-21 20:11:30.123456 UTC [s="));
        assert!(verbose.contains("\n    MESSAGE=hello\n"));
        assert!(render(Mode::JsonSeq, &record(b"x"), |_| {}).starts_with('\x1e'));
        assert!(render(Mode::JsonSse, &record(b"x"), |_| {}).starts_with("data: {"));
    }

    #[test]
    fn mode_names() {
        assert_eq!(Mode::parse("short-iso"), Ok(Mode::Line(LineMode::ShortIso)));
        assert_eq!(Mode::parse("export"), Ok(Mode::Export));
        assert_eq!(
            Mode::parse("short-delta"),
            Err("Output format 'short-delta' is not supported by unitbox's journalctl.".into())
        );
        assert_eq!(
            Mode::parse("fancy"),
            Err("Unknown output format 'fancy'.".into())
        );
    }
}
