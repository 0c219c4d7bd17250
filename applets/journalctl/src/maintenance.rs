//! The commands that look at the store's files rather than its records' text:
//! `--disk-usage`, `--vacuum-*` (the mechanism is core's [`vacuum`]), `--list-boots`.

use crate::select::list_boots;
use std::io::Write;
use std::path::Path;
use unitbox_core::journal::format::format_bytes;
use unitbox_core::journal::vacuum::{self, journal_files, Limits};
use unitbox_core::time::format_timestamp;
use unitbox_core::time::TimeZone;

/// `--disk-usage`.
pub fn disk_usage(dir: &Path) -> i32 {
    let total: u64 = journal_files(dir).iter().map(|f| f.usage).sum();
    println!(
        "Archived and active journals take up {} in the file system.",
        format_bytes(total)
    );
    0
}

/// `--vacuum-size=`, `--vacuum-time=`, `--vacuum-files=`, with journalctl's report.
pub fn vacuum(dir: &Path, limits: Limits, now_us: u64) -> i32 {
    let mut freed = 0u64;
    let mut status = 0;
    for gone in vacuum::vacuum(dir, limits, now_us) {
        match gone.result {
            Ok(()) => {
                eprintln!(
                    "Deleted archived journal {} ({}).",
                    gone.path.display(),
                    format_bytes(gone.usage)
                );
                freed += gone.usage;
            }
            Err(e) => {
                eprintln!(
                    "Failed to delete archived journal {}: {e}",
                    gone.path.display()
                );
                status = 1;
            }
        }
    }
    eprintln!(
        "Vacuuming done, freed {} of archived journals from {}.",
        format_bytes(freed),
        dir.display()
    );
    status
}

/// `--list-boots`: index (0 = newest), boot id, first and last entry.
pub fn print_boots(dir: &Path, tz: &TimeZone) -> i32 {
    let boots = match list_boots(dir) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("Failed to determine boots: {e}");
            return 1;
        }
    };
    let count = boots.len() as i64;
    // One more than the digits of the largest index, for the sign.
    let width = (count - 1).max(0).to_string().len() + 1;
    let mut out = std::io::stdout().lock();
    for (i, b) in boots.iter().enumerate() {
        let line = format!(
            "{:>width$} {} {}—{}\n",
            i as i64 - count + 1,
            b.id,
            format_timestamp(b.first.max(1), tz),
            format_timestamp(b.last.max(1), tz)
        );
        if out.write_all(line.as_bytes()).is_err() {
            return 0;
        }
    }
    0
}
