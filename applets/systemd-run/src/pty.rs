//! `--pty`: the service runs on a new pseudo-terminal (`TTYPath=` its slave); we copy
//! between our terminal (in raw mode) and its master until the unit is done.

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::pty::{openpty, OpenptyResult};
use nix::sys::termios::{self, SetArg, Termios};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

pub struct Pty {
    master: OwnedFd,
    /// Held open for the whole run, so the master never reads EOF before the service
    /// has opened its side, nor between two of its processes.
    _slave: OwnedFd,
    pub slave_path: PathBuf,
}

/// Opens a pty with our terminal's window size.
pub fn open() -> io::Result<Pty> {
    let OpenptyResult { master, slave } = openpty(None, None).map_err(io::Error::from)?;
    let slave_path = std::fs::read_link(format!("/proc/self/fd/{}", slave.as_raw_fd()))?;
    if let Some(size) = unitbox_core::sys::window_size(io::stdout().as_fd()) {
        let _ = unitbox_core::sys::set_window_size(master.as_fd(), &size);
    }
    Ok(Pty {
        master,
        _slave: slave,
        slave_path,
    })
}

/// Puts our terminal in raw mode for as long as it lives.
struct RawMode {
    saved: Option<Termios>,
}

impl RawMode {
    fn enter() -> Self {
        let stdin = io::stdin();
        let Ok(saved) = termios::tcgetattr(stdin.as_fd()) else {
            return RawMode { saved: None };
        };
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        let _ = termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw);
        RawMode { saved: Some(saved) }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = termios::tcsetattr(io::stdin().as_fd(), SetArg::TCSANOW, saved);
        }
    }
}

impl Pty {
    /// Copies stdin → pty and pty → stdout until `done` becomes readable (the unit came to
    /// rest), then drains what the service left in the pty.
    pub fn forward(&self, done: BorrowedFd<'_>) -> io::Result<()> {
        let _raw = RawMode::enter();
        let mut master = File::from(self.master.try_clone()?);
        let mut stdout = io::stdout().lock();
        let stdin = io::stdin();
        let mut stdin_open = true;
        let mut buf = [0u8; 8192];
        loop {
            let mut fds = vec![
                PollFd::new(self.master.as_fd(), PollFlags::POLLIN),
                PollFd::new(done, PollFlags::POLLIN),
            ];
            if stdin_open {
                fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, PollTimeout::NONE) {
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
                Ok(_) => {}
            }
            let ready = |fd: &PollFd| {
                fd.revents()
                    .is_some_and(|r| r.intersects(PollFlags::POLLIN | PollFlags::POLLHUP))
            };
            let (master_ready, finished) = (ready(&fds[0]), ready(&fds[1]));
            let stdin_ready = stdin_open && ready(&fds[2]);
            if master_ready {
                match master.read(&mut buf) {
                    Ok(n) if n > 0 => {
                        stdout.write_all(&buf[..n])?;
                        stdout.flush()?;
                    }
                    _ => {}
                }
            }
            if stdin_ready {
                match nix::unistd::read(libc::STDIN_FILENO, &mut buf) {
                    Ok(n) if n > 0 => master.write_all(&buf[..n])?,
                    _ => stdin_open = false,
                }
            }
            if finished {
                break;
            }
        }
        self.drain(&mut master, &mut stdout)
    }

    /// What is still buffered in the pty once no process of the unit is left.
    fn drain(&self, master: &mut File, out: &mut impl Write) -> io::Result<()> {
        let mut buf = [0u8; 8192];
        loop {
            let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::ZERO) {
                Ok(n) if n > 0 => {}
                _ => break,
            }
            match master.read(&mut buf) {
                Ok(n) if n > 0 => out.write_all(&buf[..n])?,
                _ => break,
            }
        }
        out.flush()
    }
}
