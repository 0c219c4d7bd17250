//! The few OS calls unitbox needs that nix does not wrap safely, or wraps losing
//! information: every `unsafe` block outside the code between `fork()` and `exec()`
//! (exec/spawn.rs, supervisor/client.rs, init/jobs.rs) and the adoption of inherited
//! descriptor numbers is here, each with its SAFETY comment. Everything else goes
//! through nix.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// `kill(2)` with a raw signal number: nix's `Signal` has no real-time signals
/// (`SIGRTMIN+n`), which `KillSignal=` may name. A `pid` of -1 signals every process we
/// may signal.
pub fn kill(pid: i32, signal: i32) -> io::Result<()> {
    // SAFETY: kill takes integers and touches no memory of ours.
    check(unsafe { libc::kill(pid, signal) }).map(drop)
}

/// `waitpid(2)` keeping the raw status word (see `ExitStatus::from_wait_status`): nix's
/// `WaitStatus` cannot hold a death by a real-time signal and would lose the child's
/// status. `Ok(None)`: with `WNOHANG`, no child has changed state.
pub fn waitpid(pid: i32, flags: libc::c_int) -> io::Result<Option<(i32, i32)>> {
    let mut status = 0;
    // SAFETY: `status` is a valid out pointer for the duration of the call.
    let pid = check(unsafe { libc::waitpid(pid, &mut status, flags) })?;
    Ok((pid > 0).then_some((pid, status)))
}

/// `waitid(P_ALL, WEXITED|WNOHANG|WNOWAIT)`: whether we have any child left, exited or
/// not, without reaping it.
pub fn has_children() -> bool {
    // SAFETY: an all-zero siginfo_t is a valid value; waitid only writes into it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: waitid with WNOWAIT only reports, into the local `info`.
    (unsafe { libc::waitid(libc::P_ALL, 0, &mut info, flags) }) == 0
}

/// `pidfd_open(2)` (close-on-exec, as every pidfd is): nix 0.29 has no pidfd call.
pub fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: the syscall takes integers and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    check(fd as libc::c_int)?;
    // SAFETY: a fresh descriptor that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `poll(2)` on raw `pollfd` entries (an event loop's mix of descriptors). Safe: the
/// slice is valid memory, and a closed descriptor only yields `POLLNVAL`.
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: libc::c_int) -> io::Result<usize> {
    // SAFETY: `fds` points to `fds.len()` initialised pollfd entries for the call.
    check(unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) })
        .map(|n| n as usize)
}

