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
use std::io;
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

/// A writer's handle on the directory's sequence.
#[derive(Debug)]
pub struct Sequencer {
    path: PathBuf,
    /// `None` only while locked (the lock owns the file).
    file: Option<File>,
}

/// The lock held while one record is numbered and appended; unlocks when dropped.
pub struct Ticket<'a> {
    owner: &'a mut Sequencer,
    locked: Option<Flock<File>>,
    pub seq: u64,
    pub generation: u64,
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
        })
    }

    /// Locks and takes the next number (a fresh counter for a new or damaged file).
    pub fn take(&mut self) -> Result<Ticket<'_>> {
        let file = self
            .file
            .take()
            .ok_or_else(|| Error::io(&self.path, io::Error::other("sequence file lost")))?;
        let (locked, file_ref_result) =
            match lock(file, FlockArg::LockExclusiveNonblock, WRITER_BUDGET) {
                Ok(locked) => {
                    let r = read_counter(&locked);
                    (Some(locked), r)
                }
                Err(file) => {
                    // Past the budget: number without the lock.
                    let r = read_counter(&file);
                    self.file = Some(file);
                    (None, r)
                }
            };
        let mut counter = file_ref_result.unwrap_or_else(|| Counter {
            id: random_id(),
            next: 1,
            generation: 0,
        });
        let seq = counter.next.max(1);
        counter.next = seq + 1;
        let mut ticket = Ticket {
            owner: self,
            locked,
            seq,
            generation: counter.generation,
            counter: Some(counter),
        };
        ticket.store()?;
        Ok(ticket)
    }
}

fn read_counter(file: &File) -> Option<Counter> {
    let mut buf = [0u8; LEN];
    let n = file.read_at(&mut buf, 0).ok()?;
    Counter::parse(&buf[..n])
}

impl Ticket<'_> {
    fn file(&self) -> Option<&File> {
        self.locked.as_deref().or(self.owner.file.as_ref())
    }

    fn store(&mut self) -> Result<()> {
        let (Some(counter), Some(file)) = (self.counter.as_ref(), self.file()) else {
            return Ok(());
        };
        file.write_all_at(counter.encode().as_bytes(), 0)
            .map_err(|e| Error::io(&self.owner.path, e))
    }

    /// A file of the directory was rotated: writers holding its old descriptor must look
    /// again before their next append.
    pub fn rotated(&mut self) -> Result<()> {
        if let Some(counter) = &mut self.counter {
            counter.generation += 1;
            self.generation = counter.generation;
        }
        self.store()
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if let Some(locked) = self.locked.take() {
            match locked.unlock() {
                Ok(file) => self.owner.file = Some(file),
                Err((locked, _)) => {
                    // Closing the descriptor releases the lock; reopen for the next record.
                    drop(locked);
                    if let Ok(again) =
                        Sequencer::open(self.owner.path.parent().unwrap_or(Path::new(".")))
                    {
                        self.owner.file = again.file;
                    }
                }
            }
        }
    }
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

    #[test]
    fn numbers_increase_across_handles() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Sequencer::open(dir.path()).unwrap();
        let mut b = Sequencer::open(dir.path()).unwrap();
        let first = a.take().unwrap().seq;
        let second = b.take().unwrap().seq;
        let third = a.take().unwrap().seq;
        assert_eq!((first, second, third), (1, 2, 3));
        let id = sequence_id(dir.path()).unwrap();
        assert_eq!(id.len(), 32);
        {
            let mut t = b.take().unwrap();
            assert_eq!(t.generation, 0);
            t.rotated().unwrap();
        }
        let t = a.take().unwrap();
        assert_eq!((t.seq, t.generation), (5, 1));
        drop(t);
        assert_eq!(sequence_id(dir.path()), Some(id));
    }

    #[test]
    fn a_reader_holds_writers_back_and_a_damaged_file_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Sequencer::open(dir.path()).unwrap();
        w.take().unwrap();
        let read = ReadLock::take(dir.path());
        assert!(read._locked.is_some());
        let started = Instant::now();
        let t = w.take().unwrap();
        assert!(started.elapsed() >= WRITER_BUDGET, "waited for the reader");
        assert_eq!(t.seq, 2, "and numbered anyway");
        drop(t);
        drop(read);
        std::fs::write(dir.path().join(SEQNUM_FILE), b"garbage").unwrap();
        assert_eq!(w.take().unwrap().seq, 1);
    }
}
