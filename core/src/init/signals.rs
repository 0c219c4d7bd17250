//! The init's signals, all taken through one `signalfd` (no handlers, no races): SIGCHLD
//! for reaping, and the shutdown requests. The mask is inherited over `fork` and `exec`,
//! so every process the init forks restores the original mask first ([`restore_mask`]).

use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::os::fd::{AsFd, AsRawFd, RawFd};

/// What a signal asks of the init.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalRequest {
    /// Children changed state: reap them.
    Child,
    /// SIGTERM, SIGINT, SIGPWR, SIGQUIT and systemd's SIGRTMIN+3/+4/+5/+6 (halt, poweroff,
    /// reboot, kexec): orderly shutdown. A second one while stopping skips to killing.
    Shutdown,
    /// SIGHUP: nothing is cached between jobs, so a reload has nothing to do.
    Reload,
    Ignored,
}

/// `SIGRTMIN+n` as systemd (and every container engine) numbers it: glibc's numbering, in
/// the musl build too.
fn rtmin(n: i32) -> i32 {
    crate::exec::exit_status::SIGRTMIN + n
}

pub fn classify(signo: i32) -> SignalRequest {
    match signo {
        libc::SIGCHLD => SignalRequest::Child,
        libc::SIGTERM | libc::SIGINT | libc::SIGPWR | libc::SIGQUIT => SignalRequest::Shutdown,
        libc::SIGHUP => SignalRequest::Reload,
        // halt, poweroff, reboot, kexec: in a container each ends the init.
        s if (3..=6).any(|n| s == rtmin(n)) => SignalRequest::Shutdown,
        _ => SignalRequest::Ignored,
    }
}

pub struct Signals {
    fd: SignalFd,
    original: SigSet,
}

impl Signals {
    /// Blocks the init's signals and opens the signalfd (non-blocking, close-on-exec).
    pub fn take() -> nix::Result<Signals> {
        let mut set = SigSet::empty();
        for s in [
            Signal::SIGCHLD,
            Signal::SIGTERM,
            Signal::SIGINT,
            Signal::SIGPWR,
            Signal::SIGQUIT,
            Signal::SIGHUP,
        ] {
            set.add(s);
        }
        let set = crate::sys::sigset_with(&set, &[rtmin(3), rtmin(4), rtmin(5), rtmin(6)]);
        let mut original = SigSet::empty();
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), Some(&mut original))?;
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        Ok(Signals { fd, original })
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_fd().as_raw_fd()
    }

    /// Every pending signal, in arrival order (a signal pending twice is read once: the
    /// reaper reaps everything anyway).
    pub fn drain(&mut self) -> Vec<i32> {
        let mut out = Vec::new();
        while let Ok(Some(info)) = self.fd.read_signal() {
            out.push(info.ssi_signo as i32);
        }
        out
    }

    /// In a freshly forked child: the mask the init started with.
    pub fn restore_mask(&self) {
        let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.original), None);
    }
}

/// How a reaped child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reaped {
    pub pid: i32,
    /// The exit code, or 128 + signal for a killed child.
    pub code: i32,
}

/// Reaps every child that has exited (zombies of orphans included), without blocking.
pub fn reap_all() -> Vec<Reaped> {
    let mut out = Vec::new();
    loop {
        // None: children remain, none exited; Err: ECHILD (none at all) or EINTR.
        let (pid, status) = match crate::sys::waitpid(-1, libc::WNOHANG) {
            Ok(Some(reaped)) => reaped,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            _ => return out,
        };
        let code = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else if libc::WIFSIGNALED(status) {
            128 + libc::WTERMSIG(status)
        } else {
            continue;
        };
        out.push(Reaped { pid, code });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // reap_all() waits for *any* child, which would steal the children of tests running
    // in parallel in this process; the init integration tests exercise it as PID 1.
    #[test]
    fn shutdown_signals() {
        assert_eq!(classify(libc::SIGTERM), SignalRequest::Shutdown);
        assert_eq!(classify(libc::SIGPWR), SignalRequest::Shutdown);
        // glibc's numbers, as podman and docker send them, in both builds.
        for engine_signal in [37, 38, 39, 40] {
            assert_eq!(classify(engine_signal), SignalRequest::Shutdown);
        }
        assert_eq!(classify(36), SignalRequest::Ignored);
        assert_eq!(classify(libc::SIGCHLD), SignalRequest::Child);
        assert_eq!(classify(libc::SIGHUP), SignalRequest::Reload);
        assert_eq!(classify(libc::SIGUSR1), SignalRequest::Ignored);
    }
}
