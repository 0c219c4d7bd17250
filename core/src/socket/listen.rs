//! Opening a socket unit's listeners as 252's `socket_open_fds()` does: sockets with their
//! options (`SO_REUSEADDR` always; `BindIPv6Only=`, `ReusePort=`, `FreeBind=`,
//! `Transparent=`, `BindToDevice=` before `bind()`; the rest after), unix sockets created
//! with `SocketMode=` under parents made with `DirectoryMode=`, a stale socket file
//! replaced, FIFOs made and opened read-write, special files opened; then `SocketUser=`/
//! `SocketGroup=` and `Symlinks=`. [`remove`] is `RemoveOnStop=`.

use super::address::{BindAddress, Listen, ListenKind};
use super::config::{BindIpv6Only, SocketConfig};
use crate::root::Root;
use crate::users::UserDb;
use nix::sys::socket::{self as sock, sockopt, AddressFamily, SockFlag, SockaddrStorage};
use nix::sys::stat::{umask, Mode};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// One opened listener.
pub struct Opened {
    pub listen: Listen,
    pub fd: OwnedFd,
}

/// Why opening failed: 252's wording with the address.
#[derive(Debug)]
pub struct OpenError(pub String);

/// Opens every listener of `config` (paths inside `root`), in order.
pub fn open_all(config: &SocketConfig, root: &Root) -> Result<Vec<Opened>, OpenError> {
    let owner = resolve_owner(config, root)?;
    let mut out = Vec::new();
    for listen in &config.listens {
        let fd = open_one(listen, config, root).map_err(|e| {
            OpenError(format!(
                "Failed to create listening socket ({}): {}",
                listen.address_text(),
                crate::error::os_error_text(&e)
            ))
        })?;
        if let (Some(path), Some((uid, gid))) = (listen.path(), owner) {
            let _ = std::os::unix::fs::lchown(
                root.host_path(path),
                (uid != u32::MAX).then_some(uid),
                (gid != u32::MAX).then_some(gid),
            );
        }
        out.push(Opened {
            listen: listen.clone(),
            fd,
        });
    }
    symlink(config, root);
    Ok(out)
}

fn resolve_owner(config: &SocketConfig, root: &Root) -> Result<Option<(u32, u32)>, OpenError> {
    if config.socket_user.is_none() && config.socket_group.is_none() {
        return Ok(None);
    }
    let db = UserDb::load(root);
    let uid = match &config.socket_user {
        Some(u) => db
            .resolve_uid(u)
            .ok_or_else(|| OpenError(format!("Failed to resolve user {u}: No such process")))?,
        None => u32::MAX,
    };
    let gid = match &config.socket_group {
        Some(g) => db
            .resolve_gid(g)
            .ok_or_else(|| OpenError(format!("Failed to resolve group {g}: No such process")))?,
        None => u32::MAX,
    };
    Ok(Some((uid, gid)))
}

fn open_one(listen: &Listen, config: &SocketConfig, root: &Root) -> std::io::Result<OwnedFd> {
    match listen.kind {
        ListenKind::Fifo => open_fifo(&host(listen, root), config),
        ListenKind::Special => open_special(&host(listen, root), config),
        kind => open_socket(listen, kind, config, root),
    }
}

fn host(listen: &Listen, root: &Root) -> PathBuf {
    listen.path().map(|p| root.host_path(p)).unwrap_or_default()
}

fn mkdir_parents(path: &Path, mode: u32) {
    if let Some(parent) = path.parent() {
        use std::os::unix::fs::DirBuilderExt;
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(mode)
            .create(parent);
    }
}

