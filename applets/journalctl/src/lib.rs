//! The `journalctl` applet: reads the journal store of a scope (see ARCHITECTURE.md,
//! "Journal store") with journalctl's options and output formats. It never pages.
//!
//! `cli` (with `getopt`) parses the options, `timespec` reads times and sizes, `select`
//! decides which records to show, `output` (with `json`) prints them, `follow` waits for
//! new ones, `maintenance` holds `--disk-usage`, `--vacuum-*` and `--list-boots`.

mod cli;
mod follow;
mod getopt;
mod json;
mod maintenance;
mod output;
mod select;
mod timespec;

use cli::{Action, Lines, Options, Parsed};
use output::{write_entry, Style};
use select::Selection;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use unitbox_core::journal::record::Record;
use unitbox_core::select::{select, ScopeRequest};
use unitbox_core::state::dir::journal_dir_for;
use unitbox_core::time::now_realtime_us;
use unitbox_core::time::TimeZone;

/// Runs `journalctl` with full argv (argv[0] included) and returns the exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let tz = TimeZone::local();
    let now = now_realtime_us();
    let opts = match cli::parse(args, now, tz) {
        Ok(Parsed::Run(opts)) => opts,
        Ok(Parsed::Exit(code)) => return code,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    match run(&opts, now, tz) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Whether the records are a user scope's (`--user`, `--capsule`, or only `--user-unit=`
/// given).
fn user_scope(o: &Options) -> bool {
    !o.system && (o.user || o.capsule.is_some() || (!o.user_units.is_empty() && o.units.is_empty()))
}

/// The journal directory on the host: `-D`, else the scope's (under `--root`) that the
/// scope rule every applet shares picks. `--capsule` makes this process the capsule's
/// user, so it runs before anything else.
fn journal_dir(o: &Options) -> Result<PathBuf, String> {
    if let Some(dir) = &o.directory {
        return Ok(dir.clone());
    }
    let request = ScopeRequest {
        system: o.system,
        user: user_scope(o),
        global: false,
        capsule: o.capsule.as_deref(),
        root: o.root.as_deref(),
    };
    let scope = select(&request, &env).map_err(|e| e.to_string())?;
    journal_dir_for(&scope).map_err(|e| e.to_string())
}

fn run(o: &Options, now: u64, tz: &TimeZone) -> Result<i32, String> {
    let dir = journal_dir(o)?;
    let display_tz = if o.utc { TimeZone::utc() } else { tz.clone() };
    match &o.action {
        Action::Nothing => return Ok(0),
        Action::DiskUsage => return Ok(maintenance::disk_usage(&dir)),
        Action::ListBoots => return Ok(maintenance::print_boots(&dir, &display_tz)),
        Action::Vacuum { size, time, files } => {
            return Ok(maintenance::vacuum(&dir, *size, *time, *files, now))
        }
        Action::Show => {}
    }
    let selection = Selection::new(o, &dir)?;
    let mut style = Style::new(o.output, tz);
    style.utc = o.utc;
    style.no_hostname = o.no_hostname;
    style.all = o.all;
    style.user_scope = user_scope(o);
    let mut printer = Printer {
        out: io::stdout().lock(),
        style: &style,
        quiet: o.quiet,
        previous_boot: None,
        shown: 0,
    };

    let (records, follower) = if o.follow {
        let (records, follower) = selection.query.follow(&dir).map_err(|e| e.to_string())?;
        (records, Some(follower))
    } else {
        (selection.query.read(&dir).map_err(|e| e.to_string())?, None)
    };
    let mut records: Vec<Record> = records
        .into_iter()
        .filter(|r| selection.accepts(r, &style))
        .collect();
    match o.lines.unwrap_or(Lines::All) {
        Lines::All => {}
        Lines::Newest(n) => {
            let skip = records.len().saturating_sub(n);
            records.drain(..skip);
        }
        Lines::Oldest(n) => records.truncate(n),
    }
    if o.reverse {
        records.reverse();
    }
    if printer.print(&records).is_err() {
        return Ok(0);
    }
    let Some(mut follower) = follower else {
        if printer.shown == 0 && !o.quiet && !o.output.is_json() {
            let _ = writeln!(printer.out, "-- No entries --");
        }
        return Ok(0);
    };
    let _ = printer.out.flush();
    let mut emit = |new: Vec<Record>| {
        let new: Vec<Record> = new
            .into_iter()
            .filter(|r| selection.accepts(r, &style))
            .collect();
        printer
            .print(&new)
            .and_then(|()| printer.out.flush())
            .map_err(|_| follow::Stop::OutputClosed)
    };
    match follow::run(&dir, &mut follower, &mut emit)? {
        follow::Stop::OutputClosed => Ok(0),
    }
}

struct Printer<'a, W: Write> {
    out: W,
    style: &'a Style<'a>,
    quiet: bool,
    previous_boot: Option<String>,
    shown: u64,
}

impl<W: Write> Printer<'_, W> {
    fn print(&mut self, records: &[Record]) -> io::Result<()> {
        for r in records {
            // Where the output crosses from one boot to another, systemd says so.
            if self.previous_boot.as_deref() != Some(r.boot_id.as_str()) {
                if self.previous_boot.is_some() && !self.quiet && !self.style.mode.is_json() {
                    writeln!(self.out, "-- Boot {} --", r.boot_id)?;
                }
                self.previous_boot = Some(r.boot_id.clone());
            }
            write_entry(&mut self.out, r, self.style)?;
            self.shown += 1;
        }
        Ok(())
    }
}