/// `flock(2)` (`LOCK_SH`, `LOCK_EX`, `| LOCK_NB`), retried on EINTR: nix 0.29 only
/// offers a deprecated form or one that takes ownership of the file.
pub fn flock(file: &impl AsFd, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock takes a descriptor and an integer; `file` keeps it open.
        if unsafe { libc::flock(file.as_fd().as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// A record lock request over the whole file (`F_RDLCK`/`F_WRLCK`), for nix's
/// `FcntlArg::F_SETLK`/`F_OFD_*`.
pub fn whole_file_lock(kind: libc::c_int) -> libc::flock {
    libc::flock {
        l_type: kind as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    }
}

/// `getrlimit(2)` by the raw `RLIMIT_*` number the unit settings keep.
pub fn getrlimit(resource: crate::exec::limits::Resource) -> Option<libc::rlimit> {
    let mut now = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    (unsafe { libc::getrlimit(resource, &mut now) } == 0).then_some(now)
}

/// `setrlimit(2)` by the raw `RLIMIT_*` number; async-signal-safe (a forked child uses
/// it). `Err(errno)`.
pub fn setrlimit(resource: crate::exec::limits::Resource, limit: &libc::rlimit) -> Result<(), i32> {
    // SAFETY: setrlimit reads a valid rlimit struct.
    if unsafe { libc::setrlimit(resource, limit) } == 0 {
        Ok(())
    } else {
        Err(nix::errno::Errno::last_raw())
    }
}

/// `setreuid(uid, -1)`/`setregid(gid, -1)`: the real id only (nix has only the
/// `setres*` forms, which treat the saved id differently).
pub fn set_real_ids(uid: Option<u32>, gid: Option<u32>) -> Result<(), (bool, nix::errno::Errno)> {
    const KEEP: u32 = u32::MAX;
    if let Some(gid) = gid {
        // SAFETY: plain syscall on integer arguments.
        if unsafe { libc::setregid(gid, KEEP) } != 0 {
            return Err((false, nix::errno::Errno::last()));
        }
    }
    if let Some(uid) = uid {
        // SAFETY: plain syscall on integer arguments.
        if unsafe { libc::setreuid(uid, KEEP) } != 0 {
            return Err((true, nix::errno::Errno::last()));
        }
    }
    Ok(())
}

/// The window size of the terminal on `fd` (`TIOCGWINSZ`), `None` when it is none.
pub fn window_size(fd: BorrowedFd<'_>) -> Option<libc::winsize> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ only writes into the winsize struct we pass.
    (unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) } == 0).then_some(ws)
}

/// Sets the window size of the terminal on `fd` (`TIOCSWINSZ`).
pub fn set_window_size(fd: BorrowedFd<'_>, size: &libc::winsize) -> io::Result<()> {
    // SAFETY: TIOCSWINSZ only reads the winsize struct we pass.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, size) }).map(drop)
}

/// Ignores `signal` (`SIG_IGN`; children get it reset before exec).
pub fn ignore_signal(signal: nix::sys::signal::Signal) {
    use nix::sys::signal::SigHandler;
    // SAFETY: SIG_IGN installs no handler: no code of ours runs in signal context.
    let _ = unsafe { nix::sys::signal::signal(signal, SigHandler::SigIgn) };
}

/// Takes ownership of an inherited descriptor number (from the command line or the
/// environment) if it is open: it becomes close-on-exec so no child inherits it.
///
/// # Safety
/// Nothing else in the process may own or use `fd`: the launcher handed it to us alone.
pub unsafe fn adopt_fd(fd: RawFd) -> Option<OwnedFd> {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    fcntl(fd, FcntlArg::F_GETFD).ok()?;
    let _ = fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
    // SAFETY: the caller guarantees `fd` is ours alone; it is open (checked above).
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A close-on-exec duplicate of descriptor number `fd`, numbered `floor` or above.
/// Safe for any number: a closed one is EBADF, and the duplicate is a fresh descriptor.
pub fn dup_above(fd: RawFd, floor: RawFd) -> io::Result<OwnedFd> {
    use nix::fcntl::{fcntl, FcntlArg};
    let dup = fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(floor))?;
    // SAFETY: `dup` was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(dup) })
}

/// `set` plus raw signal numbers nix's `Signal` cannot name (`SIGRTMIN+n`).
pub fn sigset_with(
    set: &nix::sys::signal::SigSet,
    extra: &[libc::c_int],
) -> nix::sys::signal::SigSet {
    let mut raw = *set.as_ref();
    for &n in extra {
        // SAFETY: sigaddset on a sigset we own; an invalid number is EINVAL, ignored.
        unsafe { libc::sigaddset(&mut raw, n) };
    }
    // SAFETY: `raw` was built from a valid SigSet with sigaddset.
    unsafe { nix::sys::signal::SigSet::from_sigset_t_unchecked(raw) }
}

/// `lsetxattr(2)`: an extended attribute of the file at `path` (of a symlink itself).
pub fn lsetxattr(path: &std::path::Path, name: &str, value: &[u8]) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    let name = std::ffi::CString::new(name)?;
    // SAFETY: both strings are NUL-terminated and live across the call; `value` is a
    // valid buffer of the length passed.
    let rc = unsafe {
        libc::lsetxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    check(rc).map(|_| ())
}

/// `lgetxattr(2)`: the value of an extended attribute (`None` if it is not set).
pub fn lgetxattr(path: &std::path::Path, name: &str) -> io::Result<Option<Vec<u8>>> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    let name = std::ffi::CString::new(name)?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: the strings are NUL-terminated; `buf` is writable for the length passed.
    let rc = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if rc < 0 {
        let err = io::Error::last_os_error();
        return match err.raw_os_error() {
            Some(libc::ENODATA) => Ok(None),
            _ => Err(err),
        };
    }
    buf.truncate(rc as usize);
    Ok(Some(buf))
}

/// `FS_IOC_GETFLAGS`/`FS_IOC_SETFLAGS` (chattr(1)'s file attributes) on an open file:
/// sets the bits of `mask` to those of `value`, returns (previous, current).
pub fn change_file_flags(file: &impl AsFd, value: u32, mask: u32) -> io::Result<(u32, u32)> {
    const FS_IOC_GETFLAGS: libc::c_ulong = 0x8008_6601;
    const FS_IOC_SETFLAGS: libc::c_ulong = 0x4008_6602;
    let fd = file.as_fd().as_raw_fd();
    let mut old: libc::c_int = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one int through the valid pointer; `fd` is open.
    check(unsafe { libc::ioctl(fd, FS_IOC_GETFLAGS as _, &mut old as *mut libc::c_int) })?;
    let new = ((old as u32 & !mask) | (value & mask)) as libc::c_int;
    if new != old {
        // SAFETY: FS_IOC_SETFLAGS reads one int through the valid pointer; `fd` is open.
        check(unsafe { libc::ioctl(fd, FS_IOC_SETFLAGS as _, &new as *const libc::c_int) })?;
    }
    Ok((old as u32, new as u32))
}

