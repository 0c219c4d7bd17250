//! Writing a unit's journal: [`LineSplitter`] turns a pipe's byte stream into messages the
//! way journald's stdout stream does, [`JournalWriter`] appends them as records and keeps
//! the file bounded.
//!
//! Each record is one `write(2)` on an `O_APPEND` descriptor, numbered and stamped under
//! the directory's writer lock ([`super::sequence`]), so readers never see a half-written
//! line and several writers of one file (a supervisor, journald) keep one order. Rotation keeps exactly one old file: when the
//! live file would grow past `max_bytes` it becomes `NAME.journal.1` (replacing the previous
//! one) and a new live file starts, so a unit never holds more than 2 × `max_bytes`. The
//! live path exists at every instant of a rotation (hard link, then two renames), which lets
//! readers open the pair consistently (see [`super::reader`]).

use crate::journal::record::{encode_into, Source};
use crate::journal::sequence::Sequencer;
use crate::state::StateDir;
use crate::time::{now_monotonic_us, now_realtime_us};
use crate::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// journald's default `LineMax=` (48K): longer lines are split into several records.
pub const LINE_MAX: usize = 48 * 1024;

/// A reasonable default bound per unit file (the unit holds at most twice this).
pub const DEFAULT_MAX_BYTES: u64 = 8 * 1024 * 1024;

const JOURNAL_FILE_MODE: u32 = 0o640;

/// The live and rotated journal files of a unit in a journal directory.
pub fn journal_paths(dir: &Path, unit: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{unit}.journal")),
        dir.join(format!("{unit}.journal.1")),
    )
}

/// One record to append: priority, extra fields, message.
type Entry<'a> = (u8, &'a [(String, Vec<u8>)], &'a [u8]);

#[derive(Debug)]
pub struct JournalWriter {
    live: PathBuf,
    rotated: PathBuf,
    file: File,
    size: u64,
    max_bytes: u64,
    buf: Vec<u8>,
    dropped: u64,
    /// `None` when the directory's `.seqnum` cannot be opened (records are numbered 0).
    sequencer: Option<Sequencer>,
    /// The rotation generation this writer's descriptor is known to be current for.
    generation: u64,
}

fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(JOURNAL_FILE_MODE)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

impl JournalWriter {
    /// Opens (creating) the journal of `unit` in the state directory's `journal/`.
    pub fn open(state_dir: &StateDir, unit: &str, max_bytes: u64) -> Result<Self> {
        Self::open_in(&state_dir.journal_dir(), unit, max_bytes)
    }

    pub fn open_in(dir: &Path, unit: &str, max_bytes: u64) -> Result<Self> {
        if unit.is_empty() || unit.contains('/') || unit.starts_with('.') {
            return Err(Error::InvalidUnitName(unit.to_string()));
        }
        let (live, rotated) = journal_paths(dir, unit);
        let mut sequencer = Sequencer::open(dir).ok();
        // Opened under the lock, so that no rotation by another writer comes in between.
        let generation = sequencer.as_mut().map_or(0, Sequencer::begin);
        let file = open_append(&live);
        if let Some(s) = &mut sequencer {
            let _ = s.end();
        }
        let file = file?;
        let size = file.metadata().map_err(|e| Error::io(&live, e))?.size();
        Ok(JournalWriter {
            live,
            rotated,
            file,
            size,
            max_bytes,
            buf: Vec::with_capacity(4096),
            dropped: 0,
            sequencer,
            generation,
        })
    }

    pub fn path(&self) -> &Path {
        &self.live
    }

    /// Records that were larger than the bound on their own and so could not be kept.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Appends a message stamped with the current time.
    pub fn append(&mut self, source: &Source, priority: u8, message: &[u8]) -> Result<()> {
        self.append_record(None, source, priority, &[], message)
    }

    /// Appends a message with extra fields, stamped with the current time.
    pub fn append_fields(
        &mut self,
        source: &Source,
        priority: u8,
        fields: &[(String, Vec<u8>)],
        message: &[u8],
    ) -> Result<()> {
        self.append_record(None, source, priority, fields, message)
    }

    pub fn append_at(
        &mut self,
        realtime: u64,
        monotonic: u64,
        source: &Source,
        priority: u8,
        message: &[u8],
    ) -> Result<()> {
        self.append_record(Some((realtime, monotonic)), source, priority, &[], message)
    }

