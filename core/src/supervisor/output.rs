//! The unit's standard output and error: one pipe each, shared by every process of the
//! unit, read by the supervisor's loop and appended to the unit's journal (as journald's
//! stdout streams do, with `<N>` level prefixes). Also the supervisor's own messages about
//! the unit ("Started …") and the optional console copy of PID 1: the descriptor PID 1
//! handed down (`UNITBOX_CONSOLE_FD`), or, for a unit started by another process
//! (`docker exec … systemctl start`), PID 1's stdout opened anew through `/proc/1/fd/1`.

use crate::journal::record::{Source, Stream};
use crate::journal::writer::{JournalWriter, LineSplitter, DEFAULT_MAX_BYTES, LINE_MAX};
use crate::state::boot::current_boot_id;
use crate::state::StateDir;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

/// Names the descriptor on which PID 1 wants a copy of every service's output.
pub const CONSOLE_FD_ENV: &str = "UNITBOX_CONSOLE_FD";
/// PID 1's stdout, as any process of its PID namespace may reopen it.
const PID1_STDOUT: &str = "/proc/1/fd/1";

struct Capture {
    read: File,
    write: OwnedFd,
    splitter: LineSplitter,
    stream: Stream,
}

pub struct Output {
    unit: String,
    identifier: String,
    journal: Option<JournalWriter>,
    captures: [Capture; 2],
    console: Option<File>,
    /// The pid records are attributed to (the main process when known).
    pub pid: u32,
    pub invocation_id: String,
}

fn pipe() -> std::io::Result<(File, OwnedFd)> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)?;
    // The write end is handed to children as fds 1 and 2: it must block there.
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(w.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(w.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK);
    }
    Ok((File::from(r), w))
}

impl Output {
    pub fn new(
        state_dir: &StateDir,
        unit: &str,
        identifier: String,
        level_prefix: bool,
        level: u8,
    ) -> std::io::Result<Output> {
        let journal = match JournalWriter::open(state_dir, unit, DEFAULT_MAX_BYTES) {
            Ok(j) => Some(j),
            Err(e) => {
                log::warn!("{unit}: cannot open the journal: {e}");
                None
            }
        };
        let capture = |stream| -> std::io::Result<Capture> {
            let (read, write) = pipe()?;
            Ok(Capture {
                read,
                write,
                splitter: LineSplitter::new(LINE_MAX, level_prefix, level),
                stream,
            })
        };
        Ok(Output {
            unit: unit.to_string(),
            identifier,
            journal,
            captures: [capture(Stream::Stdout)?, capture(Stream::Stderr)?],
            console: console_from_env().or_else(|| console_of_pid1(state_dir)),
            pid: 0,
            invocation_id: String::new(),
        })
    }

    /// The write ends children get as stdout and stderr.
    pub fn child_fds(&self) -> (RawFd, RawFd) {
        (
            self.captures[0].write.as_raw_fd(),
            self.captures[1].write.as_raw_fd(),
        )
    }

    /// The read ends, for the poll loop.
    pub fn read_fds(&self) -> [RawFd; 2] {
        [
            self.captures[0].read.as_raw_fd(),
            self.captures[1].read.as_raw_fd(),
        ]
    }

    fn source(&self, stream: Stream, identifier: &str, pid: u32) -> Source {
        Source {
            boot_id: current_boot_id().to_string(),
            stream,
            pid,
            uid: None,
            unit: self.unit.clone(),
            identifier: identifier.to_string(),
            invocation_id: self.invocation_id.clone(),
        }
    }

    /// Reads what is waiting on the pipe with read end `fd` and logs it.
    pub fn drain(&mut self, fd: RawFd) {
        let Some(index) = self.captures.iter().position(|c| c.read.as_raw_fd() == fd) else {
            return;
        };
        let mut buf = [0u8; 16 * 1024];
        // Bounded, so that a chatty service cannot starve the other events.
        for _ in 0..16 {
            let n = match self.captures[index].read.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            let mut lines: Vec<(u8, Vec<u8>)> = Vec::new();
            self.captures[index]
                .splitter
                .feed(&buf[..n], &mut |p, m| lines.push((p, m.to_vec())));
            let stream = self.captures[index].stream;
            for (priority, message) in lines {
                self.log_line(stream, priority, &message);
            }
            if n < buf.len() {
                return;
            }
        }
    }

