//! The one order of a journal directory: `.seqnum` holds the directory's sequence id (random,
//! made with the file), the next sequence number and a rotation generation:
//!
//! ```text
//! 6f1c…32 hex… 00000000000000000042 00000000000000000003\n
//! ```
//!
//! Every writer (a unit's supervisor, journald's receivers) takes the file's exclusive
//! `flock` around "take the next number, stamp the time, append the record" ([`Sequencer`]),
//! so numbers increase in the order records reach their files, across all files. Readers
//! take the shared lock while they read ([`ReadLock`]): what they see is then always every
//! record up to some number and none after it, which is what makes a cursor exact (resuming
//! after record N is "every record numbered above N", see `reader`).
//!
//! Locks are waited for with a budget: a stopped process holding one must not stall every
//! service's logging, so past the budget a writer appends without the lock (the order may
//! then interleave differently from the numbers, nothing is lost).

use crate::{Error, Result};
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const SEQNUM_FILE: &str = ".seqnum";
const LEN: usize = 32 + 1 + 20 + 1 + 20 + 1;
const WRITER_BUDGET: Duration = Duration::from_millis(200);
const READER_BUDGET: Duration = Duration::from_secs(1);

/// The parsed contents of `.seqnum`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Counter {
    id: String,
    next: u64,
    generation: u64,
}

impl Counter {
    fn parse(bytes: &[u8]) -> Option<Counter> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut words = text.split_ascii_whitespace();
        let id = words.next()?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Counter {
            id: id.to_string(),
            next: words.next()?.parse().ok()?,
            generation: words.next()?.parse().ok()?,
        })
    }

    fn encode(&self) -> String {
        format!("{} {:020} {:020}\n", self.id, self.next, self.generation)
    }
}

/// 128 random bits as 32 hex digits (the kernel's uuid generator).
fn random_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .map(|u| u.trim().replace('-', ""))
        .ok()
        .filter(|id| id.len() == 32)
        .unwrap_or_else(|| {
            let now = crate::time::now_realtime_us();
            format!(
                "{now:016x}{:016x}",
                std::process::id() as u64 ^ now.rotate_left(17)
            )
        })
}