fn open_socket(
    listen: &Listen,
    kind: ListenKind,
    c: &SocketConfig,
    root: &Root,
) -> std::io::Result<OwnedFd> {
    let ty = kind.sock_type().ok_or(std::io::ErrorKind::InvalidInput)?;
    let (family, addr, path): (AddressFamily, Addr, Option<PathBuf>) = match &listen.address {
        BindAddress::Inet(a) => {
            let family = if a.is_ipv4() {
                AddressFamily::Inet
            } else {
                AddressFamily::Inet6
            };
            (family, Addr::Inet(SockaddrStorage::from(*a)), None)
        }
        BindAddress::Unix(p) => {
            let host = root.host_path(p);
            let addr = sock::UnixAddr::new(&host)?;
            (AddressFamily::Unix, Addr::Unix(addr), Some(host))
        }
        BindAddress::Abstract(name) => {
            let addr = sock::UnixAddr::new_abstract(name)?;
            (AddressFamily::Unix, Addr::Unix(addr), None)
        }
    };
    let fd = sock::socket(family, ty, SockFlag::SOCK_CLOEXEC, None)?;
    let inet = family != AddressFamily::Unix;
    if inet {
        sock::setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    }
    if family == AddressFamily::Inet6 && c.bind_ipv6_only != BindIpv6Only::Default {
        sock::setsockopt(
            &fd,
            sockopt::Ipv6V6Only,
            &(c.bind_ipv6_only == BindIpv6Only::Ipv6Only),
        )?;
    }
    if c.reuse_port {
        warn_opt(
            sock::setsockopt(&fd, sockopt::ReusePort, &true),
            "SO_REUSEPORT",
        );
    }
    if inet && c.free_bind {
        warn_opt(
            sock::setsockopt(&fd, sockopt::IpFreebind, &true),
            "IP_FREEBIND",
        );
    }
    if inet && c.transparent {
        warn_opt(
            sock::setsockopt(&fd, sockopt::IpTransparent, &true),
            "IP_TRANSPARENT",
        );
    }
    if let Some(dev) = &c.bind_to_device {
        let dev = std::ffi::OsString::from(dev);
        warn_opt(
            sock::setsockopt(&fd, sockopt::BindToDevice, &dev),
            "SO_BINDTODEVICE",
        );
    }
    match &path {
        Some(p) => {
            mkdir_parents(p, c.directory_mode);
            let old = umask(Mode::from_bits_truncate(!c.socket_mode & 0o777));
            let mut bound = addr.bind(&fd);
            if bound == Err(nix::errno::Errno::EADDRINUSE) {
                // A stale socket file: unlink and try again, as 252.
                let _ = std::fs::remove_file(p);
                bound = addr.bind(&fd);
            }
            umask(old);
            bound?;
        }
        None => addr.bind(&fd)?,
    }
    if kind != ListenKind::Datagram {
        let backlog = sock::Backlog::new(c.backlog.min(i32::MAX as u32) as i32)
            .unwrap_or(sock::Backlog::MAXCONN);
        sock::listen(&fd, backlog)?;
    }
    apply_options(&fd, c, inet);
    if c.accept {
        // Only we accept on it, never blocking the loop on a connection that went away.
        nix::fcntl::fcntl(
            fd.as_raw_fd(),
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )?;
    }
    Ok(fd)
}

enum Addr {
    Inet(SockaddrStorage),
    Unix(sock::UnixAddr),
}

impl Addr {
    fn bind(&self, fd: &OwnedFd) -> nix::Result<()> {
        match self {
            Addr::Inet(a) => sock::bind(fd.as_raw_fd(), a),
            Addr::Unix(a) => sock::bind(fd.as_raw_fd(), a),
        }
    }
}

fn warn_opt(r: nix::Result<()>, what: &str) {
    if let Err(e) = r {
        log::warn!("{what} failed: {}", crate::error::os_error_text(&e.into()));
    }
}

