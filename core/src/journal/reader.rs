//! Reading the journal store: the records of one or more units merged by time, filtered by
//! time range, priority and boot; the last N; and following new records as they are
//! written, across rotations.
//!
//! A unit's records are its rotated file followed by its live file. The pair is opened
//! consistently: the live file is opened first and must still be the live file after the
//! rotated one is opened (else a rotation happened in between and we retry); during a
//! rotation both names may briefly be the same file, which is then read once.

use crate::journal::record::Record;
use crate::journal::sequence::ReadLock;
use crate::journal::writer::journal_paths;
use crate::{Error, Result};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::RangeInclusive;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What to read. The default reads everything of every unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Unit names; empty means every unit with a journal.
    pub units: Vec<String>,
    /// Inclusive realtime bounds (µs).
    pub since: Option<u64>,
    pub until: Option<u64>,
    /// Priorities to show: `err` is `0..=3` (journalctl `-p err`).
    pub priorities: RangeInclusive<u8>,
    pub boot_id: Option<String>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            units: Vec::new(),
            since: None,
            until: None,
            priorities: 0..=7,
            boot_id: None,
        }
    }
}

impl Query {
    pub fn matches(&self, r: &Record) -> bool {
        !matches!(self.since, Some(s) if r.realtime < s)
            && !matches!(self.until, Some(u) if r.realtime > u)
            && self.priorities.contains(&r.priority)
            && !matches!(&self.boot_id, Some(b) if *b != r.boot_id)
    }

    fn unit_names(&self, dir: &Path) -> Vec<String> {
        if self.units.is_empty() {
            units_with_journal(dir)
        } else {
            self.units.clone()
        }
    }

    /// All matching records, oldest first.
    pub fn read(&self, dir: &Path) -> Result<Vec<Record>> {
        let _lock = ReadLock::take(dir);
        let mut lists = Vec::new();
        for unit in self.unit_names(dir) {
            let (rotated, live) = open_pair(dir, &unit)?;
            let mut records = Vec::new();
            for file in [rotated, live].into_iter().flatten() {
                let mut file = file;
                let (data, _) = read_to_end(&mut file, &journal_paths(dir, &unit).0)?;
                records.extend(complete_records(&data).filter(|r| self.matches(r)));
            }
            lists.push(records);
        }
        Ok(merge(lists))
    }

    /// The newest `n` matching records, oldest first.
    pub fn tail(&self, dir: &Path, n: usize) -> Result<Vec<Record>> {
        let mut all = self.read(dir)?;
        let skip = all.len().saturating_sub(n);
        all.drain(..skip);
        Ok(all)
    }

    /// Reads what is there now and returns a [`Follower`] that continues exactly after it.
    pub fn follow(&self, dir: &Path) -> Result<(Vec<Record>, Follower)> {
        let _lock = ReadLock::take(dir);
        let mut follower = Follower {
            dir: dir.to_path_buf(),
            query: self.clone(),
            units: Vec::new(),
        };
        let mut lists = Vec::new();
        for unit in self.unit_names(dir) {
            let (records, followed) = follower.start_unit(&unit)?;
            lists.push(records);
            follower.units.push(followed);
        }
        Ok((merge(lists), follower))
    }
}

/// The units that have a journal in `dir`, sorted.
pub fn units_with_journal(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut units: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let unit = name
                .strip_suffix(".journal.1")
                .or_else(|| name.strip_suffix(".journal"))?;
            (!unit.is_empty() && !unit.starts_with('.')).then(|| unit.to_string())
        })
        .collect();
    units.sort();
    units.dedup();
    units
}

fn open_optional(path: &Path) -> Result<Option<File>> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn inode(file: &File) -> Option<u64> {
    file.metadata().ok().map(|m| m.ino())
}

/// The rotated and live file of a unit as one consistent pair (either may be absent).
fn open_pair(dir: &Path, unit: &str) -> Result<(Option<File>, Option<File>)> {
    let (live_path, rotated_path) = journal_paths(dir, unit);
    for _ in 0..100 {
        let live = open_optional(&live_path)?;
        let rotated = open_optional(&rotated_path)?;
        let live_inode = live.as_ref().and_then(inode);
        let current = std::fs::metadata(&live_path).ok().map(|m| m.ino());
        if live_inode != current {
            continue; // Rotated while we opened: the pair would not fit together.
        }
        let rotated = rotated.filter(|r| inode(r) != live_inode);
        return Ok((rotated, live));
    }
    Err(Error::io(
        live_path,
        io::Error::other("journal keeps rotating under the reader"),
    ))
}