    /// Numbers, stamps (now, unless `at` says when) and appends one record.
    pub fn append_record(
        &mut self,
        at: Option<(u64, u64)>,
        source: &Source,
        priority: u8,
        fields: &[(String, Vec<u8>)],
        message: &[u8],
    ) -> Result<()> {
        self.append_entries(
            at,
            source,
            &mut std::iter::once((priority, fields, message)),
        )
    }

    /// Appends several messages of one source (the lines of one read of a pipe) under one
    /// lock and, while they fit the file, with one `write(2)`.
    pub fn append_batch(&mut self, source: &Source, messages: &[(u8, &[u8])]) -> Result<()> {
        self.append_entries(
            None,
            source,
            &mut messages.iter().map(|&(p, m)| (p, &[][..], m)),
        )
    }

    fn append_entries<'a>(
        &mut self,
        at: Option<(u64, u64)>,
        source: &Source,
        entries: &mut dyn Iterator<Item = Entry<'a>>,
    ) -> Result<()> {
        let generation = self.sequencer.as_mut().map(Sequencer::begin);
        let result = self.append_locked(generation, at, source, entries);
        let stored = match &mut self.sequencer {
            Some(s) => s.end(),
            None => Ok(()),
        };
        result.and(stored)
    }

    fn append_locked<'a>(
        &mut self,
        generation: Option<u64>,
        at: Option<(u64, u64)>,
        source: &Source,
        entries: &mut dyn Iterator<Item = Entry<'a>>,
    ) -> Result<()> {
        if let Some(current) = generation.filter(|&g| g != self.generation) {
            // Another writer rotated some file: is ours still the live one?
            let live_inode = std::fs::metadata(&self.live).ok().map(|m| m.ino());
            let ours = self.file.metadata().ok().map(|m| m.ino());
            if live_inode != ours {
                self.file = open_append(&self.live)?;
            }
            self.generation = current;
        }
        self.size = self.file.metadata().map(|m| m.size()).unwrap_or(self.size);
        let (realtime, monotonic) = at.unwrap_or_else(|| (now_realtime_us(), now_monotonic_us()));
        self.buf.clear();
        for (priority, fields, message) in entries {
            let seq = self.sequencer.as_mut().map_or(0, Sequencer::take);
            let start = self.buf.len();
            encode_into(
                &mut self.buf,
                seq,
                realtime,
                monotonic,
                priority,
                source,
                fields,
                message,
            );
            let len = (self.buf.len() - start) as u64;
            if len > self.max_bytes {
                self.buf.truncate(start);
                self.dropped += 1;
                continue;
            }
            if self.size + self.buf.len() as u64 > self.max_bytes {
                // Write what came before this record, then rotate and start afresh.
                let record = self.buf.split_off(start);
                self.flush()?;
                self.file = rotate(&self.live, &self.rotated)?;
                self.size = 0;
                if let Some(s) = &mut self.sequencer {
                    self.generation = s.rotated();
                }
                self.buf = record;
            }
        }
        self.flush()
    }

    /// One write(2) of the buffered records. A short write (disk full) would leave a
    /// partial line: cut it off again so the file stays a sequence of whole records.
    fn flush(&mut self) -> Result<()> {
        let len = self.buf.len() as u64;
        if len == 0 {
            return Ok(());
        }
        let result = match self.file.write(&self.buf) {
            Ok(n) if n as u64 == len => {
                self.size += len;
                Ok(())
            }
            Ok(n) => {
                let _ = self.file.set_len(self.size);
                Err(Error::io(
                    &self.live,
                    io::Error::new(
                        io::ErrorKind::WriteZero,
                        format!("short write ({n} of {len} bytes)"),
                    ),
                ))
            }
            Err(e) => Err(Error::io(&self.live, e)),
        };
        self.buf.clear();
        result
    }
}

