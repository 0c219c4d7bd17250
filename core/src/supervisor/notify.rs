//! The unit's `sd_notify(3)` socket: a datagram socket with `SO_PASSCRED`, so every message
//! carries its sender's pid (`SCM_CREDENTIALS`), which `NotifyAccess=` is checked against.

use crate::state::SocketAddress;
use nix::sys::socket::{
    recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, UnixCredentials,
};
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixDatagram;

/// sd_notify messages are small; systemd reads at most this much (longer ones are cut).
const MESSAGE_MAX: usize = 4096;

/// What one datagram says (only the fields the supervisor acts on; others are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyMessage {
    pub ready: bool,
    pub reloading: bool,
    pub stopping: bool,
    pub status: Option<String>,
    pub errno: Option<i32>,
    pub main_pid: Option<i32>,
    pub watchdog_ping: bool,
    pub watchdog_trigger: bool,
    /// `WATCHDOG_USEC=`: a new watchdog timeout.
    pub watchdog_usec: Option<u64>,
    pub extend_timeout_usec: Option<u64>,
}

impl NotifyMessage {
    /// Parses `KEY=VALUE` lines as systemd's `service_notify_message()`: a value that does
    /// not parse is ignored (with the rest of the message still honoured).
    pub fn parse(data: &[u8]) -> NotifyMessage {
        let mut m = NotifyMessage::default();
        let text = String::from_utf8_lossy(data);
        for line in text.split('\n') {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key {
                "READY" => m.ready |= value == "1",
                "RELOADING" => m.reloading |= value == "1",
                "STOPPING" => m.stopping |= value == "1",
                "STATUS" => m.status = Some(value.to_string()),
                "ERRNO" => m.errno = value.parse().ok().filter(|e: &i32| *e >= 0),
                "MAINPID" => m.main_pid = value.parse().ok().filter(|p: &i32| *p > 1),
                "WATCHDOG" => match value {
                    "1" => m.watchdog_ping = true,
                    "trigger" => m.watchdog_trigger = true,
                    _ => {}
                },
                "WATCHDOG_USEC" => m.watchdog_usec = value.parse().ok(),
                "EXTEND_TIMEOUT_USEC" => m.extend_timeout_usec = value.parse().ok(),
                _ => {}
            }
        }
        m
    }
}

/// The bound notify socket.
#[derive(Debug)]
pub struct NotifySocket {
    socket: UnixDatagram,
}

impl NotifySocket {
    pub fn bind(address: &SocketAddress) -> std::io::Result<NotifySocket> {
        address.remove_stale()?;
        let socket = UnixDatagram::bind_addr(&address.to_socket_addr()?)?;
        socket.set_nonblocking(true)?;
        setsockopt(&socket, sockopt::PassCred, &true)?;
        if let SocketAddress::Path(p) = address {
            // Any process of the unit may notify, whatever its user (access is checked by pid).
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777))?;
        }
        Ok(NotifySocket { socket })
    }

    pub fn fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    /// The next waiting datagram and its sender's pid (0 when the kernel gave none);
    /// `None` when nothing is waiting.
    pub fn receive(&self) -> Option<(i32, NotifyMessage)> {
        let mut buf = vec![0u8; MESSAGE_MAX];
        let mut cmsg = nix::cmsg_space!(UnixCredentials, [RawFd; 16]);
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = match recvmsg::<()>(
            self.socket.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC | MsgFlags::MSG_TRUNC,
        ) {
            Ok(m) => m,
            Err(nix::errno::Errno::EINTR) => return Some((0, NotifyMessage::default())),
            Err(_) => return None,
        };
        let mut pid = 0;
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                match c {
                    ControlMessageOwned::ScmCredentials(cred) => pid = cred.pid(),
                    // File descriptors (FDSTORE=1) are not kept: close them.
                    ControlMessageOwned::ScmRights(fds) => {
                        for fd in fds {
                            let _ = nix::unistd::close(fd);
                        }
                    }
                    _ => {}
                }
            }
        }
        let len = msg.bytes.min(MESSAGE_MAX);
        Some((pid, NotifyMessage::parse(&buf[..len])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_messages() {
        let m = NotifyMessage::parse(b"READY=1\nSTATUS=Serving 3 clients\nMAINPID=4242\nERRNO=2");
        assert!(m.ready && !m.reloading && !m.stopping);
        assert_eq!(m.status.as_deref(), Some("Serving 3 clients"));
        assert_eq!(m.main_pid, Some(4242));
        assert_eq!(m.errno, Some(2));
        let m = NotifyMessage::parse(
            b"RELOADING=1\nMONOTONIC_USEC=5\nWATCHDOG=1\nEXTEND_TIMEOUT_USEC=3000000\n",
        );
        assert!(m.reloading && m.watchdog_ping && !m.ready);
        assert_eq!(m.extend_timeout_usec, Some(3_000_000));
        let m = NotifyMessage::parse(
            b"READY=0\nMAINPID=1\nMAINPID=x\nWATCHDOG=trigger\nERRNO=-1\nno equals",
        );
        assert!(!m.ready);
        assert_eq!(m.main_pid, None, "PID 1 and garbage are refused");
        assert_eq!(m.errno, None);
        assert!(m.watchdog_trigger);
        assert_eq!(NotifyMessage::parse(b""), NotifyMessage::default());
    }

    #[test]
    fn receives_with_the_senders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let addr = SocketAddress::Path(dir.path().join("n.notify"));
        let sock = NotifySocket::bind(&addr).unwrap();
        assert!(sock.receive().is_none(), "nothing waiting");
        let sender = UnixDatagram::unbound().unwrap();
        sender
            .send_to(b"READY=1\nSTATUS=up", dir.path().join("n.notify"))
            .unwrap();
        let (pid, m) = sock.receive().unwrap();
        assert_eq!(pid, std::process::id() as i32);
        assert!(m.ready);
        assert_eq!(m.status.as_deref(), Some("up"));
    }
}