fn read_to_end(file: &mut File, path: &Path) -> Result<(Vec<u8>, usize)> {
    let mut data = Vec::new();
    let n = file
        .read_to_end(&mut data)
        .map_err(|e| Error::io(path, e))?;
    Ok((data, n))
}

/// The records of the complete lines in `data`; damaged lines are skipped, a partial last
/// line is ignored.
fn complete_records(data: &[u8]) -> impl Iterator<Item = Record> + '_ {
    let complete = match data.iter().rposition(|&b| b == b'\n') {
        Some(end) => &data[..=end],
        None => &data[..0],
    };
    complete
        .split_inclusive(|&b| b == b'\n')
        .filter_map(Record::decode)
}

/// The order of records of different files: by sequence number (the order they were
/// appended in), format 1 records (number 0) first, by time.
fn order(r: &Record) -> (u64, u64) {
    (r.seq, r.realtime)
}

/// Merges per-unit lists (each in file order) by [`order`], keeping each unit's own order.
fn merge(lists: Vec<Vec<Record>>) -> Vec<Record> {
    if lists.len() == 1 {
        return lists.into_iter().next().unwrap_or_default();
    }
    let total = lists.iter().map(Vec::len).sum();
    let mut iters: Vec<std::vec::IntoIter<Record>> =
        lists.into_iter().map(Vec::into_iter).collect();
    let mut heads: Vec<Option<Record>> = iters.iter_mut().map(Iterator::next).collect();
    let mut heap: BinaryHeap<Reverse<((u64, u64), usize)>> = heads
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().map(|r| Reverse((order(r), i))))
        .collect();
    let mut out = Vec::with_capacity(total);
    while let Some(Reverse((_, i))) = heap.pop() {
        if let Some(record) = heads[i].take() {
            out.push(record);
        }
        heads[i] = iters[i].next();
        if let Some(r) = &heads[i] {
            heap.push(Reverse((order(r), i)));
        }
    }
    out
}

/// Follows the journals of a query: every [`Follower::poll`] returns the records written
/// since the last one, merged by time.
#[derive(Debug)]
pub struct Follower {
    dir: PathBuf,
    query: Query,
    units: Vec<FollowedUnit>,
}

#[derive(Debug)]
struct FollowedUnit {
    unit: String,
    live_path: PathBuf,
    file: Option<File>,
    inode: u64,
    /// Bytes consumed from `file`.
    offset: u64,
    /// A line whose end has not been read yet.
    pending: Vec<u8>,
}

impl Follower {
    fn start_unit(&self, unit: &str) -> Result<(Vec<Record>, FollowedUnit)> {
        let (rotated, live) = open_pair(&self.dir, unit)?;
        let live_path = journal_paths(&self.dir, unit).0;
        let mut records = Vec::new();
        if let Some(mut rotated) = rotated {
            let (data, _) = read_to_end(&mut rotated, &live_path)?;
            records.extend(complete_records(&data).filter(|r| self.query.matches(r)));
        }
        let mut followed = FollowedUnit {
            unit: unit.to_string(),
            inode: live.as_ref().and_then(inode).unwrap_or(0),
            file: live,
            live_path,
            offset: 0,
            pending: Vec::new(),
        };
        records.extend(followed.read_new(&self.query)?);
        Ok((records, followed))
    }

    /// The records written since the previous call, oldest first.
    pub fn poll(&mut self) -> Result<Vec<Record>> {
        let _lock = ReadLock::take(&self.dir);
        if self.query.units.is_empty() {
            for unit in units_with_journal(&self.dir) {
                if !self.units.iter().any(|u| u.unit == unit) {
                    let (records, followed) = self.start_unit(&unit)?;
                    self.units.push(followed);
                    if !records.is_empty() {
                        // Appeared after the start: everything in it is new.
                        let mut lists = vec![records];
                        let older = self.units.len() - 1;
                        for u in &mut self.units[..older] {
                            lists.push(u.poll(&self.query)?);
                        }
                        return Ok(merge(lists));
                    }
                }
            }
        }
        let mut lists = Vec::with_capacity(self.units.len());
        for u in &mut self.units {
            lists.push(u.poll(&self.query)?);
        }
        Ok(merge(lists))
    }
}

