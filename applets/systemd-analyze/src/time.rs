//! `systemd-analyze timespan` and `timestamp`: systemd 252's two-column tables (names right
//! aligned), a blank line between operands, its error lines and hints.

use std::io::{self, Write};
use unitbox_core::time::{
    format_timespan, format_timestamp, format_timestamp_relative, parse_sec, parse_timestamp,
    TimeZone, USEC_INFINITY, USEC_PER_SEC, USEC_TIMESTAMP_FORMATTABLE_MAX,
};

/// Prints the rows of one table: names right-aligned to the widest, then the value.
/// systemd's table drops trailing whitespace of the last column.
pub fn table(out: &mut impl Write, rows: &[(&str, String)]) -> io::Result<()> {
    let width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    for (name, value) in rows {
        let pad = width - name.chars().count();
        writeln!(out, "{:pad$}{name} {}", "", value.trim_end())?;
    }
    Ok(())
}

/// `systemd-analyze timespan SPAN…`: stops at the first invalid span (exit 1).
pub fn timespan(spans: &[String], out: &mut impl Write) -> io::Result<i32> {
    for (i, span) in spans.iter().enumerate() {
        let usec = match parse_sec(span) {
            Ok(usec) => usec,
            Err(e) => {
                out.flush()?;
                eprintln!("Failed to parse time span '{span}': {e}");
                calendar_hint(span);
                if parse_timestamp(
                    span,
                    unitbox_core::time::now_realtime_us(),
                    TimeZone::local(),
                )
                .is_ok()
                {
                    eprintln!(
                        "Hint: this expression is a valid timestamp. Use 'systemd-analyze \
                         timestamp \"{span}\"' instead?"
                    );
                }
                return Ok(1);
            }
        };
        table(
            out,
            &[
                ("Original:", span.clone()),
                ("\u{3bc}s:", usec.to_string()),
                ("Human:", format_timespan(usec, 1)),
            ],
        )?;
        if i + 1 < spans.len() {
            writeln!(out)?;
        }
    }
    Ok(0)
}

/// A table cell of systemd's `TABLE_TIMESTAMP`: "-" for unset, a placeholder past the
/// year 9999 (where `format_timestamp()` gives up).
pub fn timestamp_cell(usec: u64, tz: &TimeZone) -> String {
    if usec == 0 || usec == USEC_INFINITY {
        "-".into()
    } else if usec > USEC_TIMESTAMP_FORMATTABLE_MAX {
        "--- XXXX-XX-XX XX:XX:XX".into()
    } else {
        format_timestamp(usec, tz)
    }
}

/// `systemd-analyze timestamp TIMESTAMP…`: every operand, exit 1 if any was invalid.
pub fn timestamp(
    stamps: &[String],
    now: u64,
    tz: &TimeZone,
    out: &mut impl Write,
) -> io::Result<i32> {
    let mut code = 0;
    for (i, text) in stamps.iter().enumerate() {
        match parse_timestamp(text, now, tz) {
            Ok(usec) => {
                let mut rows = vec![
                    ("Original form:", text.clone()),
                    ("Normalized form:", timestamp_cell(usec, tz)),
                ];
                if !tz.is_utc() {
                    rows.push(("(in UTC):", timestamp_cell(usec, &TimeZone::utc())));
                }
                let seconds = if usec % USEC_PER_SEC == 0 {
                    format!("@{}", usec / USEC_PER_SEC)
                } else {
                    format!("@{}.{:06}", usec / USEC_PER_SEC, usec % USEC_PER_SEC)
                };
                rows.push(("UNIX seconds:", seconds));
                let relative = if usec == 0 || usec == USEC_INFINITY {
                    "-".into()
                } else {
                    format_timestamp_relative(usec, now)
                };
                rows.push(("From now:", relative));
                table(out, &rows)?;
            }
            Err(e) => {
                out.flush()?;
                eprintln!("Failed to parse \"{text}\": {e}");
                calendar_hint(text);
                if parse_sec(text).is_ok() {
                    eprintln!(
                        "Hint: this expression is a valid timespan. Use 'systemd-analyze \
                         timespan \"{text}\"' instead?"
                    );
                }
                code = 1;
            }
        }
        if i + 1 < stamps.len() {
            writeln!(out)?;
        }
    }
    Ok(code)
}

/// systemd's hint when a rejected operand is a valid calendar event.
fn calendar_hint(text: &str) {
    if unitbox_core::time::parse_calendar(text, TimeZone::local()).is_ok() {
        eprintln!(
            "Hint: this expression is a valid calendar specification. Use 'systemd-analyze \
             calendar \"{text}\"' instead?"
        );
    }
}
