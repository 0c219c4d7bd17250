//! unitbox's journald (`systemd-journald`, run as the built-in unit
//! `systemd-journald.service`, see [`builtin`]): receives what processes send to the
//! journal's sockets and appends it to the same store the supervisors write, attributed to
//! the sender's unit.
//!
//! - `/run/systemd/journal/socket`: the native protocol ([`native`]), memfds included;
//! - `/run/systemd/journal/stdout`: the stream protocol ([`stream`]);
//! - `/run/systemd/journal/dev-log` with the `/dev/log` symlink: syslog ([`syslog`]).
//!
//! Trusted fields come from the kernel's credentials of each message ([`peer`]); what is
//! kept, limited and copied to the console is [`sink`]'s, configured by `journald.conf`
//! ([`config`]). One single-threaded poll loop; every socket is non-blocking and each
//! round reads a bounded number of messages from each, so no client can starve another.

pub mod builtin;
pub mod config;
pub mod native;
pub mod peer;
pub mod sink;
pub mod stream;
pub mod syslog;

use crate::journal::record::Stream;
use crate::root::Root;
use crate::scope::Scope;
use crate::state::StateDir;
use nix::sys::socket::{
    getsockopt, recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, UnixAddr,
};
use peer::{Credentials, Peers};
use sink::Sink;
use std::ffi::OsString;
use std::fs::File;
use std::io::{IoSliceMut, Read};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::path::{Path, PathBuf};

pub const SOCKET_DIR: &str = "/run/systemd/journal";
pub const NATIVE_SOCKET: &str = "/run/systemd/journal/socket";
pub const STDOUT_SOCKET: &str = "/run/systemd/journal/stdout";
pub const SYSLOG_SOCKET: &str = "/run/systemd/journal/dev-log";
pub const DEV_LOG: &str = "/dev/log";

/// Messages read from one socket per round.
const BURST: usize = 64;
/// The biggest datagram read (journald's is the socket's maximum; clients switch to a
/// memfd beyond what the kernel allows anyway).
const DATAGRAM_MAX: usize = 256 * 1024;
/// A memfd entry larger than this is refused (journald's `ENTRY_SIZE_MAX`-like bound).
const MEMFD_MAX: u64 = 64 << 20;
/// Open stream connections at most (journald's `STDOUT_STREAMS_MAX`).
const STREAMS_MAX: usize = 4096;

/// `systemd-journald [--root=DIR]`.
pub fn main(args: Vec<OsString>) -> i32 {
    let mut root = None;
    for arg in args.iter().skip(1) {
        let text = arg.to_string_lossy();
        if let Some(dir) = text.strip_prefix("--root=") {
            root = Some(PathBuf::from(dir));
        } else {
            eprintln!("systemd-journald: unknown argument '{text}'");
            return 1;
        }
    }
    match run(root) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("systemd-journald: {message}");
            1
        }
    }
}

fn bind_socket_path(host: &Path) -> Result<(), String> {
    if let Some(dir) = host.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    match std::fs::remove_file(host) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", host.display())),
    }
}

fn world_writable(host: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(host, std::fs::Permissions::from_mode(0o666));
}

fn datagram(host: &Path) -> Result<UnixDatagram, String> {
    bind_socket_path(host)?;
    let socket = UnixDatagram::bind(host).map_err(|e| format!("{}: {e}", host.display()))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| format!("{}: {e}", host.display()))?;
    setsockopt(&socket, sockopt::PassCred, &true)
        .map_err(|e| format!("{}: {e}", host.display()))?;
    // Room for a flood while we write (journald asks for 8M); best effort.
    let _ = setsockopt(&socket, sockopt::RcvBufForce, &(8 << 20))
        .or_else(|_| setsockopt(&socket, sockopt::RcvBuf, &(8 << 20)));
    world_writable(host);
    Ok(socket)
}

/// `/dev/log` → `/run/systemd/journal/dev-log`, as systemd makes it (an existing symlink
/// or socket is replaced, anything else left alone).
fn link_dev_log(root: &Root) {
    let host = root.host_path(Path::new(DEV_LOG));
    if let Some(dir) = host.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(meta) = std::fs::symlink_metadata(&host) {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if !(t.is_symlink() || t.is_socket()) {
            return;
        }
        let _ = std::fs::remove_file(&host);
    }
    if let Err(e) = std::os::unix::fs::symlink(SYSLOG_SOCKET, &host) {
        log::warn!("Failed to create {DEV_LOG} symlink: {e}");
    }
}

