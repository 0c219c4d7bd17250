//! The `journalctl` applet: reads the journal store of a scope (see ARCHITECTURE.md,
//! "Journal store") with journalctl's options and output formats. It never pages.
//!
//! `cli` (with `getopt`) parses the options, `timespec` reads times and sizes, `select`
//! decides which records to show, `output` (with `json`) prints them, `follow` waits for
//! new ones, `maintenance` holds `--disk-usage`, `--vacuum-*` and `--list-boots`.

mod cli;
mod export;
mod follow;
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
    style.output_fields = o.output_fields.clone();
    style.user_scope = user_scope(o);
    style.seqnum_id = selection.seqnum_id.clone();
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
    let lines = match o.lines {
        // A cursor says where to start; -n (also the one -f implies) does not move it.
        Some(Lines::Newest(_)) if selection.has_cursor() => Lines::All,
        lines => lines.unwrap_or(Lines::All),
    };
    match lines {
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
    let mut last_cursor = records.last().map(|r| output::cursor(r, &style));
    let Some(mut follower) = follower else {
        if printer.shown == 0 && !o.quiet && !o.output.is_for_machines() {
            let _ = writeln!(printer.out, "-- No entries --");
        }
        if let Some(cursor) = &last_cursor {
            if o.show_cursor {
                let _ = writeln!(printer.out, "-- cursor: {cursor}");
            }
        }
        return Ok(store_cursor(o, last_cursor.as_deref()));
    };
    store_cursor(o, last_cursor.as_deref());
    let _ = printer.out.flush();
    let mut emit = |new: Vec<Record>| {
        let new: Vec<Record> = new
            .into_iter()
            .filter(|r| selection.accepts(r, &style))
            .collect();
        let result = printer
            .print(&new)
            .and_then(|()| printer.out.flush())
            .map_err(|_| follow::Stop::OutputClosed);
        if let Some(r) = new.last() {
            // Kept current while following, so that a reader killed at any moment resumes
            // after what it printed (systemd 252 writes it only at an exit -f never reaches).
            last_cursor = Some(output::cursor(r, &style));
            store_cursor(o, last_cursor.as_deref());
        }
        result
    };
    match follow::run(&dir, &mut follower, &mut emit)? {
        follow::Stop::OutputClosed => Ok(0),
    }
}

/// `--cursor-file=`: the last shown record's cursor, replaced atomically. Returns the exit
/// code (1 when it cannot be written, as systemd).
fn store_cursor(o: &Options, cursor: Option<&str>) -> i32 {
    let (Some(file), Some(cursor)) = (&o.cursor_file, cursor) else {
        return 0;
    };
    let tmp = file.with_extension("tmp~");
    let written =
        std::fs::write(&tmp, format!("{cursor}\n")).and_then(|()| std::fs::rename(&tmp, file));
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Failed to write new cursor to {}: {e}", file.display());
            1
        }
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
                if self.previous_boot.is_some() && !self.quiet && !self.style.mode.is_for_machines()
                {
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
