//! The sending side of the notify protocol (sd_notify(3)): one datagram to the unix socket
//! named by `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace), carrying
//! SCM_CREDENTIALS so the receiver can tell which process speaks; and the `BARRIER=1`
//! round trip that waits until the receiver has processed everything sent before it.

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    sendmsg, socket, AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType, UnixAddr,
    UnixCredentials,
};
use std::ffi::OsStr;
use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// sd_notify_barrier()'s timeout as systemd-notify uses it.
pub const BARRIER_TIMEOUT: Duration = Duration::from_secs(5);

/// strerror() text, as systemd's `%m` prints it.
pub fn describe(errno: Errno) -> &'static str {
    errno.desc()
}

/// `$NOTIFY_SOCKET` → a socket address. Anything but an absolute path or `@name` is
/// rejected with EINVAL, as sd_notify() does.
pub fn parse_address(value: &OsStr) -> Result<UnixAddr, Errno> {
    let bytes = value.as_bytes();
    match bytes.first() {
        Some(b'/') => UnixAddr::new(Path::new(value)),
        Some(b'@') => UnixAddr::new_abstract(&bytes[1..]),
        _ => Err(Errno::EINVAL),
    }
}

fn datagram_socket() -> Result<OwnedFd, Errno> {
    socket(
        AddressFamily::Unix,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
}

fn credentials(pid: u32) -> UnixCredentials {
    UnixCredentials::from(libc::ucred {
        pid: pid as libc::pid_t,
        uid: nix::unistd::getuid().as_raw(),
        gid: nix::unistd::getgid().as_raw(),
    })
}

fn send(
    fd: &OwnedFd,
    address: &UnixAddr,
    message: &[u8],
    cmsgs: &[ControlMessage],
) -> Result<(), Errno> {
    let iov = [IoSlice::new(message)];
    loop {
        match sendmsg(
            fd.as_raw_fd(),
            &iov,
            cmsgs,
            MsgFlags::MSG_NOSIGNAL,
            Some(address),
        ) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(_) => return Ok(()),
        }
    }
}

/// Sends `message` claiming to come from `source_pid` (systemd-notify speaks for its
/// parent or `--pid`'s process). Only a privileged sender may name another process: if the
/// kernel refuses, the message goes out under our own pid, as sd_pid_notify() falls back.
pub fn notify(address: &UnixAddr, message: &[u8], source_pid: Option<u32>) -> Result<(), Errno> {
    let fd = datagram_socket()?;
    let own = std::process::id();
    let pid = source_pid.filter(|&p| p > 0).unwrap_or(own);
    let creds = credentials(pid);
    match send(
        &fd,
        address,
        message,
        &[ControlMessage::ScmCredentials(&creds)],
    ) {
        Err(Errno::EPERM | Errno::ESRCH) if pid != own => {
            let creds = credentials(own);
            send(
                &fd,
                address,
                message,
                &[ControlMessage::ScmCredentials(&creds)],
            )
        }
        other => other,
    }
}

/// `BARRIER=1` with the write end of a pipe: the receiver closes its copy once it has
/// handled every earlier message, and we wait for that hang-up.
pub fn barrier(address: &UnixAddr, timeout: Duration) -> Result<(), Errno> {
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let fd = datagram_socket()?;
    let fds = [write_end.as_raw_fd()];
    send(
        &fd,
        address,
        b"BARRIER=1",
        &[ControlMessage::ScmRights(&fds)],
    )?;
    drop(write_end);
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Errno::ETIMEDOUT);
        }
        let ms = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut poll_fds = [PollFd::new(read_end.as_fd(), PollFlags::POLLIN)];
        match nix::poll::poll(&mut poll_fds, PollTimeout::from(ms)) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(0) => continue,
            Ok(_) => {
                let hung_up = poll_fds[0]
                    .revents()
                    .is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR));
                if hung_up {
                    return Ok(());
                }
                // Data on a barrier pipe is a protocol violation; keep waiting for the hang-up
                // without spinning on it.
                let mut sink = [0u8; 64];
                let _ = nix::unistd::read(read_end.as_raw_fd(), &mut sink);
            }
        }
    }
}

/// `--uid=`: change the real ids only (systemd-notify's way), keeping the effective ids
/// that allow us to state credentials of another process.
pub fn switch_user(user: Option<&(u32, Option<u32>)>) -> Result<(), String> {
    let Some(&(uid, gid)) = user else {
        return Ok(());
    };
    unitbox_core::sys::set_real_ids(Some(uid), gid).map_err(|(uid, errno)| {
        let what = if uid { "UID" } else { "GID" };
        format!("Failed to change {what}: {}", describe(errno))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parse_address(OsStr::new("relative")), Err(Errno::EINVAL));
        assert_eq!(parse_address(OsStr::new("")), Err(Errno::EINVAL));
        let a = parse_address(OsStr::new("@name")).unwrap();
        assert_eq!(a.as_abstract(), Some(&b"name"[..]));
        let p = parse_address(OsStr::new("/run/x.sock")).unwrap();
        assert_eq!(p.path(), Some(Path::new("/run/x.sock")));
        let long = format!("/{}", "x".repeat(200));
        assert!(parse_address(OsStr::new(&long)).is_err());
    }
}