/// Makes the live file the rotated one and starts a new live file; returns it.
fn rotate(live: &Path, rotated: &Path) -> Result<File> {
    let dir = live.parent().unwrap_or(Path::new("."));
    let name = live.file_name().unwrap_or_default().to_string_lossy();
    let tmp_old = dir.join(format!(".{name}.1.tmp"));
    let tmp_new = dir.join(format!(".{name}.new.tmp"));
    let _ = std::fs::remove_file(&tmp_old);
    let _ = std::fs::remove_file(&tmp_new);
    std::fs::hard_link(live, &tmp_old).map_err(|e| Error::io(&tmp_old, e))?;
    std::fs::rename(&tmp_old, rotated).map_err(|e| Error::io(rotated, e))?;
    let file = open_append(&tmp_new)?;
    std::fs::rename(&tmp_new, live).map_err(|e| Error::io(live, e))?;
    Ok(file)
}

/// Splits a byte stream into log messages as journald's stdout stream does: at `\n` and at
/// NUL; lines longer than `line_max` become several messages; a last line without `\n` is
/// flushed by [`LineSplitter::finish`]. With `level_prefix` (SyslogLevelPrefix=, default
/// yes) a leading `<N>` (N 0–7, one to three digits) sets the priority and is removed.
#[derive(Debug)]
pub struct LineSplitter {
    pending: Vec<u8>,
    line_max: usize,
    level_prefix: bool,
    default_priority: u8,
}

impl LineSplitter {
    pub fn new(line_max: usize, level_prefix: bool, default_priority: u8) -> Self {
        LineSplitter {
            pending: Vec::new(),
            line_max: line_max.max(1),
            level_prefix,
            default_priority,
        }
    }

    /// Feeds bytes; calls `emit(priority, message)` for every complete message.
    pub fn feed(&mut self, mut data: &[u8], emit: &mut dyn FnMut(u8, &[u8])) {
        if !self.pending.is_empty() {
            let room = self.line_max - self.pending.len();
            let window = &data[..data.len().min(room)];
            match find_break(window) {
                Some(i) => {
                    self.pending.extend_from_slice(&window[..i]);
                    self.emit_pending(emit);
                    data = &data[i + 1..];
                }
                None => {
                    self.pending.extend_from_slice(window);
                    data = &data[window.len()..];
                    if self.pending.len() < self.line_max {
                        return;
                    }
                    self.emit_pending(emit);
                }
            }
        }
        // The common case: lines straight out of the caller's buffer, no copying.
        loop {
            let window = &data[..data.len().min(self.line_max)];
            if let Some(i) = find_break(window) {
                self.emit(&window[..i], emit);
                data = &data[i + 1..];
            } else if window.len() == self.line_max {
                self.emit(window, emit);
                data = &data[window.len()..];
            } else {
                self.pending.extend_from_slice(data);
                return;
            }
        }
    }

    /// End of the stream: a last line without a line break is still a message.
    pub fn finish(&mut self, emit: &mut dyn FnMut(u8, &[u8])) {
        if !self.pending.is_empty() {
            self.emit_pending(emit);
        }
    }

    fn emit_pending(&mut self, emit: &mut dyn FnMut(u8, &[u8])) {
        let line = std::mem::take(&mut self.pending);
        self.emit(&line, emit);
        self.pending = line;
        self.pending.clear();
    }

    fn emit(&self, line: &[u8], emit: &mut dyn FnMut(u8, &[u8])) {
        if self.level_prefix {
            if let Some((priority, rest)) = parse_level_prefix(line) {
                return emit(priority, rest);
            }
        }
        emit(self.default_priority, line)
    }
}

fn find_break(data: &[u8]) -> Option<usize> {
    data.iter().position(|&b| b == b'\n' || b == 0)
}

/// `<N>` with one to three decimal digits whose value is 0–7 (systemd's
/// `syslog_parse_priority()` without facility): `<3>`, `<03>`, `<003>`, but not `<13>`.
pub fn parse_level_prefix(line: &[u8]) -> Option<(u8, &[u8])> {
    if line.first() != Some(&b'<') {
        return None;
    }
    let end = line.iter().position(|&b| b == b'>')?;
    let digits = &line[1..end];
    if digits.is_empty() || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (last, leading) = digits.split_last()?;
    if leading.iter().any(|&d| d != b'0') || *last > b'7' {
        return None;
    }
    Some((last - b'0', &line[end + 1..]))
}

/// The messages of one read, gathered to be appended with one lock and one write.
#[derive(Debug, Default)]
pub struct Batch {
    data: Vec<u8>,
    items: Vec<(u8, usize, usize)>,
}