    fn log_line(&mut self, stream: Stream, priority: u8, message: &[u8]) {
        let source = self.source(stream, &self.identifier.clone(), self.pid);
        if let Some(journal) = &mut self.journal {
            if let Err(e) = journal.append(&source, priority, message) {
                log::warn!("{}: journal: {e}", self.unit);
            }
        }
        if let Some(console) = &mut self.console {
            let mut line = format!("{}: ", self.unit).into_bytes();
            line.extend_from_slice(message);
            line.push(b'\n');
            let _ = console.write_all(&line);
        }
    }

    /// A message of the manager about the unit (`Started Foo.`), as systemd logs it.
    pub fn manager(&mut self, priority: u8, message: &str) {
        // SAFETY: getpid cannot fail.
        let me = unsafe { libc::getpid() } as u32;
        let source = self.source(Stream::Manager, "systemd", me);
        if let Some(journal) = &mut self.journal {
            let _ = journal.append(&source, priority, message.as_bytes());
        }
    }
}

/// The console copy: a descriptor number in the environment, duplicated (close-on-exec)
/// so that services never inherit it.
fn console_from_env() -> Option<File> {
    let fd: RawFd = std::env::var(CONSOLE_FD_ENV).ok()?.parse().ok()?;
    // SAFETY: duplicating a descriptor number; failure is checked.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    // SAFETY: `dup` is a fresh descriptor we own.
    (dup >= 0).then(|| unsafe { File::from_raw_fd(dup) })
}

/// PID 1's stdout, when the scope's init is a unitbox PID 1 that copies service output
/// (its record says so). Opened for appending, so that a console that is a regular file
/// is not overwritten from the start; close-on-exec, so services never inherit it.
fn console_of_pid1(state_dir: &StateDir) -> Option<File> {
    if !crate::init::record::InitRecord::pid1_wants_console(state_dir) {
        return None;
    }
    match std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(PID1_STDOUT)
    {
        Ok(file) => Some(file),
        Err(e) => {
            log::debug!("no console copy: {PID1_STDOUT}: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::Record;

    #[test]
    fn pipes_lines_into_the_journal() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::open(
            tmp.path().to_path_buf(),
            crate::state::boot::BootRecord::current(),
        )
        .unwrap();
        let mut out = Output::new(&dir, "t.service", "t".into(), true, 6).unwrap();
        out.pid = 77;
        let (stdout, stderr) = out.child_fds();
        for (fd, text) in [
            (stdout, &b"hello\n<3>bad\npartial"[..]),
            (stderr, b"oops\n"),
        ] {
            assert_eq!(
                unsafe { libc::write(fd, text.as_ptr().cast(), text.len()) },
                text.len() as isize
            );
        }
        for fd in out.read_fds() {
            out.drain(fd);
        }
        out.manager(6, "Started t.");
        let text = std::fs::read(dir.journal_dir().join("t.service.journal")).unwrap();
        let records: Vec<Record> = text
            .split_inclusive(|&b| b == b'\n')
            .map(|l| Record::decode(l).unwrap())
            .collect();
        let summary: Vec<(String, u8, Stream, u32)> = records
            .iter()
            .map(|r| (r.message_lossy().into_owned(), r.priority, r.stream, r.pid))
            .collect();
        assert_eq!(summary[0], ("hello".into(), 6, Stream::Stdout, 77));
        assert_eq!(summary[1], ("bad".into(), 3, Stream::Stdout, 77));
        assert_eq!(summary[2], ("oops".into(), 6, Stream::Stderr, 77));
        assert_eq!(summary[3].0, "Started t.");
        assert_eq!(records[3].identifier, "systemd");
        assert_eq!(records.len(), 4, "a line without newline waits for more");
    }
}