/// Restores `signal`'s default disposition (`SIG_DFL`), before an exec that must not
/// inherit the `SIG_IGN` of SIGPIPE the Rust runtime installs.
pub fn default_signal(signal: nix::sys::signal::Signal) {
    use nix::sys::signal::SigHandler;
    // SAFETY: SIG_DFL installs no handler: no code of ours runs in signal context.
    let _ = unsafe { nix::sys::signal::signal(signal, SigHandler::SigDfl) };
}

/// `accept4(SOCK_CLOEXEC)`: the connection as an owned descriptor (nix returns a raw one).
pub fn accept_cloexec(listener: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    // SAFETY: accept4 with null address pointers touches no memory of ours.
    let fd = check(unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        )
    })?;
    // SAFETY: accept4() just returned this descriptor to us alone.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Descriptors received as `SCM_RIGHTS`, owned.
pub fn adopt_received(fds: Vec<RawFd>) -> Vec<OwnedFd> {
    fds.into_iter()
        // SAFETY: the kernel just installed these descriptors for the receiver alone.
        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
        .collect()
}

/// The capability sets of one process, as `capget(2)`/`capset(2)` (version 3) hold them:
/// two of these, for capabilities 0–31 and 32–63.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapData {
    pub effective: u32,
    pub permitted: u32,
    pub inheritable: u32,
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// `capget(2)` of the calling thread. Allocates nothing (usable after `fork()`).
pub fn capget() -> Result<[CapData; 2], nix::errno::Errno> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: the header and the two data structs are valid memory of the layout the
    // kernel expects for version 3, for the duration of the call.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    nix::errno::Errno::result(rc).map(|_| data)
}

/// `capset(2)` of the calling thread. Allocates nothing (usable after `fork()`).
pub fn capset(data: &[CapData; 2]) -> Result<(), nix::errno::Errno> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: as in capget; the kernel only reads `data`.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    nix::errno::Errno::result(rc).map(drop)
}

/// `prctl(2)` with integer arguments (`PR_CAPBSET_READ`, `PR_CAPBSET_DROP`,
/// `PR_GET_SECUREBITS`, `PR_SET_SECUREBITS`, `PR_CAP_AMBIENT`), which nix does not wrap.
pub fn prctl(option: libc::c_int, arg2: u64, arg3: u64) -> Result<libc::c_int, nix::errno::Errno> {
    // SAFETY: these options take integers only and touch no memory of ours.
    let rc = unsafe { libc::prctl(option, arg2 as libc::c_ulong, arg3 as libc::c_ulong, 0, 0) };
    nix::errno::Errno::result(rc)
}

/// `sched_setaffinity(2)` of the calling process with a mask of any size (nix's `CpuSet`
/// stops at 1024 CPUs).
pub fn sched_setaffinity(mask: &[libc::c_ulong]) -> Result<(), nix::errno::Errno> {
    let bytes = std::mem::size_of_val(mask);
    // SAFETY: `mask` is `bytes` bytes of valid memory the kernel only reads.
    let rc = unsafe { libc::syscall(libc::SYS_sched_setaffinity, 0, bytes, mask.as_ptr()) };
    nix::errno::Errno::result(rc).map(drop)
}

/// `ioprio_set(IOPRIO_WHO_PROCESS, 0, value)`: no wrapper in libc or nix.
pub fn ioprio_set(value: libc::c_int) -> Result<(), nix::errno::Errno> {
    const IOPRIO_WHO_PROCESS: libc::c_int = 1;
    // SAFETY: integers only.
    let rc = unsafe { libc::syscall(libc::SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) };
    nix::errno::Errno::result(rc).map(drop)
}

/// `write(2)` on a raw descriptor, allocation-free for the child after `fork()`
/// (nix's `write` wants a borrowed descriptor, which a raw number cannot safely be).
pub fn write_raw(fd: RawFd, buf: &[u8]) -> Result<usize, nix::errno::Errno> {
    // SAFETY: `buf` is valid for `buf.len()` bytes; a bad `fd` is only EBADF.
    let rc = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    nix::errno::Errno::result(rc).map(|n| n as usize)
}
