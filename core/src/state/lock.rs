//! Locks on files of the state directory.
//!
//! - The **operation lock** (`units/NAME.lock`, `flock(2)`) serialises systemctl operations on
//!   one unit: of 20 concurrent `start`s exactly one spawns a supervisor, the others then see it.
//! - The **liveness lock** (`units/NAME.alive`) is held by a supervisor for its whole life.
//!   It is an open-file-description lock (`F_OFD_SETLK`), not an `flock`: a checker can then
//!   *ask* with `F_OFD_GETLK` whether it is held without taking it, so checking never makes a
//!   supervisor that is just starting fail to take its own lock. Like `flock`, the lock dies
//!   with the last descriptor, so a supervisor killed by SIGKILL is "dead" at once — no PID
//!   files, no PID reuse races.
//!
//! All descriptors are `O_CLOEXEC`: a service must never inherit (and so prolong) a lock.

use crate::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LOCK_FILE_MODE: u32 = 0o644;

/// An exclusive `flock` on a file; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct FileLock {
    /// Kept open: closing it releases the lock.
    _held: File,
    path: PathBuf,
}

impl FileLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn open_lock_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(LOCK_FILE_MODE)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

fn would_block(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::EWOULDBLOCK)
}

/// Takes the exclusive lock without waiting; `Ok(None)` if someone else holds it.
pub fn try_lock(path: &Path) -> Result<Option<FileLock>> {
    let file = open_lock_file(path)?;
    match crate::sys::flock(&file, libc::LOCK_EX | libc::LOCK_NB) {
        Ok(()) => Ok(Some(FileLock {
            _held: file,
            path: path.to_path_buf(),
        })),
        Err(e) if would_block(&e) => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Takes the exclusive lock, waiting at most `timeout`. A timeout is an
/// `Error::Io` whose source has kind `TimedOut`.
///
/// `flock` itself cannot time out, so this polls with a growing back-off (1 ms … 50 ms):
/// a blocked `flock` in a helper thread could not be cancelled and would take the lock
/// later behind our back.
pub fn lock(path: &Path, timeout: Duration) -> Result<FileLock> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(lock) = try_lock(path)? {
            return Ok(lock);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::io(
                path,
                io::Error::new(io::ErrorKind::TimedOut, "timed out waiting for the lock"),
            ));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// The liveness lock of a running supervisor. Dropping it (or dying) marks the supervisor dead.
#[derive(Debug)]
pub struct AliveLock {
    file: File,
    path: PathBuf,
}

impl AliveLock {
    /// Takes the liveness lock; `Ok(None)` if another live process holds it.
    pub fn acquire(path: &Path) -> Result<Option<AliveLock>> {
        let file = open_lock_file(path)?;
        let fl = crate::sys::whole_file_lock(libc::F_WRLCK);
        let rc = nix::fcntl::fcntl(file.as_raw_fd(), nix::fcntl::FcntlArg::F_OFD_SETLK(&fl));
        if rc.is_ok() {
            return Ok(Some(AliveLock {
                file,
                path: path.to_path_buf(),
            }));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EACCES) => Ok(None),
            _ => Err(Error::io(path, err)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The descriptor, e.g. to keep it across the supervisor's own re-exec (clear
    /// `FD_CLOEXEC` on purpose then).
    pub fn file(&self) -> &File {
        &self.file
    }
}

/// Whether a live process holds the liveness lock at `path`. Never takes the lock, never
/// creates the file; a missing or unreadable file means "not alive".
pub fn is_alive(path: &Path) -> bool {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => {
            if e.kind() != io::ErrorKind::NotFound {
                log::warn!("{}: {e}; assuming no live supervisor", path.display());
            }
            return false;
        }
    };
    let mut fl = crate::sys::whole_file_lock(libc::F_WRLCK);
    let rc = nix::fcntl::fcntl(file.as_raw_fd(), nix::fcntl::FcntlArg::F_OFD_GETLK(&mut fl));
    if rc.is_err() {
        log::warn!(
            "{}: {}; assuming no live supervisor",
            path.display(),
            io::Error::last_os_error()
        );
        return false;
    }
    fl.l_type != libc::F_UNLCK as libc::c_short
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};

    const HOLD_PATH: &str = "UNITBOX_TEST_HOLD_PATH";
    const HOLD_KIND: &str = "UNITBOX_TEST_HOLD_KIND";

    /// Runs in a separate process (this test binary re-executed): takes a lock, says so on
    /// stdout, then sleeps until killed.
    #[test]
    #[ignore = "helper process for the other lock tests"]
    fn lock_holder_process() {
        let Some(path) = std::env::var_os(HOLD_PATH) else {
            return;
        };
        let path = PathBuf::from(path);
        let held: Box<dyn std::any::Any> = if std::env::var(HOLD_KIND).as_deref() == Ok("alive") {
            Box::new(AliveLock::acquire(&path).unwrap().unwrap())
        } else {
            Box::new(try_lock(&path).unwrap().unwrap())
        };
        println!("locked");
        std::thread::sleep(Duration::from_secs(30));
        drop(held);
    }

    /// A real process holding the lock; returns once it holds it.
    fn spawn_holder(kind: &str, path: &Path) -> std::process::Child {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "state::lock::tests::lock_holder_process",
                "--exact",
                "--ignored",
            ])
            .args(["--nocapture", "--test-threads=1"])
            .env(HOLD_PATH, path)
            .env(HOLD_KIND, kind)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0 {
            // libtest prints the test's name on the same line first.
            if line.trim_end().ends_with("locked") {
                return child;
            }
            line.clear();
        }
        panic!("lock holder exited early: {:?}", child.wait());
    }

    /// Whether `cond` holds within a second.
    fn eventually(cond: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(1);
        while !cond() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }

    fn kill_and_reap(child: &mut std::process::Child) -> std::process::ExitStatus {
        child.kill().unwrap();
        child.wait().unwrap()
    }

    #[test]
    fn liveness_ends_with_a_killed_holder() {
        let dir = tempfile::tempdir().unwrap();
        let alive = dir.path().join("foo.service.alive");
        assert!(!is_alive(&alive), "no file: not alive");
        assert!(!alive.exists(), "checking must not create the file");

        let mut holder = spawn_holder("alive", &alive);
        assert!(is_alive(&alive), "the holder is alive");
        // Checking is read-only: a second checker and the holder do not disturb each other.
        assert!(is_alive(&alive));
        assert!(AliveLock::acquire(&alive).unwrap().is_none());

        let status = kill_and_reap(&mut holder);
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert!(
            !is_alive(&alive),
            "liveness must end the moment the holder dies"
        );
        let ours = AliveLock::acquire(&alive)
            .unwrap()
            .expect("free after death");
        assert!(
            is_alive(&alive),
            "our own lock counts too (seen from another fd)"
        );
        drop(ours);
        // Other test threads that fork share our descriptor until they exec.
        assert!(eventually(|| !is_alive(&alive)));
    }

    #[test]
    fn operation_lock_waits_and_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("foo.service.lock");
        let held = try_lock(&path).unwrap().expect("free");
        assert!(try_lock(&path).unwrap().is_none());
        let started = Instant::now();
        let err = lock(&path, Duration::from_millis(120)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(120));
        match err {
            Error::Io { source, .. } => assert_eq!(source.kind(), io::ErrorKind::TimedOut),
            other => panic!("unexpected {other:?}"),
        }
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(held);
        });
        let got = lock(&path, Duration::from_secs(5)).unwrap();
        assert_eq!(got.path(), path);
        releaser.join().unwrap();
    }

    #[test]
    fn lock_dies_with_a_killed_process_and_is_not_inherited() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bar.service.lock");
        let mut holder = spawn_holder("operation", &path);
        assert!(try_lock(&path).unwrap().is_none());
        kill_and_reap(&mut holder);
        let held = try_lock(&path).unwrap().expect("released by SIGKILL");

        // An exec'd child must not inherit the descriptor: after we drop ours, the lock is
        // free even though the child still runs. (Until the child has exec'd, and while any
        // other thread of this test process forks, a copy briefly exists: hence the retries.)
        let mut child = Command::new("sleep")
            .arg("5")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        drop(held);
        let free = eventually(|| try_lock(&path).unwrap().is_some());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(free, "the lock leaked into an exec'd child");
    }
}
