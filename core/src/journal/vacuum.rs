//! Keeping the store within bounds: like journald's archived files, a unit's rotated file
//! (`NAME.journal.1`) is what may be deleted, oldest first; live files are never touched,
//! their writers hold them open. `journalctl --vacuum-*` asks for it by hand, journald does
//! it with journald.conf's `SystemMaxUse=`/`RuntimeMaxUse=` and `MaxRetentionSec=`.

use crate::journal::record::Record;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

pub struct JournalFile {
    pub path: PathBuf,
    /// Bytes on disk (`st_blocks`), as journalctl reports usage.
    pub usage: u64,
    pub archived: bool,
}

/// The journal files of a store directory, sorted by name.
pub fn journal_files(dir: &Path) -> Vec<JournalFile> {
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

/// The newest record time of a file (0 if it has none).
fn newest_record(path: &Path) -> u64 {
    let data = std::fs::read(path).unwrap_or_default();
    data.split(|&b| b == b'\n')
        .filter_map(Record::decode)
        .map(|r| r.realtime)
        .max()
        .unwrap_or(0)
}

/// What to keep: archived files use at most `size` bytes, none is entirely older than
/// `max_age_us`, at most `files` remain.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub size: Option<u64>,
    pub max_age_us: Option<u64>,
    pub files: Option<u64>,
}

/// One archived file vacuuming looked at and had to delete.
pub struct Deletion {
    pub path: PathBuf,
    pub usage: u64,
    /// `Err` when it could not be deleted.
    pub result: io::Result<()>,
}

/// Deletes archived files, oldest first, until `limits` hold (`now_us`: the realtime clock
/// against which ages count).
pub fn vacuum(dir: &Path, limits: Limits, now_us: u64) -> Vec<Deletion> {
    let mut archived: Vec<(u64, JournalFile)> = journal_files(dir)
        .into_iter()
        .filter(|f| f.archived)
        .map(|f| (newest_record(&f.path), f))
        .collect();
    archived.sort_by_key(|(newest, _)| *newest);
    let mut remaining_usage: u64 = archived.iter().map(|(_, f)| f.usage).sum();
    let mut remaining_files = archived.len() as u64;
    let cutoff = limits.max_age_us.map(|t| now_us.saturating_sub(t));
    let mut deletions = Vec::new();
    for (newest, file) in archived {
        let too_big = limits.size.is_some_and(|max| remaining_usage > max);
        let too_old = cutoff.is_some_and(|c| newest < c);
        let too_many = limits.files.is_some_and(|max| remaining_files > max);
        if !(too_big || too_old || too_many) {
            continue;
        }
        let result = match std::fs::remove_file(&file.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Someone else's vacuum was faster: gone all the same, and not ours to report.
                remaining_usage -= file.usage;
                remaining_files -= 1;
                continue;
            }
            r => r,
        };
        if result.is_ok() {
            remaining_usage -= file.usage;
            remaining_files -= 1;
        }
        deletions.push(Deletion {
            path: file.path,
            usage: file.usage,
            result,
        });
    }
    deletions
}

/// journald's default for `SystemMaxUse=`/`RuntimeMaxUse=`: 10% of the file system the
/// store is on, at most 4 GiB.
pub fn default_max_use(dir: &Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(dir).ok()?;
    let size = stat.blocks() as u64 * stat.fragment_size() as u64;
    Some((size / 10).min(4 << 30))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::{Source, Stream};
    use crate::journal::writer::JournalWriter;

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
        let hour = Limits {
            max_age_us: Some(3_600_000_000),
            ..Limits::default()
        };
        let gone = vacuum(dir.path(), hour, now);
        assert_eq!(gone.len(), 1);
        assert!(gone[0].result.is_ok());
        assert!(!archived("old.service") && archived("new.service"));
        assert!(dir.path().join("old.service.journal").exists());
        let nothing = Limits {
            size: Some(0),
            ..Limits::default()
        };
        assert_eq!(vacuum(dir.path(), nothing, now).len(), 1);
        assert!(!archived("new.service"));
        assert!(dir.path().join("new.service.journal").exists());
    }
}