/// Takes `kind` on `file`, trying for `budget`; the file comes back either way.
fn lock(file: File, kind: FlockArg, budget: Duration) -> std::result::Result<Flock<File>, File> {
    let deadline = Instant::now() + budget;
    let mut file = file;
    let mut tries = 0u32;
    loop {
        match Flock::lock(file, kind) {
            Ok(locked) => return Ok(locked),
            Err((back, errno)) => {
                file = back;
                if errno != nix::errno::Errno::EWOULDBLOCK && errno != nix::errno::Errno::EINTR {
                    return Err(file);
                }
            }
        }
        if Instant::now() >= deadline {
            return Err(file);
        }
        tries += 1;
        if tries < 50 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
}

/// A writer's handle on the directory's sequence: [`Sequencer::begin`] locks and reads the
/// counter, [`Sequencer::take`] hands out numbers, [`Sequencer::end`] stores the counter and
/// unlocks — so a batch of records (one pipe read's worth of lines) costs one lock.
#[derive(Debug)]
pub struct Sequencer {
    path: PathBuf,
    /// `None` only while locked (the lock owns the file).
    file: Option<File>,
    locked: Option<Flock<File>>,
    counter: Option<Counter>,
}

impl Sequencer {
    pub fn open(dir: &Path) -> Result<Sequencer> {
        let path = dir.join(SEQNUM_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(Sequencer {
            path,
            file: Some(file),
            locked: None,
            counter: None,
        })
    }

    fn current_file(&self) -> Option<&File> {
        self.locked.as_deref().or(self.file.as_ref())
    }

    /// Locks (within the budget) and reads the counter (a fresh one for a new or damaged
    /// file). Returns the rotation generation.
    pub fn begin(&mut self) -> u64 {
        if self.counter.is_none() {
            if let Some(file) = self.file.take() {
                match lock(file, FlockArg::LockExclusiveNonblock, WRITER_BUDGET) {
                    Ok(locked) => self.locked = Some(locked),
                    // Past the budget: number without the lock.
                    Err(file) => self.file = Some(file),
                }
            }
            let counter = self.current_file().and_then(read_counter);
            self.counter = Some(counter.unwrap_or_else(|| Counter {
                id: random_id(),
                next: 1,
                generation: 0,
            }));
        }
        self.counter.as_ref().map_or(0, |c| c.generation)
    }

    /// The next number (between [`Sequencer::begin`] and [`Sequencer::end`]).
    pub fn take(&mut self) -> u64 {
        match &mut self.counter {
            Some(c) => {
                let seq = c.next.max(1);
                c.next = seq + 1;
                seq
            }
            None => 0,
        }
    }

    /// A file of the directory was rotated: writers holding its old descriptor must look
    /// again before their next append. Returns the new generation.
    pub fn rotated(&mut self) -> u64 {
        match &mut self.counter {
            Some(c) => {
                c.generation += 1;
                c.generation
            }
            None => 0,
        }
    }

    /// Stores the counter and unlocks.
    pub fn end(&mut self) -> Result<()> {
        let stored = match (self.counter.take(), self.current_file()) {
            (Some(counter), Some(file)) => file
                .write_all_at(counter.encode().as_bytes(), 0)
                .map_err(|e| Error::io(&self.path, e)),
            _ => Ok(()),
        };
        if let Some(locked) = self.locked.take() {
            match locked.unlock() {
                Ok(file) => self.file = Some(file),
                Err((locked, _)) => {
                    // Closing the descriptor releases the lock; reopen for the next batch.
                    drop(locked);
                    let dir = self.path.parent().unwrap_or(Path::new(".")).to_path_buf();
                    self.file = Sequencer::open(&dir).ok().and_then(|s| s.into_file());
                }
            }
        }
        stored
    }

    fn into_file(mut self) -> Option<File> {
        self.file.take()
    }
}

fn read_counter(file: &File) -> Option<Counter> {
    let mut buf = [0u8; LEN];
    let n = file.read_at(&mut buf, 0).ok()?;
    Counter::parse(&buf[..n])
}

/// A reader's shared lock on a journal directory (nothing when there is no `.seqnum` or
/// it cannot be had within the budget: the reader reads anyway).
pub struct ReadLock {
    _locked: Option<Flock<File>>,
}

impl ReadLock {
    pub fn take(dir: &Path) -> ReadLock {
        let locked = File::open(dir.join(SEQNUM_FILE))
            .ok()
            .and_then(|f| lock(f, FlockArg::LockSharedNonblock, READER_BUDGET).ok());
        ReadLock { _locked: locked }
    }
}

/// The directory's sequence id (cursors carry it), if it has one yet.
pub fn sequence_id(dir: &Path) -> Option<String> {
    let file = File::open(dir.join(SEQNUM_FILE)).ok()?;
    read_counter(&file).map(|c| c.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &mut Sequencer) -> (u64, u64) {
        let generation = s.begin();
        let seq = s.take();
        s.end().unwrap();
        (seq, generation)
    }

    #[test]
    fn numbers_increase_across_handles() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Sequencer::open(dir.path()).unwrap();
        let mut b = Sequencer::open(dir.path()).unwrap();
        assert_eq!([one(&mut a).0, one(&mut b).0, one(&mut a).0], [1, 2, 3]);
        let id = sequence_id(dir.path()).unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(b.begin(), 0);
        assert_eq!((b.take(), b.take()), (4, 5), "a batch");
        assert_eq!(b.rotated(), 1);
        b.end().unwrap();
        assert_eq!(one(&mut a), (6, 1));
        assert_eq!(sequence_id(dir.path()), Some(id));
    }

    #[test]
    fn a_reader_holds_writers_back_and_a_damaged_file_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Sequencer::open(dir.path()).unwrap();
        one(&mut w);
        let read = ReadLock::take(dir.path());
        assert!(read._locked.is_some());
        let started = Instant::now();
        let (seq, _) = one(&mut w);
        assert!(started.elapsed() >= WRITER_BUDGET, "waited for the reader");
        assert_eq!(seq, 2, "and numbered anyway");
        drop(read);
        std::fs::write(dir.path().join(SEQNUM_FILE), b"garbage").unwrap();
        assert_eq!(one(&mut w).0, 1);
    }
}