impl FollowedUnit {
    fn poll(&mut self, query: &Query) -> Result<Vec<Record>> {
        let mut records = self.read_new(query)?;
        let current = std::fs::metadata(&self.live_path).ok().map(|m| m.ino());
        if current.is_some() && current != Some(self.inode).filter(|_| self.file.is_some()) {
            // Rotated (or created): finish the old file — the writer wrote its last record
            // there before renaming — then continue with the new pair. If the rotated file of
            // that pair is not ours, the live file rotated twice since the last poll and the
            // rotated one is the file in between: read it whole first.
            let had_file = self.file.is_some();
            records.extend(self.read_new(query)?);
            let dir = self.live_path.parent().unwrap_or(Path::new("."));
            let (rotated, live) = open_pair(dir, &self.unit)?;
            if let Some(mut between) = rotated.filter(|r| had_file && inode(r) != Some(self.inode))
            {
                let (data, _) = read_to_end(&mut between, &self.live_path)?;
                records.extend(complete_records(&data).filter(|r| query.matches(r)));
            }
            self.file = live;
            self.inode = self.file.as_ref().and_then(inode).unwrap_or(0);
            self.offset = 0;
            self.pending.clear();
            records.extend(self.read_new(query)?);
        }
        Ok(records)
    }

    fn read_new(&mut self, query: &Query) -> Result<Vec<Record>> {
        let Some(file) = &mut self.file else {
            return Ok(Vec::new());
        };
        let size = file
            .metadata()
            .map_err(|e| Error::io(&self.live_path, e))?
            .len();
        if size < self.offset {
            // Truncated under us: start over.
            file.seek(SeekFrom::Start(0))
                .map_err(|e| Error::io(&self.live_path, e))?;
            self.offset = 0;
            self.pending.clear();
        }
        let before = self.pending.len();
        let n = file
            .read_to_end(&mut self.pending)
            .map_err(|e| Error::io(&self.live_path, e))?;
        debug_assert_eq!(self.pending.len(), before + n);
        self.offset += n as u64;
        let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.pending.split_off(end + 1);
        let records = complete_records(&self.pending)
            .filter(|r| query.matches(r))
            .collect();
        self.pending = rest;
        Ok(records)
    }
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
            uid: Some(0),
            unit: unit.into(),
            identifier: unit.trim_end_matches(".service").into(),
            invocation_id: String::new(),
        }
    }

    fn messages(records: &[Record]) -> Vec<String> {
        records
            .iter()
            .map(|r| r.message_lossy().into_owned())
            .collect()
    }

    #[test]
    fn merges_units_by_time_and_filters() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = JournalWriter::open_in(dir.path(), "a.service", 1 << 20).unwrap();
        let mut b = JournalWriter::open_in(dir.path(), "b.service", 1 << 20).unwrap();
        a.append_at(10, 1, &source("a.service"), 6, b"a10").unwrap();
        b.append_at(15, 1, &source("b.service"), 3, b"b15").unwrap();
        a.append_at(20, 1, &source("a.service"), 4, b"a20").unwrap();
        b.append_at(20, 1, &source("b.service"), 6, b"b20").unwrap();
        a.append_at(30, 1, &source("a.service"), 7, b"a30").unwrap();
        // A damaged line and a torn last line are skipped, not fatal.
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("a.service.journal"))
            .unwrap();
        f.write_all(b"garbage line\n40 1 x 6 stdout 1 - a.service a - torn")
            .unwrap();

        let all = Query::default().read(dir.path()).unwrap();
        assert_eq!(messages(&all), ["a10", "b15", "a20", "b20", "a30"]);
        assert_eq!(units_with_journal(dir.path()), ["a.service", "b.service"]);

        let q = Query {
            units: vec!["a.service".into()],
            ..Query::default()
        };
        assert_eq!(
            messages(&q.read(dir.path()).unwrap()),
            ["a10", "a20", "a30"]
        );
        assert_eq!(messages(&q.tail(dir.path(), 2).unwrap()), ["a20", "a30"]);
        assert_eq!(messages(&q.tail(dir.path(), 99).unwrap()).len(), 3);

        let q = Query {
            since: Some(15),
            until: Some(20),
            priorities: 0..=4,
            ..Query::default()
        };
        assert_eq!(messages(&q.read(dir.path()).unwrap()), ["b15", "a20"]);
        let q = Query {
            boot_id: Some("f".repeat(32)),
            ..Query::default()
        };
        assert!(q.read(dir.path()).unwrap().is_empty());
        let q = Query {
            units: vec!["missing.service".into()],
            ..Query::default()
        };
        assert!(q.read(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn reads_rotated_then_live() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = JournalWriter::open_in(dir.path(), "r.service", 400).unwrap();
        for i in 0..30 {
            w.append_at(i, i, &source("r.service"), 6, format!("m{i}").as_bytes())
                .unwrap();
        }
        assert!(dir.path().join("r.service.journal.1").exists());
        let got = Query::default().read(dir.path()).unwrap();
        let times: Vec<u64> = got.iter().map(|r| r.realtime).collect();
        let first = times[0];
        assert!(first > 0, "old records were rotated away");
        assert_eq!(times, (first..30).collect::<Vec<_>>());
    }

    #[test]
    fn follows_across_rotation_and_new_units() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = JournalWriter::open_in(dir.path(), "f.service", 300).unwrap();
        w.append_at(1, 1, &source("f.service"), 6, b"before")
            .unwrap();
        let (existing, mut follower) = Query::default().follow(dir.path()).unwrap();
        assert_eq!(messages(&existing), ["before"]);
        assert!(follower.poll().unwrap().is_empty());

        let mut seen = Vec::new();
        for i in 0..40u64 {
            w.append_at(
                10 + i,
                1,
                &source("f.service"),
                6,
                format!("n{i}").as_bytes(),
            )
            .unwrap();
            if i % 7 == 0 {
                seen.extend(messages(&follower.poll().unwrap()));
            }
        }
        seen.extend(messages(&follower.poll().unwrap()));
        // Polled often enough that no rotation skipped a whole file: nothing is missed,
        // nothing repeats.
        let expected: Vec<String> = (0..40).map(|i| format!("n{i}")).collect();
        assert_eq!(seen, expected);

        let mut g = JournalWriter::open_in(dir.path(), "g.service", 300).unwrap();
        g.append_at(100, 1, &source("g.service"), 6, b"new unit")
            .unwrap();
        assert_eq!(messages(&follower.poll().unwrap()), ["new unit"]);
        g.append_at(101, 1, &source("g.service"), 6, b"again")
            .unwrap();
        assert_eq!(messages(&follower.poll().unwrap()), ["again"]);

        // Truncation (someone emptied the file) restarts from its beginning.
        std::fs::write(dir.path().join("g.service.journal"), b"").unwrap();
        let mut g = JournalWriter::open_in(dir.path(), "g.service", 300).unwrap();
        g.append_at(102, 1, &source("g.service"), 6, b"after truncation")
            .unwrap();
        assert_eq!(messages(&follower.poll().unwrap()), ["after truncation"]);
    }

    /// A writer thread appends and rotates while a reader polls: the reader sees every
    /// record exactly once, in order, and never a torn line. The writer waits for the reader
    /// after each burst of less than a file, as a reader that falls more than two rotations
    /// behind loses the files that were deleted meanwhile (the store is bounded).
    #[test]
    fn concurrent_writer_and_follower() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let (total, burst) = (20_000u64, 2_000u64);
        let mut w = JournalWriter::open_in(&path, "c.service", 256 * 1024).unwrap();
        let (_, mut follower) = Query::default().follow(&path).unwrap();
        let (seen_tx, seen_rx) = std::sync::mpsc::channel::<u64>();
        let writer = std::thread::spawn(move || {
            for i in 0..total {
                w.append_at(i, i, &source("c.service"), 6, format!("c{i}").as_bytes())
                    .unwrap();
                if (i + 1) % burst == 0 {
                    while seen_rx.recv().is_ok_and(|seen| seen < i + 1) {}
                }
            }
        });
        let mut next = 0u64;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while next < total && std::time::Instant::now() < deadline {
            for r in follower.poll().unwrap() {
                assert_eq!(r.realtime, next, "out of order or repeated");
                next += 1;
            }
            let _ = seen_tx.send(next);
        }
        writer.join().unwrap();
        assert_eq!(next, total);
    }
}