/// `READY=1` to `$NOTIFY_SOCKET` (the supervisor of `Type=notify`).
fn notify_ready() {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let text = socket.to_string_lossy();
    let addr = match text.strip_prefix('@') {
        Some(name) => UnixAddr::new_abstract(name.as_bytes()),
        None => UnixAddr::new(Path::new(&*text)),
    };
    let Ok(addr) = addr else {
        return;
    };
    if let Ok(fd) = nix::sys::socket::socket(
        nix::sys::socket::AddressFamily::Unix,
        nix::sys::socket::SockType::Datagram,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        None,
    ) {
        let _ = nix::sys::socket::sendto(fd.as_raw_fd(), b"READY=1", &addr, MsgFlags::empty());
    }
}

struct Connection {
    stream: UnixStream,
    cred: Credentials,
    parser: stream::StreamParser,
    stream_id: String,
}

struct Server {
    native: UnixDatagram,
    syslog: UnixDatagram,
    listener: UnixListener,
    connections: Vec<Connection>,
    peers: Peers,
    sink: Sink,
    buf: Vec<u8>,
}

fn run(root_dir: Option<PathBuf>) -> Result<(), String> {
    crate::logger::init();
    let root = match &root_dir {
        Some(dir) => Root::new(dir),
        None => Root::host(),
    };
    let env = |k: &str| std::env::var(k).ok();
    let identity = crate::users::Identity::current(&root, &env);
    let scope = Scope::new(
        crate::scope::ScopeKind::System,
        root.clone(),
        identity,
        &env,
    );
    let state = StateDir::for_scope(&scope).map_err(|e| e.to_string())?;
    let config = config::Config::load(&root);
    let machine_id = crate::host::RootFacts { root: &root }.machine_id();
    let native = datagram(&root.host_path(Path::new(NATIVE_SOCKET)))?;
    let syslog = datagram(&root.host_path(Path::new(SYSLOG_SOCKET)))?;
    let stdout_host = root.host_path(Path::new(STDOUT_SOCKET));
    bind_socket_path(&stdout_host)?;
    let listener =
        UnixListener::bind(&stdout_host).map_err(|e| format!("{}: {e}", stdout_host.display()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("{}: {e}", stdout_host.display()))?;
    world_writable(&stdout_host);
    link_dev_log(&root);
    let sink = Sink::new(&state, config);
    let mut server = Server {
        native,
        syslog,
        listener,
        connections: Vec::new(),
        peers: Peers::new(root_dir, machine_id),
        sink,
        buf: vec![0u8; DATAGRAM_MAX],
    };
    notify_ready();
    server.serve()
}

fn credentials_of(
    cmsgs: impl Iterator<Item = ControlMessageOwned>,
) -> (Option<Credentials>, Vec<OwnedFd>) {
    let mut cred = None;
    let mut fds = Vec::new();
    for c in cmsgs {
        match c {
            ControlMessageOwned::ScmCredentials(u) => {
                cred = Some(Credentials {
                    pid: u.pid() as u32,
                    uid: u.uid(),
                    gid: u.gid(),
                })
            }
            ControlMessageOwned::ScmRights(received) => {
                for fd in received {
                    // SAFETY: the kernel just installed this descriptor for us alone.
                    fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
            _ => {}
        }
    }
    (cred, fds)
}

/// The contents of a memfd a client passed (bounded; `None` for anything else).
fn read_memfd(fd: OwnedFd) -> Option<Vec<u8>> {
    let mut file = File::from(fd);
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MEMFD_MAX {
        return None;
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(0)).ok()?;
    file.take(MEMFD_MAX).read_to_end(&mut data).ok()?;
    Some(data)
}

fn random_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .map(|u| u.trim().replace('-', ""))
        .unwrap_or_default()
}

impl Server {
    fn serve(&mut self) -> Result<(), String> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        loop {
            let mut ready = vec![false; 3 + self.connections.len()];
            {
                let mut fds = vec![
                    PollFd::new(self.native.as_fd(), PollFlags::POLLIN),
                    PollFd::new(self.syslog.as_fd(), PollFlags::POLLIN),
                    PollFd::new(self.listener.as_fd(), PollFlags::POLLIN),
                ];
                for c in &self.connections {
                    fds.push(PollFd::new(c.stream.as_fd(), PollFlags::POLLIN));
                }
                match poll(&mut fds, PollTimeout::NONE) {
                    Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                    Err(e) => return Err(format!("poll: {e}")),
                }
                for (i, fd) in fds.iter().enumerate() {
                    ready[i] = fd.revents().is_some_and(|r| !r.is_empty());
                }
            }
            if ready[0] {
                self.datagrams(Stream::Native);
            }
            if ready[1] {
                self.datagrams(Stream::Syslog);
            }
            if ready[2] {
                self.accept();
            }
            let mut index = self.connections.len();
            while index > 0 {
                index -= 1;
                if ready.get(3 + index).copied().unwrap_or(false) && !self.read_connection(index) {
                    let mut c = self.connections.remove(index);
                    let (sink, peers) = (&mut self.sink, &mut self.peers);
                    let Connection {
                        parser,
                        cred,
                        stream_id,
                        ..
                    } = &mut c;
                    parser.finish(&mut |h, level, message| {
                        sink.stream_line(peers, *cred, h, stream_id, level, message);
                    });
                }
            }
        }
    }

    fn datagrams(&mut self, kind: Stream) {
        let socket = match kind {
            Stream::Native => self.native.as_raw_fd(),
            _ => self.syslog.as_raw_fd(),
        };
        for _ in 0..BURST {
            let mut cmsg = nix::cmsg_space!(nix::sys::socket::UnixCredentials, [RawFd; 8]);
            let (n, truncated, cred, fds) = {
                let mut iov = [IoSliceMut::new(&mut self.buf)];
                let msg = match recvmsg::<UnixAddr>(
                    socket,
                    &mut iov,
                    Some(&mut cmsg),
                    MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC,
                ) {
                    Ok(m) => m,
                    Err(nix::errno::Errno::EAGAIN) => return,
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => {
                        log::warn!("Failed to receive a datagram: {e}");
                        return;
                    }
                };
                let (cred, fds) = match msg.cmsgs() {
                    Ok(cmsgs) => credentials_of(cmsgs),
                    Err(_) => (None, Vec::new()),
                };
                (
                    msg.bytes,
                    msg.flags.contains(MsgFlags::MSG_TRUNC),
                    cred,
                    fds,
                )
            };
            if truncated {
                log::warn!("Dropped a datagram that did not fit {DATAGRAM_MAX} bytes.");
                continue;
            }
            let cred = cred.unwrap_or(Credentials {
                pid: 0,
                uid: u32::MAX,
                gid: u32::MAX,
            });
            match kind {
                Stream::Native => {
                    let data = if n == 0 {
                        match fds.into_iter().next().and_then(read_memfd) {
                            Some(data) => data,
                            None => continue,
                        }
                    } else {
                        self.buf[..n].to_vec()
                    };
                    let fields = native::parse(&data);
                    self.sink.native(&mut self.peers, cred, fields);
                }
                _ => {
                    let parsed = syslog::parse(&self.buf[..n]);
                    self.sink.syslog(&mut self.peers, cred, parsed);
                }
            }
        }
    }

    fn accept(&mut self) {
        for _ in 0..BURST {
            let stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(_) => return,
            };
            if self.connections.len() >= STREAMS_MAX {
                log::warn!("Too many stdout streams, refusing connection.");
                continue;
            }
            let _ = stream.set_nonblocking(true);
            let _ = stream.shutdown(std::net::Shutdown::Write);
            let cred = match getsockopt(&stream, sockopt::PeerCredentials) {
                Ok(u) => Credentials {
                    pid: u.pid() as u32,
                    uid: u.uid(),
                    gid: u.gid(),
                },
                Err(_) => Credentials {
                    pid: 0,
                    uid: u32::MAX,
                    gid: u32::MAX,
                },
            };
            self.connections.push(Connection {
                stream,
                cred,
                parser: stream::StreamParser::new(self.sink.line_max()),
                stream_id: random_id(),
            });
        }
    }

    /// Reads what a stream sent; false when it is closed (or broke the protocol).
    fn read_connection(&mut self, index: usize) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        for _ in 0..16 {
            let c = &mut self.connections[index];
            let n = match c.stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            };
            let (sink, peers) = (&mut self.sink, &mut self.peers);
            let Connection {
                parser,
                cred,
                stream_id,
                ..
            } = c;
            let result = parser.feed(&chunk[..n], &mut |h, level, message| {
                sink.stream_line(peers, *cred, h, stream_id, level, message);
            });
            if result.is_err() {
                log::warn!("Failed to parse stdout stream header, closing.");
                return false;
            }
        }
        true
    }
}