/// `socket_apply_socket_options()`: failures are warnings, as in 252.
fn apply_options(fd: &OwnedFd, c: &SocketConfig, inet: bool) {
    let fd = fd.as_fd();
    if c.keep_alive {
        warn_opt(
            sock::setsockopt(&fd, sockopt::KeepAlive, &true),
            "SO_KEEPALIVE",
        );
    }
    if c.keep_alive_time > 0 {
        let secs = (c.keep_alive_time / 1_000_000) as u32;
        warn_opt(
            sock::setsockopt(&fd, sockopt::TcpKeepIdle, &secs),
            "TCP_KEEPIDLE",
        );
    }
    if c.keep_alive_interval > 0 {
        let secs = (c.keep_alive_interval / 1_000_000) as u32;
        warn_opt(
            sock::setsockopt(&fd, sockopt::TcpKeepInterval, &secs),
            "TCP_KEEPINTVL",
        );
    }
    if c.keep_alive_probes > 0 {
        warn_opt(
            sock::setsockopt(&fd, sockopt::TcpKeepCount, &c.keep_alive_probes),
            "TCP_KEEPCNT",
        );
    }
    if c.no_delay && inet {
        warn_opt(
            sock::setsockopt(&fd, sockopt::TcpNoDelay, &true),
            "TCP_NODELAY",
        );
    }
    if c.broadcast {
        warn_opt(
            sock::setsockopt(&fd, sockopt::Broadcast, &true),
            "SO_BROADCAST",
        );
    }
    if c.pass_credentials {
        warn_opt(
            sock::setsockopt(&fd, sockopt::PassCred, &true),
            "SO_PASSCRED",
        );
    }
    if c.priority >= 0 {
        warn_opt(
            sock::setsockopt(&fd, sockopt::Priority, &c.priority),
            "SO_PRIORITY",
        );
    }
    if c.receive_buffer > 0 {
        warn_opt(
            sock::setsockopt(&fd, sockopt::RcvBuf, &(c.receive_buffer as usize)),
            "SO_RCVBUF",
        );
    }
    if c.send_buffer > 0 {
        warn_opt(
            sock::setsockopt(&fd, sockopt::SndBuf, &(c.send_buffer as usize)),
            "SO_SNDBUF",
        );
    }
    if c.mark >= 0 {
        warn_opt(
            sock::setsockopt(&fd, sockopt::Mark, &(c.mark as u32)),
            "SO_MARK",
        );
    }
    if c.ip_tos >= 0 && inet {
        warn_opt(sock::setsockopt(&fd, sockopt::IpTos, &c.ip_tos), "IP_TOS");
    }
}

/// `fifo_address_create()`: `mkfifo` with `SocketMode=`, opened read-write and
/// non-blocking so it never sees EOF; an existing FIFO is reused.
fn open_fifo(path: &Path, c: &SocketConfig) -> std::io::Result<OwnedFd> {
    mkdir_parents(path, c.directory_mode);
    let old = umask(Mode::from_bits_truncate(!c.socket_mode & 0o777));
    let made = nix::unistd::mkfifo(path, Mode::from_bits_truncate(c.socket_mode));
    umask(old);
    if let Err(e) = made {
        if e != nix::errno::Errno::EEXIST {
            return Err(e.into());
        }
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)?;
    let fd = OwnedFd::from(file);
    let meta = nix::sys::stat::fstat(fd.as_raw_fd())?;
    if meta.st_mode & libc::S_IFMT != libc::S_IFIFO {
        return Err(std::io::Error::from_raw_os_error(libc::EEXIST));
    }
    Ok(fd)
}

/// `special_address_create()`: opened read-only, or read-write with `Writable=yes`.
fn open_special(path: &Path, c: &SocketConfig) -> std::io::Result<OwnedFd> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(c.writable)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(path)?;
    Ok(OwnedFd::from(file))
}

use std::os::unix::fs::OpenOptionsExt;

/// `socket_symlink()`: `Symlinks=` point at the one unix socket or FIFO path.
fn symlink(c: &SocketConfig, root: &Root) {
    if c.symlinks.is_empty() {
        return;
    }
    let paths: Vec<&Path> = c.listens.iter().filter_map(Listen::path).collect();
    let [target] = paths.as_slice() else {
        log::warn!("Socket unit has no or more than one file system socket. Symlinks= ignored.");
        return;
    };
    for link in &c.symlinks {
        let host = root.host_path(link);
        mkdir_parents(&host, c.directory_mode);
        if std::fs::read_link(&host).is_ok_and(|t| t == *target) {
            continue;
        }
        let _ = std::fs::remove_file(&host);
        if let Err(e) = std::os::unix::fs::symlink(target, &host) {
            log::warn!(
                "Failed to create symlink {}, ignoring: {}",
                link.display(),
                crate::error::os_error_text(&e)
            );
        }
    }
}

/// `RemoveOnStop=yes`: the socket files, FIFOs and symlinks go with the socket.
pub fn remove(c: &SocketConfig, root: &Root) {
    for listen in &c.listens {
        if listen.kind != ListenKind::Special {
            if let Some(p) = listen.path() {
                let _ = std::fs::remove_file(root.host_path(p));
            }
        }
    }
    for link in &c.symlinks {
        let _ = std::fs::remove_file(root.host_path(link));
    }
}
