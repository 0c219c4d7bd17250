//! `systemd-analyze calendar SPEC… [--iterations=N] [--base-time=TIMESTAMP]`, as 252.

use crate::cli::Options;
use crate::time::{table, timestamp_cell};
use std::io::{self, Write};
use unitbox_core::time::{
    format_timestamp_relative, parse_calendar, parse_sec, parse_timestamp, TimeZone,
};

pub fn calendar(
    specs: &[String],
    options: &Options,
    now: u64,
    tz: &TimeZone,
    out: &mut impl Write,
) -> io::Result<i32> {
    let base = match &options.base_time {
        Some(text) => match parse_timestamp(text, now, tz) {
            Ok(base) => base,
            Err(e) => {
                eprintln!("Failed to parse --base-time= parameter: {text}: {e}");
                return Ok(1);
            }
        },
        None => now,
    };
    let mut code = 0;
    for (i, text) in specs.iter().enumerate() {
        if !one(text, base, now, options.iterations, tz, out)? {
            code = 1;
        }
        if i + 1 < specs.len() {
            writeln!(out)?;
        }
    }
    Ok(code)
}

fn one(
    text: &str,
    mut base: u64,
    now: u64,
    iterations: u32,
    tz: &TimeZone,
    out: &mut impl Write,
) -> io::Result<bool> {
    let spec = match parse_calendar(text, tz) {
        Ok(spec) => spec,
        Err(e) => {
            out.flush()?;
            eprintln!("Failed to parse calendar specification '{text}': {e}");
            if parse_timestamp(text, now, tz).is_ok() {
                eprintln!(
                    "Hint: this expression is a valid timestamp. Use 'systemd-analyze timestamp \
                     \"{text}\"' instead?"
                );
            }
            if parse_sec(text).is_ok() {
                eprintln!(
                    "Hint: this expression is a valid timespan. Use 'systemd-analyze timespan \
                     \"{text}\"' instead?"
                );
            }
            return Ok(false);
        }
    };
    let normal = spec.to_normal_string(tz);
    let mut rows: Vec<(String, String)> = Vec::new();
    if normal != text {
        rows.push(("Original form:".into(), text.to_string()));
    }
    rows.push(("Normalized form:".into(), normal));
    for i in 0..iterations {
        let next = match spec.next_elapse(base, tz) {
            Ok(Some(next)) => next,
            Ok(None) => {
                if i == 0 {
                    rows.push(("Next elapse:".into(), "never".into()));
                }
                break;
            }
            Err(e) => {
                print_rows(out, &rows)?;
                out.flush()?;
                eprintln!("Failed to determine next elapse for '{text}': {e}");
                return Ok(false);
            }
        };
        let label = if i == 0 {
            "Next elapse:".to_string()
        } else {
            format!("Iter. #{}:", i + 1)
        };
        rows.push((label, timestamp_cell(next, tz)));
        if !tz.is_utc() {
            rows.push(("(in UTC):".into(), timestamp_cell(next, &TimeZone::utc())));
        }
        if i == 0 {
            rows.push(("From now:".into(), format_timestamp_relative(next, now)));
        }
        base = next;
    }
    print_rows(out, &rows)?;
    Ok(true)
}

fn print_rows(out: &mut impl Write, rows: &[(String, String)]) -> io::Result<()> {
    let borrowed: Vec<(&str, String)> = rows.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    table(out, &borrowed)
}
