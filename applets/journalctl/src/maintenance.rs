//! The commands that look at the store's files rather than its records' text:
//! `--disk-usage`, `--vacuum-*`, `--list-boots`.
//!
//! Like journald's archived files, a unit's rotated file (`NAME.journal.1`) is what vacuuming
//! may delete; live files are never touched, their writers hold them open.

use crate::select::list_boots;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use unitbox_core::journal::format::format_bytes;
use unitbox_core::journal::record::Record;
use unitbox_core::time::format_timestamp;
use unitbox_core::time::TimeZone;

struct JournalFile {
    path: PathBuf,
    /// Bytes on disk (`st_blocks`), as journalctl reports usage.
    usage: u64,
    archived: bool,
}

fn journal_files(dir: &Path) -> Vec<JournalFile> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<JournalFile> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let archived = name.ends_with(".journal.1");
            if !(archived || name.ends_with(".journal")) || name.starts_with('.') {
                return None;
            }
            let meta = e.metadata().ok().filter(|m| m.is_file())?;
            Some(JournalFile {
                path: e.path(),
                usage: meta.blocks() * 512,
                archived,
            })
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// `--disk-usage`.
pub fn disk_usage(dir: &Path) -> i32 {
    let total: u64 = journal_files(dir).iter().map(|f| f.usage).sum();
    println!(
        "Archived and active journals take up {} in the file system.",
        format_bytes(total)
    );
    0
}

/// The newest record time of a file (0 if it has none).
fn newest_record(path: &Path) -> u64 {
    let data = std::fs::read(path).unwrap_or_default();
    data.split(|&b| b == b'\n')
        .filter_map(Record::decode)
        .map(|r| r.realtime)
        .max()
        .unwrap_or(0)
}

/// `--vacuum-size=`, `--vacuum-time=`, `--vacuum-files=`: deletes archived files, oldest
/// first, until the archived files use at most `size` bytes, none is entirely older than
/// `now - time`, and at most `files` remain.
pub fn vacuum(
    dir: &Path,
    size: Option<u64>,
    time: Option<u64>,
    files: Option<u64>,
    now_us: u64,
) -> i32 {
    let mut archived: Vec<(u64, JournalFile)> = journal_files(dir)
        .into_iter()
        .filter(|f| f.archived)
        .map(|f| (newest_record(&f.path), f))
        .collect();
    archived.sort_by_key(|(newest, _)| *newest);
    let mut remaining_usage: u64 = archived.iter().map(|(_, f)| f.usage).sum();
    let mut remaining_files = archived.len() as u64;
    let cutoff = time.map(|t| now_us.saturating_sub(t));
    let mut freed = 0u64;
    let mut status = 0;
    for (newest, file) in &archived {
        let too_big = size.is_some_and(|max| remaining_usage > max);
        let too_old = cutoff.is_some_and(|c| *newest < c);
        let too_many = files.is_some_and(|max| remaining_files > max);
        if !(too_big || too_old || too_many) {
            continue;
        }
        match std::fs::remove_file(&file.path) {
            Ok(()) => {
                eprintln!(
                    "Deleted archived journal {} ({}).",
                    file.path.display(),
                    format_bytes(file.usage)
                );
                freed += file.usage;
                remaining_usage -= file.usage;
                remaining_files -= 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                remaining_usage -= file.usage;
                remaining_files -= 1;
            }
            Err(e) => {
                eprintln!(
                    "Failed to delete archived journal {}: {e}",
                    file.path.display()
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

#[cfg(test)]
mod tests {
    use super::*;
    use unitbox_core::journal::record::{Source, Stream};
    use unitbox_core::journal::writer::JournalWriter;

    fn source(unit: &str) -> Source {
        Source {
            boot_id: "0123456789abcdef0123456789abcdef".into(),
            stream: Stream::Stdout,
            pid: 1,
            uid: None,
            unit: unit.into(),
            identifier: "x".into(),
            invocation_id: String::new(),
        }
    }

    #[test]
    fn vacuum_deletes_only_archived_files() {
        let dir = tempfile::tempdir().unwrap();
        for (unit, time) in [("old.service", 1_000u64), ("new.service", 9_000_000_000)] {
            let mut w = JournalWriter::open_in(dir.path(), unit, 200).unwrap();
            for i in 0..10 {
                w.append_at(time + i, 1, &source(unit), 6, b"some message text")
                    .unwrap();
            }
        }
        let archived = |u: &str| dir.path().join(format!("{u}.journal.1")).exists();
        assert!(archived("old.service") && archived("new.service"));
        // Everything entirely older than an hour before "now" goes.
        let now = 9_000_000_000 + 60 * 1_000_000;
        assert_eq!(vacuum(dir.path(), None, Some(3_600_000_000), None, now), 0);
        assert!(!archived("old.service") && archived("new.service"));
        assert!(dir.path().join("old.service.journal").exists());
        assert_eq!(vacuum(dir.path(), Some(0), None, None, now), 0);
        assert!(!archived("new.service"));
        assert!(dir.path().join("new.service.journal").exists());
    }
}