impl Batch {
    pub fn push(&mut self, priority: u8, message: &[u8]) {
        let start = self.data.len();
        self.data.extend_from_slice(message);
        self.items.push((priority, start, self.data.len()));
    }

    pub fn clear(&mut self) {
        self.data.clear();
        self.items.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// `(priority, message)` of each.
    pub fn messages(&self) -> Vec<(u8, &[u8])> {
        self.items
            .iter()
            .map(|&(p, a, b)| (p, &self.data[a..b]))
            .collect()
    }
}

/// Reads `input` to its end, writing every message as a record of `source`. Returns the
/// number of messages.
pub fn pump(
    mut input: impl Read,
    splitter: &mut LineSplitter,
    writer: &mut JournalWriter,
    source: &Source,
) -> Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut count = 0u64;
    let mut batch = Batch::default();
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("(log stream)", e)),
        };
        batch.clear();
        splitter.feed(&buf[..n], &mut |p, m| batch.push(p, m));
        writer.append_batch(source, &batch.messages())?;
        count += batch.len() as u64;
    }
    batch.clear();
    splitter.finish(&mut |p, m| batch.push(p, m));
    writer.append_batch(source, &batch.messages())?;
    Ok(count + batch.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::{Record, Stream};

    fn split(splitter: &mut LineSplitter, chunks: &[&[u8]]) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        let mut emit = |p: u8, m: &[u8]| out.push((p, m.to_vec()));
        for c in chunks {
            splitter.feed(c, &mut emit);
        }
        splitter.finish(&mut emit);
        out
    }

    fn msgs(v: &[(u8, Vec<u8>)]) -> Vec<String> {
        v.iter()
            .map(|(_, m)| String::from_utf8_lossy(m).into_owned())
            .collect()
    }

    #[test]
    fn splits_like_journald() {
        let mut s = LineSplitter::new(LINE_MAX, true, 6);
        let out = split(
            &mut s,
            &[b"one\ntw", b"o\n\nthree\0four\n", b"tail without newline"],
        );
        assert_eq!(
            msgs(&out),
            ["one", "two", "", "three", "four", "tail without newline"]
        );
        assert!(out.iter().all(|(p, _)| *p == 6));
    }

    #[test]
    fn caps_long_lines() {
        let mut s = LineSplitter::new(10, false, 6);
        let out = split(&mut s, &[b"abcdefghijklmnopqrstuvwxyz\nshort\n"]);
        assert_eq!(msgs(&out), ["abcdefghij", "klmnopqrst", "uvwxyz", "short"]);
        // The same when the long line arrives in pieces.
        let mut s = LineSplitter::new(10, false, 6);
        let out = split(&mut s, &[b"abcd", b"efghijklmn", b"op\n"]);
        assert_eq!(msgs(&out), ["abcdefghij", "klmnop"]);
        let mut s = LineSplitter::new(10, false, 6);
        let out = split(&mut s, &[b"abcdefghij", b"\n"]);
        assert_eq!(
            msgs(&out),
            ["abcdefghij", ""],
            "journald also emits the empty rest"
        );
    }

    #[test]
    fn level_prefixes() {
        let mut s = LineSplitter::new(LINE_MAX, true, 6);
        let out = split(
            &mut s,
            &[b"<3>bad\n<7>dbg\n<13>not a level\n<003>ok\n<x>no\n"],
        );
        assert_eq!(
            out,
            [
                (3, b"bad".to_vec()),
                (7, b"dbg".to_vec()),
                (6, b"<13>not a level".to_vec()),
                (3, b"ok".to_vec()),
                (6, b"<x>no".to_vec()),
            ]
        );
        let mut s = LineSplitter::new(LINE_MAX, false, 6);
        assert_eq!(split(&mut s, &[b"<3>raw\n"]), [(6, b"<3>raw".to_vec())]);
    }

    fn source() -> Source {
        Source {
            boot_id: "0123456789abcdef0123456789abcdef".into(),
            stream: Stream::Stdout,
            pid: 7,
            uid: None,
            unit: "foo.service".into(),
            identifier: "foo".into(),
            invocation_id: String::new(),
        }
    }

    fn read_records(path: &Path) -> Vec<Record> {
        std::fs::read(path)
            .unwrap_or_default()
            .split_inclusive(|&b| b == b'\n')
            .map(|l| Record::decode(l).expect("whole records only"))
            .collect()
    }

    #[test]
    fn rotation_keeps_one_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = JournalWriter::open_in(dir.path(), "foo.service", 1000).unwrap();
        for i in 0..100 {
            w.append_at(i, i, &source(), 6, format!("message {i}").as_bytes())
                .unwrap();
        }
        let (live, rotated) = journal_paths(dir.path(), "foo.service");
        let live_size = std::fs::metadata(&live).unwrap().len();
        let old_size = std::fs::metadata(&rotated).unwrap().len();
        assert!(live_size <= 1000 && old_size <= 1000);
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 3, "no temporary files remain (the pair and .seqnum)");
        let mut all = read_records(&rotated);
        all.extend(read_records(&live));
        let numbers: Vec<u64> = all.iter().map(|r| r.realtime).collect();
        let first = numbers[0];
        assert_eq!(
            numbers,
            (first..100).collect::<Vec<_>>(),
            "a gapless suffix"
        );
        // A single record larger than the bound cannot be stored.
        w.append(&source(), 6, &[b'x'; 2000]).unwrap();
        assert_eq!(w.dropped(), 1);
        // Reopening continues the size accounting.
        let w2 = JournalWriter::open_in(dir.path(), "foo.service", 1000).unwrap();
        assert_eq!(w2.size, live_size);
        assert!(JournalWriter::open_in(dir.path(), "../x", 10).is_err());
    }

    /// 100 MB (10 MB in debug builds, to stay within seconds) through a real pipe: nothing
    /// that fits the bound is lost, the bound holds, every line is a whole record.
    #[test]
    fn bulk_through_a_pipe() {
        let total: usize = if cfg!(debug_assertions) {
            10 << 20
        } else {
            100 << 20
        };
        let max_bytes: u64 = 4 << 20;
        let dir = tempfile::tempdir().unwrap();
        let mut w = JournalWriter::open_in(dir.path(), "bulk.service", max_bytes).unwrap();
        let (reader, writer) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let (reader, mut writer) = (File::from(reader), File::from(writer));
        let producer = std::thread::spawn(move || {
            let mut written = 0usize;
            let mut n = 0u64;
            let mut chunk = Vec::with_capacity(1 << 16);
            while written < total {
                chunk.clear();
                while chunk.len() < (1 << 16) - 200 {
                    // Varying lengths, some over LINE_MAX every now and then.
                    let pad = if n % 5000 == 1 {
                        LINE_MAX + 10
                    } else {
                        (n % 97) as usize
                    };
                    chunk.extend_from_slice(format!("line {n} ").as_bytes());
                    chunk.resize(chunk.len() + pad, b'.');
                    chunk.push(b'\n');
                    n += 1;
                }
                writer.write_all(&chunk).unwrap();
                written += chunk.len();
            }
            n
        });
        let mut splitter = LineSplitter::new(LINE_MAX, true, 6);
        let started = std::time::Instant::now();
        let count = pump(reader, &mut splitter, &mut w, &source()).unwrap();
        let elapsed = started.elapsed();
        let lines = producer.join().unwrap();
        assert!(count >= lines, "{count} messages for {lines} lines");
        assert!(elapsed.as_secs() < 20, "too slow: {elapsed:?}");

        let (live, rotated) = journal_paths(dir.path(), "bulk.service");
        let sizes = [&live, &rotated].map(|p| std::fs::metadata(p).unwrap().len());
        assert!(sizes.iter().all(|&s| s <= max_bytes), "{sizes:?}");
        let mut records = read_records(&rotated);
        records.extend(read_records(&live));
        // The kept records are exactly the newest messages, in order, none missing.
        let mut expected_next: Option<u64> = None;
        for r in &records {
            let text = r.message_lossy();
            let Some(num) = text.strip_prefix("line ").and_then(|t| t.split(' ').next()) else {
                // The continuation of a line longer than LINE_MAX.
                assert!(text.bytes().all(|b| b == b'.'), "{text}");
                continue;
            };
            let num: u64 = num.parse().unwrap();
            if let Some(next) = expected_next {
                assert_eq!(num, next, "gap in the journal");
            }
            expected_next = Some(num + 1);
        }
        assert_eq!(expected_next, Some(lines), "the newest line is kept");
        eprintln!("{total} bytes, {count} messages in {elapsed:?}");
    }
}
